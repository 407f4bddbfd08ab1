"""The command line: load the config, call the pipeline, print. Errors end here, once."""

from __future__ import annotations

import csv
import itertools
import json
import logging
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

import click

from feedsvc import __version__, archive, opml, pipeline, query, stories, subscriptions
from feedsvc.archive import Archive
from feedsvc.config import config_path, load_config, parse_duration, served_at
from feedsvc.daemon import Daemon, event_loop_runner, listen, serve_only
from feedsvc.dates import date_bound, parse_date, utc_now
from feedsvc.diff import diff_json, diff_terminal, diff_versions
from feedsvc.errors import FeedsvcError
from feedsvc.health import source_health
from feedsvc.lock import ArchiveLock
from feedsvc.logs import setup_logging
from feedsvc.media import media_stats, waiting
from feedsvc.models import Config, FetchReport, FetchStatus, LinkedArticle, SourceConfig
from feedsvc.pipeline import fetch_sources, ingest_paths, list_sources, publish_site
from feedsvc.publish import feed_url
from feedsvc.schedule import Selection
from feedsvc.searchweb import search_site
from feedsvc.server import create_app
from feedsvc.urls import is_http_url
from feedsvc.webpath import article_path

PROGRESS_MIN = 50  # files; fewer finish before a bar would help


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 article``, ``2 articles``: counts read as English."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


