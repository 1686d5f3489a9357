"""Real-looking article pages and feeds for the benchmarks, built from synthetic articles.

Each page wraps the article body in the boilerplate real news sites carry around it: a header with
navigation, a cookie banner, share buttons, a "related" list, a comment thread and a footer, in one of
several layouts (so extraction does not learn one template), with French or English labels.

Two weights. ``"real"`` pages carry what a news site's page carries around its article — a mega-menu,
inline styles and scripts, JSON-LD, teaser grids, a most-read list, a link-farm footer, a consent dialog —
to the size and element count of real news pages: the 234 pages of the shared corpus
(``corpora/html``: three public extraction benchmarks) measured a median of 112 kB (quartiles 58 and
212 kB), 735 elements (419–1,012) and 29 kB of script and style, and ``trafilatura.extract`` took a
median of 12.5 ms on them. ``"light"`` pages are the article with a thin frame (~8 kB, ~2 ms to extract):
they show what the fixed costs of a run (start-up, feeds, workers) weigh when extraction costs little.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from email.utils import format_datetime
from html import escape
from xml.sax.saxutils import escape as xml_escape

from .synth import SynthArticle

LABELS = {
    "en": {
        "home": "Home",
        "world": "World",
        "asia": "Asia",
        "business": "Business",
        "sport": "Sport",
        "related": "Related articles",
        "comments": "Comments",
        "share": "Share",
        "by": "By",
        "cookies": "We use cookies to improve your experience. Accept all / Manage settings",
        "newsletter": "Get our free newsletter every morning",
        "rights": "All rights reserved",
        "reply": "Reply",
        "report": "Report",
    },
    "fr": {
        "home": "Accueil",
        "world": "International",
        "asia": "Asie",
        "business": "Économie",
        "sport": "Sport",
        "related": "À lire aussi",
        "comments": "Commentaires",
        "share": "Partager",
        "by": "Par",
        "cookies": "Nous utilisons des cookies pour améliorer votre expérience. Tout accepter",
        "newsletter": "Recevez notre lettre d'information gratuite chaque matin",
        "rights": "Tous droits réservés",
        "reply": "Répondre",
        "report": "Signaler",
    },
}
COMMENTERS = ["jdoe", "marie_l", "observer42", "k.tanaka", "Pierre D.", "sasha", "realist", "anon"]


def _nav(t: dict[str, str]) -> str:
    items = "".join(
        f'<li><a href="/{k}">{escape(t[k])}</a></li>' for k in ("home", "world", "asia", "business", "sport")
    )
    return f'<nav class="main-nav"><ul>{items}</ul></nav>'


def _related(rng: random.Random, others: list[SynthArticle], t: dict[str, str]) -> str:
    picks = rng.sample(others, min(len(others), 5))
    items = "".join(f'<li><a href="{escape(o.url)}">{escape(o.title)}</a></li>' for o in picks)
    return f'<aside class="related"><h3>{t["related"]}</h3><ul>{items}</ul></aside>'


def _comments(rng: random.Random, t: dict[str, str]) -> str:
    rows = []
    for _ in range(rng.randint(0, 6)):
        who = rng.choice(COMMENTERS)
        rows.append(
            f'<div class="comment"><span class="author">{who}</span><p>'
            f"{'Interesting.' if rng.random() < 0.5 else 'Je ne suis pas d’accord.'} "
            f'{rng.randint(1, 99)} points</p><a href="#">{t["reply"]}</a> · '
            f'<a href="#">{t["report"]}</a></div>'
        )
    return f'<section id="comments"><h3>{t["comments"]} ({len(rows)})</h3>{"".join(rows)}</section>'


#: Page weights: see the module's docstring.
WEIGHTS = ("real", "light")


def render_page(
    article: SynthArticle, others: list[SynthArticle], *, seed: int = 0, weight: str = "light"
) -> str:
    """The article as a full HTML page in one of three layouts, with the site's boilerplate around it
    (``weight``: "light" or "real", see the module's docstring)."""
    rng = random.Random(f"{seed}-{article.id}")
    t = LABELS[article.lang]
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in article.text.split("\n\n"))
    when = article.published_at.isoformat()
    meta = (
        f'<meta property="og:title" content="{escape(article.title)}">'
        f'<meta property="og:site_name" content="{escape(article.source)}">'
        f'<meta property="article:published_time" content="{when}Z">'
        f'<link rel="canonical" href="{escape(article.url)}">'
    )
    links = '<a href="#">X</a> <a href="#">Facebook</a> <a href="#">Mail</a>'
    share = f'<div class="share">{t["share"]}: {links}</div>'
    stamp = f'<time datetime="{when}">{when[:10]}</time>'
    byline = f'<p class="byline">{t["by"]} {escape(article.source)} · {stamp}</p>'
    body = f'<h1>{escape(article.title)}</h1>{byline}{share}<div class="article-body">{paragraphs}</div>'
    layout = rng.randrange(3)
    if layout == 0:
        main = f"<main><article>{body}</article>{_related(rng, others, t)}{_comments(rng, t)}</main>"
    elif layout == 1:
        main = (
            f'<div id="wrapper"><div class="col-main"><div class="story">{body}</div>'
            f'{_comments(rng, t)}</div><div class="sidebar">{_related(rng, others, t)}'
            f'<div class="ad">Advertisement</div></div></div>'
        )
    else:
        main = (
            f'<div class="container"><section class="content"><div itemprop="articleBody">{body}</div>'
            f'</section>{_related(rng, others, t)}<div class="newsletter">{t["newsletter"]}</div></div>'
        )
    header = (
        f'<header><div class="cookie-banner">{t["cookies"]}</div><a class="logo" href="/">'
        f"{escape(article.source)}</a>{_nav(t)}</header>"
    )
    footer = (
        f"<footer>{_nav(t)}<p>© {article.published_at.year} {escape(article.source)}. {t['rights']}."
        f"</p></footer><script>window.dataLayer=[];</script>"
    )
    head_extra = body_before = body_after = ""
    if weight == "real":
        head_extra, body_before, body_after = _real_weight(rng, article, others, t)
        main = main.replace(
            f'<div class="article-body">{paragraphs}</div>',
            f'<div class="article-body">{_with_inserts(rng, article, others, t)}</div>',
        )
    return (
        f'<!DOCTYPE html><html lang="{article.lang}"><head><meta charset="utf-8">'
        f"<title>{escape(article.title)} | {escape(article.source)}</title>{meta}{head_extra}</head>"
        f"<body>{body_before}{header}{main}{footer}{body_after}</body></html>"
    )


