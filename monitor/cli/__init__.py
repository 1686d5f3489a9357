"""The command line: each command parses its options, makes one library call, formats the result.

Exit codes: 0 success; 1 an operator-fixable error (one line on stderr); 2 bad usage or configuration;
75 another run holds the lock (try again later).
"""

from __future__ import annotations

import logging
import sys

import click

from .. import __version__
from ..errors import ConfigError, LockError, MonitorError
from .base import cli

EXIT_ERROR = 1
EXIT_CONFIG = 2
EXIT_LOCKED = 75


def _register() -> None:
    """Import the command modules, each of which adds its commands to ``cli``."""
    import importlib

    for name in ("feeds", "digest", "subscribers", "schedule", "serve"):
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `monitor` console script: one-line errors and exit codes for cron."""
    _register()
    try:
        code = cli.main(args=argv, prog_name="monitor", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("monitor: aborted", err=True)
        return EXIT_ERROR
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except ConfigError as exc:
        click.echo(f"monitor: configuration error: {exc}", err=True)
        return EXIT_CONFIG
    except LockError as exc:
        click.echo(f"monitor: {exc}", err=True)
        return EXIT_LOCKED
    except MonitorError as exc:
        click.echo(f"monitor: error: {exc}", err=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        click.echo("monitor: interrupted", err=True)
        return 130
    return code if isinstance(code, int) else 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())


__all__ = ["main", "cli", "__version__", "logging"]