class FeedsvcGroup(click.Group):
    """Turns every ``FeedsvcError`` into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FeedsvcError as exc:
            click.echo(f"feedsvc: error: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=FeedsvcGroup)
@click.option("--config", "config_file", metavar="FILE", envvar="FEEDSVC_CONFIG",
              help="Configuration file [default: ./config.yaml, or $FEEDSVC_CONFIG].")
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("--log-json", is_flag=True, help="Log JSON lines (for log collectors).")
@click.version_option(__version__, prog_name="feedsvc")
@click.pass_context
def main(ctx: click.Context, config_file: str | None, verbose: int, quiet: bool,
         log_json: bool) -> None:
    """feedsvc: keep every article, clean it, republish it as feeds."""
    setup_logging(verbose, quiet, log_json)
    ctx.obj = {"config_file": config_file, "quiet": quiet, "verbose": verbose,
               "log_json": log_json}


def _config(ctx: click.Context) -> Config:
    return load_config(config_path(ctx.obj["config_file"]))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--publish", "then_publish", is_flag=True, help="Publish the site afterwards.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[Path, ...], then_publish: bool) -> None:
    """Archive article files: PATHS (files or folders), or the configured inbox."""
    config = _config(ctx)

    def progress(files: list[Path]) -> Iterator[Path]:
        if len(files) < PROGRESS_MIN or ctx.obj["quiet"]:
            yield from files
            return
        with click.progressbar(files, label="ingesting", file=sys.stderr) as bar:
            yield from bar

    report = ingest_paths(config, paths or None, progress=progress)
    for name, reason in report.failures:
        click.echo(f"failed: {name}: {reason}", err=True)
    click.echo(f"ingested: {report.new} new, {report.updated} updated, "
               f"{report.unchanged} unchanged, {report.failed} failed")
    if then_publish:
        _print_publish(config)
    if report.failed:
        ctx.exit(1)


def _print_publish(config: Config, jobs: int | None = None) -> None:
    report = publish_site(config, workers=jobs)
    click.echo(f"published: {counted(len(report.written), 'file')} written, {report.unchanged} "
               f"unchanged, in {config.public.dir}")


@main.command()
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes that render feeds (default: one per core for a large archive).")
@click.pass_context
def publish(ctx: click.Context, jobs: int | None) -> None:
    """(Re)generate the feeds, feeds.opml and index.html."""
    _print_publish(_config(ctx), jobs)


class _Progress:
    """A progress bar on stderr that appears once the total is known (never with -q, nor
    for nothing to do)."""

    def __init__(self, label: str, quiet: bool) -> None:
        self.label, self.quiet = label, quiet
        self.bar: Any = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def start(self, total: int) -> None:
        if not self.quiet and total:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()

    def step(self) -> None:
        if self.bar is not None:
            self.bar.update(1)


@main.command()
@click.argument("names", nargs=-1, metavar="[SOURCE]...")
@click.option("--force", is_flag=True,
              help="Fetch every source, even those waiting out a failure backoff or disabled.")
@click.option("--due", is_flag=True,
              help="Only the sources whose next due time has come (what run --once fetches).")
@click.option("--publish", "then_publish", is_flag=True, help="Publish the site afterwards.")
@click.pass_context
def fetch(ctx: click.Context, names: tuple[str, ...], force: bool, due: bool,
          then_publish: bool) -> None:
    """Fetch the configured sources (or those named) and archive their entries.

    Every enabled source not waiting out a failure backoff or a Retry-After is fetched
    (with its ETag and Last-Modified: an unchanged feed costs a 304). Named sources are
    fetched whatever their state."""
    if force and due:
        raise click.UsageError("--force and --due contradict each other: choose one")
    config = _config(ctx)
    with archive.opened(config.database) as db:
        count = len(subscriptions.all_sources(db, config))
    if not count:
        click.echo(f"no sources in {config.path}: add some under 'sources:', or with "
                   "feedsvc add URL", err=True)
        return
    show_bar = count >= PROGRESS_MIN and not ctx.obj["quiet"]
    with click.progressbar(length=count, label="fetching", file=sys.stderr,
                           hidden=not show_bar) as bar:
        selection = Selection.FORCE if force else Selection.DUE if due else Selection.AVAILABLE
        reports = fetch_sources(config, names, selection, on_done=lambda _: bar.update(1))
    for report in sorted(reports, key=lambda r: r.source):
        _print_fetch(report)
    failed = [r for r in reports if r.error]
    totals = [sum(getattr(r, k) for r in reports) for k in ("new", "updated", "unchanged")]
    click.echo(f"fetched {counted(len(reports), 'source')}: {totals[0]} new, {totals[1]} "
               f"updated, {counted(totals[2], 'unchanged entry', 'unchanged entries')}, "
               f"{counted(len(failed), 'source')} failed")
    if then_publish:
        _print_publish(config)
    if failed:
        ctx.exit(1)


def _print_fetch(report: FetchReport) -> None:
    if report.error:
        click.echo(f"{report.source}: error: {report.error}", err=True)
    elif report.status is FetchStatus.SKIPPED:
        click.echo(f"{report.source}: skipped, {'; '.join(report.notes)}")
        return
    elif report.status is FetchStatus.NOT_MODIFIED:
        click.echo(f"{report.source}: not modified")
    else:
        click.echo(f"{report.source}: {report.new} new, {report.updated} updated, "
                   f"{report.unchanged} unchanged")
    for note in report.notes:
        click.echo(f"    {note}", err=bool(report.error))


def _server_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--port", type=click.IntRange(0, 65535),
                           help="Port [default: server.port from the config, 8080].")(command)
    return click.option("--host", help="Address to listen on [default: server.host, "
                        "127.0.0.1].")(command)


@main.command()
@click.option("--once", is_flag=True,
              help="One cycle (inbox, every due source, publish), then exit: for cron.")
@_server_options
@click.pass_context
def run(ctx: click.Context, once: bool, host: str | None, port: int | None) -> None:
    """The daemon: fetch on schedule, ingest the inbox, publish, and serve the site."""
    config = _config(ctx)
    setup_logging(ctx.obj["verbose"], ctx.obj["quiet"], ctx.obj["log_json"], logging.INFO)
    with ArchiveLock(config.database), event_loop_runner() as runner:
        if once:
            failures = runner.run(Daemon(config).run_once())
            if failures:
                what = counted(failures, "source or file", "sources or files")
                click.echo(f"feedsvc: {what} failed (see the log)", err=True)
                ctx.exit(1)
            return
        sock, config = _listen(config, host, port)
        runner.run(Daemon(config).run(sock, access_log=ctx.obj["verbose"] >= 1))


def _listen(config: Config, host: str | None, port: int | None) -> tuple[Any, Config]:
    """The listening socket, and the config whose links follow the address served."""
    sock = listen(host or config.server.host, config.server.port if port is None else port)
    address = sock.getsockname()
    config, warning = served_at(config, address[0], address[1])
    if warning:
        logging.getLogger("feedsvc.cli").warning("%s", warning)
    return sock, config


@main.command()
@_server_options
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the published site (public/) alone, without fetching.

    With the default public.base_url on another address, the site is published again for
    that address first, so its links point where it is served."""
    config = _config(ctx)
    setup_logging(ctx.obj["verbose"], ctx.obj["quiet"], ctx.obj["log_json"], logging.INFO)
    published_for = config.public.base_url
    sock, config = _listen(config, host, port)
    if config.public.base_url != published_for and Path(config.database).exists():
        logging.getLogger("feedsvc.cli").info(
            "publishing for %s, where the site is served", config.public.base_url)
        publish_site(config)
    app = create_app(config.public.dir, config.server.max_age, search=search_site(config))
    with event_loop_runner() as runner:
        runner.run(serve_only(app, sock, access_log=ctx.obj["verbose"] >= 1))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--opml", "as_opml", is_flag=True, help="Print the subscriptions as OPML.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool, as_opml: bool) -> None:
    """List the feed sources (from config.yaml and those added with add or import) with
    their fetch state; --opml writes them as OPML for another reader."""
    config = _config(ctx)
    states = list_sources(config)
    with archive.opened(config.database) as db:
        origin = subscriptions.origins(db, config)
        everything = list(subscriptions.all_sources(db, config))
        health = {h.name: h for h in source_health(db, utc_now())}
    if as_opml:
        click.echo(opml.write_opml(everything, f"{config.public.title} subscriptions")
                   .decode(), nl=False)
        return
    if as_json:
        listing = [{**{k: v for k, v in asdict(s).items() if k != "seen"},
                    "problem": s.problem, "origin": origin.get(s.name),
                    "health": health[s.name].words if s.name in health else None,
                    "articles_per_day": health[s.name].per_day if s.name in health else None}
                   for s in states]
        click.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    if not states:
        click.echo(f"no sources in {config.path}", err=True)
        return
    for state in states:
        failed = state.last_status == FetchStatus.ERROR and state.problem
        status = ("disabled: " + state.disabled if state.disabled
                  else f"error: {state.problem}" if failed else state.last_status or "never")
        item = health.get(state.name)
        click.echo(f"{state.name} ({state.slug}, from {origin.get(state.name, 'config')})"
                   + (f": {item.words}" if item else "") + f"\n    {state.url}\n"
                   + (f"    last 30 days {sparkline(item.per_day)} "
                      f"{counted(sum(item.per_day), 'new article')}, "
                      f"{item.entries if item.entries is not None else '?'} entries per fetch\n"
                      if item else "") +
                   f"    last fetch {state.last_fetch or 'never'}, status {status}, "
                   f"etag {'yes' if state.etag else 'no'}, {counted(state.articles, 'article')}, "
                   f"next due {state.next_due or 'now'}, "
                   f"{counted(state.failures, 'consecutive failure')}")


