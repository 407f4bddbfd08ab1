"""The one orchestrator: read -> prepare (clean, identify) -> store -> publish.

Preparing is ``prepare.py``, run in the worker processes of ``workers.py``; storing is
``store.py``; this module decides what runs where, in which transaction.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, as_completed
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from feedsvc import outlets, query, store
from feedsvc.dates import format_date, parse_date, utc_now
from feedsvc.errors import FeedsvcError, FetchError, ParseError
from feedsvc.fetch import Fetcher, FetchResult
from feedsvc.files import iter_article_files, read_article_file
from feedsvc.history import publish_history
from feedsvc.models import (
    Article,
    Config,
    FeedInfo,
    FetchReport,
    FileResult,
    IngestReport,
    PublicConfig,
    SourceState,
)
from feedsvc.prepare import PreparedFeed, prepare_article, prepare_feed
from feedsvc.publish import (
    publish_directory,
    publish_redirects,
    remove_stale_temporaries,
)
from feedsvc.workers import worker_count, worker_pool

log = logging.getLogger(__name__)
BATCH = 200  # articles per transaction: fast, and a crash loses at most one batch of work
FILED_DIRS = ("done", "failed")  # where the daemon moves inbox files it has handled


@dataclass(slots=True)
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0


def ingest_paths(config: Config, paths: Iterable[str | Path] | None = None,
                 progress: Callable[[list[Path]], Iterable[Path]] | None = None,
                 now: datetime | None = None) -> IngestReport:
    """Read every article file under ``paths`` (default: the inbox and the library) into
    the archive."""
    report = IngestReport()
    wanted = [Path(p) for p in (paths or [config.inbox, *config.library])]
    for missing in (p for p in wanted if not p.exists()):
        report.failures.append((str(missing), "no such file or folder"))
    # Files the daemon has filed away under inbox/done and inbox/failed are not new input.
    filed = {Path(config.inbox) / name for name in FILED_DIRS} if paths is None else set()
    files = list(iter_article_files((p for p in wanted if p.exists()), skip=filed))
    # Reading and cleaning on every core when there is more than a batch; storing here.
    workers = worker_count(len(files) // BATCH)
    with store.archive(config.database) as db, \
            (worker_pool(workers) if workers > 1 else nullcontext()) as pool:
        if config.aliases:
            with store.transaction(db):
                outlets.apply_aliases(db, config.aliases, now or utc_now())
        prepared = (pool.map(read_and_prepare, files, chunksize=20) if pool
                    else map(read_and_prepare, files))
        batch: list[tuple[Path, Article | FeedsvcError]] = []
        for path, item in zip(progress(files) if progress else files, prepared, strict=True):
            batch.append((path, item))
            if len(batch) >= BATCH:
                report.add(store_files(db, batch, now or utc_now()))
                batch = []
        if batch:
            report.add(store_files(db, batch, now or utc_now()))
    return report


def read_and_prepare(path: Path) -> Article | FeedsvcError:
    """One file read and prepared, or why it cannot be (a worker process may run this)."""
    try:
        return prepare_article(read_article_file(path))
    except FeedsvcError as exc:
        return exc


def ingest_files(db: Any, paths: list[Path], now: datetime) -> list[FileResult]:
    """Archive these files in one transaction; one result per file, failures included."""
    return store_files(db, [(path, read_and_prepare(path)) for path in paths], now)


def store_files(db: Any, items: list[tuple[Path, Article | FeedsvcError]],
                now: datetime) -> list[FileResult]:
    """Store prepared files in one transaction; one result per file, failures included."""
    results = []
    with store.transaction(db):
        for path, article in items:
            try:
                if isinstance(article, FeedsvcError):
                    raise article
                with store.savepoint(db):
                    saved = store.save_article(db, article, now)
            except FeedsvcError as exc:
                results.append(FileResult(path, "failed", _reason(exc, path)))
                log.debug("%s", exc)  # reported once, by the caller (CLI or daemon)
                continue
            results.append(FileResult(path, saved.status, article_id=saved.article_id))
    return results


def _reason(exc: Exception, path: Path) -> str:
    """The message without the file name in front, which the report shows already."""
    text = str(exc)
    return text.removeprefix(f"{path}: ")


def publish_site(config: Config, db: Any | None = None,
                 changed: Iterable[int] | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 workers: int | None = None) -> PublishReport:
    """Regenerate the feeds (each with its archive pages, as Atom and JSON Feed),
    ``feeds.opml``, ``index.html`` and ``feed.xsl`` from the archive.

    With ``changed`` (article ids), only the feeds holding those articles are rendered,
    and of each only the documents that can differ: the daemon's incremental publish.
    ``db`` lets a caller reuse its connection. ``workers`` processes render the feeds
    (each with its own read-only connection); by default one per core for a large
    publish without ``db``, else this process alone. ``should_stop`` ends the work between
    two feeds (every file is written whole).
    """
    if db is None:
        with store.archive(config.database) as own:
            return publish_site(config, own, changed, should_stop,
                                workers if workers is not None else 0)
    report = PublishReport()
    public = config.public
    if changed is None:  # a full publish; the daemon starts with one
        remove_stale_temporaries(public.dir)
    feeds = query.list_feeds(db)
    changed = None if changed is None else list(changed)  # read once per feed below
    affected = query.feeds_of_articles(db, changed) if changed is not None else None
    targets = [feed for feed in feeds if affected is None or feed.path in affected]
    if workers == 0:  # by size: a process pool pays off from a few thousand entries
        work = sum(f.count for f in targets) if changed is None else len(targets) * 100
        workers = worker_count(len(targets)) if work >= PARALLEL_PUBLISH else 1
    results: Iterable[tuple[list[str], int]]
    if workers and workers > 1:
        with worker_pool(workers) as pool:
            results = _publish_in(pool, config, targets, changed, should_stop)
    else:
        results = (publish_history(db, public, feed, changed) for feed in targets
                   if not (should_stop and should_stop()))
    for written, unchanged in results:
        report.written += written
        report.unchanged += unchanged
    if should_stop and should_stop():
        return report
    latest = query.feed_articles(db, feeds[0], 20)
    report.written += publish_directory(public.dir, public.base_url, public.title, feeds, latest)
    report.written += publish_redirects(public.dir, outlets.redirects(db))
    return report


PARALLEL_PUBLISH = 5000


def _publish_in(pool: Executor, config: Config, feeds: list[FeedInfo],
                changed: list[int] | None,
                should_stop: Callable[[], bool] | None) -> list[tuple[list[str], int]]:
    """Each feed rendered by a worker process with its own read-only connection, the
    largest first so that the work ends evenly."""
    jobs = [pool.submit(publish_feed_job, config.database, config.public, feed, changed)
            for feed in sorted(feeds, key=lambda f: -f.count)]
    results = []
    for job in as_completed(jobs):
        results.append(job.result())
        if should_stop and should_stop():
            for pending in jobs:
                pending.cancel()
            break
    return results


_READERS: dict[str, Any] = {}  # in a worker process: one read-only connection per archive


def publish_feed_job(database: str, public: PublicConfig, feed: FeedInfo,
                     changed: list[int] | None) -> tuple[list[str], int]:
    """``publish_history`` in a worker process."""
    if database not in _READERS:
        _READERS[database] = store.open_reader(database)
    return publish_history(_READERS[database], public, feed, changed)


def reindex(config: Config) -> int:
    """Rebuild the search index: text rewritten in a worker process, written here."""
    with store.archive(config.database) as db, worker_pool(1) as pool:
        return store.rebuild_search(db, submit=pool.submit)


MAX_BACKOFF = 24 * 3600


def backoff_seconds(failures: int, every: int, rng: random.Random | None = None) -> float:
    """Exponential in the number of consecutive failures, capped, with +-25 % jitter."""
    base = min(every * 2 ** max(failures - 1, 0), MAX_BACKOFF)
    return float(base * (rng or random).uniform(0.75, 1.25))


def due(state: SourceState, now: datetime) -> bool:
    when = parse_date(state.next_due) if state.next_due else None
    return when is None or when <= now


def fetch_sources(config: Config, names: Iterable[str] = (), force: bool = False,
                  on_done: Callable[[FetchReport], None] | None = None,
                  now: datetime | None = None) -> list[FetchReport]:
    """Fetch the configured sources (or those named), archive their entries.

    Sources waiting out a backoff or a Retry-After, and disabled ones (410 Gone), are
    skipped unless ``force`` or named explicitly.
    """
    now = now or utc_now()
    with store.archive(config.database) as db:
        states = synced_sources(db, config, now, seen=True)
        work, reports = _select_sources(states, set(names), force, now)
        reports += asyncio.run(_fetch_all(db, config, work, on_done, now))
    return reports


def list_sources(config: Config, now: datetime | None = None) -> list[SourceState]:
    """The configured sources with their fetch state (the table synced with the config)."""
    with store.archive(config.database) as db:
        return synced_sources(db, config, now or utc_now())


def synced_sources(db: Any, config: Config, now: datetime,
                   seen: bool = False) -> list[SourceState]:
    """Bring the ``sources`` table in line with the config, then every source's state
    (with ``seen``: and the fingerprints of its latest entries)."""
    with store.transaction(db):
        store.sync_sources(db, config.sources, now)
        outlets.apply_aliases(db, config.aliases, now)
    return store.source_states(db, seen=seen)


def _select_sources(states: list[SourceState], wanted: set[str], force: bool,
                    now: datetime) -> tuple[list[SourceState], list[FetchReport]]:
    """(sources to fetch, reports for unknown names and skipped sources)."""
    unknown = wanted - {s.name for s in states} - {s.slug for s in states}
    reports = [FetchReport(name, status="error", error="no such source in the config")
               for name in sorted(unknown)]
    work = []
    for state in states:
        if wanted and state.name not in wanted and state.slug not in wanted:
            continue
        skip = _skip_reason(state, now, force or bool(wanted))
        if skip:
            reports.append(FetchReport(state.name, status="skipped", notes=[skip]))
        else:
            work.append(state)
    return work, reports


def _skip_reason(state: SourceState, now: datetime, force: bool) -> str | None:
    if state.disabled and not force:
        return f"disabled: {state.disabled}"
    if not force and not due(state, now):
        return f"waiting until {state.next_due} ({state.failures} consecutive failures)"
    return None


Outcome = tuple[SourceState, FetchResult | FetchError, PreparedFeed | FeedsvcError | None]


async def fetch_and_prepare(fetcher: Fetcher, pool: Executor, state: SourceState,
                            now: datetime) -> Outcome:
    """Fetch one source and, when it sent a body, parse and clean it in ``pool``."""
    try:
        result = await fetcher.fetch(state.url, state.etag, state.last_modified)
    except FetchError as exc:
        return state, exc, None
    if result.status != 200 or result.body is None:
        return state, result, None
    try:
        prepared = await asyncio.get_running_loop().run_in_executor(
            pool, prepare_feed, state, result.body, result.url, result.content_type, now)
    except FeedsvcError as exc:
        return state, result, exc
    except Exception as exc:  # a crash in one feed's parser must not stop the rest
        log.exception("preparing %s failed", result.url)
        return state, result, ParseError(f"{result.url}: cannot be parsed: {exc}")
    return state, result, prepared


async def _fetch_all(db: Any, config: Config, states: list[SourceState],
                     on_done: Callable[[FetchReport], None] | None,
                     now: datetime) -> list[FetchReport]:
    """Fetch concurrently; parse and clean on every core; store in this process."""
    reports = []
    workers = worker_count(len(states))
    with worker_pool(workers) as pool:
        # Bodies in memory at once: those being fetched plus a short queue for the workers.
        in_flight = asyncio.Semaphore(config.fetch.concurrency + 2 * workers)
        async with Fetcher(config.fetch) as fetcher:
            async def one(state: SourceState) -> Outcome:
                async with in_flight:
                    return await fetch_and_prepare(fetcher, pool, state, now)

            for finished in asyncio.as_completed([one(s) for s in states]):
                report = archive_outcome(db, *(await finished), now)
                reports.append(report)
                if on_done:
                    on_done(report)
    return reports


def archive_outcome(db: Any, state: SourceState, outcome: FetchResult | FetchError,
                     prepared: PreparedFeed | FeedsvcError | None,
                     now: datetime) -> FetchReport:
    """Store one fetch outcome: entries, and the source's fetch state."""
    report = FetchReport(state.name)
    stamp = format_date(now)
    with store.transaction(db):
        if isinstance(outcome, FetchError):
            _fail(db, state, report, str(outcome), now)
            return report
        report.status = str(outcome.status)
        if outcome.moved_to and outcome.moved_to != state.url:
            report.notes.append(f"moved permanently to {outcome.moved_to}; feed URL updated")
            store.record_fetch(db, state.id, url=outcome.moved_to)
        if outcome.status == 410:
            report.error = f"{state.url}: 410 Gone; source disabled (edit its url to re-enable)"
            store.record_fetch(db, state.id, disabled=f"410 Gone at {stamp}", last_fetch=stamp,
                               last_status="410", last_error=report.error)
            return report
        if outcome.status not in (200, 304):
            _fail(db, state, report, f"{outcome.url}: {http_status(outcome.status)}", now,
                  outcome.retry_after)
            return report
        if isinstance(prepared, FeedsvcError):
            _fail(db, state, report, str(prepared), now)
            return report
        if prepared is not None:
            _store_entries(db, state, prepared, report, now)
        store.record_fetch(
            db, state.id, etag=outcome.etag, last_modified=outcome.last_modified,
            last_fetch=stamp, last_success=stamp, last_status=str(outcome.status),
            last_error=None, failures=0,
            next_due=format_date(now + timedelta(seconds=state.every_seconds)),
        )
    return report


