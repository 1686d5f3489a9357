"""Configuration: one TOML file loaded once into one typed, validated object.

Lookup order: ``--config PATH``, else ``$MONITOR_CONFIG``, else ``./monitor.toml``, else the built-in
defaults below, which work with no file at all (SQLite in the user's data directory, the bundled seeds,
the bundled feed list, the digest written to a file). Every default lives in this module.

Secrets never live in the file: it names the environment variable that holds them (``password_env``).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from .default_feeds import DEFAULT_FEEDS
from .errors import ConfigError

APP_NAME = "monitor"
PACKAGE_DIR = Path(__file__).resolve().parent
#: The project's top-level folders ship inside the source tree; an installed wheel falls back to package data.
PROJECT_DIR = PACKAGE_DIR.parent
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def data_dir() -> Path:
    """Where monitor keeps its state by default (overridable with $MONITOR_DATA_DIR)."""
    env = os.environ.get("MONITOR_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP_NAME))


@dataclass(frozen=True)
class DatabaseConfig:
    #: SQLAlchemy URL; empty means a SQLite file in the data directory.
    url: str = ""
    #: Seconds a SQLite writer waits for another writer before giving up.
    busy_timeout_seconds: float = 30.0

    def resolved_url(self) -> str:
        if self.url:
            return self.url
        return f"sqlite:///{data_dir() / 'monitor.db'}"


@dataclass(frozen=True)
class FetchConfig:
    #: Allow fetching loopback/private/link-local addresses (tests and intranet feeds only).
    allow_private_addresses: bool = False
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 30.0
    #: Cap on a feed document, after decompression.
    max_feed_bytes: int = 5_000_000
    #: Cap on an article page, after decompression.
    max_page_bytes: int = 5_000_000
    max_entries_per_feed: int = 200
    max_redirects: int = 5
    #: Requests in flight at once, over all hosts, and per host.
    concurrency: int = 16
    per_host_concurrency: int = 2
    #: Minutes between two polls of the same feed.
    interval_minutes: int = 60
    #: After this many consecutive failures a feed waits longer (doubling, up to max_backoff_hours).
    backoff_after_failures: int = 3
    max_backoff_hours: int = 24
    fetch_pages: bool = True
    respect_robots_txt: bool = True
    #: Processes used for text extraction; 0 means one per CPU core.
    extract_workers: int = 0
    #: Added to the User-Agent, e.g. a contact address.
    user_agent_contact: str = ""


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str = ""
    #: Language hint ("en", "fr", …) used when a page does not declare one.
    lang: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SmtpConfig:
    #: Empty host: no SMTP configured (digests are written to files only).
    host: str = ""
    port: int = 587
    security: str = "starttls"
    username: str = ""
    #: Name of the environment variable holding the SMTP password.
    password_env: str = "MONITOR_SMTP_PASSWORD"
    #: Sender address, e.g. "Monitor <monitor@example.org>".
    from_: str = ""
    timeout_seconds: float = 30.0
    #: Attempts for a temporary (4xx) failure before it is recorded as failed.
    max_attempts: int = 4
    retry_base_seconds: float = 2.0

    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class DigestConfig:
    timezone: str = "UTC"
    #: Weeks start on this day; the weekly digest is due on it.
    weekday: str = "monday"
    #: Local time ("HH:MM") at which the weekly digest is due.
    time: str = "08:00"
    #: Default language of the digest's own wording ("en" or "fr").
    locale: str = "en"
    title: str = ""
    skip_empty: bool = False
    #: Optional https page that unsubscribes a token: "{token}" is replaced.
    unsubscribe_url: str = ""
    #: Where rendered digests are written; empty means <data dir>/digests.
    output_dir: str = ""
    #: Public base URL of the archive, used for links in the Atom feed.
    archive_url: str = ""
    #: Public https base URL of `monitor serve` behind the reverse proxy: with it every mail carries
    #: <public_url>/unsubscribe/<token> in List-Unsubscribe (one click, RFC 8058) and links the archive.
    public_url: str = ""

    def output_path(self) -> Path:
        return Path(self.output_dir) if self.output_dir else data_dir() / "digests"


@dataclass(frozen=True)
class WatchConfig:
    #: TOML file defining the watch (terms, tags, entities); empty means the bundled Russia–North Korea watch.
    topic_file: str = ""
    #: Folder of baseline seed articles; empty means the bundled seeds/.
    seeds_dir: str = ""


@dataclass(frozen=True)
class ScheduleConfig:
    fetch_interval_minutes: int = 60
    fetch_jitter_seconds: int = 300
    #: A weekly digest missed while the machine was off still runs within this many hours.
    misfire_grace_hours: int = 24
    housekeeping_time: str = "03:30"
    #: Stored raw HTML older than this is pruned by housekeeping (0 keeps it forever).
    raw_html_max_age_days: int = 180
    #: Seconds a second run waits for the lock before giving up.
    lock_timeout_seconds: int = 60


@dataclass(frozen=True)
class Config:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    feeds: tuple[FeedConfig, ...] | None = None
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    #: The file this came from, or None for built-in defaults.
    source: Path | None = None

    def seeds_path(self) -> Path:
        if self.watch.seeds_dir:
            return Path(self.watch.seeds_dir)
        shipped = PROJECT_DIR / "seeds"  # a source tree or editable install
        return shipped if shipped.is_dir() else PACKAGE_DIR / "_seeds"  # an installed wheel

    def feed_list(self) -> tuple[FeedConfig, ...]:
        """Configured feeds, or the bundled default list when the file names none."""
        if self.feeds is not None:
            return self.feeds
        return tuple(FeedConfig(url, name, lang) for url, name, lang in DEFAULT_FEEDS)


#: The languages the digest is written in (subscribers, the locale, the chrome): the one list.
LANGUAGES = ("en", "fr")

#: Where `monitor serve` listens unless told otherwise: loopback, behind a reverse proxy.
SERVE_HOST = "127.0.0.1"
#: An unprivileged port that is rarely taken (8080 often is).
SERVE_PORT = 8470


# Keys whose TOML name differs from the Python attribute.
_ALIASES = {"from": "from_"}


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp: Any, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; raise ConfigError naming ``where``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(value, args[0], where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        item_tp = typing.get_args(tp)[0]
        return tuple(_coerce(v, item_tp, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {type(value).__name__}")
        return _build(tp, value, where)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is bool and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if tp in (str, float) and not isinstance(value, tp):
        raise ConfigError(f"{where}: expected {'a string' if tp is str else 'a number'}, got {value!r}")
    return value


@functools.cache
def _fields(cls: Any) -> tuple[dict[str, Any], frozenset[str]]:
    """A config class's resolved type hints and settable field names, worked out once per class (a
    config of 1,000 feeds resolved the FeedConfig annotations 1,000 times: 70 ms of every command)."""
    names = frozenset(f.name for f in dataclasses.fields(cls) if f.name != "source")
    return typing.get_type_hints(cls), names


def _build(cls: Any, table: dict[str, Any], where: str) -> Any:
    hints, names = _fields(cls)
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        attr = _ALIASES.get(key, key)
        if attr not in names:
            known = ", ".join(sorted(k.rstrip("_") for k in names))
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {known})")
        kwargs[attr] = _coerce(value, hints[attr], f"{where}.{key}" if where else key)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required key is missing
        raise ConfigError(f"{where}: {exc}") from None


def _validate(config: Config, origin: str) -> None:
    def bad(key: str, expected: str, got: Any) -> ConfigError:
        return ConfigError(f"{origin}: {key}: expected {expected}, got {got!r}")

    if config.smtp.security not in ("starttls", "tls", "none"):
        raise bad("smtp.security", '"starttls", "tls" or "none"', config.smtp.security)
    if not 0 < config.smtp.port < 65536:
        raise bad("smtp.port", "a port number", config.smtp.port)
    if config.smtp.from_ and not _sender_ok(config.smtp.from_):
        raise bad("smtp.from", 'an address such as "Monitor <monitor@example.org>" (no control characters)',
                  config.smtp.from_)
    if config.smtp.host and not config.smtp.from_:
        raise bad("smtp.from", "a sender address when smtp.host is set", config.smtp.from_)
    if config.digest.weekday.lower() not in WEEKDAYS:
        raise bad("digest.weekday", "a day name such as \"monday\"", config.digest.weekday)
    if config.digest.locale not in LANGUAGES:
        raise bad("digest.locale", '"en" or "fr"', config.digest.locale)
    for key, text in (("digest.time", config.digest.time), ("schedule.housekeeping_time",
                                                           config.schedule.housekeeping_time)):
        try:
            hour, minute = parse_hhmm(text)
            assert 0 <= hour < 24 and 0 <= minute < 60
        except (ValueError, AssertionError):
            raise bad(key, 'a time "HH:MM"', text) from None
    try:
        ZoneInfo(config.digest.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad("digest.timezone", 'an IANA time zone such as "Europe/Paris"',
                  config.digest.timezone) from None
    for i, feed in enumerate(config.feeds or ()):
        if feed_url_problem(feed.url):
            raise bad(f"feeds[{i}].url", f"an http(s) URL ({feed_url_problem(feed.url)})", feed.url)
    for key, low, high in _BOUNDS:
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        if not low <= value <= high:
            raise bad(key, f"a number from {low:g} to {high:g}", value)
    if config.digest.public_url and not config.digest.public_url.startswith(("http://", "https://")):
        raise bad("digest.public_url", "an http(s) URL such as https://watch.example.org/",
                  config.digest.public_url)
    if config.database.url and "://" not in config.database.url:
        raise bad("database.url", "a URL such as sqlite:///path or postgresql+psycopg://…",
                  config.database.url)


#: Longest polling interval and back-off: a year. Longer is a typo, and times that far ahead overflow
#: the date arithmetic of the schedule (a doubling back-off of a huge interval passes year 9999).
MAX_HOURS = 24 * 366
#: Longest time-out, in seconds: an hour. A time-out is a bound on a hung server, not a schedule.
MAX_TIMEOUT_SECONDS = 3600.0
#: Raw HTML is kept at most a century (0 keeps it forever): a cutoff further back than year 1 overflows.
MAX_RAW_HTML_DAYS = 36_500
#: Requests in flight at once: beyond a thousand a run exhausts file descriptors before it gains speed.
MAX_CONCURRENCY = 1000
#: (key, lowest, highest) for the numbers that have a sensible range.
_BOUNDS: tuple[tuple[str, float, float], ...] = (
    ("fetch.concurrency", 1, MAX_CONCURRENCY),
    ("fetch.per_host_concurrency", 1, MAX_CONCURRENCY),
    ("fetch.max_feed_bytes", 1, 2**40),
    ("fetch.max_page_bytes", 1, 2**40),
    ("fetch.max_entries_per_feed", 1, 1_000_000),
    ("fetch.max_redirects", 0, 100),
    ("fetch.interval_minutes", 1, MAX_HOURS * 60),
    ("fetch.backoff_after_failures", 0, 1000),
    ("fetch.max_backoff_hours", 1, MAX_HOURS),
    ("fetch.connect_timeout_seconds", 0.001, MAX_TIMEOUT_SECONDS),
    ("fetch.read_timeout_seconds", 0.001, MAX_TIMEOUT_SECONDS),
    ("fetch.extract_workers", 0, 256),
    ("database.busy_timeout_seconds", 0, MAX_TIMEOUT_SECONDS),
    ("smtp.timeout_seconds", 0.001, MAX_TIMEOUT_SECONDS),
    ("schedule.fetch_interval_minutes", 1, MAX_HOURS * 60),
    ("schedule.fetch_jitter_seconds", 0, MAX_HOURS * 3600),
    ("schedule.misfire_grace_hours", 0, MAX_HOURS),
    ("schedule.raw_html_max_age_days", 0, MAX_RAW_HTML_DAYS),
    ("schedule.lock_timeout_seconds", 0, 7 * 24 * 3600),
)


def feed_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a feed's address (None when it can): http(s), a host, no spaces."""
    from urllib.parse import urlsplit

    if any(c.isspace() or ord(c) < 32 for c in url):
        return "it contains a space or a control character"
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(parts.scheme.lower() + "://"):
        return "it must start with http:// or https://"
    if not host or host.strip(".") == "":
        return "it has no host name"
    if len(url) > MAX_FEED_URL_CHARS:
        return f"longer than {MAX_FEED_URL_CHARS} characters"
    return None


