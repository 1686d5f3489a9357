"""Real-looking article pages and feeds for the benchmarks, built from synthetic articles.

Each page wraps the article body in the boilerplate real news sites carry around it: a header with
navigation, a cookie banner, share buttons, a "related" list, a comment thread and a footer, in one of
several layouts (so extraction does not learn one template), with French or English labels.
"""

from __future__ import annotations

import random
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


def render_page(article: SynthArticle, others: list[SynthArticle], *, seed: int = 0) -> str:
    """The article as a full HTML page in one of three layouts, with the site's boilerplate around it."""
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
    return (
        f'<!DOCTYPE html><html lang="{article.lang}"><head><meta charset="utf-8">'
        f"<title>{escape(article.title)} | {escape(article.source)}</title>{meta}</head>"
        f"<body>{header}{main}{footer}</body></html>"
    )


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