SECTIONS = {
    "en": ["World", "Politics", "Business", "Tech", "Science", "Health", "Sport", "Culture", "Opinion"],
    "fr": ["Monde", "Politique", "Économie", "Tech", "Sciences", "Santé", "Sport", "Culture", "Idées"],
}
#: An inline icon as sites ship them (path data of a few hundred bytes).
ICON = (
    '<svg class="icon icon--share" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" '
    'focusable="false">'
    '<path fill="currentColor" d="'
    + " ".join(
        f"M{i % 24}.{i % 7} {(i * 5) % 24}.{i % 3}c.6-.4 1.3-.7 2-.8"
        f"l{i % 5}.2-{i % 4}.1a{i % 6} {i % 6} 0 0 1 {i % 9}-{i % 8}z"
        for i in range(9)
    )
    + '"/></svg>'
)


def _css(rng: random.Random) -> str:
    """~12 kB of the site's stylesheet, inlined as news sites do for the first paint."""
    rules = []
    for i in range(220):
        sel = f".c-{rng.choice(['card', 'nav', 'hero', 'grid', 'btn', 'teaser', 'ad', 'col'])}-{i}"
        rules.append(
            f"{sel}{{margin:{rng.randint(0, 24)}px {rng.randint(0, 24)}px;"
            f"color:#{rng.randrange(16**6):06x};font-size:{rng.randint(11, 28)}px;"
            f"display:{rng.choice(['flex', 'block', 'grid'])}}}"
        )
    return "<style>" + "".join(rules) + "</style>"


