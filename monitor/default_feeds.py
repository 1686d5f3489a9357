"""The bundled feed list, used when the configuration names no [[feeds]] (see deploy/monitor.example.toml).

Real public feeds on the Russia–North Korea relationship, in English and French: news-search feeds for
the topic, specialist North Korea outlets, and the Asia sections of international newsrooms. The
addresses follow each publisher's documented or long-standing pattern; they could not be fetched from
the machine this list was written on (no internet), so `monitor feeds check` is the way to confirm them.
"""

from __future__ import annotations

from .config import FeedConfig

DEFAULT_FEEDS: tuple[FeedConfig, ...] = (
    # news-search feeds for the topic (aggregators: their links are unwrapped where possible)
    FeedConfig("https://news.google.com/rss/search?q=Russia+North+Korea&hl=en-US&gl=US&ceid=US:en",
               "Google News: Russia North Korea", "en"),
    FeedConfig("https://news.google.com/rss/search?q=Russie+Cor%C3%A9e+du+Nord&hl=fr&gl=FR&ceid=FR:fr",
               "Google Actualités : Russie Corée du Nord", "fr"),
    FeedConfig("https://www.bing.com/news/search?q=Russia+North+Korea&format=rss&mkt=en-US",
               "Bing News: Russia North Korea", "en"),
    FeedConfig("https://www.bing.com/news/search?q=Russie+Cor%C3%A9e+du+Nord&format=rss&mkt=fr-FR",
               "Bing Actualités : Russie Corée du Nord", "fr"),
    # specialist North Korea outlets
    FeedConfig("https://www.nknews.org/feed/", "NK News", "en"),
    FeedConfig("https://www.38north.org/feed/", "38 North", "en"),
    FeedConfig("https://www.dailynk.com/english/feed/", "Daily NK", "en"),
    FeedConfig("https://en.yna.co.kr/RSS/nk.xml", "Yonhap: North Korea", "en"),
    # Asia sections of international newsrooms
    FeedConfig("https://www.france24.com/en/asia-pacific/rss", "France 24: Asia-Pacific", "en"),
    FeedConfig("https://www.france24.com/fr/asie-pacifique/rss", "France 24 : Asie-Pacifique", "fr"),
    FeedConfig("https://www.rfi.fr/fr/asie-pacifique/rss", "RFI : Asie-Pacifique", "fr"),
    FeedConfig("https://www.lemonde.fr/asie-pacifique/rss_full.xml", "Le Monde : Asie-Pacifique", "fr"),
)