def sparkline(values: list[int]) -> str:
    """Articles a day as block characters, the busiest day full height."""
    top = max(values) or 1
    return "".join("·▁▂▃▄▅▆▇█"[0 if not v else max(1, round(8 * v / top))] for v in values)


class DateBound(click.ParamType):  # type: ignore[type-arg]  # generic in click 8.2+ only
    """``2022-02-06`` or ``2022-02-06T08:00:00Z``; a bare day ``--until`` includes that day."""

    name = "DATE"

    def __init__(self, end: bool = False) -> None:
        self.end = end

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        bound = date_bound(str(value), self.end)
        if bound is None:
            self.fail(f"{value!r} is not a date (use YYYY-MM-DD or RFC 3339)", param, ctx)
        return bound


def _filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--source", help="Only articles of this source (name or slug)."),
        click.option("--tag", help="Only articles with this tag (name or slug)."),
        click.option("--since", type=DateBound(), help="Published on or after DATE."),
        click.option("--until", type=DateBound(end=True), help="Published on or before DATE."),
    ]):
        command = option(command)
    return command


SEARCH_FIELDS = ("published", "source", "title", "url", "snippet", "updated", "tags", "author",
                 "lang", "text_origin")


@main.command()
@click.argument("words", nargs=-1, required=True)
@_filter_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@click.option("--stories", "collapse", is_flag=True,
              help="One hit per story: copies of a story in other sources collapse into its "
                   "best match, which says how many copies there are.")
