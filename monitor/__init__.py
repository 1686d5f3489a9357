"""monitor: watch the news on one geopolitical topic and mail a weekly digest of what is new.

The public API is what ``__all__`` lists; everything else may change without notice::

    from monitor import Monitor, load_config
    with Monitor(load_config()) as m:
        m.once()

Names are imported on first use (PEP 562), so ``import monitor`` and ``monitor --help`` stay fast.

Imports flow one way, lowest layer first; a module imports only its own layer or those below it, and
no import cycle exists (``tests/test_layers.py`` checks both; ``python tests/test_layers.py`` prints
the graph's cycles, arrows up and longest functions):

    1. errors, types, text, default_feeds,      the vocabulary: no monitor imports but each other;
       workers                                  worker processes that end with their parent
    2. config                                   the one typed configuration
    3. clean, seeds, ingest, understand, digest, the stages (pure logic) and adapters: store (one face),
       store, runlock, due, housekeeping, serve http, channels (smtp, archive, the web app of serve),
                                                the run lock, the scheduled run's decisions
    4. core                                     the ``Monitor`` facade: one lock policy, the pipeline
    5. testing                                  local servers for tests and benchmarks
    6. cli, schedule, __main__                  entry points: they import only the facade (core) and
                                                what it speaks in (config, errors, types, text)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name → the module that defines it.
_PUBLIC = {
    "Monitor": "monitor.core",
    "Config": "monitor.config",
    "load_config": "monitor.config",
    "parse_config": "monitor.config",
    "FeedEntry": "monitor.types",
    "NewArticle": "monitor.types",
    "LoadProblem": "monitor.types",
    "LoadResult": "monitor.types",
    "Window": "monitor.digest.window",
    "MonitorError": "monitor.errors",
    "ConfigError": "monitor.errors",
    "SourceError": "monitor.errors",
    "FetchError": "monitor.errors",
    "ParseError": "monitor.errors",
    "StorageError": "monitor.errors",
    "DeliveryError": "monitor.errors",
    "LockError": "monitor.errors",
}

__all__ = [  # grouped as _PUBLIC is; tests/test_public_api.py checks they agree
    "__version__", "Monitor", "Config", "load_config", "parse_config",
    "FeedEntry", "NewArticle", "LoadProblem", "LoadResult", "Window",
    "MonitorError", "ConfigError", "SourceError", "FetchError", "ParseError",
    "StorageError", "DeliveryError", "LockError",
]

if TYPE_CHECKING:
    from .config import Config, load_config, parse_config
    from .core import Monitor
    from .digest.window import Window
    from .errors import (
        ConfigError,
        DeliveryError,
        FetchError,
        LockError,
        MonitorError,
        ParseError,
        SourceError,
        StorageError,
    )
    from .types import FeedEntry, LoadProblem, LoadResult, NewArticle


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'monitor' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
