"""Cleaning article text of what is not article text: teasers, comment prompts, photo credits, debris.

Pure functions; each rule is a named pattern with the example that motivated it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: A related-article teaser: a short line cut off with an ellipsis ("La Chine a lancé une enquête sur…").
_TEASER = re.compile(r"^.{0,240}(…|\.\.\.)\s*$")
#: Whole lines that are page furniture, in English and French.
_FURNITURE = re.compile(
    r"^\s*(leave a comment|commentez cette histoire.*|.*\bcommentez cette histoire\b.*|commentaires?|"
    r"comments?|share( this)?( article)?|partager( cet article)?|lire aussi.*|read more.*|"
    r"photo\s*[/:©].{0,60}|©.{0,80}|advertisement|publicité|subscribe.*newsletter.*)\s*$",
    re.IGNORECASE,
)
#: A words-glued-by-comma fragment at the start of a line ("Lundi,Avant l'imposition…").
_GLUED_PREFIX = re.compile(r"^[\w'’ -]{1,30},(?=[A-ZÀ-Ý])")
#: A word cut by a broken encoding at the end of a truncated paragraph ("a-t-il d\ufffd").
_BROKEN_WORD = re.compile(r"\s*\S*\ufffd\S*")


def clean_lines(lines: Iterable[str], drop: Iterable[str] = ()) -> list[str]:
    """The article's lines without furniture, teasers and debris; blank lines removed."""
    dropped = {d.strip() for d in drop}
    kept: list[str] = []
    for raw in lines:
        line = _BROKEN_WORD.sub("", raw).strip()
        if not line or line in dropped or _FURNITURE.match(line):
            continue
        if _TEASER.match(line) and len(line) < 240:
            continue
        kept.append(_GLUED_PREFIX.sub("", line))
    return kept


def clean_text(text: str, drop: Iterable[str] = ()) -> str:
    """Clean a whole text; paragraphs come out one per line."""
    return "\n".join(clean_lines(text.splitlines(), drop))
