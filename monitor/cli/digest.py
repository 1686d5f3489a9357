"""`monitor digest`: build the week's digest, write it to a file or mail it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import ConfigError, InputError
from .base import EXIT_UNCERTAIN, Context, cli, pass_ctx, say_error, say_warning

if TYPE_CHECKING:  # the digest stage is imported when a command runs (`--help` stays fast)
    from ..digest.pipeline import SendReport, StoredDigest
    from ..digest.window import Window

if TYPE_CHECKING:  # annotations only: the digest stage is imported when a command uses it
    from ..digest.pipeline import SendReport, StoredDigest
    from ..digest.window import Window

FORMATS = ("html", "text", "json", "eml")


def _window(state: Context, week: str | None, since: str | None, until: str | None) -> Window:
    if week and (since or until):
        raise click.UsageError("use either --week or --since/--until, not both")
    if bool(since) != bool(until):
        raise click.UsageError("--since and --until go together")
    try:
        if week:
            window = state.monitor.window_for_week(week)
            state.monitor.check_finished(window, f"--week {week}")
            return window
        if since and until:
            window = state.monitor.custom_window(since, until)
            state.monitor.check_finished(window, f"--since {since} --until {until}")
            return window
    except (ConfigError, InputError) as exc:
        raise click.BadParameter(str(exc)) from None
    return state.monitor.default_window()


def _content(digest: StoredDigest, fmt: str) -> str:
    return {"html": digest.html, "text": digest.text, "json": digest.json}[fmt]


def _write(state: Context, digest: StoredDigest, fmt: str, output: Path | None,
           to: str | None) -> Path | None:
    """The file written: ``output`` (instead of the archive), else the archive's; None when held."""
    if fmt == "eml":
        content = bytes(state.monitor.digest_message(digest, to))
        path = output or (digest.files["html"].with_suffix(".eml") if digest.files else None)
        if path is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return path
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(_content(digest, fmt), encoding="utf-8")
        return output
    return digest.files.get(fmt)


def _report(report: SendReport, window: Window) -> None:
    from ..core import describe_uncertain

    if report.skipped_empty:
        click.echo("nothing new this week and digest.skip_empty is set: nothing sent")
        return
    click.echo(f"{len(report.sent)} sent, {len(report.already_sent)} already sent earlier, "
               f"{len(report.failed)} failed, {len(report.rejected)} refused, "
               f"{len(report.uncertain)} uncertain"
               + (f", {len(report.elsewhere)} sent by another run" if report.elsewhere else ""))
    for _address, reason in report.failed + report.rejected:
        say_error(reason)
    for address in report.uncertain:
        say_warning(describe_uncertain(address, report.notes.get(address, ""), window.label))


@cli.command()
@click.option("--week", help="ISO week such as 2026-W47 (default: the last full week).")
@click.option("--since", help="First day (YYYY-MM-DD, in digest.timezone); needs --until.")
@click.option("--until", help="Last day, included (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True,
              help="What to write when not sending (json is exactly the digest data).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write only this file, instead of the archive folder (not with --send).")
@click.option("--send", is_flag=True, help="Mail it to every subscriber not yet mailed for this week.")
@click.option("--resend", is_flag=True, help="With --send: mail everyone again, even those already mailed.")
@click.option("--to", "to", metavar="ADDRESS", help="Mail it to this one address only (a test).")
@pass_ctx
def digest(state: Context, week: str | None, since: str | None, until: str | None, fmt: str,
           output: Path | None, send: bool, resend: bool, to: str | None) -> None:
    """Build the weekly digest: write it to a file, or mail it with --send / --to."""
    state.monitor.ensure_schema()
    mailing = send or resend or bool(to)
    window = _window(state, week, since, until)
    built = state.monitor.build_digest(window, archive=mailing or output is None, hold=mailing)
    if not mailing:
        path = _write(state, built, fmt, output, None)
        click.echo(built.subject + (f"\nwrote {path}" if path else ""))
    if built.held:
        click.echo(f"monitor: digest {window.label or 'for this range'} {built.held}", err=True)
        raise click.exceptions.Exit(1)
    if not mailing:
        return
    report = state.monitor.send_digest(built, to=to, resend=resend)
    click.echo(built.subject)
    _report(report, window)
    if not report.ok:
        raise click.exceptions.Exit(1)
    if report.uncertain:
        raise click.exceptions.Exit(EXIT_UNCERTAIN)
