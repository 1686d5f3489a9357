"""One polite HTTP GET: guarded addresses, manual redirects, conditional requests, size caps after
decompression, a global and a per-host limit on requests in flight.

Bodies are read raw and decompressed here with a bounded ``zlib`` window, so a gzip bomb costs at most
``max_bytes`` of memory before it is refused.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from .. import __version__
from ..config import FetchConfig
from ..errors import FetchError
from .netguard import GuardedBackend, check_url

PERMANENT_REDIRECTS = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
#: A 410 disables a feed: the publisher says it is gone for good.
GONE = 410
#: One response may take at most this many read timeouts in total: the read timeout alone bounds each
#: wait between two chunks, so a server dripping one byte at a time could otherwise hold a fetch forever.
TOTAL_TIME_FACTOR = 3


def user_agent(contact: str = "") -> str:
    suffix = f" (+{contact})" if contact else " (+https://github.com/monitor-news/monitor)"
    return f"monitor/{__version__}{suffix}"


@dataclass(frozen=True)
class Response:
    """A completed GET (status 200 or 304), after redirects."""

    url: str
    status: int
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    #: Where the first URL now lives when every redirect up to there was permanent (301/308).
    moved_to: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class HostLimiter:
    """At most ``total`` requests in flight, and at most ``per_host`` to one host."""

    def __init__(self, total: int, per_host: int) -> None:
        self._total = threading.BoundedSemaphore(total)
        self._per_host = per_host
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            host_sem = self._hosts.setdefault(host, threading.BoundedSemaphore(self._per_host))
        with host_sem, self._total:
            yield


class _Decoder:
    """Content-Encoding decoding with a hard cap on the decoded size."""

    def __init__(self, encoding: str, max_bytes: int, url: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise FetchError(f"unsupported Content-Encoding {encoding!r}", source=url)
        self.max_bytes = max_bytes
        self.url = url
        self.size = 0
        self.parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._add(chunk)
            return
        try:
            data = self._z.decompress(chunk, self.max_bytes - self.size + 1)
            self._add(data)
            while self._z.unconsumed_tail:
                self._add(self._z.decompress(self._z.unconsumed_tail, self.max_bytes - self.size + 1))
        except zlib.error as exc:
            raise FetchError(f"corrupt compressed body: {exc}", source=self.url) from None

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FetchError(f"response larger than {self.max_bytes} bytes (after decompression)",
                             source=self.url)
        self.parts.append(data)

    def body(self) -> bytes:
        return b"".join(self.parts)


class HttpClient:
    """Shared by threads; build one per run from the [fetch] configuration."""

    def __init__(self, config: FetchConfig) -> None:
        self.config = config
        self.limiter = HostLimiter(config.concurrency, config.per_host_concurrency)
        timeout = httpx.Timeout(config.read_timeout_seconds, connect=config.connect_timeout_seconds)
        limits = httpx.Limits(max_connections=config.concurrency,
                              max_keepalive_connections=config.concurrency)
        transport = httpx.HTTPTransport(limits=limits, trust_env=False)
        # the same pool httpx builds, with the guarded socket backend (httpx has no public hook for it)
        transport._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=config.allow_private_addresses))
        self._client = httpx.Client(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False,
            headers={"User-Agent": user_agent(config.user_agent_contact),
                     "Accept-Encoding": "gzip, deflate"})

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, *, max_bytes: int, etag: str | None = None, last_modified: str | None = None,
            accept: str = "*/*") -> Response:
        """GET ``url``; FetchError for anything but 200 or 304 (``status`` and ``permanent`` set)."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        moved_to: str | None = None
        still_permanent = True
        for _hop in range(self.config.max_redirects + 1):
            check_url(url, allow_private=self.config.allow_private_addresses)
            status, location, response = self._one(url, headers, max_bytes)
            if response is not None:
                return dataclasses.replace(response, moved_to=moved_to)
            assert location is not None
            target = urljoin(url, location)
            if still_permanent and status in PERMANENT_REDIRECTS:
                moved_to = target
            else:
                still_permanent = False
            url = target
        raise FetchError(f"more than {self.config.max_redirects} redirects", source=url)

    def _one(self, url: str, headers: dict[str, str],
             max_bytes: int) -> tuple[int, str | None, Response | None]:
        try:
            with self.limiter.slot(url), self._client.stream("GET", url, headers=headers) as r:
                if r.status_code in REDIRECTS:
                    location = r.headers.get("location")
                    if not location:
                        raise FetchError(f"HTTP {r.status_code} redirect without a Location", source=url,
                                         status=r.status_code)
                    return r.status_code, location, None
                if r.status_code not in (200, 304):
                    raise FetchError(f"HTTP {r.status_code} {r.reason_phrase}".strip(), source=url,
                                     status=r.status_code, permanent=r.status_code == GONE)
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and r.headers.get("content-encoding") is None \
                        and int(declared) > max_bytes:
                    raise FetchError(f"response larger than {max_bytes} bytes ({declared} declared)",
                                     source=url)
                decoder = _Decoder(r.headers.get("content-encoding", ""), max_bytes, url)
                deadline = time.monotonic() + self.config.read_timeout_seconds * TOTAL_TIME_FACTOR
                for chunk in r.iter_raw():
                    decoder.feed(chunk)
                    if time.monotonic() > deadline:
                        raise FetchError("timed out (the body took too long to arrive)", source=url)
                return r.status_code, None, Response(
                    url=url, status=r.status_code, body=decoder.body(),
                    content_type=r.headers.get("content-type", ""), etag=r.headers.get("etag"),
                    last_modified=r.headers.get("last-modified"))
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})", source=url) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"HTTP error: {exc or type(exc).__name__}", source=url) from None
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise FetchError(f"invalid URL: {exc}", source=url, permanent=True) from None