@click.pass_context
def search(ctx: click.Context, words: tuple[str, ...], source: str | None, tag: str | None,
           since: str | None, until: str | None, limit: int, as_json: bool,
           as_csv: bool, collapse: bool) -> None:
    """Find archived articles by words in their title or text, most relevant first.

    Words must all match (Chinese words of any length; English in any inflection);
    "quoted phrases" match as written, a OR b either, -word excludes.
    """
    filters = query.Filters(source=source, tag=tag, since=since, until=until)
    config = _config(ctx)
    copies: dict[int, int] = {}
    with archive.opened(config.database) as db:
        query.check_filters(db, filters)
        if collapse:
            stories.cluster_pending(db, config.stories)
            # more matches than asked for: copies of one story fold into one hit
            hits = query.search_articles(db, " ".join(words), filters,
                                         limit=min(10_000, limit * 10))
            hits, copies = query.one_hit_per_story(db, hits, limit)
        else:
            hits = query.search_articles(db, " ".join(words), filters, limit=limit)
    records: list[dict[str, Any]] = [{
        "published": h.article.published, "source": h.article.source, "title": h.article.title,
        "url": h.article.url, "snippet": h.snippet, "updated": h.article.updated,
        "tags": list(h.article.tags), "author": h.article.author, "lang": h.article.lang,
        "text_origin": h.article.text_origin,
        **({"copies": copies.get(h.article.id, 1)} if collapse else {}),
    } for h in hits]
    if as_json:
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if as_csv:
        writer = csv.DictWriter(sys.stdout, SEARCH_FIELDS + (("copies",) if collapse else ()))
        writer.writeheader()
        writer.writerows({**r, "tags": ", ".join(r["tags"])} for r in records)
        return
    if not hits:
        click.echo("no matches", err=True)
        return
    rows = [(h.article.published[:10], _cut(h.article.source, 16), _cut(h.article.title, 48)
             + (f"  (+{copies[h.article.id] - 1} copies)"
                if copies.get(h.article.id, 1) > 1 else ""))
            for h in hits]
    on_terminal = sys.stdout.isatty()
    for hit, line in zip(hits, _table(rows), strict=True):
        click.echo(line)
        # Matches in colour on a terminal, in [brackets] when piped.
        snippet = "".join(click.style(text, bold=True, fg="yellow") if match and on_terminal
                          else f"[{text}]" if match else text for text, match in hit.segments)
        click.echo(f"    {snippet}")
        if hit.article.url:
            click.echo(f"    {hit.article.url}")


EXPORT_FIELDS = ("id", "url", "title", "author", "source", "tags", "published", "updated",
                 "lang", "summary", "content_text", "content_html", "text_origin")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@_filter_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to FILE [default: standard output].")
@click.pass_context
def export(ctx: click.Context, fmt: str, source: str | None, tag: str | None,
           since: str | None, until: str | None, output: Path | None) -> None:
    """Stream archived articles out as JSON lines or CSV, oldest first.

    Articles are read in batches, so an archive of any size exports in constant memory.
    """
    filters = query.Filters(source=source, tag=tag, since=since, until=until)
    with archive.opened(_config(ctx).database) as db:
        query.check_filters(db, filters)
        if output is None:
            _export(db, filters, fmt, sys.stdout)
            return
        try:
            with output.open("w", encoding="utf-8", newline="") as stream:
                count = _export(db, filters, fmt, stream)
        except OSError as exc:
            raise FeedsvcError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    if not ctx.obj["quiet"]:
        click.echo(f"exported {counted(count, 'article')} to {output}", err=True)


def _export(db: Archive, filters: query.Filters, fmt: str, stream: TextIO) -> int:
    writer = csv.DictWriter(stream, EXPORT_FIELDS) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    count = 0
    for article in query.iter_articles(db, filters):
        record = {name: getattr(article, name) for name in EXPORT_FIELDS}
        if writer:
            writer.writerow({**record, "tags": ", ".join(article.tags)})
        else:
            record["tags"] = list(article.tags)
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


