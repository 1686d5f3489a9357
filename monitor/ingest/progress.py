"""A progress bar on stderr for `monitor fetch`, only when stderr is a terminal (silent under cron)."""

from __future__ import annotations

import sys
from typing import Any

import click


class TerminalProgress:
    """Callable as ``progress(stage, done, total)``; one bar per stage, drawn only on a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        bar = self._bars.get(stage)
        if bar is None:
            for other in self._bars.values():
                other.render_finish()
            bar = click.progressbar(length=total, label=f"{stage:>5}", file=sys.stderr)
            bar.__enter__()
            self._bars[stage] = bar
        bar.update(done - bar.pos)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.__exit__(None, None, None)
        self._bars.clear()
