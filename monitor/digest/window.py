"""Digest windows: which [since, until) a weekly digest covers, and its week label.

Weeks are counted in ``digest.timezone`` and start on ``digest.weekday`` at local midnight. A window is
returned as naive UTC (the store's form) with a label such as ``"2026-W47"``.

Labels follow ISO week numbering. When weeks start on a Monday a label is exactly the ISO week. When they
start on another day, a window (7 days from its start day) is labelled with the ISO week holding its
middle day (start + 3 days), i.e. the ISO week that holds most of its days; conversely ``2026-W47`` with
``weekday = "sunday"`` is Sunday 15 to Saturday 21 November 2026, whose Wednesday is in ISO week 47.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..config import WEEKDAYS
from ..errors import ConfigError

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
#: Days from a window's start to its middle day, whose ISO week labels the window.
_MIDDLE = 3


@dataclass(frozen=True)
class Window:
    """A digest's time range, naive UTC, ``until`` excluded; ``label`` is "" for a custom range."""

    since: datetime
    until: datetime
    label: str = ""

    @property
    def week_number(self) -> int | None:
        return int(self.label.split("W")[1]) if self.label else None


def _weekday_index(weekday: str) -> int:
    return WEEKDAYS.index(weekday.lower())


def _local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight of ``day`` in ``tz``, as naive UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def label_for_start(start: date) -> str:
    year, week, _ = (start + timedelta(days=_MIDDLE)).isocalendar()
    return f"{year}-W{week:02d}"


def week_window(start: date, tz_name: str) -> Window:
    """The 7-day window starting at local midnight of ``start``."""
    tz = ZoneInfo(tz_name)
    return Window(_local_midnight_utc(start, tz), _local_midnight_utc(start + timedelta(days=7), tz),
                  label_for_start(start))


def default_window(now: datetime, tz_name: str, weekday: str) -> Window:
    """The last full week before ``now`` (naive UTC)."""
    local_today = now.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name)).date()
    this_week_start = local_today - timedelta(days=(local_today.weekday() - _weekday_index(weekday)) % 7)
    return week_window(this_week_start - timedelta(days=7), tz_name)


def parse_week(text: str) -> tuple[int, int]:
    """``"2026-W47"`` → (2026, 47); a clear error otherwise."""
    match = _WEEK.match(text.strip())
    if not match:
        raise ConfigError(f"--week {text!r}: expected an ISO week such as 2026-W47")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ConfigError(f"--week {text!r}: {year} has no week {week}") from None
    return year, week


def window_for_week(text: str, tz_name: str, weekday: str) -> Window:
    """The window labelled ``text`` (see the module docstring for non-Monday weeks)."""
    year, week = parse_week(text)
    earliest = date.fromisocalendar(year, week, 1) - timedelta(days=_MIDDLE)
    start = earliest + timedelta(days=(_weekday_index(weekday) - earliest.weekday()) % 7)
    return week_window(start, tz_name)


def check_finished(window: Window, now: datetime, what: str) -> None:
    """A digest covers days that are over: a window ending after ``now`` (naive UTC) is refused."""
    if window.until > now:
        state = "has not started yet" if window.since > now else "is not over yet"
        raise ConfigError(f"{what} {state}: it ends {window.until:%Y-%m-%d %H:%M} UTC; a digest covers "
                          "finished days only (the default is the last full week)")


def _parse_point(text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """A date (local midnight; an end date counts whole) or a local ISO date-time, as naive UTC."""
    try:
        if "T" in text or " " in text.strip():
            value = datetime.fromisoformat(text.strip())
            local = value if value.tzinfo else value.replace(tzinfo=tz)
            return local.astimezone(UTC).replace(tzinfo=None)
        day = date.fromisoformat(text.strip())
    except ValueError:
        flag = "--until" if end else "--since"
        raise ConfigError(f"{flag} {text!r}: expected a date such as 2026-11-16") from None
    return _local_midnight_utc(day + timedelta(days=1) if end else day, tz)


def custom_window(since: str, until: str, tz_name: str) -> Window:
    """``--since DATE --until DATE``: both dates included, in the digest's time zone."""
    tz = ZoneInfo(tz_name)
    window = Window(_parse_point(since, tz, end=False), _parse_point(until, tz, end=True))
    if window.until <= window.since:
        raise ConfigError(f"--since {since} --until {until}: the window is empty")
    return window
