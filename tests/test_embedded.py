"""The embedded servers: start, answer, stop, and fail clearly."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest
from pymongo import MongoClient
from redis import Redis

from inbox.domain.errors import StartupError
from inbox.embedded import STATE_FILE, EmbeddedServers, running_state


def test_start_answer_and_stop(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path)
    servers.start()
    try:
        assert "retryWrites=false" in servers.mongo_url
        with MongoClient(servers.mongo_url, serverSelectionTimeoutMS=5000) as mongo:
            mongo["probe"]["x"].insert_one({"ok": 1})
            assert mongo["probe"]["x"].count_documents({}) == 1
        assert Redis.from_url(servers.redis_url).ping()
        assert running_state(tmp_path) == {
            "mongo_url": servers.mongo_url,
            "redis_url": servers.redis_url,
        }
        pids = [c.process.pid for c in servers.children]
    finally:
        servers.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not (tmp_path / STATE_FILE).exists()
    assert (tmp_path / "mongo").is_dir()  # data kept on disk for the next start


def test_data_survives_a_restart(tmp_path: Path) -> None:
    for expected in (1, 2):
        servers = EmbeddedServers(tmp_path)
        servers.start(redis=False)
        try:
            with MongoClient(servers.mongo_url, serverSelectionTimeoutMS=5000) as mongo:
                mongo["probe"]["x"].insert_one({"n": expected})
                assert mongo["probe"]["x"].count_documents({}) == expected
        finally:
            servers.stop()


def test_port_in_use_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        servers = EmbeddedServers(tmp_path, memory=True, redis_port=port)
        with pytest.raises(StartupError, match=f"port {port} .* already in use"):
            servers.start()
    assert servers.children == []  # the MongoDB it had started is stopped again


def test_a_child_that_dies_is_reported(tmp_path: Path) -> None:
    servers = EmbeddedServers(tmp_path, memory=True)
    servers.start()
    try:
        assert servers.dead_child() is None
        valkey = next(c for c in servers.children if c.name == "valkey")
        os.kill(valkey.process.pid, signal.SIGKILL)
        valkey.process.wait(timeout=10)
        dead = servers.dead_child()
        assert dead is not None
        assert dead.name == "valkey"
    finally:
        servers.stop()


def test_a_child_that_cannot_start_says_why(tmp_path: Path) -> None:
    blocker = tmp_path / "mongo"
    blocker.write_text("not a directory")  # the storage path is a file
    servers = EmbeddedServers(tmp_path)
    with pytest.raises(StartupError, match="secantusdb"):
        servers.start(redis=False)