def _scripts(rng: random.Random, article: SynthArticle) -> str:
    """~17 kB of inline script: the tag manager's configuration, an ad-slot table and a JSON-LD block."""
    slots = ",".join(
        f'{{"id":"slot-{i}","sizes":[[{rng.choice([300, 728, 970])},{rng.choice([90, 250, 600])}]],'
        f'"targeting":{{"pos":"{rng.choice(["top", "mid", "bottom"])}","k":"{rng.randrange(16**8):08x}"}}}}'
        for i in range(110)
    )
    config = f'window.__SITE__={{"section":"world","id":"{article.id}","slots":[{slots}]}};'
    tracker = "".join(
        f"(function(w,d,k{i}){{w[k{i}]=w[k{i}]||[];}})(window,document,'dl{i}');" for i in range(60)
    )
    ld = (
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",'
        f'"headline":"{escape(article.title)}","datePublished":"{article.published_at.isoformat()}Z",'
        f'"publisher":{{"@type":"Organization","name":"{escape(article.source)}"}}}}</script>'
    )
    return f"<script>{config}</script><script>{tracker}</script>{ld}"


def _tracking(rng: random.Random, zone: str) -> str:
    """The analytics payload sites put on each link (a JSON attribute)."""
    return (
        f'data-analytics=\'{{"event":"click","zone":"{zone}","position":{rng.randint(1, 40)},'
        f'"experiment":"exp-{rng.randrange(16**6):06x}","variant":"{rng.choice("abc")}"}}\''
    )


def _link_column(
    rng: random.Random, css: str, track: str, count: int, href: str, label: Callable[[int], str]
) -> str:
    """A column's list of ``count`` links as sites mark them up (classes, tracking ids, analytics JSON):
    the k-th goes to ``href/k`` and reads ``label(k)``."""
    return "".join(
        f'<li class="{css}__item"><a class="{css}__link" data-track="{track}-{k}" '
        f"{_tracking(rng, track)} "
        f'href="{href}/{k}">{label(k)}</a></li>'
        for k in range(count)
    )


def _mega_menu(rng: random.Random, t: dict[str, str], lang: str) -> str:
    columns = []
    for name in SECTIONS[lang]:
        links = _link_column(
            rng,
            "menu-col",
            "nav",
            10,
            f"/{name.lower()}",
            lambda k, name=name: f"{escape(name)} {rng.randint(1, 999)}",
        )
        columns.append(f'<li class="menu-col"><span>{escape(name)}</span><ul>{links}</ul></li>')
    return (
        f'<div class="mega-menu"><button aria-label="menu">{ICON}</button><ul>{"".join(columns)}</ul>'
        f'<form class="search"><input type="search" name="q"><button>{ICON}</button></form></div>'
    )


def _cards(rng: random.Random, others: list[SynthArticle], n: int, cls: str) -> str:
    cards = []
    for k in range(n):
        o = others[k % len(others)] if others else None
        title = escape(o.title) if o else f"Story {k}"
        href = escape(o.url) if o else "#"
        teaser = escape(o.summary[:140]) if o else ""
        image = f"/img/{rng.randrange(10**6)}"
        cards.append(
            f'<article class="{cls} {cls}--teaser" data-id="{rng.randrange(16**10):010x}">'
            f'<a class="{cls}__link" {_tracking(rng, cls)} href="{href}">'
            f'<figure class="{cls}__figure"><img src="{image}.jpg" '
            f'srcset="{image}-320.jpg 320w, {image}-640.jpg 640w, {image}-1280.jpg 1280w" '
            f'sizes="(max-width: 640px) 100vw, 33vw" alt="" loading="lazy" decoding="async"></figure>'
            f'<h3 class="{cls}__title">{title}</h3></a><p class="{cls}__teaser">{teaser}</p>'
            f'<span class="{cls}__meta"><time>{rng.randint(1, 23)} h</time> · {ICON}</span></article>'
        )
    return "".join(cards)


