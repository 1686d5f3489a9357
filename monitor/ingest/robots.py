"""robots.txt for article pages, fetched once per host and run (RFC 9309 defaults)."""

from __future__ import annotations

import threading
import urllib.robotparser
from urllib.parse import urlsplit

from ..errors import FetchError
from .http import HttpClient, user_agent

#: A robots.txt larger than this is cut (RFC 9309 asks crawlers to read at least 500 KiB).
MAX_ROBOTS_BYTES = 512_000


class RobotsCache:
    """``allowed(url)``: may our User-Agent fetch this page? One robots.txt request per host."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http
        self._agent = user_agent().split("/", 1)[0]
        self._parsers: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        with self._lock:
            host_lock = self._locks.setdefault(origin, threading.Lock())
        with host_lock:
            if origin not in self._parsers:
                self._parsers[origin] = self._load(origin)
        return self._parsers[origin].can_fetch(self._agent, url)

    def _load(self, origin: str) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            response = self._http.get(origin + "/robots.txt", max_bytes=MAX_ROBOTS_BYTES,
                                      accept="text/plain")
        except FetchError as exc:
            # RFC 9309: a 4xx robots.txt means no rules; a server error or no answer means "disallow all".
            if exc.status is not None and 400 <= exc.status < 500:
                parser.allow_all = True  # type: ignore[attr-defined]  # read by can_fetch, not typed
            else:
                parser.disallow_all = True  # type: ignore[attr-defined]
            return parser
        parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        return parser
