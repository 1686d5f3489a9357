"""The watch's name and its tags' short labels per language, read from the topic file.

The topic file's ``[watch]`` gives ``name`` (English) and ``name_fr``; each ``[[tag]]`` gives ``label`` /
``label_fr`` and may give the short chip labels ``short`` / ``short_fr`` the digest shows (a full label
such as "Reactions of the US, South Korea, Japan, China and NATO" wraps to six lines on a phone).
``digest.title`` in the configuration, when set, names the watch in every language.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..text import one_line

#: The watch's name when neither digest.title nor the topic file gives one.
FALLBACK_TITLE = "News"
#: Longest watch name kept (it goes into every subject line).
TITLE_LIMIT = 100
#: Longest tag label kept.
LABEL_LIMIT = 60


@dataclass(frozen=True)
class WatchNames:
    #: language → watch name ("" key: the name for any language without its own).
    titles: dict[str, str]
    #: tag key → language → short label.
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("") or FALLBACK_TITLE

    def tag(self, key: str, lang: str, fallback: str = "") -> str:
        labels = self.tags.get(key, {})
        return labels.get(lang) or labels.get("en") or fallback or key


def _clean(name: Any) -> str:
    """One line, the spaces around a dash dropped ("Russia – North Korea" → "Russia–North Korea")."""
    return one_line(re.sub(r"\s*–\s*", "–", str(name or "")), TITLE_LIMIT)


def _tag_labels(row: dict[str, Any]) -> dict[str, str]:
    out = {}
    for lang, keys in (("en", ("short", "label")), ("fr", ("short_fr", "label_fr"))):
        label = next((str(row[k]) for k in keys if isinstance(row.get(k), str) and row[k].strip()), "")
        if label:
            out[lang] = one_line(label, LABEL_LIMIT)
    return out


def from_topic(data: dict[str, Any], configured_title: str = "") -> WatchNames:
    found = data.get("watch")
    watch: dict[str, Any] = found if isinstance(found, dict) else {}
    titles = {"": _clean(watch.get("name")), "en": _clean(watch.get("name")),
              "fr": _clean(watch.get("name_fr"))}
    if configured_title:
        titles = {"": one_line(configured_title, TITLE_LIMIT)}
    tags = {str(row["key"]): _tag_labels(row) for row in data.get("tag") or []
            if isinstance(row, dict) and row.get("key")}
    return WatchNames({k: v for k, v in titles.items() if v}, tags)


def load(topic_file: Path, configured_title: str = "") -> WatchNames:
    """Names from ``topic_file``; an unreadable file leaves the fallback names (the topic loader says why)."""
    try:
        data = tomllib.loads(topic_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        data = {}
    return from_topic(data, configured_title)
