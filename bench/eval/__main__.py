"""``python -m bench.eval``: ingest the labelled set, analyse it, digest every week, print the scores."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

from monitor.config import PROJECT_DIR, parse_config
from monitor.core import Monitor
from monitor.store.articles import save_article
from monitor.testing import LocalSite
from monitor.text import url_article_id
from monitor.types import NewArticle

from .score import expected_status, prf, same_group_pairs

SET = Path(__file__).with_name("articles.jsonl")
#: Seeds' story labels, by file stem.
SEED_STORIES = {
    "000_f7e50d4cada97fff": "seed000",
    "001_ac24452422a1ed55": "seed001",
    "002_0c4a26fb87c45e09": "seed002",
    "003_3620be85bbcd42ef": "seed003",
    "004_9d3c9eab45e7b486": "seed004",
}


def load_set(path: Path = SET) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: invalid JSON: {exc.msg}") from None
            row["published"] = datetime.fromisoformat(row["published"])
            rows.append(row)
    return rows


def _slug(source: str) -> str:
    return "".join(c for c in source.lower() if c.isascii() and c.isalnum()) or "feed"


def page_path(row: dict[str, Any]) -> str:
    return f"/{_slug(row['source'])}/{row['id']}.html"


def _page(row: dict[str, Any]) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in row["text"].split("\n"))
    return (
        f'<!doctype html><html lang="{row["lang"]}"><head><meta charset="utf-8">'
        f"<title>{escape(row['title'])}</title>"
        f'<meta property="article:published_time" content="{row["published"].isoformat()}Z"></head>'
        f"<body><nav>Home | World | Sport</nav><article><h1>{escape(row['title'])}</h1>{paragraphs}"
        f"</article><footer>© {escape(row['source'])}</footer></body></html>"
    )


def _feed(source: str, rows: list[dict[str, Any]], site: LocalSite) -> str:
    items = "".join(
        f"<item><title>{escape(r['title'])}</title><link>{site.url(page_path(r))}</link>"
        f"<guid>{site.url(page_path(r))}</guid><pubDate>{format_datetime(r['published'])} GMT</pubDate>"
        f"<description>{escape(r['text'].split(chr(10))[0])}</description></item>"
        for r in rows
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(source)}'
        f"</title><link>{site.base_url}</link><description>{escape(source)}</description>{items}"
        f"</channel></rss>"
    )


def ingest(monitor: Monitor, rows: list[dict[str, Any]], site: LocalSite, direct: bool) -> str:
    """Serve the set on ``site`` and bring it in: through feeds when ``Monitor.fetch`` exists."""
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        site.add(page_path(row), _page(row))
        by_source.setdefault(row["source"], []).append(row)
    if direct or not hasattr(monitor, "fetch"):
        for row in rows:
            with monitor.db.session() as session:
                save_article(
                    session,
                    NewArticle(
                        id=url_article_id(site.url(page_path(row))),
                        url=site.url(page_path(row)),
                        title=row["title"],
                        text=row["text"],
                        source=row["source"],
                        lang=row["lang"],
                        published_at=row["published"],
                    ),
                    now=row["published"],
                )
        return "direct (save_article)"
    for source, items in by_source.items():
        site.add(f"/{_slug(source)}/rss.xml", _feed(source, items, site), content_type="application/rss+xml")
        monitor.add_feed(site.url(f"/{_slug(source)}/rss.xml"), name=source, lang=items[0]["lang"])  # type: ignore[attr-defined]
    monitor.fetch()  # type: ignore[attr-defined]
    return "feeds on 127.0.0.1 (Monitor.fetch)"


def _stored_ids(monitor: Monitor, rows: list[dict[str, Any]], site: LocalSite) -> dict[str, str]:
    """eval id → stored article id (by URL), plus seeds under their own ids."""
    from sqlalchemy import select

    from monitor.store.models import Article

    with monitor.db.session(read_only=True) as session:
        by_url = dict(session.execute(select(Article.url, Article.id)).all())
        seeds = session.scalars(select(Article.id).where(Article.is_baseline.is_(True))).all()
    mapping = {r["id"]: by_url.get(site.url(page_path(r))) for r in rows}
    mapping.update({s: s for s in seeds})
    return {k: v for k, v in mapping.items() if v}


def weeks(rows: list[dict[str, Any]]) -> list[tuple[datetime, datetime]]:
    starts = sorted(
        {
            (r["published"] - timedelta(days=r["published"].weekday())).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            for r in rows
        }
    )
    return [(s, s + timedelta(days=7)) for s in starts]


def evaluate(direct: bool = False, verbose: bool = False) -> dict[str, Any]:
    rows = load_set()
    labels = {r["id"]: r for r in rows}
    with tempfile.TemporaryDirectory() as tmp, LocalSite() as site:
        config = parse_config(
            {
                "database": {"url": f"sqlite:///{tmp}/eval.db"},
                "fetch": {"allow_private_addresses": True, "respect_robots_txt": False},
                "feeds": [],
                "watch": {"seeds_dir": str(PROJECT_DIR / "seeds")},
            },
            "<eval>",
        )
        last = max(r["published"] for r in rows) + timedelta(days=1)
        with Monitor(config, clock=lambda: last) as monitor:
            monitor.init()
            how = ingest(monitor, rows, site, direct)
            monitor.analyze()
            ids = _stored_ids(monitor, rows, site)
            back = {v: k for k, v in ids.items()}
            digests = [monitor.digest_data(s, u) for s, u in weeks(rows)]
    return report(rows, labels, ids, back, digests, how, verbose)


def report(
    rows: list[dict[str, Any]],
    labels: dict[str, dict[str, Any]],
    ids: dict[str, str],
    back: dict[str, str],
    digests: list[dict[str, Any]],
    how: str,
    verbose: bool,
) -> dict[str, Any]:
    seed_label = {s: SEED_STORIES.get(s.removeprefix("seed-"), s) for s in ids if s.startswith("seed-")}
    predicted_relevant, predicted_dups, predicted_story = set(), set(), {}
    status_hits, status_total, lines = 0, 0, []
    seen_weeks: dict[str, list] = {}
    for digest in digests:
        for story in digest["stories"]:
            members = [back.get(a["id"], a["id"]) for a in story["articles"]]
            for a, m in zip(story["articles"], members, strict=True):
                predicted_relevant.add(m)
                predicted_story[m] = story["id"]
                if a["duplicate_of"]:
                    predicted_dups.add((m, back.get(a["duplicate_of"], a["duplicate_of"])))
            for b in story["baseline"]:
                predicted_story.setdefault(back.get(b["id"], b["id"]), story["id"])
        # status per labelled story and week: compare with the status of the story holding most of them
        week_rows = [
            labels[back[a["id"]]] for s in digest["stories"] for a in s["articles"] if a["id"] in back
        ]
        for label in sorted({r["story"] for r in week_rows if r["story"]}):
            in_week = [r for r in week_rows if r["story"] == label]
            earlier = label.startswith("seed") or label in seen_weeks
            want = expected_status(in_week, earlier)
            got_stories = [
                s
                for s in digest["stories"]
                if any(back.get(a["id"]) in {r["id"] for r in in_week} for a in s["articles"])
            ]
            got = max(
                got_stories,
                key=lambda s: sum(back.get(a["id"]) in {r["id"] for r in in_week} for a in s["articles"]),
            )["status"]
            status_hits += got == want
            status_total += 1
            lines.append(
                f"  {digest['window']['since'][:10]}  {label:<14} expected {want:<10} got {got}"
                f"{'' if got == want else '   ✗'}"
            )
        for label in {r["story"] for r in week_rows if r["story"]}:
            seen_weeks.setdefault(label, [])
    expected_relevant = {r["id"] for r in rows if r["relevant"]}
    expected_dups = {
        (
            r["id"],
            r["duplicate_of"]
            if not r["duplicate_of"].startswith("seed-")
            else next((s for s in ids if s.startswith(r["duplicate_of"])), r["duplicate_of"]),
        )
        for r in rows
        if r["duplicate_of"]
    }
    groups = {r["id"]: r["story"] for r in rows if r["relevant"]}
    groups.update({s: lab for s, lab in seed_label.items()})
    predicted_groups = {k: predicted_story.get(k) for k in groups}
    results = {
        "ingest": how,
        "articles": len(rows),
        "relevance": prf(expected_relevant, predicted_relevant),
        "duplicates": prf(expected_dups, predicted_dups),
        "stories": prf(same_group_pairs(groups), same_group_pairs(predicted_groups)),
        "status_accuracy": (status_hits / status_total if status_total else 1.0, status_hits, status_total),
    }
    print(
        f"Evaluation set: {len(rows)} articles + {len(seed_label)} seeds, ingested {how}, "
        f"{len(digests)} weekly windows"
    )
    for name in ("relevance", "duplicates", "stories"):
        print(results[name].line(name))
    acc, hits, total = results["status_accuracy"]
    print(f"{'status':<12} accuracy {acc:.2f}  ({hits}/{total} story-weeks)")
    if verbose:
        print("\n".join(lines))
        for r in rows:
            if (r["id"] in predicted_relevant) != r["relevant"]:
                print(f"  relevance ✗ {r['id']} (labelled {r['relevant']})")
        for pair in same_group_pairs(groups) ^ same_group_pairs(predicted_groups):
            print(f"  story pair ✗ {pair} labelled-together={pair in same_group_pairs(groups)}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__)
    parser.add_argument("--direct", action="store_true", help="store articles directly instead of via feeds")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every miss")
    args = parser.parse_args(argv)
    evaluate(direct=args.direct, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
