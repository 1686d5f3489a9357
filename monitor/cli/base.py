"""The `monitor` group and the foundation commands: init, seeds, status."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..config import load_config
from ..types import LoadResult

if TYPE_CHECKING:  # the library is imported when a command first needs it (`--help` stays fast)
    from ..core import Monitor


class Context:
    """Lazily builds the Monitor so `--help` and `--version` need no database."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._monitor: Monitor | None = None

    @property
    def monitor(self) -> Monitor:
        if self._monitor is None:
            from ..core import Monitor

            self._monitor = Monitor(load_config(self.config_path))
        return self._monitor

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.close()


pass_ctx = click.make_pass_decorator(Context)

EXIT_ERROR = 1
EXIT_CONFIG = 2
#: A delivery may or may not have reached its subscriber: an operator must look (see the README).
EXIT_UNCERTAIN = 3
EXIT_LOCKED = 75


def say_error(message: str) -> None:
    """The one shape of an error line on stderr."""
    click.echo(f"monitor: error: {message}", err=True)


def say_warning(message: str) -> None:
    click.echo(f"monitor: warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="monitor")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="MONITOR_CONFIG",
              help="Configuration file (default: $MONITOR_CONFIG, else ./monitor.toml, else built-in).")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int, quiet: bool) -> None:
    """Watch the news on one topic and mail a weekly digest of what is new."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # Alembic announces every migration step at INFO: only -vv (debug) shows them.
    logging.getLogger("alembic").setLevel(level if verbose > 1 else max(level, logging.WARNING))
    state = Context(config_path)
    ctx.obj = state
    ctx.call_on_close(state.close)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def report_load(result: LoadResult, quiet: bool = False) -> None:
    if not quiet:
        click.echo(f"{len(result.added)} added, {len(result.unchanged)} already stored, "
                   f"{len(result.problems)} problems")
    for problem in result.problems:
        say_error(str(problem))


@cli.command()
@pass_ctx
def init(state: Context) -> None:
    """Create or upgrade the database and load the baseline seeds (safe to run again)."""
    result = state.monitor.init()
    click.echo(f"database ready: {state.monitor.db.url}")
    click.echo("seeds: ", nl=False)
    report_load(result)
    if result.problems:
        raise click.exceptions.Exit(1)


@cli.group()
def seeds() -> None:
    """The baseline seed articles that "new" is measured against."""


@seeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON with the cleaned text of each seed.")
@pass_ctx
def seeds_list(state: Context, as_json: bool) -> None:
    """List the stored seeds: id, file, title, language, date, words."""
    state.monitor.ensure_schema()
    rows = state.monitor.seeds()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['file']}\t{row['lang']}\t{row['published'] or '-'}\t"
                   f"{row['words']} words\t{row['title']}")


@seeds.command("load")
@click.argument("path", type=click.Path(path_type=Path))
@pass_ctx
def seeds_load(state: Context, path: Path) -> None:
    """Load a file or folder of articles (txt, md, html, jsonl) as baseline."""
    state.monitor.ensure_schema()
    result = state.monitor.load_seeds(path)
    report_load(result)
    if result.problems:
        raise click.exceptions.Exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def status(state: Context, as_json: bool) -> None:
    """Database, counts, feed health, last fetch and last digest."""
    state.monitor.ensure_schema()
    info = state.monitor.status()
    if as_json:
        echo_json(info)
        return
    click.echo(f"monitor {info['version']}")
    click.echo(f"config:   {info['config'] or '(built-in defaults)'}")
    click.echo(f"database: {info['database']}")
    click.echo("counts:   " + ", ".join(f"{v} {k}" for k, v in info["counts"].items()))
    fetch = info["last_fetch"]
    click.echo(f"last fetch:  {fetch['finished'] or fetch['started'] if fetch else 'never'}")
    from ..core import describe_uncertain

    digest = info["last_digest"]
    if digest:
        d = digest["deliveries"]
        click.echo(f"last digest: {digest['week'] or digest['since']}: {d['sent']} sent, "
                   f"{d['failed']} failed, {d['rejected']} refused, {d['uncertain']} uncertain")
        for row in d["uncertain_addresses"]:
            say_warning(describe_uncertain(row["email"], row["reason"], digest["week"]))
    else:
        click.echo("last digest: never")
    if info.get("digest_held"):
        held = info["digest_held"]
        click.echo(f"digest held: {held['week'] or '(custom range)'} at {held['at']}: {held['reason']}")
    upcoming = info["next_digest"]
    when = "due now (since" if upcoming["overdue"] else "due"
    click.echo(f"next digest: {upcoming['week']} {when} {upcoming['due']} UTC"
               + (")" if upcoming["overdue"] else ""))
    smtp = info["smtp"]
    click.echo(f"smtp:        {smtp['host']}:{smtp['port']} from {smtp['from']}" if smtp["configured"]
               else "smtp:        not configured (digests are written to files only)")
    for feed in info["feeds"]:
        health = "ok" if not feed["consecutive_failures"] else f"failing x{feed['consecutive_failures']}"
        if not feed["enabled"]:
            health = "disabled"
        click.echo(f"  [{health}] {feed['name'] or feed['url']}  last success: {feed['last_success'] or '-'}"
                   + (f"  error: {feed['last_error']}" if feed["last_error"] else ""))
