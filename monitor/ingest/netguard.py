"""Which URLs may be fetched: http(s) only, and public addresses only unless private ones are allowed.

The check runs on every hop (the first URL and each redirect target) after DNS resolution, so a public
name that resolves to 127.0.0.1 or a redirect to a private address is refused like a literal one. The
connection itself is opened by ``guarded_socket``, which resolves again (the run's cached answer),
checks again and connects to the checked address: a name that changes its answer between the check and
the connection (DNS rebinding) cannot slip through.

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


class DeadlinePassed(TimeoutError):
    """The request's total time ran out (a wait would have ended after its deadline)."""


def _bounded(timeout: float | None) -> float | None:
    """``timeout`` cut to what is left of this thread's request deadline; DeadlinePassed once it passed."""
    at = getattr(_deadlines, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise DeadlinePassed(DEADLINE_MESSAGE)
    return left if timeout is None else min(timeout, left)


class _DeadlineWaits:
    """Every receive and send waits at most ``wait`` seconds and never past the request's deadline
    (http.client reads the status line, headers and body through ``recv_into``)."""

    wait: float | None = None

    def recv_into(self, buffer: Any, nbytes: Any = None, flags: int = 0) -> int:
        self.settimeout(_bounded(self.wait))  # type: ignore[attr-defined]
        # socket.recv_into takes 0 and ssl.SSLSocket.recv_into None for "the whole buffer": say its size
        return super().recv_into(buffer, nbytes or memoryview(buffer).nbytes, flags)  # type: ignore[misc]

    def sendall(self, data: Any, flags: int = 0) -> None:
        self.settimeout(_bounded(self.wait))  # type: ignore[attr-defined]
        super().sendall(data, flags)  # type: ignore[misc]


class DeadlineSocket(_DeadlineWaits, socket.socket):
    """A TCP socket whose waits honour the request deadline."""


class DeadlineSSLSocket(_DeadlineWaits, ssl.SSLSocket):
    """The TLS socket of a ``tls_context`` (its ``sslsocket_class``), with the same bounded waits."""


def tls_context() -> ssl.SSLContext:
    """Certificate-checking TLS for fetching: the system's CAs (``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR`` honoured) and certifi's bundle."""
    import certifi

    context = ssl.create_default_context()
    context.load_verify_locations(certifi.where())
    context.sslsocket_class = DeadlineSSLSocket
    return context


def guarded_socket(host: str, port: int, *, allow_private: bool, resolver: Any = resolve,
                   connect_timeout: float, read_timeout: float) -> DeadlineSocket:
    """A connected socket to ``host``: resolved (through ``resolver``), each address checked unless
    private ones are allowed, and the checked address connected to, within the request's deadline."""
    addresses = resolver(host, port)
    if not allow_private:
        refused = [a for a in addresses if not address_is_public(a)]
        if refused or not addresses:
            raise FetchError(f"refused address {refused[0] if refused else '(none)'} of {host} "
                             "(private, loopback, link-local or multicast)", source=host)
    if not addresses:
        raise FetchError(f"cannot resolve host {host!r}", source=host)
    error: OSError | None = None
    for address in addresses:
        v6 = ":" in address
        sock = DeadlineSocket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM,
                              socket.IPPROTO_TCP)
        try:
            sock.settimeout(_bounded(connect_timeout))
            sock.connect((address, port, 0, 0) if v6 else (address, port))
        except DeadlinePassed:
            sock.close()
            raise
        except OSError as exc:
            sock.close()
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.wait = read_timeout
        return sock
    assert error is not None
    raise error


def start_tls(sock: DeadlineSocket, context: ssl.SSLContext, host: str,
              connect_timeout: float) -> DeadlineSSLSocket:
    """TLS over ``sock`` for ``host`` (certificate and name checked), the handshake within the deadline."""
    sock.settimeout(_bounded(connect_timeout))  # the handshake waits on this, not through recv_into
    tls = context.wrap_socket(sock, server_hostname=host)
    assert isinstance(tls, DeadlineSSLSocket), "the context was not made by tls_context()"
    tls.wait = sock.wait
    return tls


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