def _store_entries(db: Any, state: SourceState, prepared: PreparedFeed, report: FetchReport,
                   now: datetime) -> None:
    if prepared.title:
        store.record_fetch(db, state.id, title=prepared.title, site_url=prepared.link)
    report.notes += prepared.skipped
    if prepared.seen_again:
        store.seen_again(db, state.id, prepared.seen_again, now)
        report.unchanged += len(prepared.seen_again)
    try:  # all entries at once; a savepoint per entry costs a third of the storing time
        with store.savepoint(db, "entries"):
            results = [store.save_article(db, article, now) for article in prepared.articles]
    except (FeedsvcError, sqlite3.Error):  # one entry cannot be stored: again, one by one
        results = []
        for article in prepared.articles:
            try:
                with store.savepoint(db):
                    results.append(store.save_article(db, article, now))
            except (FeedsvcError, sqlite3.Error) as exc:
                report.notes.append(f"entry not stored: {article.url or article.title}: {exc}")
    for result in results:
        report.count(result.status)
        if result.status != "unchanged":
            report.changed.append(result.article_id)


def http_status(code: int) -> str:
    """``HTTP 404 Not Found``: the code with its reason phrase, when it has one."""
    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


def _fail(db: Any, state: SourceState, report: FetchReport, message: str, now: datetime,
          retry_after: float | None = None) -> None:
    failures = state.failures + 1
    wait = retry_after if retry_after is not None else backoff_seconds(failures,
                                                                      state.every_seconds)
    report.status, report.error = "error", message
    next_due = format_date(now + timedelta(seconds=wait))
    report.notes.append(f"retry after {next_due}"
                        + (" (Retry-After)" if retry_after is not None else ""))
    stamp = format_date(now)
    store.record_fetch(db, state.id, last_fetch=stamp, last_status="error", last_error=message,
                       failures=failures, next_due=next_due)
