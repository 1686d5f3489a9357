"""The one exception hierarchy of monitor.

    MonitorError                 anything an operator can act on
    ├── ConfigError              a bad configuration file, key or value
    ├── InputError               a bad value given to a command (an address, a name, a language)
    ├── SourceError              a feed, page or file we read from
    │   ├── FetchError           the network said no (status, timeout, size, refused address)
    │   └── ParseError           the bytes are not a feed we can read
    ├── StorageError             the database cannot be reached or migrated
    ├── DeliveryError            mail could not be sent
    └── LockError                another run holds the lock

Only errors a user can fix are wrapped; bugs stay bugs.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Root of every error monitor raises on purpose."""


class ConfigError(MonitorError):
    """The configuration is wrong: names the file, the key and what was expected."""


class InputError(MonitorError):
    """A value given to a command or the library is not valid: names the value and what was expected."""


class SourceError(MonitorError):
    """A source (feed, page, seed file) could not be used."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class FetchError(SourceError):
    """HTTP failed: status, timeout, size cap, refused address or scheme."""

    def __init__(self, message: str, *, source: str | None = None, status: int | None = None,
                 permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message, source=source)
        self.status = status
        self.permanent = permanent
        #: Seconds the server asked us to wait (Retry-After on 429/503), else None.
        self.retry_after = retry_after


class ParseError(SourceError):
    """The bytes could not be parsed as a feed or article."""



class StorageError(MonitorError):
    """The database cannot be opened, reached or migrated."""


class DeliveryError(MonitorError):
    """Mail could not be sent (configuration or the server's refusal)."""

    def __init__(self, message: str, *, recipient: str | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.recipient = recipient
        self.permanent = permanent


class LockError(MonitorError):
    """Another monitor run holds the lock."""
