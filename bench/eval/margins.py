"""``python -m bench.eval.margins``: how close the story decisions on the labelled set are to the thresholds.

Analyses the set (stored directly) and, for every relevant original article, prints how it
joined (join, strong, leader, follow-up) or that it founded a story, the score of the story it joined or
the nearest one it did not, against JOIN_SCORE / STRONG_SCORE / MIN_EVIDENCE_SHARE, marking
decisions that disagree with the labels. The numbers behind the README's "Stories" margins.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from typing import Any

from monitor.core import Monitor
from monitor.testing import LocalSite
from monitor.understand import stories

from . import __main__ as ev


def _labels(rows: list[dict[str, Any]], ids: dict[str, str]) -> dict[str, str]:
    """stored article id → story label (seeds by their manifest stem)."""
    out = {ids[r["id"]]: r["story"] for r in rows if r["id"] in ids and r.get("story")}
    for stored in ids.values():
        if stored.startswith("seed-"):
            out[stored] = ev.SEED_STORIES.get(stored.removeprefix("seed-"), stored)
    return out


def run(path: str | None = None) -> list[str]:
    rows = ev.load_set(ev.Path(path)) if path else ev.load_set()
    with tempfile.TemporaryDirectory() as tmp, LocalSite() as site:
        config = ev.eval_config(f"{tmp}/m.db")
        last = max(r["published"] for r in rows) + timedelta(days=1)
        with Monitor(config, clock=lambda: last) as monitor:
            monitor.init()
            ev.ingest(monitor, rows, site, direct=True)
            summary = monitor.analyze()
            ids = ev._stored_ids(monitor, rows, site)
    label = _labels(rows, ids)
    # where each article's story ended up (a story merged later counts as the one it joined)
    story_of = {
        a: summary.story_of(d.story_id or stories.story_id_for(a)) for a, d in summary.decisions.items()
    }
    members: dict[str, Counter[str]] = {}
    for a, s in story_of.items():
        if a in label:
            members.setdefault(s, Counter())[label[a]] += 1
    story_label = {s: c.most_common(1)[0][0] for s, c in members.items()}
    # each label's main story: the predicted story holding most of its articles; an article elsewhere is
    # split off, even when its own story holds only articles of its label, and an article in a story
    # whose articles are mostly another label's has joined the wrong story
    held: dict[str, Counter[str]] = {}
    for s, c in members.items():
        for lab, n in c.items():
            held.setdefault(lab, Counter())[s] += n
    main_story = {lab: c.most_common(1)[0][0] for lab, c in held.items()}
    back = {v: k for k, v in ids.items()}
    lines = []
    best_wrong: list[float] = []
    missed = {"founded": 0, "joined": 0}
    for a, d in summary.decisions.items():
        want = label.get(a)
        if want is None:
            continue
        right = [s for s in d.scored if story_label.get(summary.story_of(s.story_id)) == want]
        wrong = [s for s in d.scored if story_label.get(summary.story_of(s.story_id)) != want]
        ok = (story_of[a] == main_story.get(want) and story_label.get(story_of[a]) == want) and (
            d.story_id is not None or not right or not right[0].joins
        )
        fmt = lambda s: f"cos {s.cosine:.2f}×{s.decay:.2f}={s.score:.2f} ev {s.evidence:.1f}"  # noqa: E731
        if wrong:
            best_wrong.append(wrong[0].score)
        if not ok:
            missed["founded" if d.path == "founded" else "joined"] += 1
        lines.append(
            f"{'  ' if ok else '✗ '}{back.get(a, a)[:28]:<28} {want:<14} "
            f"{d.path:<9} "
            f"right[{fmt(right[0]) if right else '-'}] wrong[{fmt(wrong[0]) if wrong else '-'}]"
        )
    if len(best_wrong) >= 2:
        p90 = statistics.quantiles(best_wrong, n=10, method="inclusive")[-1]
        lines.append(
            f"best wrong candidate: median {statistics.median(best_wrong):.2f}, 90th percentile {p90:.2f} "
            f"over {len(best_wrong)} decisions; not in their story's main story (✗): {missed['joined']} "
            f"joined another story, {missed['founded']} founded one"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval.margins", description=__doc__)
    parser.add_argument("set", nargs="?", help="a labelled JSONL set (default: bench/eval/articles.jsonl)")
    args = parser.parse_args(argv)
    print(
        f"JOIN_SCORE {stories.JOIN_SCORE}  STRONG_SCORE {stories.STRONG_SCORE}  "
        f"MIN_EVIDENCE_SHARE {stories.MIN_EVIDENCE_SHARE}  MERGE_SCORE {stories.MERGE_SCORE}"
    )
    print("\n".join(run(args.set)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
