"""Which URLs may be fetched: http(s) only, and public addresses only unless private ones are allowed.

The check runs on every hop (the first URL and each redirect target) after DNS resolution, so a public
name that resolves to 127.0.0.1 or a redirect to a private address is refused like a literal one. The
connection itself goes through ``GuardedBackend``, which resolves again, checks again and connects to
the checked address: a name that changes its answer between the check and the connection (DNS
rebinding) cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
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


def check_url(url: str, *, allow_private: bool) -> None:
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
    for address in resolve(host, port):
        if not address_is_public(address):
            raise FetchError(f"refused address {address} of {host} (private, loopback, link-local or "
                             "multicast; set fetch.allow_private_addresses to allow)", source=url)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses that pass the check."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        if not self.allow_private:
            addresses = resolve(host, port)
            refused = [a for a in addresses if not address_is_public(a)]
            if refused or not addresses:
                raise FetchError(f"refused address {refused[0] if refused else '(none)'} of {host} "
                                 "(private, loopback, link-local or multicast)", source=host)
            host = addresses[0]
        return super().connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)
