"""Logging for the daemon: one line per record on stderr, in a form journald reads well.

No timestamps (the journal adds its own). Under systemd (``$JOURNAL_STREAM`` set) each line starts with
the syslog priority in angle brackets (``<6>monitor.schedule: fetch: …``), which journald turns into the
entry's priority; elsewhere the level is spelled out (``INFO monitor.schedule: fetch: …``).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

#: Python level → syslog priority (sd-daemon(3)): 2 crit, 3 err, 4 warning, 6 info, 7 debug.
SYSLOG_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6,
                   logging.DEBUG: 7}
#: Libraries whose INFO lines repeat ours ("Added job", "Running job"): shown only with -vv.
CHATTY_LOGGERS = ("apscheduler", "trafilatura")


class JournalFormatter(logging.Formatter):
    """``<N>name: message`` per line (journald), or ``LEVEL name: message``."""

    def __init__(self, journal: bool) -> None:
        super().__init__("%(name)s: %(message)s")
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not self.journal:
            return f"{record.levelname} {text}"
        prefix = f"<{SYSLOG_PRIORITY.get(record.levelno, 6)}>"
        return "\n".join(prefix + line for line in text.splitlines())


def configure(level: int, *, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> None:
    """Send every log record at ``level`` or above to stderr, one line each."""
    env = os.environ if environ is None else environ
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JournalFormatter(journal=bool(env.get("JOURNAL_STREAM"))))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING) if level > logging.DEBUG else level)
