"""`monitor subscribers …` and `monitor unsubscribe TOKEN`."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import LANGUAGES
from .base import Context, cli, echo_json, pass_ctx, say_error


@cli.group()
def subscribers() -> None:
    """Who receives the weekly digest."""


@subscribers.command("add")
@click.argument("email")
@click.option("--name", default=None, help="Name shown in the To: header (default: keep the stored one).")
@click.option("--lang", type=click.Choice(LANGUAGES),
              help="Language of the digest (default: keep the stored one; digest.locale when new).")
@click.option("--resubscribe", is_flag=True, help="Subscribe again an address that unsubscribed.")
@pass_ctx
def subscribers_add(state: Context, email: str, name: str | None, lang: str | None,
                    resubscribe: bool) -> None:
    """Add a subscriber or update one (an unsubscribed address needs --resubscribe)."""
    state.monitor.ensure_schema()
    subscriber = state.monitor.add_subscriber(email, name=name, lang=lang, resubscribe=resubscribe)
    click.echo(f"subscribed {subscriber.email} ({subscriber.lang})")


@subscribers.command("remove")
@click.argument("email")
@pass_ctx
def subscribers_remove(state: Context, email: str) -> None:
    """Delete a subscriber and their delivery history."""
    state.monitor.ensure_schema()
    if not state.monitor.remove_subscriber(email):
        raise click.ClickException(f"{email}: no such subscriber")
    click.echo(f"removed {email}")


@subscribers.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (includes tokens).")
@pass_ctx
def subscribers_list(state: Context, as_json: bool) -> None:
    """List subscribers: address, language, active or unsubscribed, name."""
    state.monitor.ensure_schema()
    rows = state.monitor.list_subscribers()
    if as_json:
        echo_json([{"email": s.email, "name": s.name, "lang": s.lang, "active": s.active, "token": s.token,
                    "created": s.created_at.isoformat(timespec="seconds")} for s in rows])
        return
    for s in rows:
        click.echo(f"{s.email}\t{s.lang}\t{'active' if s.active else 'unsubscribed'}\t{s.name}")
    click.echo(f"{sum(s.active for s in rows)} active, {sum(not s.active for s in rows)} unsubscribed")


@subscribers.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--resubscribe", is_flag=True, help="Subscribe again the listed addresses that unsubscribed.")
@pass_ctx
def subscribers_import(state: Context, csv_path: Path, resubscribe: bool) -> None:
    """Add every row of a CSV file: email[,name[,lang]] (a header row "email,…" is skipped).

    Empty name or language cells keep the stored values; unsubscribed addresses stay unsubscribed
    unless --resubscribe."""
    state.monitor.ensure_schema()
    result = state.monitor.import_subscribers(csv_path, resubscribe=resubscribe)
    kept = result.kept_unsubscribed
    click.echo(f"{len(result.added)} added, {len(result.unchanged)} already subscribed, "
               f"{len(result.problems)} problems"
               + (f"; {len(kept)} unsubscribed earlier, kept so (--resubscribe brings them back)"
                  if kept else ""))
    for problem in result.problems:
        say_error(problem)
    if result.problems:
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("token")
@pass_ctx
def unsubscribe(state: Context, token: str) -> None:
    """Unsubscribe the holder of TOKEN (from an "unsubscribe TOKEN" mail)."""
    state.monitor.ensure_schema()
    subscriber = state.monitor.unsubscribe(token)
    if subscriber is None:
        raise click.ClickException("unknown unsubscribe token")
    click.echo(f"unsubscribed {subscriber.email}")
