"""The Lua scripts are package resources: shipped with the package, one score codec."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from routing.state.keys import BASE_MS, SHIFT, lua

SCRIPTS = ("assign", "move", "reconcile", "presence", "operators")


def test_every_script_is_a_lua_resource_after_the_shared_index_functions() -> None:
    here = files("routing.state")
    shared = (here / "index.lua").read_text(encoding="utf-8")
    for name in SCRIPTS:
        own = (here / f"{name}.lua").read_text(encoding="utf-8")
        assert lua(name) == shared + own
        assert "reindex(" in own or "rebuild(" in own  # each keeps the index in step


def test_the_index_script_and_python_agree_on_the_score_codec() -> None:
    shared = (files("routing.state") / "index.lua").read_text(encoding="utf-8")
    assert f"local SHIFT, BASE = {SHIFT}, {BASE_MS}\n" in shared


def test_wheels_ship_the_lua_files() -> None:
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "*.lua" in data["package-data"]["*"]
    assert any(pattern.startswith("routing") for pattern in data["packages"]["find"]["include"])
