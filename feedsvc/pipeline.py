"""The one orchestrator: read -> prepare (clean, identify) -> store -> publish.

Preparing is ``prepare.py``, run in the worker processes of ``workers.py``; storing is
``store.py``; this module decides what runs where, in which transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

from feedsvc import (
    archive,
    fetchstate,
    outlets,
    pages,
    query,
    searchindex,
    store,
    stories,
    subscriptions,
)
from feedsvc.archive import Archive, in_chunks
from feedsvc.dates import format_date, utc_now
from feedsvc.discover import Discovery, discover
from feedsvc.errors import FeedsvcError
from feedsvc.fetch import Fetcher
from feedsvc.files import iter_article_files, read_article_file
from feedsvc.health import render_health_feed, render_sources_page, source_health
from feedsvc.history import publish_changes, publish_history
from feedsvc.media import (
    MediaReport,
    download_all,
    due_downloads,
    evict,
    images_of,
    media_root,
    want_images,
)
from feedsvc.mediapublish import all_kept_paths, copy_media, kept_media
from feedsvc.models import (
    Config,
    FeedInfo,
    FetchReport,
    FetchStatus,
    FileResult,
    IngestReport,
    PageJob,
    PreparedArticle,
    PublicConfig,
    SaveStatus,
    SourceState,
)
from feedsvc.pagefetch import fetch_pages
from feedsvc.prepare import prepare_article
from feedsvc.publish import (
    publish_directory,
    publish_redirects,
    remove_stale_temporaries,
    write_file,
)
from feedsvc.recheck import Finding, RecheckJob, due_jobs, run_rechecks
from feedsvc.refresh import refresh_source
from feedsvc.schedule import Selection
from feedsvc.storyfeed import publish_stories, stories_feed
from feedsvc.webpages import Slugs
from feedsvc.workers import worker_count, worker_pool

log = logging.getLogger(__name__)
T = TypeVar("T")
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
    now = now or utc_now()  # one arrival time for the run: the date of undated articles
    wanted = [Path(p) for p in (paths or [config.inbox, *config.library])]
    for missing in (p for p in wanted if not p.exists()):
        report.failures.append((str(missing), "no such file or folder"))
    # Files the daemon has filed away under inbox/done and inbox/failed are not new input.
    filed = {Path(config.inbox) / name for name in FILED_DIRS} if paths is None else set()
    files = list(iter_article_files((p for p in wanted if p.exists()), skip=filed))
    # Reading and cleaning on every core when there is more than a batch; storing here.
    workers = worker_count(len(files) // BATCH)
    with archive.opened(config.database) as db, \
            (worker_pool(workers) if workers > 1 else nullcontext()) as pool:
        if config.aliases:
            with db.transaction():
                outlets.apply_aliases(db, config.aliases, now)
        work = partial(read_and_prepare, now=now)
        prepared = pool.map(work, files, chunksize=20) if pool else map(work, files)
        batch: list[tuple[Path, PreparedArticle | FeedsvcError]] = []
        for path, item in zip(progress(files) if progress else files, prepared, strict=True):
            batch.append((path, item))
            if len(batch) >= BATCH:
                report.add(store_files(db, batch, now))
                batch = []
        if batch:
            report.add(store_files(db, batch, now))
    return report


def read_and_prepare(path: Path, now: datetime) -> PreparedArticle | FeedsvcError:
    """One file read and prepared, or why it cannot be (a worker process may run this)."""
    try:
        return prepare_article(read_article_file(path), now)
    except FeedsvcError as exc:
        return exc


def ingest_files(db: Archive, paths: list[Path], now: datetime) -> list[FileResult]:
    """Archive these files in one transaction; one result per file, failures included."""
    return store_files(db, [(path, read_and_prepare(path, now)) for path in paths], now)


def store_files(db: Archive, items: list[tuple[Path, PreparedArticle | FeedsvcError]],
                now: datetime) -> list[FileResult]:
    """Store prepared files in one transaction; one result per file, failures included."""
    results = []
    with db.transaction():
        for path, article in items:
            try:
                if isinstance(article, FeedsvcError):
                    raise article
                with db.savepoint():
                    saved = store.save_article(db, article, now)
            except FeedsvcError as exc:
                results.append(FileResult(path, SaveStatus.FAILED, _reason(exc, path)))
                log.debug("%s", exc)  # reported once, by the caller (CLI or daemon)
                continue
            results.append(FileResult(path, saved.status, article_id=saved.article_id))
    return results


def _reason(exc: Exception, path: Path) -> str:
    """The message without the file name in front, which the report shows already."""
    text = str(exc)
    return text.removeprefix(f"{path}: ")


def publish_site(config: Config, db: Archive | None = None,
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
        with archive.opened(config.database) as own:
            return publish_site(config, own, changed, should_stop,
                                workers if workers is not None else 0)
    report = PublishReport()
    public = config.public
    if changed is None:  # a full publish; the daemon starts with one
        remove_stale_temporaries(public.dir)
    # New articles join their stories first: the pages of the copies they join, and of the
    # coverage they link, list them.
    placed = stories.cluster_pending(db, config.stories) if db.writable else None
    # the archived images the pages and feeds point at (issue 23)
    kept = kept_media(db, changed) if changed is not None else None
    report.written += copy_media(public.dir, media_root(config), (
        image.path for images in kept.values() for image in images.values()) if kept is not None
        else all_kept_paths(db))
    feeds = query.list_feeds(db)
    if changed is not None:
        changed = sorted(set(changed) | (placed.touched if placed else set()))
    affected = query.feeds_of_articles(db, changed) if changed is not None else None
    targets = [feed for feed in feeds if affected is None or feed.path in affected]
    if workers == 0:  # by size: a process pool pays off from a few thousand entries
        work = sum(f.count for f in targets) if changed is None else len(targets) * 100
        workers = worker_count(len(targets)) if work >= PARALLEL_PUBLISH else 1
    slugs = Slugs(*query.listing_slugs(db))  # once: every feed's pages link sources, tags
    results: Iterable[tuple[list[str], int]]
    touched_stories = None if changed is None else sorted(query.stories_of(db, changed))
    if workers and workers > 1:
        with worker_pool(workers) as pool:
            # the stories feed is as long as the archive: a worker's job like the others
            stories_job = pool.submit(publish_stories_job, config.database, public, slugs,
                                      touched_stories)
            results = [*_publish_in(pool, config, targets, changed, should_stop, slugs),
                       stories_job.result()]
    else:
        results = [*(publish_history(db, public, feed, changed, slugs) for feed in targets
                     if not (should_stop and should_stop())),
                   publish_stories(db, public, slugs, touched_stories)]
    for written, unchanged in results:
        report.written += written
        report.unchanged += unchanged
    if should_stop and should_stop():
        return report
    written, unchanged = publish_changes(db, public, slugs)
    report.written += written
    report.unchanged += unchanged
    health = source_health(db, utc_now())
    for name, data in (("sources.html", render_sources_page(health, public.title,
                                                            public.base_url)),
                       ("sources-health.xml", render_health_feed(health, public.title,
                                                                 public.base_url))):
        if write_file(Path(public.dir) / name, data):
            report.written.append(name)
    latest = query.feed_articles(db, feeds[0], 20)
    story_feed = stories_feed(db)
    report.written += publish_directory(public.dir, public.base_url, public.title,
                                        feeds + query.change_feeds(db)
                                        + ([story_feed] if story_feed else []), latest, slugs)
    report.written += publish_redirects(public.dir, outlets.redirects(db))
    return report


PARALLEL_PUBLISH = 5000


def _publish_in(pool: Executor, config: Config, feeds: list[FeedInfo],
                changed: list[int] | None, should_stop: Callable[[], bool] | None,
                slugs: Slugs) -> list[tuple[list[str], int]]:
    """Each feed rendered by a worker process with its own read-only connection, the
    largest first so that the work ends evenly."""
    jobs = [pool.submit(publish_feed_job, config.database, config.public, feed, changed,
                        slugs) for feed in sorted(feeds, key=lambda f: -f.count)]
    results = []
    for job in as_completed(jobs):
        results.append(job.result())
        if should_stop and should_stop():
            for pending in jobs:
                pending.cancel()
            break
    return results


def publish_feed_job(database: str, public: PublicConfig, feed: FeedInfo,
                     changed: list[int] | None, slugs: Slugs | None = None
                     ) -> tuple[list[str], int]:
    """``publish_history`` in a worker process, on a read-only connection of its own (an
    open costs 0.1 ms: nothing is kept between jobs)."""
    reader = archive.open_reader(database)
    try:
        return publish_history(reader, public, feed, changed, slugs)
    finally:
        reader.close()


def publish_stories_job(database: str, public: PublicConfig, slugs: Slugs,
                        touched: list[int] | None) -> tuple[list[str], int]:
    """``publish_stories`` in a worker process, on a read-only connection of its own."""
    reader = archive.open_reader(database)
    try:
        return publish_stories(reader, public, slugs, touched)
    finally:
        reader.close()


def reindex(config: Config) -> int:
    """Rebuild the search index: text rewritten in a worker process, written here."""
    with archive.opened(config.database) as db, worker_pool(1) as pool:
        return searchindex.rebuild_search(db, submit=pool.submit)


def backfill_media(config: Config, names: Iterable[str] = (), since: datetime | None = None,
                   on_wanted: Callable[[int], None] | None = None,
                   on_done: Callable[[], None] | None = None,
                   now: Callable[[], datetime] = utc_now,
                   transport: httpx.AsyncBaseTransport | None = None,
                   limit: int | None = None) -> tuple[MediaReport, list[str]]:
    """Find the images of archived articles (of these sources, published since then) whose
    source keeps media, and download those not downloaded yet (at most ``limit``, the
    most recently used first). Each result is stored as it arrives: stopped, a run
    continues where it was. Returns the report and the names given that are no source."""
    wanted = set(names)
    with archive.opened(config.database) as db:
        sources = {row[0]: row[1] for row in db.execute("SELECT name, slug FROM sources")}
        unknown = sorted(n for n in wanted if n not in sources and n not in sources.values())
        chosen = [name for name, slug in sources.items()
                  if not wanted or name in wanted or slug in wanted]
        configured = {s.name: s.media for s in subscriptions.all_sources(db, config)}
        keeping = [n for n in chosen if configured.get(n, config.media.inbox) == "keep"]
        report = MediaReport()
        shown: set[str] = set()  # the images of the chosen articles
        with db.transaction():
            for chunk, marks in in_chunks(keeping):
                rows = db.execute(
                    f"SELECT id, content_html, first_seen FROM articles WHERE source IN "
                    f"({marks})" + (" AND published >= ?" if since else "") + " ORDER BY id",
                    [*chunk, *([format_date(since)] if since else [])]).fetchall()
                report.wanted += want_images(db, rows, config.media.max_per_article)
                if wanted or since:
                    shown |= images_of(db, [row[0] for row in rows])
            jobs = due_downloads(db, now())
        if wanted or since:  # only what was asked for
            jobs = [job for job in jobs if job[0] in shown]
        jobs = jobs[:limit] if limit is not None else jobs
        if on_wanted:
            on_wanted(len(jobs))
        done = asyncio.run(download_all(db, config, jobs, now, on_done, transport))
        done.wanted = report.wanted
        done.evicted = evict(db, media_root(config), config.media.max_total, now())
    return done, unknown


def reindex_stories(config: Config) -> stories.Placed:
    """Place every article in its story again (``feedsvc reindex --stories``)."""
    with archive.opened(config.database) as db:
        return stories.rebuild(db, config.stories)


def fetch_sources(config: Config, names: Iterable[str] = (),
                  selection: Selection = Selection.AVAILABLE,
                  on_done: Callable[[FetchReport], None] | None = None,
                  now: datetime | None = None) -> list[FetchReport]:
    """Refresh the configured sources (or those named: each, whatever its state).

    By default every enabled source that is not waiting out a failure backoff or a
    Retry-After (``Selection.AVAILABLE``): a second fetch sends conditional requests.
    ``Selection.DUE`` takes only those whose time has come, ``FORCE`` every one.
    """
    now = now or utc_now()
    wanted = set(names)
    # The archive is written by a thread of its own, so storing one feed overlaps reading
    # the next over HTTP (the event loop would otherwise wait for every write).
    with ThreadPoolExecutor(1, thread_name_prefix="feedsvc-writer") as writer:
        db = writer.submit(archive.open_archive, config.database).result()
        try:
            states = writer.submit(synced_sources, db, config, now, True).result()
            unknown = wanted - {s.name for s in states} - {s.slug for s in states}
            reports = [FetchReport(source=name, status=FetchStatus.ERROR,
                                   error="no such source in the config")
                       for name in sorted(unknown)]
            chosen = [s for s in states if not wanted or s.name in wanted or s.slug in wanted]
            reports += asyncio.run(_refresh_all(db, writer, config, chosen,
                                                Selection.FORCE if wanted else selection,
                                                on_done, now))
        finally:
            writer.submit(db.close).result()
    return reports


async def _refresh_all(db: Archive, writer: Executor, config: Config,
                       states: list[SourceState], selection: Selection,
                       on_done: Callable[[FetchReport], None] | None,
                       now: datetime) -> list[FetchReport]:
    """Refresh concurrently; parse and clean on every core; store in the writer thread."""
    reports = []
    loop = asyncio.get_running_loop()

    async def write(work: Callable[..., T], *args: Any) -> T:
        return await loop.run_in_executor(writer, partial(work, db, *args))

    workers = worker_count(len(states))
    with worker_pool(workers) as pool:
        # Bodies in memory at once: those being fetched plus a short queue for the workers.
        in_flight = asyncio.Semaphore(config.fetch.concurrency + 2 * workers)
        async with Fetcher(config.fetch) as fetcher:
            async def one(state: SourceState) -> FetchReport:
                async with in_flight:
                    return await refresh_source(state, selection, fetcher, pool, write, now)

            for finished in asyncio.as_completed([one(s) for s in states]):
                report = await finished
                reports.append(report)
                if on_done:
                    on_done(report)
    return reports


@dataclass(slots=True)
class BackfillReport:
    """What ``feedsvc backfill`` did: pages by outcome, articles by save status."""

    wanted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    articles: FetchReport = field(default_factory=lambda: FetchReport(source="backfill"))
    unknown: list[str] = field(default_factory=list)


def backfill_pages(config: Config, names: Iterable[str] = (), since: datetime | None = None,
                   limit: int | None = None,
                   on_wanted: Callable[[int], None] | None = None,
                   on_page: Callable[[PageJob, str], None] | None = None,
                   now: datetime | None = None) -> BackfillReport:
    """Fetch the pages of archived articles whose text is only a summary (issue 18). Each
    page is stored when done, so a run that is stopped continues where it was, next time."""
    now = now or utc_now()
    wanted = set(names)
    report = BackfillReport()
    with ThreadPoolExecutor(1, thread_name_prefix="feedsvc-writer") as writer:
        db = writer.submit(archive.open_archive, config.database).result()
        try:
            states = writer.submit(synced_sources, db, config, now).result()
            report.unknown = sorted(wanted - {s.name for s in states} - {s.slug for s in states})
            chosen = [s for s in states if not wanted or s.name in wanted or s.slug in wanted]
            jobs = writer.submit(pages.backfill_jobs, db, chosen, since, limit).result()
            report.wanted = len(jobs)
            if on_wanted:
                on_wanted(len(jobs))
            by_source = {s.name: s for s in chosen}
            asyncio.run(_backfill(db, writer, config, jobs, by_source, report, on_page, now))
        finally:
            writer.submit(db.close).result()
    return report


async def _backfill(db: Archive, writer: Executor, config: Config, jobs: list[PageJob],
                    states: dict[str, SourceState], report: BackfillReport,
                    on_page: Callable[[PageJob, str], None] | None, now: datetime) -> None:
    loop = asyncio.get_running_loop()

    async def write(work: Callable[..., T], *args: Any) -> T:
        return await loop.run_in_executor(writer, partial(work, db, *args))

    with worker_pool(worker_count(len(jobs))) as pool:
        async with Fetcher(config.fetch) as fetcher:
            groups = [([j for j in jobs if j.feed.source == name], state.robots)
                      for name, state in states.items()]
            for outcomes in await asyncio.gather(*(
                    fetch_pages(group, fetcher, pool, write, now, robots, report.articles,
                                on_page) for group, robots in groups if group)):
                report.outcomes.update(outcomes)


def recheck_articles(config: Config, names: Iterable[str] = (), due_only: bool = False,
                     on_wanted: Callable[[int], None] | None = None,
                     on_done: Callable[[RecheckJob, Finding], None] | None = None,
                     now: datetime | None = None) -> Counter[str]:
    """Re-check articles at their outlets now (issue 20): those of the sources named (all
    by default), every one still on its schedule, or with ``due_only`` those due."""
    now = now or utc_now()
    with ThreadPoolExecutor(1, thread_name_prefix="feedsvc-writer") as writer:
        db = writer.submit(archive.open_archive, config.database).result()
        try:
            jobs = writer.submit(due_jobs, db, now, config.recheck, list(names) or None,
                                 due_only).result()
            if on_wanted:
                on_wanted(len(jobs))
            if not jobs:
                return Counter()
            return asyncio.run(_recheck(db, writer, config, jobs, on_done, now))
        finally:
            writer.submit(db.close).result()


async def _recheck(db: Archive, writer: Executor, config: Config, jobs: list[RecheckJob],
                   on_done: Callable[[RecheckJob, Finding], None] | None,
                   now: datetime) -> Counter[str]:
    loop = asyncio.get_running_loop()

    async def write(work: Callable[..., T], *args: Any) -> T:
        return await loop.run_in_executor(writer, partial(work, db, *args))

    with worker_pool(worker_count(len(jobs))) as pool:
        async with Fetcher(config.fetch) as fetcher:
            return await run_rechecks(jobs, fetcher, pool, write, now, config.recheck, on_done)


def discover_feeds(config: Config, url: str) -> Discovery:
    """The feeds at or behind ``url`` (``feedsvc add``)."""
    async def run() -> Discovery:
        async with Fetcher(config.fetch) as fetcher:
            return await discover(fetcher, url)
    return asyncio.run(run())


def list_sources(config: Config, now: datetime | None = None) -> list[SourceState]:
    """The configured sources with their fetch state (the table synced with the config)."""
    with archive.opened(config.database) as db:
        return synced_sources(db, config, now or utc_now())


def synced_sources(db: Archive, config: Config, now: datetime,
                   seen: bool = False) -> list[SourceState]:
    """Bring the ``sources`` table in line with the config (sources removed from it are
    no longer fetched; their articles stay), then every configured source's state (with
    ``seen``: and the fingerprints of its latest entries)."""
    with db.transaction():
        fetchstate.sync_sources(db, subscriptions.all_sources(db, config), now)
        outlets.apply_aliases(db, config.aliases, now)
    return fetchstate.source_states(db, seen=seen)
