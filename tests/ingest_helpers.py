"""Feeds and pages for the ingest tests (served by monitor.testing.LocalSite)."""

from __future__ import annotations

from xml.sax.saxutils import escape

WORDS = ("Pyongyang and Moscow signed a new agreement on military cooperation this week, officials said, "
         "as artillery shells and missiles continued to move by rail across the border near Tumangang. ")


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS 2.0 document; items are (title, link, summary)."""
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><description>{escape(s)}</description>"
        f"<pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>" for t, link, s in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title>"
            f"<link>http://example.org/</link><description>d</description>{body}</channel></rss>")


def article_html(title: str, paragraphs: int = 6, site: str = "Example News") -> str:
    paras = "".join(f"<p>{WORDS * 2} Paragraph {i} of {escape(title)}.</p>" for i in range(paragraphs))
    return (f"<!doctype html><html lang='en'><head><title>{escape(title)}</title>"
            f"<meta property='og:site_name' content='{escape(site)}'>"
            f"<meta name='author' content='Jane Doe'></head><body><nav>Home | World | Asia</nav>"
            f"<article><h1>{escape(title)}</h1>{paras}</article><footer>Copyright</footer></body></html>")


class ScriptedServer:
    """A raw TCP server on 127.0.0.1 whose every connection runs ``script(sock)``: for servers that
    misbehave below HTTP (dripping header lines, stalling), which a well-behaved server cannot do.

        with ScriptedServer(drip_headers) as server:
            server.url("/feed.xml")
    """

    def __init__(self, script) -> None:  # type: ignore[no-untyped-def]
        import socket
        import threading

        self.script = script
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        import threading

        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn) -> None:  # type: ignore[no-untyped-def]
        import contextlib

        with contextlib.suppress(OSError), conn:
            conn.settimeout(30)
            conn.recv(65536)  # the request
            self.script(conn, self._stop)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


#: Give up dripping after this long: a test whose deadline does not work then fails instead of hanging.
DRIP_LIMIT_SECONDS = 20.0
DRIP_EVERY_SECONDS = 0.1


def drip_headers(conn, stop) -> None:  # type: ignore[no-untyped-def]
    """A status line, then one header line every DRIP_EVERY_SECONDS, never the blank line."""
    import time

    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n")
    started = time.monotonic()
    while not stop.is_set() and time.monotonic() - started < DRIP_LIMIT_SECONDS:
        conn.sendall(b"X-Drip: 1\r\n")
        time.sleep(DRIP_EVERY_SECONDS)


def drip_body(conn, stop) -> None:  # type: ignore[no-untyped-def]
    """Complete headers announcing 100,000 bytes, then one byte every DRIP_EVERY_SECONDS."""
    import time

    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 100000\r\n\r\n")
    started = time.monotonic()
    while not stop.is_set() and time.monotonic() - started < DRIP_LIMIT_SECONDS:
        conn.sendall(b" ")
        time.sleep(DRIP_EVERY_SECONDS)


def stall(conn, stop) -> None:  # type: ignore[no-untyped-def]
    """Read the request and answer nothing."""
    stop.wait(DRIP_LIMIT_SECONDS)