@main.command()
@click.argument("names", nargs=-1, metavar="[SOURCE]...")
@click.option("--since", type=DateBound(), help="Only articles published on or after DATE.")
@click.option("--limit", type=click.IntRange(min=1), help="At most N pages this run.")
@click.pass_context
def backfill(ctx: click.Context, names: tuple[str, ...], since: str | None,
             limit: int | None) -> None:
    """Fetch the web pages of archived articles whose text is only a summary, and keep the
    whole article when the page has it (sources with full_text: never are left alone).

    Each page is stored as soon as it is read: stopped, a run continues where it was the
    next time. Pages that failed are tried again after a backoff."""
    config = _config(ctx)
    with _Progress("pages", ctx.obj["quiet"]) as bar:
        report = pipeline.backfill_pages(
            config, names, parse_date(since) if since else None, limit, on_wanted=bar.start,
            on_page=lambda _job, _outcome: bar.step())
    for name in report.unknown:
        click.echo(f"{name}: no such source in the config", err=True)
    if not report.wanted:
        click.echo("no archived summaries left to complete")
    else:
        outcomes = report.outcomes
        click.echo(f"{counted(report.wanted, 'page')}: {outcomes['used']} whole articles kept, "
                   f"{outcomes['kept_feed']} kept the feed text, {outcomes['disallowed']} "
                   f"disallowed by robots.txt, {outcomes['failed']} failed (tried again on "
                   "the next run after a backoff)")
    if report.unknown:
        ctx.exit(1)


@main.command()
@click.argument("names", nargs=-1, metavar="[SOURCE]...")
@click.option("--due", is_flag=True, help="Only the articles whose next check has come "
              "(what the daemon does every few minutes).")
@click.pass_context
def recheck(ctx: click.Context, names: tuple[str, ...], due: bool) -> None:
    """Re-check archived articles at their outlets now: edited, gone (404/410), redirected
    away (to a front page), withdrawn (the text replaced by a notice), or unchanged.

    Without --due, every article still on its re-check schedule (fetched articles, for 30
    days after they were first seen), within each host's daily budget."""
    config = _config(ctx)
    found: list[str] = []

    def done(job: Any, finding: Any) -> None:
        if finding.outcome not in ("unchanged",):
            found.append(f"{job.url}: {finding.outcome}"
                         + (f" ({finding.detail})" if finding.detail else ""))

    outcomes = pipeline.recheck_articles(config, names, due, on_done=done)
    for line in sorted(found):
        click.echo(line)
    total = sum(outcomes.values())
    if not total:
        click.echo("no articles to re-check" + (" now" if due else ""))
        return
    click.echo(f"re-checked {counted(total, 'article')}: " + ", ".join(
        f"{count} {outcome}" for outcome, count in sorted(outcomes.items())))


@main.command()
@click.argument("url")
@click.option("--name", help="The source's name [default: the feed's title].")
@click.option("--tag", "tags", multiple=True, help="A tag for its articles (repeatable).")
@click.option("--every", default="1h", show_default=True, help="How often to fetch it.")
@click.option("--full-text", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="When to fetch an entry's page (see README).")
@click.option("--media", type=click.Choice(["keep", "link"]), default="keep",
              show_default=True, help="Keep its articles' images in the archive, or only "
                                      "link them.")
@click.option("--pick", type=click.IntRange(min=1), help="Add the Nth feed found.")
@click.option("--dry-run", is_flag=True, help="Only show the feeds found.")
@click.option("--no-fetch", is_flag=True, help="Do not fetch it right away.")
@click.pass_context
def add(ctx: click.Context, url: str, name: str | None, tags: tuple[str, ...], every: str,
        full_text: str, media: str, pick: int | None, dry_run: bool,
        no_fetch: bool) -> None:
    """Subscribe to a feed, given its URL or any page of its site (the feed is found)."""
    config = _config(ctx)
    seconds = parse_duration(every)
    if seconds is None:
        raise click.BadParameter(f"expected a duration like 15m, got {every!r}",
                                 param_hint="--every")
    if not is_http_url(url):
        raise FeedsvcError(f"{url}: not an http(s) URL")
    found = pipeline.discover_feeds(config, url)
    if not found.feeds:
        raise FeedsvcError(f"{url}: no feed found (tried {'; '.join(found.tried)})")
    for number, feed in enumerate(found.feeds, 1):
        size = counted(feed.entries, "entry", "entries")
        click.echo(f"{number}. {feed.title} ({feed.kind}, {size})\n   {feed.url}")
    if pick is not None and pick > len(found.feeds):
        raise click.BadParameter(f"only {len(found.feeds)} found", param_hint="--pick")
    chosen = found.feeds[pick - 1] if pick else next(
        (f for f in found.feeds if f.kind != "JSON Feed"), found.feeds[0])
    if dry_run:
        return
    with archive.opened(config.database) as db:
        existing = subscriptions.known_as(db, config, chosen.url)
        if existing:
            click.echo(f"already a source: {existing} ({chosen.url}); nothing changed")
            return
        title = " ".join((name or chosen.title).split())
        if title in subscriptions.origins(db, config):
            raise FeedsvcError(f"{title}: a source of that name exists; choose another "
                               "with --name")
        subscriptions.add(db, SourceConfig(name=title, url=chosen.url, tags=tags,
                                           every_seconds=seconds, full_text=full_text,
                                           media=media),
                          utc_now(), chosen.site)
    click.echo(f"added {title}: {chosen.url}")
    if not no_fetch:
        for report in fetch_sources(config, [title]):
            _print_fetch(report)


