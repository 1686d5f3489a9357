"""The canonical form of an article URL: one article, one URL, whatever feed or campaign linked it.

Lower-cased scheme and host, default port and fragment dropped, tracking parameters removed, and links
wrapped by an aggregator (Bing News ``url=``, Google News redirectors) replaced by their target.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

#: Query parameters that only say who linked or which campaign: never part of an article's identity.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
    "ref_src", "ref_url", "ocid", "cmpid", "xtor", "xtref", "ncid", "sr_share", "smid", "wt_mc", "s_cid",
    "__twitter_impression", "at_medium", "at_campaign", "at_creation", "at_send_date", "at_link",
    "at_link_id", "at_link_type", "at_platform", "at_ptr_name", "at_recipient_id", "ito", "guccounter",
    "guce_referrer", "guce_referrer_sig", "mbid", "cid_source", "soc_src", "soc_trk", "feature", "rss",
    "taid", "spm",
})
TRACKING_PREFIXES = ("utm_", "ns_", "pk_", "mtm_", "hsa_", "oly_", "vero_")

#: Hosts that wrap article links; their ``url``/``u`` parameter is the real target.
AGGREGATOR_HOSTS = frozenset({"www.bing.com", "bing.com", "news.google.com", "www.google.com", "google.com",
                              "l.facebook.com", "t.co", "news.yahoo.com"})
_WRAP_PARAMS = ("url", "u", "q", "target")
_GOOGLE_ARTICLE = re.compile(r"^/(?:rss/)?articles/([A-Za-z0-9_-]+)")
_EMBEDDED_URL = re.compile(rb"https?://[\x21-\x7e]+")


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _google_article_target(path: str) -> str | None:
    """Old-style Google News article ids are base64 protobufs that embed the target URL."""
    match = _GOOGLE_ARTICLE.match(path)
    if not match:
        return None
    token = match.group(1)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    found = _EMBEDDED_URL.search(raw)
    return found.group(0).decode("ascii") if found else None


def unwrap(url: str) -> str:
    """The target of an aggregator's wrapped link, or ``url`` itself."""
    for _ in range(3):  # wrapped wrappers, but never unbounded
        parts = urlsplit(url)
        if (parts.hostname or "").lower() not in AGGREGATOR_HOSTS:
            return url
        params = dict(parse_qsl(parts.query))
        target = next((unquote(params[p]) if "%" in params[p] else params[p]
                       for p in _WRAP_PARAMS if params.get(p, "").lower().startswith(("http://", "https://"))),
                      None)
        if target is None and (parts.hostname or "").endswith("news.google.com"):
            target = _google_article_target(parts.path)
        if target is None:
            return url
        url = target
    return url


def is_opaque_aggregator_link(url: str) -> bool:
    """A link on an aggregator we could not unwrap: its page is the aggregator's, not the article."""
    return (urlsplit(url).hostname or "").lower() in AGGREGATOR_HOSTS


def canonicalize(url: str) -> str:
    """The canonical URL: unwrapped, lower-case scheme and host, no default port, fragment or tracking."""
    url = url.strip()
    try:
        url = unwrap(url)
        parts = urlsplit(url)
    except ValueError:  # not a URL we can take apart (e.g. an unbalanced IPv6 bracket): keep it as is
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _is_tracking(k)], doseq=True)
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))
