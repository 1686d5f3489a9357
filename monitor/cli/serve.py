"""`monitor serve`: the digest archive and one-click unsubscribe over HTTP, behind a reverse proxy."""

from __future__ import annotations

import click

from ..config import SERVE_HOST as DEFAULT_HOST
from ..config import SERVE_PORT as DEFAULT_PORT
from .base import Context, cli, pass_ctx


@cli.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on (keep loopback behind a reverse proxy).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port to listen on.")
@pass_ctx
def serve(state: Context, host: str, port: int) -> None:
    """Serve the digest archive (index, digests, Atom) and one-click unsubscribe links (RFC 8058)."""
    state.monitor.ensure_schema()
    state.monitor.serve(host=host, port=port)
