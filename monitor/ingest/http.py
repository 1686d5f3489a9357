"""One polite HTTP GET: guarded addresses, manual redirects, conditional requests, size caps after
decompression, a global and a per-host limit on requests in flight.

Bodies are read raw and decompressed here with a bounded ``zlib`` window, so a gzip bomb costs at most
``max_bytes`` of memory before it is refused. Each request has one deadline for connect, headers and
body together (``netguard.request_deadline``). A 429 or 503 with ``Retry-After`` carries the wait the
server asked for, so the feed's next poll honours it. One TLS context is built per client, when the
first https connection needs it.
"""

from __future__ import annotations

import dataclasses
import email.utils
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from .. import __version__
from ..config import FetchConfig
from ..errors import FetchError
from .netguard import DEADLINE_MESSAGE, GuardedBackend, Resolver, check_url, request_deadline

PERMANENT_REDIRECTS = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
#: A 410 disables a feed: the publisher says it is gone for good.
GONE = 410
#: One request (connect, headers and body) may take at most this many read timeouts in total: the read
#: timeout alone bounds each wait between two chunks, so a server dripping one byte at a time (of the
#: headers or of the body) could otherwise hold a fetch forever. Three read timeouts (90 s by default)
#: is far more than any real feed or page needs on a slow link.
TOTAL_TIME_FACTOR = 3
#: Statuses whose Retry-After header sets the feed's next poll (too many requests, unavailable).
RETRY_AFTER_STATUSES = (429, 503)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from ``now`` (aware UTC, default the wall clock) a Retry-After value asks us to wait:
    delta-seconds or an HTTP date; None when absent or unreadable (a date in the past is 0)."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


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


class _LazyTlsPool(httpcore.ConnectionPool):
    """httpx's connection pool whose one TLS context is built when the first https connection needs it
    (a run over plain-http feeds never pays for loading the CA bundle)."""

    _tls_lock = threading.Lock()

    def create_connection(self, origin: httpcore.Origin) -> httpcore.ConnectionInterface:
        if origin.scheme == b"https" and self._ssl_context is None:
            with self._tls_lock:
                if self._ssl_context is None:
                    self._ssl_context = httpx.create_ssl_context(trust_env=False)
        return super().create_connection(origin)


def _header_map(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Response headers by lower-case name; repeated headers joined with ", " (as httpx does)."""
    out: dict[str, str] = {}
    for key, value in raw:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        out[name] = f"{out[name]}, {text}" if name in out else text
    return out


class HttpClient:
    """Shared by threads; build one per run from the [fetch] configuration.

    Requests go straight to httpcore's connection pool (httpx's client adds ~0.2 ms of CPU per request,
    a third of a conditional poll); httpx parses the URLs (IDNA, percent-encoding)."""

    def __init__(self, config: FetchConfig) -> None:
        self.config = config
        self.limiter = HostLimiter(config.concurrency, config.per_host_concurrency)
        self.resolver = Resolver()
        #: Seconds one request may take from connect to the last body byte.
        self.total_seconds = config.read_timeout_seconds * TOTAL_TIME_FACTOR
        self._timeouts = {"connect": config.connect_timeout_seconds, "read": config.read_timeout_seconds,
                          "write": config.read_timeout_seconds, "pool": self.total_seconds}
        self._pool = _LazyTlsPool(
            ssl_context=None, max_connections=config.concurrency,
            max_keepalive_connections=config.concurrency,
            network_backend=GuardedBackend(allow_private=config.allow_private_addresses,
                                           resolver=self.resolver))
        self._headers = [(b"User-Agent", user_agent(config.user_agent_contact).encode("ascii", "replace")),
                         (b"Accept-Encoding", b"gzip, deflate")]

    def close(self) -> None:
        self._pool.close()

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
        for hop in range(self.config.max_redirects + 1):
            try:
                check_url(url, allow_private=self.config.allow_private_addresses, resolver=self.resolver)
                status, location, response = self._one(url, headers, max_bytes)
            except FetchError as exc:
                if hop and exc.permanent and exc.status is None:  # a bad redirect target, not a removal
                    raise FetchError(f"redirected to a URL that cannot be fetched: {exc}", source=url,
                                     status=exc.status) from None
                raise
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

    def _request(self, url: str, headers: dict[str, str]) -> httpcore.Request:
        parsed = httpx.URL(url)
        return httpcore.Request(
            "GET", httpcore.URL(scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port,
                                target=parsed.raw_path),
            headers=[(b"Host", parsed.netloc), *self._headers,
                     *((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())],
            extensions={"timeout": self._timeouts})

    def _one(self, url: str, headers: dict[str, str],
             max_bytes: int) -> tuple[int, str | None, Response | None]:
        try:
            request = self._request(url, headers)
            with self.limiter.slot(url), request_deadline(self.total_seconds):
                r = self._pool.handle_request(request)
                try:
                    return self._read(url, r, max_bytes)
                finally:
                    r.close()
        except httpcore.TimeoutException as exc:
            if DEADLINE_MESSAGE in str(exc):
                raise FetchError(f"timed out (no complete answer within {self.total_seconds:g} s)",
                                 source=url) from None
            raise FetchError(f"timed out ({type(exc).__name__})", source=url) from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise FetchError(f"HTTP error: {exc or type(exc).__name__}", source=url) from None
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise FetchError(f"invalid URL: {exc}", source=url, permanent=True) from None

    def _read(self, url: str, r: httpcore.Response,
              max_bytes: int) -> tuple[int, str | None, Response | None]:
        status, h = r.status, _header_map(r.headers)
        if status in REDIRECTS:
            location = h.get("location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location", source=url, status=status)
            return status, location, None
        if status not in (200, 304):
            reason = r.extensions.get("reason_phrase", b"").decode("latin-1", "replace")
            wait = retry_after_seconds(h.get("retry-after")) if status in RETRY_AFTER_STATUSES else None
            raise FetchError(f"HTTP {status} {reason}".strip(), source=url, status=status,
                             permanent=status == GONE, retry_after=wait)
        declared = h.get("content-length", "")
        if declared.isdigit() and "content-encoding" not in h and int(declared) > max_bytes:
            raise FetchError(f"response larger than {max_bytes} bytes ({declared} declared)", source=url)
        decoder = _Decoder(h.get("content-encoding", ""), max_bytes, url)
        for chunk in r.iter_stream():
            decoder.feed(chunk)
        return status, None, Response(url=url, status=status, body=decoder.body(),
                                      content_type=h.get("content-type", ""), etag=h.get("etag"),
                                      last_modified=h.get("last-modified"))
