"""Which URLs may be fetched: http(s) only, and public addresses only unless private ones are allowed.

The check runs on every hop (the first URL and each redirect target) after DNS resolution, so a public
name that resolves to 127.0.0.1 or a redirect to a private address is refused like a literal one. The
connection itself goes through ``GuardedBackend``, which resolves again, checks again and connects to
the checked address: a name that changes its answer between the check and the connection (DNS
rebinding) cannot slip through.

Every socket operation of a request (connect, TLS handshake, each read and write) waits at most until
that request's deadline (``request_deadline``), so a server dripping header or body bytes cannot hold a
fetch longer than the one total allowed per request. Answers of the resolver are cached per client.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpcore

from ..errors import FetchError

ALLOWED_SCHEMES = ("http", "https")


def address_is_public(address: str) -> bool:
    """True for a globally routable unicast address (not private, loopback, link-local, multicast…)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified) and ip.is_global


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (raises FetchError when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}", source=host) from None
    return sorted({str(info[4][0]) for info in infos})


class Resolver:
    """``resolve`` with the answers kept for the life of one client (one run): a run asks the system
    resolver once per host, not once per request and again per connection."""

    def __init__(self) -> None:
        self._answers: dict[tuple[str, int], list[str]] = {}
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int) -> list[str]:
        key = (host.lower(), port)
        with self._lock:
            cached = self._answers.get(key)
        if cached is None:
            cached = resolve(host, port)
            with self._lock:
                self._answers[key] = cached
        return cached


_deadlines = threading.local()
#: The message of the timeout raised when a request's total time is used up.
DEADLINE_MESSAGE = "the request's total time ran out"


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Within the block, every socket wait of this thread ends ``seconds`` from now at the latest."""
    previous = getattr(_deadlines, "at", None)
    _deadlines.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadlines.at = previous


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of this thread's request deadline; ``error`` once it passed."""
    at = getattr(_deadlines, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise error(DEADLINE_MESSAGE)
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every wait is bounded by the current request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                     _bounded(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def check_url(url: str, *, allow_private: bool, resolver: Any = resolve) -> None:
    """Raise FetchError unless ``url`` is http(s) and (unless allowed) every address of its host is public."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise FetchError(f"invalid URL: {exc}", source=url, permanent=True) from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise FetchError(f"refused scheme {parts.scheme or '(none)'!r}: only http and https are fetched",
                         source=url, permanent=True)
    if not host:
        raise FetchError("refused URL without a host", source=url, permanent=True)
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        raise FetchError("refused URL with an invalid port", source=url, permanent=True) from None
    for address in resolver(host, port):
        if not address_is_public(address):
            raise FetchError(f"refused address {address} of {host} (private, loopback, link-local or "
                             "multicast; set fetch.allow_private_addresses to allow)", source=url)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses that pass the check, within the
    request's deadline."""

    def __init__(self, *, allow_private: bool, resolver: Any = resolve) -> None:
        self.allow_private = allow_private
        self.resolver = resolver

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        if not self.allow_private:
            addresses = self.resolver(host, port)
            refused = [a for a in addresses if not address_is_public(a)]
            if refused or not addresses:
                raise FetchError(f"refused address {refused[0] if refused else '(none)'} of {host} "
                                 "(private, loopback, link-local or multicast)", source=host)
            host = addresses[0]
        return DeadlineStream(super().connect_tcp(
            host, port, timeout=_bounded(timeout, httpcore.ConnectTimeout), local_address=local_address,
            socket_options=socket_options))
