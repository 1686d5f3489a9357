"""Pure decisions of a scheduled run, and what the run reports.

When is the weekly digest due? The digest covers the last full week (see ``monitor.digest.window``) and is
due from ``digest.time`` on ``digest.weekday`` (local to ``digest.timezone``), i.e. on the day its window
ends. ``monitor once`` builds and sends it from that moment on, unless it was already sent (or, without
SMTP, already built), so a run missed on the day catches up on the next one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .config import parse_hhmm
from .digest.deliveries import describe_uncertain


def digest_due_at(until: datetime, tz_name: str, at: str) -> datetime:
    """The moment (naive UTC) a window ending at ``until`` (naive UTC, local midnight) becomes due."""
    tz = ZoneInfo(tz_name)
    local_day = until.replace(tzinfo=UTC).astimezone(tz).date()
    hour, minute = parse_hhmm(at)
    return datetime.combine(local_day, time(hour, minute), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def raw_html_cutoff(now: datetime, max_age_days: int) -> datetime | None:
    """Raw HTML fetched before this is pruned; None when it is kept forever (``max_age_days = 0``)."""
    return now - timedelta(days=max_age_days) if max_age_days > 0 else None


@dataclass(frozen=True)
class DigestOutcome:
    """What the weekly-digest step did for one window."""

    week: str
    #: "not-due", "already-sent", "already-built", "sent", "written", "skipped-empty", "send-failed",
    #: "held" (built while most sources failed: not sent, tried again on the next run).
    action: str
    due_at: datetime | None = None
    sent: int = 0
    failed: tuple[str, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)
    #: Why a "held" digest was not sent (most sources failed).
    reason: str = ""
    #: (address, why) of deliveries of this week that may or may not have arrived (never re-sent
    #: automatically): ``monitor once`` exits 3 while there is one.
    uncertain: tuple[tuple[str, str], ...] = ()

    def uncertain_lines(self) -> list[str]:
        return [describe_uncertain(address, why, self.week) for address, why in self.uncertain]

    def line(self) -> str:
        text = {
            "not-due": f"not due until {self.due_at:%Y-%m-%d %H:%M} UTC" if self.due_at else "not due",
            "already-sent": "already sent",
            "already-built": "already written",
            "sent": f"sent to {self.sent} subscribers",
            "written": f"written to {self.files.get('html', '?')}",
            "skipped-empty": "nothing new: not sent (digest.skip_empty)",
            "held": self.reason or "held",
            "send-failed": f"sent to {self.sent}, failed for {len(self.failed)}: {', '.join(self.failed)}",
        }.get(self.action, self.action)
        if self.uncertain:
            text += f"; {len(self.uncertain)} uncertain: {', '.join(a for a, _ in self.uncertain)}"
        return f"digest {self.week}: {text}"

    def as_dict(self) -> dict[str, Any]:
        return {"week": self.week, "action": self.action, "sent": self.sent, "failed": list(self.failed),
                "files": {k: str(v) for k, v in self.files.items()}, "reason": self.reason,
                "uncertain": [{"email": a, "reason": why} for a, why in self.uncertain]}


@dataclass(frozen=True)
class OnceReport:
    """What ``monitor once`` did: the fetch, the analysis and the weekly digest."""

    fetch: dict[str, Any]
    fetch_line: str
    analyze: dict[str, int]
    digest: DigestOutcome

    @property
    def ok(self) -> bool:
        return self.digest.action not in ("send-failed", "held")

    @property
    def unresolved(self) -> bool:
        """A delivery of the week may or may not have arrived: an operator must look."""
        return bool(self.digest.uncertain)

    def lines(self) -> list[str]:
        analyzed = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in self.analyze.items())
        return [f"fetch: {self.fetch_line}", f"analyze: {analyzed}", self.digest.line()]

    def as_dict(self) -> dict[str, Any]:
        return {"fetch": self.fetch, "analyze": self.analyze, "digest": self.digest.as_dict()}
