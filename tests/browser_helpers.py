"""Debian's chromium, headless, on local files: what a reader's browser lays out and shows.

``layout(html, width)`` loads the page in an iframe ``width`` pixels wide (headless chromium makes no
window narrower than 500 px) inside a host page whose script writes what the browser computed (the
page's scroll width, its viewport width and height, every link and the visible text) into the DOM,
which ``--dump-dom`` then prints: no driver, no download, no network.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: The flags every run uses: no sandbox (root in CI), and nothing that reaches the network.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio")
#: Seconds one chromium run may take (a cold start on a loaded 2-core machine takes about 5).
TIMEOUT = 120

#: Headless chromium will not make a window narrower than this: narrower viewports are an iframe.
MIN_WINDOW = 500

_HOST = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; padding: 0; background: #9aa0a6; }} iframe {{ border: 0; display: block; }}
</style></head><body><iframe id="page" style="width:{width}px;height:{height}px" srcdoc="{srcdoc}"></iframe>
<script>
document.getElementById('page').addEventListener('load', function () {{
  var doc = this.contentDocument, d = doc.documentElement, win = this.contentWindow;
  var out = {{scrollWidth: d.scrollWidth, innerWidth: win.innerWidth, height: d.scrollHeight,
             links: Array.prototype.map.call(doc.querySelectorAll('a[href]'),
               function (a) {{ return [a.getAttribute('href'), a.textContent]; }}),
             text: doc.body.innerText}};
  var pre = document.createElement('pre');
  pre.id = 'layout-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}});
</script></body></html>"""


def _host(html: str, width: int, height: int) -> str:
    return _HOST.format(width=width, height=height, srcdoc=escape(html, quote=True))


@dataclass(frozen=True)
class Layout:
    scroll_width: int
    viewport_width: int
    height: int
    links: list[tuple[str, str]]
    text: str


def available() -> bool:
    return Path(CHROMIUM).exists()


def _run(args: list[str], profile: Path) -> str:
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args], check=True,
                          capture_output=True, text=True, timeout=TIMEOUT)
    return done.stdout


def layout(html: str, width: int, workdir: Path | None = None) -> Layout:
    """What chromium lays out for ``html`` in a viewport ``width`` pixels wide."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        page = Path(tmp) / "host.html"
        page.write_text(_host(html, width, 900), encoding="utf-8")
        dom = _run(["--virtual-time-budget=5000", f"--window-size={max(width, MIN_WINDOW)},900", "--dump-dom",
                    page.as_uri()], Path(tmp) / "profile")
    match = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom, re.S)
    assert match, "the probe did not run"
    data = json.loads(unescape(match.group(1)))
    return Layout(data["scrollWidth"], data["innerWidth"], data["height"],
                  [(h, t) for h, t in data["links"]], data["text"])


def screenshot(html: str, width: int, path: Path, workdir: Path | None = None) -> Path:
    """A PNG of the whole page (as tall as the laid-out document) in a viewport ``width`` wide (on a grey
    background up to the narrowest window chromium makes)."""
    height = min(layout(html, width, workdir).height, 16000)
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        page = Path(tmp) / "host.html"
        page.write_text(_host(html, width, height), encoding="utf-8")
        _run([f"--window-size={max(width, MIN_WINDOW)},{height}", f"--screenshot={path}", page.as_uri()],
             Path(tmp) / "profile")
    return path


def main(folder: str) -> None:  # pragma: no cover - `python tests/browser_helpers.py /work/screens`
    """Screenshots of the busy test week in English and French at 1200 and 390 px into ``folder``."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from digest_weeks import busy_week

    from monitor.digest import names
    from monitor.digest.model import SourceHealth, build_view
    from monitor.digest.pipeline import DEFAULT_TOPIC
    from monitor.digest.render import Unsubscribe, render_html

    watch = names.load(DEFAULT_TOPIC)
    unsubscribe = Unsubscribe("tok123", "watch@example.org", "https://watch.example.org/unsubscribe/tok123")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "fr"):
        view = build_view(busy_week(lang), lang=lang, title=watch, label="2026-W46", tz="UTC",
                          health=SourceHealth(1, 9))
        html = render_html(view, subject="S", unsubscribe=unsubscribe, archive_url="https://watch.example.org/")
        (out / f"busy-{lang}.html").write_text(html, encoding="utf-8")
        for width in (1200, 390):
            print(screenshot(html, width, out / f"busy-{lang}-{width}.png"))


if __name__ == "__main__":  # pragma: no cover
    import sys

    main(sys.argv[1] if len(sys.argv) > 1 else "screens")
