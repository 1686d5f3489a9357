"""The HTTP client of `monitor fetch` (issue 13 made it speak HTTP/1.1 through the standard library):
https with certificate checks, kept-alive connections that are reused, a connection the server closed
while idle replaced without losing the request, and request targets for non-ASCII hosts and paths."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Iterator

import pytest
import trustme
from ingest_helpers import ScriptedServer

from monitor.config import FetchConfig
from monitor.errors import FetchError
from monitor.ingest.http import HttpClient, request_target
from monitor.ingest.netguard import tls_context
from monitor.testing import LocalSite

LOCAL = dataclasses.replace(FetchConfig(), allow_private_addresses=True, read_timeout_seconds=2.0,
                            connect_timeout_seconds=2.0)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_site(ca: trustme.CA) -> Iterator[LocalSite]:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    with LocalSite(tls=server) as site:
        yield site


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = tls_context()
    ca.configure_trust(context)
    return context


def test_https_is_fetched_when_the_certificate_checks_out(ca: trustme.CA, https_site: LocalSite) -> None:
    url = https_site.add("/feed.xml", "<rss>secure</rss>")
    assert url.startswith("https://127.0.0.1:")
    with HttpClient(LOCAL, tls=trusting(ca)) as http:
        response = http.get(url, max_bytes=10_000)
        again = http.get(url, max_bytes=10_000, etag=response.etag)
    assert (response.status, response.body) == (200, b"<rss>secure</rss>")
    assert again.not_modified


def test_https_with_an_unknown_certificate_authority_is_refused(https_site: LocalSite) -> None:
    url = https_site.add("/feed.xml", "<rss>secure</rss>")
    with HttpClient(LOCAL) as http, pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED") as caught:
        http.get(url, max_bytes=10_000)
    assert not caught.value.permanent  # a certificate can be fixed: the feed is retried, not disabled


def test_a_certificate_for_another_name_is_refused(ca: trustme.CA) -> None:
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("feeds.example.org").configure_cert(server)
    with LocalSite(tls=server) as site, HttpClient(LOCAL, tls=trusting(ca)) as http:
        url = site.add("/feed.xml", "<rss/>")
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED|match") as caught:
            http.get(url, max_bytes=10_000)
        assert not caught.value.permanent


def test_a_validator_with_a_line_break_is_not_sent_and_the_poll_still_works() -> None:
    with LocalSite() as site, HttpClient(LOCAL) as http:
        url = site.add("/feed.xml", "<rss/>")
        response = http.get(url, max_bytes=10_000, etag='"a"\r\nX-Injected: 1',
                            last_modified="Mon\n, 01 Jan 2024")
        assert response.status == 200  # unconditional rather than refused
        seen = site.requests[-1].headers
        assert "x-injected" not in seen and "if-none-match" not in seen and "if-modified-since" not in seen


def two_answers_then_hang_up(conn, stop) -> None:  # type: ignore[no-untyped-def]
    """Answer the request already read and one more on the same connection, then close it without a
    word (as servers do with idle kept-alive connections)."""
    body = b"<rss>kept alive</rss>"
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body), body)
    conn.sendall(answer)
    if conn.recv(65536):
        conn.sendall(answer)


def test_connections_are_reused_and_one_closed_while_idle_is_replaced() -> None:
    config = dataclasses.replace(LOCAL, concurrency=1, per_host_concurrency=1)
    with ScriptedServer(two_answers_then_hang_up) as server, HttpClient(config) as http:
        bodies = [http.get(server.url(f"/feed/{i}.xml"), max_bytes=10_000).body for i in range(5)]
    assert bodies == [b"<rss>kept alive</rss>"] * 5
    assert server.connections == 3  # two requests on each connection: 1–2, 3–4, 5


def test_request_targets_encode_non_ascii_hosts_and_paths() -> None:
    origin, target, host = request_target("https://Bücher.example/été 2024/a?q=Pyongyang & Moscou#top")
    assert origin == ("https", "xn--bcher-kva.example", 443)
    assert target == "/%C3%A9t%C3%A9%202024/a?q=Pyongyang%20&%20Moscou"
    assert host == "xn--bcher-kva.example"
    assert request_target("http://127.0.0.1:8080")[1:] == ("/", "127.0.0.1:8080")
    assert request_target("http://[::1]:8080/x%20y")[1:] == ("/x%20y", "[::1]:8080")


def test_the_per_host_limit_holds_requests_to_a_busy_host_and_not_to_others() -> None:
    import threading

    from monitor.ingest.http import HostLimiter

    limiter = HostLimiter(total=4, per_host=1)
    entered = {"a": threading.Event(), "b": threading.Event()}

    def request(host: str) -> None:
        with limiter.slot(f"http://{host}.example/feed.xml"):
            entered[host].set()

    with limiter.slot("http://a.example/other.xml"):
        waiting = [threading.Thread(target=request, args=(h,)) for h in ("a", "b")]
        for t in waiting:
            t.start()
        assert entered["b"].wait(5)  # another host goes ahead
        assert not entered["a"].wait(0.3)  # the busy host's second request waits for the first
    assert entered["a"].wait(5)
    for t in waiting:
        t.join()
