"""``python -m bench.eval``: ingest a labelled set through feeds, analyse it, digest every week, score it.

    python -m bench.eval [--set PATH] [--half tune|report|all] [--json] [--direct] [--verbose]

The whole set is served as RSS feeds and HTML pages on 127.0.0.1 (``LocalSite``), ingested with
``Monitor.fetch()`` (``--direct``: stored with ``save_article``), analysed, and every week holding a set
article is digested with ``Monitor.digest_data`` (the ``digest --format json`` contract). All halves go
through one run (stories of both halves compete in the same weeks, as in real feeds); the scores are
then computed per half on that half's labels. Printed per half: relevance F1, duplicates F1, story
pairwise F1 (all pairs and cross-language pairs only), seed linkage, new/developing/known accuracy per
story-week (known weeks also counted on their own) and the misses.
"""

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

from .score import (
    KNOWN,
    Accuracy,
    cross_language,
    is_seed_story,
    prf,
    same_group_pairs,
    seed_linkage,
    story_week_truth,
    week_start,
)

HERE = Path(__file__).parent
#: The development set of issue 12 (≥ 150 articles, split in a tune and a report half).
DEVSET = HERE / "devset.jsonl"
#: The first, small set (38 articles, no halves); tests/test_understand_pipeline.py reads it.
SET = HERE / "articles.jsonl"
HALVES = ("tune", "report")
#: Seeds' story labels, by file stem.
SEED_STORIES = {
    "000_f7e50d4cada97fff": "seed000",
    "001_ac24452422a1ed55": "seed001",
    "002_0c4a26fb87c45e09": "seed002",
    "003_3620be85bbcd42ef": "seed003",
    "004_9d3c9eab45e7b486": "seed004",
}
SEED_IDS = {label: f"seed-{stem}" for stem, label in SEED_STORIES.items()}


def load_set(path: Path = DEVSET) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: invalid JSON: {exc.msg}") from None
            row["published"] = datetime.fromisoformat(row["published"])
            row.setdefault("split", "all")
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
        monitor.add_feed(site.url(f"/{_slug(source)}/rss.xml"), name=source, lang=items[0]["lang"])
    monitor.fetch()
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
    return [(s, s + timedelta(days=7)) for s in sorted({week_start(r["published"]) for r in rows})]


def run(rows: list[dict[str, Any]], direct: bool = False) -> dict[str, Any]:
    """Ingest, analyse and digest ``rows``; return the predictions keyed by eval ids."""
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
            back = {v: k for k, v in _stored_ids(monitor, rows, site).items()}
            digests = [(s, monitor.digest_data(s, u)) for s, u in weeks(rows)]
            seeds = _seed_stories(monitor)
    pred = predictions(digests, back, how)
    for seed, story_id in seeds.items():
        pred["seed_story"].setdefault(seed, story_id)
    pred["story"].update(pred["seed_story"])
    return pred


def _seed_stories(monitor: Monitor) -> dict[str, str]:
    """Seed id → its story id, from the store: a seed story with no window article is in no digest."""
    from sqlalchemy import select

    from monitor.store.models import Article, StoryArticle

    with monitor.db.session(read_only=True) as session:
        query = (
            select(StoryArticle.article_id, StoryArticle.story_id)
            .join(Article, Article.id == StoryArticle.article_id)
            .where(Article.is_baseline.is_(True))
        )
        return dict(session.execute(query).all())


Row = dict[str, Any]


def predictions(digests: list[tuple[datetime, Row]], back: dict[str, str], how: str) -> Row:
    """From the weekly digest JSON: relevant articles, duplicate pairs, story of each article, story of
    each seed, and the status of each story in each week."""
    relevant: set[str] = set()
    dups: set[tuple[str, str]] = set()
    story: dict[str, str] = {}
    seed_story: dict[str, str] = {}
    status: dict[tuple[datetime, str], str] = {}
    week_members: dict[datetime, dict[str, list[str]]] = {}
    for week, digest in digests:
        for s in digest["stories"]:
            status[(week, s["id"])] = s["status"]
            members = [back.get(a["id"], a["id"]) for a in s["articles"]]
            week_members.setdefault(week, {})[s["id"]] = members
            for a, m in zip(s["articles"], members, strict=True):
                relevant.add(m)
                story[m] = s["id"]
                if a["duplicate_of"]:
                    dups.add((m, back.get(a["duplicate_of"], a["duplicate_of"])))
            for b in s["baseline"]:
                if b.get("seed"):
                    seed_story[back.get(b["id"], b["id"])] = s["id"]
    return {"how": how, "weeks": len(digests), "relevant": relevant, "dups": dups, "story": story,
            "seed_story": seed_story, "status": status, "week_members": week_members}


def _seed_id(ref: str) -> str:
    """A row's reference to a seed ("seed-002_…" or "seed002") → the seed's stored id."""
    return SEED_IDS.get(ref, ref)