def _footer_farm(rng: random.Random, lang: str) -> str:
    cols = []
    for name in SECTIONS[lang][:6]:
        links = _link_column(
            rng,
            "footer-col",
            "footer",
            12,
            f"/{name.lower()}/archive",
            lambda k, name=name: f"{escape(name)} {k}",
        )
        cols.append(f'<div class="footer-col"><h4>{escape(name)}</h4><ul>{links}</ul></div>')
    return f'<div class="footer-links">{"".join(cols)}</div>'


def _real_weight(
    rng: random.Random, article: SynthArticle, others: list[SynthArticle], t: dict[str, str]
) -> tuple[str, str, str]:
    """(head, before the header, after the footer) of a real-weight page."""
    head = _css(rng) + _scripts(rng, article)
    consent = (
        f'<div id="consent" role="dialog"><h2>{t["cookies"]}</h2>'
        + "".join(
            f'<p><label><input type="checkbox" checked> {t["cookies"][:30]} {k}</label></p>' for k in range(6)
        )
        + "<button>OK</button><button>Manage</button></div>"
    )
    before = consent + _mega_menu(rng, t, article.lang)
    most_read = "".join(
        f'<li><span class="rank">{k + 1}</span>{_cards(rng, others[k:], 1, "mini")}</li>' for k in range(8)
    )
    after = (
        f'<section class="more"><h2>{t["related"]}</h2><div class="grid">{_cards(rng, others, 12, "card")}'
        f'</div></section><aside class="most-read"><ol>{most_read}</ol></aside>'
        f"{_footer_farm(rng, article.lang)}"
        f'<div class="newsletter"><form><input type="email"><button>{t["newsletter"]}</button></form></div>'
        + "".join(
            f'<script src="/static/js/chunk-{rng.randrange(16**8):08x}.js" async></script>' for _ in range(8)
        )
    )
    return head, before, after


def _with_inserts(
    rng: random.Random, article: SynthArticle, others: list[SynthArticle], t: dict[str, str]
) -> str:
    """The article's paragraphs with what sites put between them: a figure, a "read also" box, an ad."""
    paragraphs = [f"<p>{escape(p)}</p>" for p in article.text.split("\n\n")]
    figure = (
        f'<figure class="lead-image"><img src="/img/{rng.randrange(10**6)}.jpg" alt="">'
        f"<figcaption>{escape(article.title[:80])} © {escape(article.source)}</figcaption></figure>"
    )
    box = (
        f'<aside class="read-also"><h4>{t["related"]}</h4><ul>'
        + "".join(f'<li><a href="{escape(o.url)}">{escape(o.title)}</a></li>' for o in others[:3])
        + "</ul></aside>"
    )
    ad = '<div class="ad-slot" data-slot="mid"><span>Advertisement</span></div>'
    middle = max(1, len(paragraphs) // 2)
    return figure + "".join(paragraphs[:middle]) + box + ad + "".join(paragraphs[middle:])


def render_rss(title: str, link: str, items: list[tuple[SynthArticle, str]], lang: str = "en") -> str:
    """An RSS 2.0 feed whose items point at ``url`` (the served page) with the article's first paragraph."""
    rows = []
    for article, url in items:
        rows.append(
            f"<item><title>{xml_escape(article.title)}</title><link>{xml_escape(url)}</link>"
            f'<guid isPermaLink="true">{xml_escape(url)}</guid>'
            f"<pubDate>{format_datetime(article.published_at)}</pubDate>"
            f"<description>{xml_escape(article.summary)}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{xml_escape(title)}'
        f"</title><link>{xml_escape(link)}</link><description>{xml_escape(title)}</description>"
        f"<language>{lang}</language>{''.join(rows)}</channel></rss>"
    )
