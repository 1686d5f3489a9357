"""Feeds and ingest commands: feeds add/list/remove/check, fetch, ingest, reprocess."""

from __future__ import annotations

import dataclasses

import click

from .base import Context, cli, echo_json, pass_ctx, report_load, say_warning


@cli.group()
def feeds() -> None:
    """The feeds polled by `monitor fetch` (configured ones and ones added here)."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", default="", help="Display name (default: the feed's own title).")
@click.option("--lang", default="", help='Language hint such as "en" or "fr".')
@click.option("--tag", "tags", multiple=True, help="A tag for its articles (repeatable).")
@pass_ctx
def feeds_add(state: Context, url: str, name: str, lang: str, tags: tuple[str, ...]) -> None:
    """Add a feed by URL (or re-enable it)."""
    state.monitor.ensure_schema()
    created = state.monitor.add_feed(url, name=name, lang=lang, tags=tags)
    click.echo(f"{'added' if created else 'updated'}: {url}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output with every health field.")
@pass_ctx
def feeds_list(state: Context, as_json: bool) -> None:
    """List feeds with their health: last success, last error, failures, entries seen."""
    state.monitor.ensure_schema()
    rows = state.monitor.list_feeds()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        health = "disabled" if not row["enabled"] else (
            f"failing x{row['consecutive_failures']}" if row["consecutive_failures"] else "ok")
        note = row["disabled_reason"] or row["last_error"] or ""
        click.echo(f"[{health}] {row['url']}\t{row['name'] or '-'}\t{row['origin']}\t"
                   f"{row['entries_seen']} entries\tlast success {row['last_success'] or '-'}"
                   + (f"\t{note}" if note else ""))


@feeds.command("remove")
@click.argument("url")
@pass_ctx
def feeds_remove(state: Context, url: str) -> None:
    """Remove a feed added with `feeds add` (its articles stay)."""
    state.monitor.ensure_schema()
    if not state.monitor.remove_feed(url):
        raise click.ClickException(f"no feed with URL {url}")
    click.echo(f"removed: {url}")


@feeds.command("check")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_ctx
def feeds_check(state: Context, as_json: bool) -> None:
    """Fetch each enabled feed once and report status, type, entries and last entry date."""
    state.monitor.ensure_schema()
    checks = state.monitor.check_feeds()
    if as_json:
        echo_json([dataclasses.asdict(c) for c in checks])
        return
    for c in checks:
        if c.ok:
            last = c.last_entry_at.date().isoformat() if c.last_entry_at else "-"
            click.echo(f"ok     {c.url}\tHTTP {c.status}\t{c.feed_type}\t{c.entries} entries\tlast {last}"
                       + (f"\tmoved to {c.moved_to}" if c.moved_to else "")
                       + (f"\twarning: {c.error}" if c.error else ""))
        else:
            click.echo(f"FAILED {c.url}\t{c.error}")
    failed = sum(1 for c in checks if not c.ok)
    click.echo(f"{len(checks) - failed} ok, {failed} failed", err=True)


@cli.command()
@click.option("--force", is_flag=True, help="Poll every enabled feed now, even those not due yet.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
@click.option("--no-analyze", is_flag=True,
              help="Only store the new articles; leave relevance, duplicates and stories for later.")
@pass_ctx
def fetch(state: Context, force: bool, as_json: bool, no_analyze: bool) -> None:
    """Poll due feeds, store new articles and analyze them (exit 0 even when some feeds failed)."""
    state.monitor.ensure_schema()
    summary = state.monitor.fetch(progress=not as_json, force=force)
    analyzed = None if no_analyze else state.monitor.analyze()
    if as_json:
        echo_json({**summary.stats(), "analysis": analyzed.as_dict() if analyzed else None})
        return
    for problem in summary.problems:
        say_warning(str(problem))
    click.echo(summary.line())
    if analyzed is not None:
        click.echo(analyzed.line())


@cli.command()
@click.argument("targets", nargs=-1, required=True)
@pass_ctx
def ingest(state: Context, targets: tuple[str, ...]) -> None:
    """Store the article at each URL or in each local file (HTML, text, Markdown)."""
    state.monitor.ensure_schema()
    result = state.monitor.ingest(targets)
    report_load(result)
    click.echo(state.monitor.analyze().line())
    if result.problems:
        raise click.exceptions.Exit(1)


@cli.command()
@pass_ctx
def reprocess(state: Context) -> None:
    """Re-extract every article from its stored page and re-analyze everything (no network)."""
    state.monitor.ensure_schema()
    click.echo(f"{state.monitor.reprocess()} articles re-extracted")
    click.echo(state.monitor.analyze(reset=True).line())
