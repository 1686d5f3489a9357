"""A real HTTP server on 127.0.0.1 for tests, the evaluation and the benchmarks: never the internet.

    with LocalSite() as site:
        site.add("/feed.xml", feed_bytes, content_type="application/rss+xml")
        site.add("/gone", b"", status=410)
        site.url("/feed.xml")            # -> "http://127.0.0.1:PORT/feed.xml"
        site.requests                     # every request seen: (method, path, headers)

Each resource answers conditional requests (ETag and Last-Modified → 304), can be served gzip-encoded,
delayed, or redirected. Resources can be replaced while the server runs.

Each response leaves in one write with Nagle's algorithm off (``TCP_NODELAY``): headers and body written
separately on a kept-alive connection waited ~40 ms for the client's delayed ACK, which capped the
benchmarks near 360 pages/s and measured the server instead of monitor.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass
class Resource:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    #: Seconds to wait before answering (to provoke timeouts).
    delay: float = 0.0
    #: Send the body gzip-encoded (Content-Encoding: gzip) when the client accepts it.
    gzip: bool = False
    #: Send the body as is with Content-Encoding: gzip (for gzip bombs: pass already-compressed bytes).
    raw_gzip: bool = False
    #: Answer conditional requests with ETag/Last-Modified validators.
    validators: bool = True
    last_modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


class LocalSite:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        """``tls``: a server-side context, to serve https (its certificate names 127.0.0.1)."""
        self.resources: dict[str, Resource] = {}
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            #: TCP_NODELAY on every connection, and a buffered writer flushed once per response.
            disable_nagle_algorithm = True
            wbufsize = -1

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(send_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(send_body=True)

            def _answer(self, send_body: bool) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with site._lock:
                    site.requests.append(SeenRequest(self.command, self.path, headers))
                    res = site.resources.get(self.path) or site.resources.get(self.path.split("?")[0])
                if res is None:
                    res = Resource(b"not found", status=404, content_type="text/plain")
                if res.delay:
                    time.sleep(res.delay)
                out_headers = {"Content-Type": res.content_type, **res.headers}
                body = res.body
                if res.status == 200 and res.validators:
                    last_modified = email.utils.formatdate(res.last_modified, usegmt=True)
                    out_headers |= {"ETag": res.etag, "Last-Modified": last_modified}
                    etag_match = headers.get("if-none-match") == res.etag
                    date_match = headers.get("if-modified-since") == last_modified
                    if etag_match or ("if-none-match" not in headers and date_match):
                        self.send_response(304)
                        for key in ("ETag", "Last-Modified"):
                            self.send_header(key, out_headers[key])
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                if res.raw_gzip or (res.gzip and "gzip" in headers.get("accept-encoding", "")):
                    body = body if res.raw_gzip else gzip.compress(body)
                    out_headers["Content-Encoding"] = "gzip"
                self.send_response(res.status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    if send_body:
                        self.wfile.write(body)
                    self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add(self, path: str, body: bytes | str = b"", **options: object) -> str:
        """Serve ``body`` at ``path`` (options as in Resource); returns the full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.resources[path] = Resource(data, **options)  # type: ignore[arg-type]
        return self.url(path)

    def redirect(self, path: str, target: str, status: int = 302) -> str:
        return self.add(path, b"", status=status, headers={"Location": target}, validators=False)

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> LocalSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def toml_dumps(data: dict[str, Any]) -> str:
    """A minimal TOML writer for the configuration files tests and benchmarks write (tables, arrays of
    tables, scalars, lists): the standard library reads TOML but does not write it."""

    def scalar(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return repr(value)
        if isinstance(value, list | tuple):
            return "[" + ", ".join(scalar(v) for v in value) + "]"
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines: list[str] = []
    for key, value in data.items():
        if not isinstance(value, dict | list) or (isinstance(value, list)
                                                  and not (value and isinstance(value[0], dict))):
            lines.append(f"{key} = {scalar(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            lines += [f"{k} = {scalar(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for row in value:
                lines.append(f"\n[[{key}]]")
                lines += [f"{k} = {scalar(v)}" for k, v in row.items()]
    return "\n".join(lines) + "\n"
