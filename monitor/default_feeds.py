"""The bundled feed list, used when the configuration names no [[feeds]] (see deploy/monitor.example.toml)."""

from __future__ import annotations

from .config import FeedConfig

DEFAULT_FEEDS: tuple[FeedConfig, ...] = ()