@main.command()
@click.argument("name")
@click.option("--purge", is_flag=True, help="Delete its articles and feeds too.")
@click.option("--yes", is_flag=True, help="Do not ask before purging.")
@click.pass_context
def remove(ctx: click.Context, name: str, purge: bool, yes: bool) -> None:
    """Unsubscribe from a source (NAME or slug). Its articles stay in the archive and its
    feeds keep being published, unless --purge."""
    config = _config(ctx)
    with archive.opened(config.database) as db:
        row = db.execute("SELECT name, slug FROM sources WHERE name = ? OR slug = ?",
                         [name, name]).fetchone()
        source, slug = (row[0], row[1]) if row else (name, None)
        origin = subscriptions.origins(db, config).get(source)
        if origin == "config":
            raise FeedsvcError(f"{source}: it is in {config.path}; remove it there")
        if origin is None and not purge:
            raise FeedsvcError(f"{name}: no such subscription")
        if purge and not yes:
            click.confirm(f"Delete {source}'s articles and feeds from the archive?", abort=True)
        subscriptions.remove(db, source)
        removed = subscriptions.purge(db, source) if purge else 0
    if purge and slug:
        public = Path(config.public.dir) / "sources"
        for file in public.glob(f"{slug}.*"):
            file.unlink(missing_ok=True)
        shutil.rmtree(public / slug, ignore_errors=True)
    click.echo(f"removed {source}" + (f"; {counted(removed, 'article')} deleted" if purge
                                      else "; its articles stay in the archive"))


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--every", default="1h", show_default=True, help="How often to fetch each.")
@click.pass_context
def import_opml(ctx: click.Context, file: Path, every: str) -> None:
    """Subscribe to every feed of an OPML file exported by another reader (folders become
    tags). Says, per outline, added, already present or invalid."""
    config = _config(ctx)
    seconds = parse_duration(every) or 3600
    read = opml.read_opml(file)
    counts = {"added": 0, "already present": 0, "invalid": 0}
    with archive.opened(config.database) as db:
        for outline in read.outlines:
            if outline.url is None:
                counts["invalid"] += 1
                click.echo(f"invalid: {outline.title}: {outline.problem}")
                continue
            existing = subscriptions.known_as(db, config, outline.url)
            if existing:
                counts["already present"] += 1
                click.echo(f"already present: {outline.title} (as {existing})")
                continue
            taken = subscriptions.origins(db, config)
            title = " ".join(outline.title.split()) or outline.url
            name = title if title not in taken else next(
                f"{title} ({n})" for n in range(2, 1000) if f"{title} ({n})" not in taken)
            subscriptions.add(db, SourceConfig(name=name, url=outline.url, tags=outline.tags,
                                               every_seconds=seconds), utc_now(), outline.site)
            counts["added"] += 1
            click.echo(f"added: {name}" + (f" [{', '.join(outline.tags)}]" if outline.tags
                                           else ""))
    click.echo(", ".join(f"{count} {what}" for what, count in counts.items()))


