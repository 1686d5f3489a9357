"""The bundled feed list, used when the configuration names no [[feeds]] (see deploy/monitor.example.toml).

Real public feeds on the Russia–North Korea relationship, in English and French: news-search feeds for
the topic, specialist North Korea outlets, and the Asia sections of international newsrooms. The
addresses follow each publisher's documented or long-standing pattern; they could not be fetched from
the machine this list was written on (no internet), so `monitor feeds check` is the way to confirm them.
"""

from __future__ import annotations

#: (url, name, language hint): plain data, so this module sits below ``config``, which builds
#: ``FeedConfig`` rows from it (``Config.feed_list``).
DEFAULT_FEEDS: tuple[tuple[str, str, str], ...] = (
    # news-search feeds for the topic (aggregators: their links are unwrapped where possible)
    ("https://news.google.com/rss/search?q=Russia+North+Korea&hl=en-US&gl=US&ceid=US:en",
               "Google News: Russia North Korea", "en"),
    ("https://news.google.com/rss/search?q=Russie+Cor%C3%A9e+du+Nord&hl=fr&gl=FR&ceid=FR:fr",
               "Google Actualités : Russie Corée du Nord", "fr"),
    ("https://www.bing.com/news/search?q=Russia+North+Korea&format=rss&mkt=en-US",
               "Bing News: Russia North Korea", "en"),
    ("https://www.bing.com/news/search?q=Russie+Cor%C3%A9e+du+Nord&format=rss&mkt=fr-FR",
               "Bing Actualités : Russie Corée du Nord", "fr"),
    # specialist North Korea outlets
    ("https://www.nknews.org/feed/", "NK News", "en"),
    ("https://www.38north.org/feed/", "38 North", "en"),
    ("https://www.dailynk.com/english/feed/", "Daily NK", "en"),
    ("https://en.yna.co.kr/RSS/nk.xml", "Yonhap: North Korea", "en"),
    # Asia sections of international newsrooms
    ("https://www.france24.com/en/asia-pacific/rss", "France 24: Asia-Pacific", "en"),
    ("https://www.france24.com/fr/asie-pacifique/rss", "France 24 : Asie-Pacifique", "fr"),
    ("https://www.rfi.fr/fr/asie-pacifique/rss", "RFI : Asie-Pacifique", "fr"),
    ("https://www.lemonde.fr/asie-pacifique/rss_full.xml", "Le Monde : Asie-Pacifique", "fr"),
)
