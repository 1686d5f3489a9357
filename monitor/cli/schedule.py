"""`monitor run` (the scheduler daemon) and `monitor once` (what cron and systemd timers call)."""

from __future__ import annotations

import logging

import click

from ..config import find_config_file
from .base import EXIT_ERROR, EXIT_UNCERTAIN, Context, cli, echo_json, pass_ctx, say_warning


@cli.command()
@click.pass_context
def run(click_ctx: click.Context) -> None:
    """Run the scheduler: fetch at an interval, the weekly digest, daily housekeeping (until SIGTERM)."""
    from ..schedule import logs
    from ..schedule.jobs import plan
    from ..schedule.scheduler import Scheduler

    state: Context = click_ctx.obj
    params = click_ctx.parent.params if click_ctx.parent else {}
    level = logging.DEBUG if params.get("verbose", 0) > 1 else logging.INFO
    if params.get("quiet"):
        level = logging.ERROR
    logs.configure(level)
    monitor = state.monitor
    monitor.ensure_schema()
    config = monitor.config
    Scheduler(monitor.db.engine, plan(config, find_config_file(state.config_path))).run_until_stopped()


@cli.command()
@click.option("--no-send", is_flag=True, help="Write a due digest to files instead of mailing it.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@pass_ctx
def once(state: Context, no_send: bool, as_json: bool) -> None:
    """Fetch, analyze, then build and send the weekly digest if due and not yet sent (one locked run).

    Exit 0 when all went well, 1 when the digest could not be sent to everyone, 3 while a delivery of
    the week is uncertain (named on stderr), 75 when another run holds the lock."""
    report = state.monitor.once(send=not no_send)
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report.lines():
            click.echo(line)
    for line in report.digest.uncertain_lines():
        say_warning(line)
    if not report.ok:
        raise click.exceptions.Exit(EXIT_ERROR)
    if report.unresolved:
        raise click.exceptions.Exit(EXIT_UNCERTAIN)


@cli.command()
@pass_ctx
def housekeeping(state: Context) -> None:
    """Prune raw HTML older than schedule.raw_html_max_age_days, then compact the database (locked)."""
    monitor = state.monitor
    monitor.ensure_schema()
    stats = monitor.housekeeping()
    click.echo(f"{stats['raw_html_pruned']} raw pages pruned; database {stats['compacted']} "
               f"in {stats['seconds']}s")
