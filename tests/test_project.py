"""The project's own files agree with each other: compose, settings, README, layers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from inbox.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def env_names(model: type[BaseModel] = Settings, prefix: str = "INBOX_") -> set[str]:
    """Every environment variable the settings model reads, nested ones with ``__``."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def test_compose_has_the_production_services() -> None:
    services = compose()["services"]
    assert set(services) >= {"mongo", "mongo-init", "valkey", "web", "worker"}
    assert services["mongo"]["image"].startswith("mongo:8")
    assert "--replSet" in services["mongo"]["command"]
    assert "rs.initiate" in " ".join(services["mongo-init"]["command"])
    assert services["web"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] == 1
    assert services["web"]["command"] == ["inbox", "serve"]
    assert services["worker"]["command"] == ["inbox", "worker"]
    for name in ("mongo", "valkey", "web"):
        assert "healthcheck" in services[name], name


def test_compose_environment_matches_the_settings_model() -> None:
    services = compose()["services"]
    known = env_names()
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        assert "replicaSet=rs0" in env["INBOX_MONGO_URL"]
        assert env["INBOX_REDIS_URL"].startswith("redis://valkey:")
        assert env["INBOX_HOST"] == "0.0.0.0"
    port = services["web"]["environment"]["INBOX_PORT"]
    assert all(p.endswith(f":{port}") for p in services["web"]["ports"])


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = set(re.findall(r"^\| `(INBOX_[A-Z0-9_]+)`", readme, flags=re.MULTILINE))
    assert env_names() <= documented, sorted(env_names() - documented)
    assert documented <= env_names(), sorted(documented - env_names())


def test_layer_contracts_hold() -> None:
    result = subprocess.run(  # noqa: S603 - the project's own dev tool
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