@main.command()
@click.argument("article")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: versions and diffs.")
@click.pass_context
def history(ctx: click.Context, article: str, as_json: bool) -> None:
    """Every version of an ARTICLE (its id or URL) and what changed between them: words
    (Chinese: characters) in colour on a terminal, [-deleted-]{+inserted+} otherwise."""
    with archive.opened(_config(ctx).database) as db:
        found = query.find_article(db, article)
        if found is None:
            raise FeedsvcError(f"{article}: no such article in the archive (give its id, as "
                               "search --json and export show it, or its URL)")
        versions = query.versions_of(db, found["id"])
        changes = query.changes_of(db, [found["id"]]).get(found["id"], [])
    material = [(before, after) for before, after in itertools.pairwise(versions)
                if before["content_hash"] != after["content_hash"]]
    diffs = [(after, diff_versions(
        (before["title"], before["author"], before["content_text"] or ""),
        (after["title"], after["author"], after["content_text"] or "")))
        for before, after in material]
    vanished = [c for c in changes if c.kind != "edited"]
    if as_json:
        click.echo(json.dumps({
            "id": found["id"], "url": found["url"], "title": found["title"],
            "versions": [{"revision": v["revision"], "since": v["since"], "title": v["title"]}
                         for v in versions],
            "edits": [{"revision": after["revision"], "since": after["since"],
                       "diff": diff_json(diff)} for after, diff in diffs],
            "vanished": [{"kind": c.kind, "at": c.at, "detail": c.detail} for c in vanished],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(f"{found['title']}  (article {found['id']}, {counted(len(versions), 'version')}"
               f", {counted(len(diffs), 'material edit')})")
    if found["url"]:
        click.echo(found["url"])
    colour = sys.stdout.isatty()
    for after, diff in diffs:
        click.echo(f"\nversion {after['revision']}, seen {after['since']}:")
        click.echo(diff_terminal(diff, colour))
    for change in vanished:
        click.echo(f"\n{change.kind} at its outlet, found {change.at}"
                   + (f": {change.detail}" if change.detail else ""))


@main.command()
@click.option("--stories", "rebuild_stories", is_flag=True,
              help="Rebuild the stories instead: every article placed again, copies grouped "
                   "and coverage linked anew.")
@click.pass_context
def reindex(ctx: click.Context, rebuild_stories: bool) -> None:
    """Rebuild the full-text search index (or, with --stories, the stories) from the
    archived articles."""
    started = time.perf_counter()
    if rebuild_stories:
        placed = pipeline.reindex_stories(_config(ctx))
        click.echo(f"placed {counted(placed.articles, 'article')} in "
                   f"{counted(placed.new_stories, 'story', 'stories')} "
                   f"({counted(placed.copies, 'copy', 'copies')} of another article, "
                   f"{counted(placed.links, 'coverage link')}) in "
                   f"{time.perf_counter() - started:.1f} s")
        return
    count = pipeline.reindex(_config(ctx))
    click.echo(f"reindexed {counted(count, 'article')} in {time.perf_counter() - started:.1f} s")


@main.command("media")
@click.argument("names", nargs=-1, metavar="[SOURCE]...")
@click.option("--since", type=DateBound(), help="Only articles published on or after DATE.")
@click.option("--limit", type=click.IntRange(1, None),
              help="Download at most N images this run (the most recently shown first).")
@click.pass_context
def media_command(ctx: click.Context, names: tuple[str, ...], since: str | None,
                  limit: int | None) -> None:
    """Download the images of archived articles (of these sources, or all whose source
    keeps media) and keep them in the archive, once each.

    Each image is stored as soon as it is read: stopped, a run continues where it was the
    next time. Unreachable images are tried again later; unsafe ones are refused."""
    config = _config(ctx)
    with _Progress("images", ctx.obj["quiet"]) as bar:
        report, unknown = pipeline.backfill_media(
            config, names, parse_date(since) if since else None, on_wanted=bar.start,
            on_done=bar.step, limit=limit)
    for name in unknown:
        click.echo(f"{name}: no such source in the archive", err=True)
    total = sum(report.outcomes.values())
    if not total:
        click.echo("no images left to download")
    else:
        parts = [f"{count} {status}" for status, count in sorted(report.outcomes.items())]
        click.echo(f"{counted(total, 'image')}: {', '.join(parts)}; "
                   f"{counted(report.stored, 'new file')}")
    with archive.opened(config.database) as db:
        count, first, reason = waiting(db)
    if count:  # not an error: the host may be back later (no network, DNS, 5xx, 429)
        when = (first or "?")[:16].replace("T", " ")
        click.echo(f"{counted(count, 'image')} to try again from {when} UTC (by `feedsvc "
                   f"run`, or `feedsvc media` then); most often: {reason}")
    if report.evicted:
        click.echo(f"{counted(report.evicted, 'old file')} removed to stay within "
                   "media.max_total")
    if unknown:
        ctx.exit(1)


@main.command("stories")
@click.option("--since", type=DateBound(), help="Stories with a copy published on or after DATE.")
@click.option("--min-size", type=click.IntRange(1, None), default=1, show_default=True,
              help="Only stories with at least N copies.")
@click.option("--limit", type=click.IntRange(1, None), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.pass_context
def stories_command(ctx: click.Context, since: str | None, min_size: int, limit: int,
                    as_json: bool) -> None:
    """Stories, the latest first: each with its copies (the same story in other sources)
    and its related coverage (the same event in other words or languages)."""
    config = _config(ctx)
    with archive.opened(config.database) as db:
        stories.cluster_pending(db, config.stories)  # articles stored since the last run
        found = query.list_stories(db, since=since, min_size=min_size, limit=limit)
    if as_json:
        click.echo(json.dumps([_story_record(s, config.public.base_url) for s in found],
                              ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("no stories" + (" of that size" if min_size > 1 else ""), err=True)
        return
    for story in found:
        languages = ", ".join(story.languages)
        click.echo(f"{story.last_seen[:10]}  {counted(story.copies, 'copy', 'copies')} "
                   f"({languages})  {story.title}")
        for member in story.members:
            click.echo(f"    {_cut(member.source, 16):16}  {_cut(member.title, 48)}"
                       + (f"  {member.url}" if member.url else ""))
        for related in story.coverage:
            click.echo(f"    related ({related.score or 0:.2f}): {related.source}: "
                       f"{_cut(related.title, 48)}")


def _story_record(story: query.StoryRow, base_url: str) -> dict[str, Any]:
    def article(item: LinkedArticle) -> dict[str, Any]:
        return {"id": item.id, "title": item.title, "source": item.source, "url": item.url,
                "published": item.published, "lang": item.lang,
                "page": feed_url(base_url, article_path(item.uid, item.url)),
                **({"score": item.score} if item.score is not None else {})}
    return {"id": story.id, "title": story.title, "first_seen": story.first_seen,
            "last_seen": story.last_seen, "copies": story.copies, "sources": story.sources,
            "languages": story.languages, "articles": [article(m) for m in story.members],
            "coverage": [article(c) for c in story.coverage]}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """What is in the archive."""
    config = _config(ctx)
    with archive.opened(config.database) as db:
        figures = query.archive_stats(db)
        figures["media"] = media_stats(db)
    figures["database"] = config.database
    figures["database_bytes"] = Path(config.database).stat().st_size
    if as_json:
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    click.echo(f"archive:   {figures['database']} ({figures['database_bytes']:,} bytes)")
    click.echo(f"articles:  {figures['articles']:,} ("
               f"{counted(figures['revisions'], 'earlier revision')} kept)")
    click.echo(f"full text: {figures['from_pages']:,} from their page, "
               f"{figures['pages_not_used']:,} pages not used (walls, errors, robots.txt), "
               f"{figures['pages_to_retry']:,} to try again")
    images = figures["media"]
    click.echo(f"images:    {images['media_files']:,} files kept ({images['media_bytes']:,} "
               f"bytes), {images.get('images_refused', 0):,} refused, "
               f"{images.get('images_retry', 0) + images.get('images_wanted', 0):,} waiting, "
               f"{images.get('images_gone', 0) + images.get('images_failed', 0):,} "
               "gone or failed")
    click.echo(f"sources:   {figures['sources']}    tags: {figures['tags']}")
    click.echo(f"published: {figures['oldest'] or '-'} .. {figures['newest'] or '-'}")
    click.echo(f"last seen: {figures['last_ingest'] or '-'}")
    langs = ", ".join(f"{r['lang']} {r['articles']}" for r in figures["by_lang"])
    click.echo(f"languages: {langs or '-'}")
    if figures["by_source"]:
        click.echo("by source:")
        rows = [(str(r["articles"]), r["source"], (r["newest"] or "")[:10],
                 f"{r['edits']} edits, {r['vanished']} vanished" if r["edits"] or r["vanished"]
                 else "") for r in figures["by_source"]]
        for line in _table(rows):
            click.echo("  " + line)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cut(text: str, width: int) -> str:
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1:
            return out + "…"
        out += ch
    return out


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded by display width, so Chinese text lines up too."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True))
            .rstrip() for row in rows]