def score_half(rows: list[dict[str, Any]], half: str, pred: dict[str, Any]) -> dict[str, Any]:
    """Every score of the issue-12 bar for the rows of ``half`` ("all": every row)."""
    mine = [r for r in rows if half == "all" or r["split"] == half]
    ids = {r["id"] for r in mine}
    lang = {r["id"]: r["lang"] for r in mine}
    expected_relevant = {r["id"] for r in mine if r["relevant"]}
    predicted_relevant = pred["relevant"] & ids
    expected_dups = {(r["id"], _seed_id(r["duplicate_of"])) for r in mine if r["duplicate_of"]}
    predicted_dups = {(a, b) for a, b in pred["dups"] if a in ids}
    groups: dict[str, str | None] = {r["id"]: r["story"] for r in mine if r["relevant"]}
    for label in {g for g in groups.values() if g and is_seed_story(g)}:
        groups[SEED_IDS[label]] = label
        lang[SEED_IDS[label]] = "fr"
    predicted_groups = {k: pred["story"].get(k) for k in groups}
    true_pairs, got_pairs = same_group_pairs(groups), same_group_pairs(predicted_groups)
    seed_labelled = {r["id"]: r["story"] for r in mine if r["relevant"] and is_seed_story(r["story"] or "")}
    linkage, linkage_misses = seed_linkage(
        seed_labelled, pred["story"], {lab: pred["seed_story"].get(sid) for lab, sid in SEED_IDS.items()}
    )
    statuses = _statuses(rows, mine, pred)
    known = [s for s in statuses if s["expected"] == KNOWN]
    return {
        "half": half,
        "articles": len(mine),
        "relevance": prf(expected_relevant, predicted_relevant),
        "duplicates": prf(expected_dups, predicted_dups),
        "stories": prf(true_pairs, got_pairs),
        "stories_cross_language": prf(cross_language(true_pairs, lang), cross_language(got_pairs, lang)),
        "seed_linkage": linkage,
        "status": Accuracy(sum(s["ok"] for s in statuses), len(statuses)),
        "status_known": Accuracy(sum(s["ok"] for s in known), len(known)),
        "misses": {
            "relevance": sorted(
                f"{r['id']} labelled {'relevant' if r['relevant'] else 'off-topic'}"
                for r in mine if (r["id"] in predicted_relevant) != r["relevant"]
            ),
            "duplicates": sorted(
                [f"missed {a} → {b}" for a, b in expected_dups - predicted_dups]
                + [f"false {a} → {b}" for a, b in predicted_dups - expected_dups]
            ),
            "stories": _story_misses(groups, predicted_groups),
            "seed_linkage": [f"{a} ({seed_labelled[a]}) in {pred['story'].get(a)}" for a in linkage_misses],
            "status": [
                f"{s['week']} {s['story']}: expected {s['expected']}, got {s['got']}"
                for s in statuses
                if not s["ok"]
            ],
        },
        "story_weeks": statuses,
    }


def _statuses(rows: list[Row], mine: list[Row], pred: Row) -> list[Row]:
    """Expected (from all rows' labels) and predicted status of each story-week of this half's stories."""
    truth = story_week_truth(rows)
    labels = {r["story"] for r in mine if r["relevant"] and r["story"]}
    out = []
    for (label, week), want in sorted(truth.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if label not in labels:
            continue
        members = {r["id"] for r in mine if r["story"] == label and week_start(r["published"]) == week}
        holding = {sid: len(members & set(m)) for sid, m in pred["week_members"].get(week, {}).items()}
        best = max(holding, key=lambda sid: holding[sid], default=None)
        got = pred["status"][(week, best)] if best is not None and holding[best] else "absent"
        out.append({"week": week.date().isoformat(), "story": label, "expected": want, "got": got,
                    "ok": got == want})
    return out


def _story_misses(groups: dict[str, str | None], predicted: dict[str, str | None]) -> list[str]:
    """Per labelled story: members outside the story most of them landed in, and intruders in it."""
    misses = []
    labels = sorted({g for g in groups.values() if g})
    for label in labels:
        members = [a for a, g in groups.items() if g == label]
        landed = [predicted.get(a) for a in members]
        main = max(set(landed) - {None}, key=landed.count, default=None)
        strays = [a for a in members if predicted.get(a) != main]
        intruders = [a for a, g in groups.items() if g != label and main and predicted.get(a) == main]
        if strays or intruders:
            misses.append(f"{label}: main story {main}; split off {strays or '-'}; "
                          f"joined by {intruders or '-'}")
    return misses


def _print(result: dict[str, Any], verbose: bool) -> None:
    print(f"\n== half: {result['half']} ({result['articles']} articles)")
    for name in ("relevance", "duplicates", "stories", "stories_cross_language"):
        print(result[name].line(name))
    for name in ("seed_linkage", "status", "status_known"):
        acc = result[name]
        print(f"{name:<22} accuracy {acc.value:.2f}  ({acc.hits}/{acc.total})")
    for kind, lines in result["misses"].items():
        if lines:
            print(f"  misses — {kind}: {len(lines)}")
            for line in lines if verbose or kind != "stories" else lines[:12]:
                print(f"    {line}")
    if verbose:
        for s in result["story_weeks"]:
            print(f"    {s['week']}  {s['story']:<16} expected {s['expected']:<10} got {s['got']}"
                  f"{'' if s['ok'] else '   ✗'}")


def _json(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v.to_json() if hasattr(v, "to_json") else v for k, v in result.items()}


def evaluate(path: Path = DEVSET, half: str = "all", direct: bool = False) -> tuple[dict[str, Any], list]:
    rows = load_set(path)
    pred = run(rows, direct)
    halves = [h for h in HALVES if any(r["split"] == h for r in rows)] or ["all"]
    chosen = (halves + ["all"] if len(halves) > 1 else halves) if half == "all" else [half]
    return pred, [score_half(rows, h, pred) for h in chosen]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=DEVSET, help=f"labelled set (default {DEVSET.name})")
    parser.add_argument("--half", choices=(*HALVES, "all"), default="all", help="which half to score")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--direct", action="store_true", help="store articles directly instead of via feeds")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every miss and story-week")
    args = parser.parse_args(argv)
    pred, results = evaluate(args.set, args.half, args.direct)
    if args.json:
        print(json.dumps({"set": str(args.set), "ingest": pred["how"], "weeks": pred["weeks"],
                          "halves": [_json(r) for r in results]}, ensure_ascii=False, indent=1))
        return 0
    print(f"Set {args.set.name}: ingested {pred['how']}, {pred['weeks']} weekly windows")
    for result in results:
        _print(result, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
