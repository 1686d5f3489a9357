"""Rendering a digest view with the jinja2 templates in the top-level ``templates/`` folder.

HTML templates (``*.html.j2``, ``*.xml.j2``) are autoescaped; the plain-text template is not (it is
never read as markup). The HTML email gets its CSS inlined (css-inline), because most mail clients drop
``<style>`` blocks; bars are table cells with a width and a background, which every client renders.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..config import PACKAGE_DIR, PROJECT_DIR
from .chart import Bar
from .model import DigestView

#: Width in characters of the longest text bar (fits a 76-column plain-text mail with its label and numbers).
TEXT_BAR_WIDTH = 24
#: Width of the tag column in the plain-text chart (the short tag labels of the topic file fit).
TEXT_LABEL_WIDTH = 20
#: Plain-text lines are wrapped here: inside RFC 5322's 78 and the 72–78 columns mail readers expect.
TEXT_WIDTH = 76
_BULLET = re.compile(r"^(\s*)((?:[-*+] )?)")


@dataclass(frozen=True)
class Unsubscribe:
    """How one subscriber unsubscribes: mail ``address`` with ``token``, or open ``url``."""

    token: str
    address: str
    url: str = ""


def templates_dir() -> Path:
    shipped = PROJECT_DIR / "templates"  # a source tree or editable install
    return shipped if shipped.is_dir() else PACKAGE_DIR / "_templates"  # an installed wheel


def text_bar(bar: Bar) -> str:
    """``Troops               ████████████████████████  42%  18%`` for the plain part."""
    filled = round(TEXT_BAR_WIDTH * bar.width / 100)
    label = bar.tag if len(bar.tag) <= TEXT_LABEL_WIDTH else bar.tag[: TEXT_LABEL_WIDTH - 1] + "…"
    line = f"{label:<{TEXT_LABEL_WIDTH}} {'█' * filled}{' ' * (TEXT_BAR_WIDTH - filled)} {bar.value:>5}"
    if bar.baseline:
        line += f"  {bar.baseline:>5}"
    return line.rstrip()


def wrap(line: str, width: int = TEXT_WIDTH) -> list[str]:
    """One line wrapped to ``width`` with a hanging indent under its bullet; URLs are never broken."""
    if len(line) <= width or line == "-- ":
        return [line]
    match = _BULLET.match(line)
    lead = match.group(1) if match else ""
    indent = lead + " " * len(match.group(2)) if match else ""
    return textwrap.wrap(line[len(lead):], width=width, initial_indent=lead, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [line]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(templates_dir())),
                      autoescape=select_autoescape(enabled_extensions=("html.j2", "xml.j2", "html", "xml"),
                                                   disabled_extensions=("txt.j2", "txt"),
                                                   default_for_string=True, default=True),
                      undefined=StrictUndefined, trim_blocks=False, keep_trailing_newline=True)
    env.globals["text_bar"] = text_bar
    return env


def _context(view: DigestView, subject: str, unsubscribe: Unsubscribe | None,
             archive_url: str) -> dict[str, Any]:
    return {"v": view, "subject": subject, "unsubscribe": unsubscribe, "archive_url": archive_url}


def render_html(view: DigestView, *, subject: str, unsubscribe: Unsubscribe | None = None,
                archive_url: str = "") -> str:
    html = environment().get_template("digest.html.j2").render(_context(view, subject, unsubscribe,
                                                                        archive_url))
    return css_inline.inline(html, load_remote_stylesheets=False)


def render_text(view: DigestView, *, subject: str, unsubscribe: Unsubscribe | None = None,
                archive_url: str = "") -> str:
    text = environment().get_template("digest.txt.j2").render(_context(view, subject, unsubscribe,
                                                                       archive_url))
    # "-- " (with its space) is the signature separator mail readers recognise.
    lines = [part for line in text.splitlines()
             for part in wrap(line if line == "-- " else line.rstrip())]
    return "\n".join(_squeeze_blank(lines)).strip() + "\n"


def _squeeze_blank(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return out


def render_page(template: str, **context: Any) -> str:
    """The archive's index page or Atom feed."""
    return environment().get_template(template).render(**context)
