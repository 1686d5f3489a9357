"""`monitor serve` over real HTTP on 127.0.0.1: the archive, and RFC 8058 one-click unsubscribe from the
List-Unsubscribe URL a real message carries."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from conftest import NOW
from test_digest_model import sample_data

from monitor.cli import main
from monitor.config import Config
from monitor.core import Monitor
from monitor.digest.pipeline import DigestPipeline, StoredDigest
from monitor.serve import create_app

PUBLIC = "https://watch.example.org/news/"


class Server:
    """The app run by uvicorn in a thread, on a socket bound to a free port of 127.0.0.1."""

    def __init__(self, monitor: Monitor) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(monitor), log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:  # readiness, not a timing assertion
            if not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


@pytest.fixture
def monitor(make_config: Callable[..., Config]) -> Iterator[Monitor]:
    config = make_config(digest={"public_url": PUBLIC},
                         smtp={"host": "127.0.0.1", "port": 2525, "from": "Watch <watch@example.org>"})
    m = Monitor(config, clock=lambda: NOW)
    m.ensure_schema()
    yield m
    m.close()


@pytest.fixture
def server(monitor: Monitor) -> Iterator[Server]:
    with Server(monitor) as running:
        yield running


def _build(monitor: Monitor, week: str = "2026-W46", data: dict[str, Any] | None = None) -> StoredDigest:
    return DigestPipeline(monitor.config, monitor.db, monitor.clock).build(monitor.window_for_week(week),
                                                                           data or sample_data())


def test_the_archive_is_served(monitor: Monitor, server: Server) -> None:
    _build(monitor)
    with httpx.Client(base_url=server.base) as client:
        index = client.get("/")
        assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
        assert 'href="2026-W46.html"' in index.text
        digest = client.get("/2026-W46.html")
        assert digest.status_code == 200 and "Kim and Putin sign a new defence pact" in digest.text
        assert client.get("/2026-W46.txt").headers["content-type"].startswith("text/plain")
        assert client.get("/2026-W46.json").json()["window"]["since"] == "2026-11-09T00:00:00"
        atom = client.get("/atom.xml")
        assert atom.headers["content-type"] == "application/atom+xml"
        assert f"<link rel=\"alternate\" type=\"text/html\" href=\"{PUBLIC}2026-W46.html\"/>" in atom.text
        for bad in ("/missing.html", "/.index.html.abc", "/..%2Fmonitor.toml", "/test.db"):
            assert client.get(bad).status_code == 404, bad


def test_one_click_unsubscribe_from_the_list_unsubscribe_header(monitor: Monitor, server: Server) -> None:
    info = monitor.add_subscriber("zoe@example.org", lang="fr")
    message = monitor.digest_message(_build(monitor), "zoe@example.org")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = f"{PUBLIC}unsubscribe/{info.token}"
    assert f"<{url}>" in message["List-Unsubscribe"]
    assert url in message.get_body(("plain",)).get_content()
    local = server.base + "/" + url.removeprefix(PUBLIC)  # the reverse proxy maps PUBLIC to the app's /
    # What a mail client sends for its "Unsubscribe" button: one POST, no page, no second click.
    response = httpx.post(local, content="List-Unsubscribe=One-Click",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and "zoe@example.org est désabonné" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert [s.active for s in monitor.list_subscribers()] == [False]
    again = httpx.post(local, content="List-Unsubscribe=One-Click")
    assert again.status_code == 200 and [s.active for s in monitor.list_subscribers()] == [False]


def test_get_shows_a_one_button_page_in_the_subscribers_language(monitor: Monitor, server: Server) -> None:
    fr = monitor.add_subscriber("zoe@example.org", lang="fr")
    en = monitor.add_subscriber("ann@example.org", lang="en")
    page = httpx.get(f"{server.base}/unsubscribe/{fr.token}")
    assert page.status_code == 200 and '<html lang="fr">' in page.text
    assert "Ne plus recevoir la lettre Russie–Corée du Nord à l’adresse zoe@example.org ?" in page.text
    assert page.text.count("<button") == 1 and "<form method=\"post\">" in page.text
    assert "Me désabonner" in page.text
    assert all(s.active for s in monitor.list_subscribers())  # a GET (a link scanner) changes nothing
    english = httpx.get(f"{server.base}/unsubscribe/{en.token}").text
    assert "Stop receiving the Russia–North Korea digest at ann@example.org?" in english
    clicked = httpx.post(f"{server.base}/unsubscribe/{en.token}", data={"List-Unsubscribe": "One-Click"})
    assert "ann@example.org is unsubscribed" in clicked.text
    assert {s.email: s.active for s in monitor.list_subscribers()} == {"zoe@example.org": True,
                                                                     "ann@example.org": False}
    after = httpx.get(f"{server.base}/unsubscribe/{en.token}").text
    assert "<button" not in after and "is unsubscribed" in after


def test_an_unknown_token_gets_a_polite_page(monitor: Monitor, server: Server) -> None:
    monitor.add_subscriber("ann@example.org")
    for method in ("GET", "POST"):
        response = httpx.request(method, f"{server.base}/unsubscribe/not-a-token")
        assert response.status_code == 200 and "This unsubscribe link is not known" in response.text
        assert "Traceback" not in response.text and "<button" not in response.text
    assert [s.active for s in monitor.list_subscribers()] == [True]


def test_a_bad_public_url_is_named(write_config: Callable[..., Path], capsys: pytest.CaptureFixture) -> None:
    config = write_config({"digest": {"public_url": "watch.example.org"}})
    assert main(["--config", str(config), "status"]) == 2
    assert "digest.public_url: expected an http(s) URL" in capsys.readouterr().err


def test_serve_has_help_and_listens_on_loopback_by_default(capsys: pytest.CaptureFixture) -> None:
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--host TEXT" in out and "[default: 127.0.0.1]" in out and "--port" in out


DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_systemd_unit_serves_on_loopback_hardened() -> None:
    text = (DEPLOY / "monitor-serve.service").read_text(encoding="utf-8")
    command = "ExecStart=/usr/local/bin/monitor --config /etc/monitor/monitor.toml serve --host 127.0.0.1 "
    assert command in text
    for line in ("DynamicUser=yes", "User=monitor", "StateDirectory=monitor", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "Environment=MONITOR_DATA_DIR=/var/lib/monitor"):
        assert line in text.splitlines(), line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_analyze_verify_accepts_the_serve_unit(tmp_path: Path) -> None:
    binary = Path(sys.executable).with_name("monitor")
    text = (DEPLOY / "monitor-serve.service").read_text(encoding="utf-8")
    unit = tmp_path / "monitor-serve.service"
    unit.write_text(text.replace("/usr/local/bin/monitor", str(binary)), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "monitor" not in result.stderr, result.stderr