#: The feeds.url column holds 2048 characters; a little room is left for a redirect target's rewrite.
MAX_FEED_URL_CHARS = 2000
def _sender_ok(value: str) -> bool:
    """``smtp.from`` is one address, optionally with a name, and nothing that could break a header."""
    from email.utils import getaddresses

    from .text import has_control

    parsed = getaddresses([value])
    if has_control(value) or len(parsed) != 1:
        return False
    address = parsed[0][1]
    local, _, domain = address.rpartition("@")
    return bool(local and domain) and not any(c.isspace() for c in address) and not has_control(parsed[0][0])


def parse_hhmm(text: str) -> tuple[int, int]:
    """``"08:30"`` → (8, 30); ValueError when the text is not two numbers around a colon."""
    hour, minute = (int(part) for part in text.split(":"))
    return hour, minute


def parse_config(data: dict[str, Any], origin: str = "<defaults>") -> Config:
    """Build and validate a Config from a parsed TOML document; errors name ``origin``."""
    try:
        config = _build(Config, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    _validate(config, origin)
    return config


def find_config_file(path: str | os.PathLike[str] | None = None) -> Path | None:
    if path:
        return Path(path)
    env = os.environ.get("MONITOR_CONFIG")
    if env:
        return Path(env)
    local = Path("monitor.toml")
    return local if local.exists() else None


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the configuration (see the module docstring for where it is looked up)."""
    file = find_config_file(path)
    if file is None:
        return dataclasses.replace(parse_config({}), source=None)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read configuration: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: invalid TOML: {exc}") from None
    return dataclasses.replace(parse_config(data, str(file)), source=file)
