"""Refreshing one source, top to bottom (issue 17; miniflux's ``RefreshFeed``): decide
whether to fetch it, fetch it, parse and prepare its entries (in a worker process), store
them, record the fetch state and the next due time (``schedule``). ``feedsvc fetch``,
``run --once`` and the daemon's jobs all refresh a source with ``refresh_source``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any, TypeVar

from feedsvc import fetchstate, pages, schedule, store
from feedsvc.archive import Archive
from feedsvc.dates import format_date
from feedsvc.errors import FeedsvcError, FetchError, ParseError
from feedsvc.fetch import Fetcher, FetchResult, http_status
from feedsvc.fetchstate import FetchState
from feedsvc.models import FetchReport, FetchStatus, PageJob, SaveStatus, SourceState
from feedsvc.pagefetch import fetch_pages
from feedsvc.prepare import PreparedFeed, prepare_feed
from feedsvc.schedule import Selection

log = logging.getLogger(__name__)
T = TypeVar("T")
# Runs ``work(db, *args)`` where the archive is written: in the caller's thread for the
# command line, in the daemon's writer thread for the daemon.
Writer = Callable[..., Awaitable[Any]]


async def refresh_source(state: SourceState, selection: Selection, fetcher: Fetcher,
                         pool: Executor, write: Writer, now: datetime,
                         stopping: Callable[[], bool] = lambda: False) -> FetchReport:
    """Refresh one source: skip it, or fetch, prepare, store and schedule it."""
    skip = schedule.skip_reason(state, now, selection)
    if skip:
        return FetchReport(source=state.name, status=FetchStatus.SKIPPED, notes=[skip])
    outcome = await fetch_and_prepare(fetcher, pool, state, now)
    if stopping():  # not stored: the next start fetches it again (its ETag is unchanged)
        return FetchReport(source=state.name, status=FetchStatus.SKIPPED,
                           notes=["stopping"])
    report: FetchReport = await write(archive_outcome, *outcome, now)
    # The feed's other entries are stored; now the pages of those that are summaries.
    prepared = outcome[2] if report.status is FetchStatus.OK else None
    wanted = prepared.pages if isinstance(prepared, PreparedFeed) else []
    jobs = await write(page_jobs, state, wanted, now)
    if jobs and not stopping():
        outcomes = await fetch_pages(jobs, fetcher, pool, write, now, state.robots, report)
        report.notes.append(describe_pages(outcomes))
    return report


def page_jobs(db: Archive, state: SourceState, wanted: list[PageJob],
              now: datetime) -> list[PageJob]:
    """The pages to fetch after a feed: its new summary entries', and failed ones due."""
    jobs = pages.known_pages(db, wanted)
    urls = {job.url for job in jobs}
    return jobs + [job for job in pages.due_retries(db, state, now) if job.url not in urls]


def describe_pages(outcomes: Counter[str]) -> str:
    words = {"used": "text used", "kept_feed": "feed text kept", "not_modified": "unchanged",
             "disallowed": "disallowed by robots.txt", "failed": "failed (tried again later)"}
    parts = [f"{outcomes[key]} {words[key]}" for key in words if outcomes[key]]
    return f"article pages: {', '.join(parts)}"


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


_ANSWERS = {200: FetchStatus.OK, 304: FetchStatus.NOT_MODIFIED, 410: FetchStatus.GONE}


def archive_outcome(db: Archive, state: SourceState, outcome: FetchResult | FetchError,
                     prepared: PreparedFeed | FeedsvcError | None,
                     now: datetime) -> FetchReport:
    """Store one fetch outcome: entries, and the source's fetch state."""
    report = FetchReport(source=state.name)
    stamp = format_date(now)
    with db.transaction():
        if isinstance(outcome, FetchError):
            _fail(db, state, report, str(outcome), now)
            return report
        report.status = _ANSWERS.get(outcome.status)  # any other answer: _fail says error
        if outcome.moved_to and outcome.moved_to != state.url:
            report.notes.append(f"moved permanently to {outcome.moved_to}; feed URL updated")
            fetchstate.record_move(db, state.id, outcome.moved_to)
        if outcome.status == 410:
            report.error = f"{state.url}: 410 Gone; source disabled (edit its url to re-enable)"
            fetchstate.record_fetch(db, state.id, FetchState(
                last_fetch=stamp, last_status=FetchStatus.GONE, next_due=state.next_due,
                failures=state.failures, last_error=report.error,
                disabled=f"410 Gone at {stamp}"))
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
        fetchstate.record_fetch(db, state.id, FetchState(
            last_fetch=stamp, last_status=report.status or FetchStatus.OK,
            next_due=format_date(schedule.after_success(state, now)), last_success=stamp,
            etag=outcome.etag, last_modified=outcome.last_modified))
    return report


def _store_entries(db: Archive, state: SourceState, prepared: PreparedFeed, report: FetchReport,
                   now: datetime) -> None:
    if prepared.title:
        fetchstate.record_feed_title(db, state.id, prepared.title, prepared.link)
    db.execute("UPDATE sources SET last_entries = ? WHERE id = ?", [
        len(prepared.articles) + len(prepared.seen_again) + len(prepared.pages), state.id])
    report.notes += prepared.skipped
    if prepared.seen_again:
        fetchstate.seen_again(db, state.id, prepared.seen_again, now)
        report.unchanged += len(prepared.seen_again)
    try:  # all entries at once; a savepoint per entry costs a third of the storing time
        with db.savepoint("entries"):
            results = [store.save_article(db, article, now) for article in prepared.articles]
    except (FeedsvcError, sqlite3.Error):  # one entry cannot be stored: again, one by one
        results = []
        for article in prepared.articles:
            try:
                with db.savepoint():
                    results.append(store.save_article(db, article, now))
            except (FeedsvcError, sqlite3.Error) as exc:
                report.notes.append(f"entry not stored: {article.url or article.title}: {exc}")
    for result in results:
        report.count(result.status)
        if result.status is not SaveStatus.UNCHANGED:
            report.changed.append(result.article_id)


def _fail(db: Archive, state: SourceState, report: FetchReport, message: str, now: datetime,
          retry_after: float | None = None) -> None:
    next_due = format_date(schedule.after_failure(state, now, retry_after))
    report.status, report.error = FetchStatus.ERROR, message
    report.notes.append(f"retry after {next_due}"
                        + (" (Retry-After)" if retry_after is not None else ""))
    stamp = format_date(now)
    fetchstate.record_fetch(db, state.id, FetchState(
        last_fetch=stamp, last_status=FetchStatus.ERROR, next_due=next_due,
        failures=state.failures + 1, last_error=message))
