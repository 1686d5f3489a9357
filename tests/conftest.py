"""Shared fixtures: a real database (SQLite always, PostgreSQL when MONITOR_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from smtp_helpers import Inbox, free_port
from sqlalchemy import create_engine, text

from monitor.config import Config, parse_config
from monitor.core import Monitor
from monitor.testing import toml_dumps

PG_URL = os.environ.get("MONITOR_TEST_DATABASE_URL", "")
CORPORA = os.environ.get("MONITOR_CORPORA", "")
#: A fixed "now" for tests: Saturday 21 November 2026, noon UTC.
NOW = datetime(2026, 11, 21, 12, 0, 0)


def _backends() -> list[Any]:
    return ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="MONITOR_TEST_DATABASE_URL not set"))]


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real data directory or config."""
    monkeypatch.setenv("MONITOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a throw-away schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def make_config(database_url: str, tmp_path: Path) -> Callable[..., Config]:
    """Build a validated Config for this test's database; keyword tables override the defaults."""

    def build(**tables: Any) -> Config:
        data: dict[str, Any] = {"database": {"url": database_url},
                                "fetch": {"allow_private_addresses": True},
                                "digest": {"output_dir": str(tmp_path / "digests")},
                                "feeds": []}
        for key, value in tables.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return parse_config(data, "<test>")

    return build


@pytest.fixture
def monitor(make_config: Callable[..., Config]) -> Iterator[Monitor]:
    """An initialised Monitor (schema created, no seeds) with the clock fixed at NOW."""
    m = Monitor(make_config(), clock=lambda: NOW)
    m.ensure_schema()
    yield m
    m.close()


@pytest.fixture
def write_config(tmp_path: Path, database_url: str) -> Callable[..., Path]:
    """Write a monitor.toml for CLI tests (database and output folder filled in) and return its path."""

    def write(data: dict[str, Any] | None = None, name: str = "monitor.toml") -> Path:
        merged: dict[str, Any] = {"database": {"url": database_url},
                                  "fetch": {"allow_private_addresses": True},
                                  "digest": {"output_dir": str(tmp_path / "digests")}}
        for key, value in (data or {}).items():
            merged[key] = {**merged[key], **value} if isinstance(value, dict) and key in merged else value
        path = tmp_path / name
        path.write_text(toml_dumps(merged), encoding="utf-8")
        return path

    return write


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A plain SMTP server on 127.0.0.1: (its handler, its port)."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()
