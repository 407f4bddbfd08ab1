"""``feedsvc run``: one process that fetches on schedule, watches the inbox, publishes, serves.

Everything shares one asyncio loop: APScheduler 3 (``AsyncIOScheduler``) fires one job per
source and the inbox watcher, and uvicorn serves ``public/``. Archive writes go through a
single writer thread holding the only write connection, so the loop (and with it the
server) never waits on SQLite; parsing and cleaning fetched feeds runs in a process pool.
Publishing is debounced: a burst of changes regenerates each affected feed once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from starlette.applications import Starlette

from feedsvc import archive, fetchstate
from feedsvc.archive import Archive
from feedsvc.config import load_config
from feedsvc.dates import parse_date, utc_now
from feedsvc.entities import chinese_dictionary
from feedsvc.errors import FeedsvcError
from feedsvc.fetch import Fetcher
from feedsvc.inbox import InboxWatcher
from feedsvc.media import (
    articles_showing,
    download,
    due_downloads,
    evict,
    media_root,
    record,
    scan_new_articles,
)
from feedsvc.metrics import Metrics
from feedsvc.models import Config, FetchReport, FetchStatus, IngestReport, SourceState
from feedsvc.pipeline import BATCH, ingest_files, publish_site, synced_sources
from feedsvc.recheck import VANISHED, Finding, RecheckJob, due_jobs, run_rechecks
from feedsvc.refresh import refresh_source
from feedsvc.schedule import Selection, is_due
from feedsvc.searchweb import search_site
from feedsvc.server import create_app
from feedsvc.shingles import signature
from feedsvc.workers import worker_count, worker_pool

log = logging.getLogger("feedsvc.daemon")
T = TypeVar("T")

INBOX_POLL = 1.0  # seconds between inbox scans
PUBLISH_QUIET = 1.0  # publish once no change has come for this long...
PUBLISH_MAX_DELAY = 10.0  # ...or this long after the first unpublished change
START_SPREAD = 5.0  # seconds over which the first fetches of all sources are spread
RECHECK_EVERY = 300  # seconds between looks for due re-checks
MEDIA_EVERY = 60  # seconds between rounds of image downloads
MEDIA_PER_ROUND = 100
MEDIA_BUDGET = 60  # seconds a round may take
MEDIA_SOON = 5  # seconds after new articles are stored: their images follow them
SUBSCRIPTIONS_EVERY = 2.0  # seconds between looks at the archive's subscriptions
SHUTDOWN_GRACE = 3.0  # seconds open HTTP connections get to finish


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon decides when to stop."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket here, so a busy port is a clear error before anything runs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise FeedsvcError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def make_server(app: Starlette, sock: socket.socket, access_log: bool) -> _Server:
    config = uvicorn.Config(app, log_config=None, access_log=access_log, lifespan="off",
                            timeout_graceful_shutdown=int(SHUTDOWN_GRACE), server_header=False)
    server = _Server(config)
    host, port = sock.getsockname()[:2]
    log.info("serving on http://%s:%s/", f"[{host}]" if ":" in host else host, port,
             extra={"event": "listen", "port": port})
    return server


def event_loop_runner() -> asyncio.Runner:
    """uvloop when installed (faster serving), else the standard loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


class _SkippedRunsAreNormal(logging.Filter):
    """APScheduler warns when a job is due while its previous run is still going (a slow
    feed polled every minute). That is the schedule working, not a fault: debug, not a
    warning in every operator's log (issue 16)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances reached" in record.getMessage():
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger("feedsvc.daemon").isEnabledFor(logging.DEBUG)
        return True


logging.getLogger("apscheduler.scheduler").addFilter(_SkippedRunsAreNormal())


class Daemon:
    def __init__(self, config: Config, settle: float = 2.0) -> None:
        self.config = config
        self.metrics = Metrics()
        self.inbox = InboxWatcher(config.inbox, settle)
        # Library folders (the shipped samples): archived in place, never moved.
        self.watchers = [self.inbox, *(InboxWatcher(folder, settle, keep=True)
                                       for folder in config.library)]
        self.states: dict[str, SourceState] = {}
        self.started = utc_now()
        self.last_publish: str | None = None
        self.failures = 0  # sources and files that failed (the exit code of --once)
        self.scheduler: AsyncIOScheduler | None = None
        self._media_running = False
        self._media_again = False  # articles arrived during a round: another one soon
        self.fetcher: Fetcher | None = None
        self.pool: ProcessPoolExecutor | None = None
        self._db: Archive | None = None
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="feedsvc-writer")
        self._stopping = asyncio.Event()
        self._publish_wanted = asyncio.Event()
        self._dirty: set[int] = set()
        self._publish_everything = True  # the first publish after start is a full one
        self._reloading: asyncio.Task[None] | None = None  # the SIGHUP reload under way

    # -- the writer thread --------------------------------------------------------------

    async def _write(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(db, *args)`` in the writer thread, one job after another."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, partial(self._with_db, work, *args))

    def _with_db(self, work: Callable[..., T], *args: Any) -> T:
        if self._db is None:
            self._db = archive.open_archive(self.config.database)
        return work(self._db, *args)

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- lifecycle ---------------------------------------------------------------------

    def stop(self) -> None:
        if not self._stopping.is_set():
            log.info("stopping: finishing the current write", extra={"event": "stop"})
            self._stopping.set()

    async def run(self, sock: socket.socket | None, access_log: bool = False) -> None:
        """Serve and schedule until ``stop()`` (SIGTERM, SIGINT)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        tasks: list[asyncio.Task[Any]] = []
        server: _Server | None = None
        try:
            await self._load_sources()
            # what placing articles in stories needs is loaded now, in the writer thread,
            # not by the first incremental publish in the middle of a burst: the MinHash
            # library (datasketch, with NumPy and SciPy) and the name dictionary (0.4 s)
            await self._write(lambda _db: signature(()))
            if self.config.stories.coverage:
                await self._write(lambda _db: chinese_dictionary())
            async with Fetcher(self.config.fetch) as self.fetcher:
                if sock is not None:
                    app = create_app(self.config.public.dir, self.config.server.max_age,
                                     self.metrics, self.health, search_site(self.config))
                    server = make_server(app, sock, access_log)
                    tasks.append(asyncio.create_task(server.serve(sockets=[sock])))
                publisher = asyncio.create_task(self._publisher())
                tasks += [publisher, asyncio.create_task(self._watch_inbox()),
                          asyncio.create_task(self._watch_subscriptions())]
                self._start_scheduler()
                loop.add_signal_handler(signal.SIGHUP, self.reload)
                self._publish_wanted.set()  # a fresh start publishes the whole archive
                await self._stopping.wait()
                await self._shutdown(server, tasks, publisher)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)

    def reload(self) -> None:
        """SIGHUP: read ``config.yaml`` again; sources added, removed or changed take effect
        within seconds. A broken config is logged and the running one kept."""
        if not self._stopping.is_set():
            self._reloading = asyncio.get_running_loop().create_task(self._reload())

    async def _reload(self) -> None:
        try:
            config = load_config(self.config.path)
        except FeedsvcError as exc:
            log.error("reload: %s (the running configuration is kept)", exc,
                      extra={"event": "reload-failed"})
            return
        fixed = [key for key in ("database", "inbox", "library", "public", "fetch", "server")
                 if getattr(config, key) != getattr(self.config, key)]
        if fixed:
            log.warning("reload: %s take effect at the next start", ", ".join(fixed))
        self.config = replace(self.config, sources=config.sources, aliases=config.aliases)
        await self._apply_sources(f"reloaded {self.config.path}")

    async def _watch_subscriptions(self) -> None:
        """Sources added or removed in the archive (``feedsvc add``, ``remove``, ``import``
        from another process) are picked up within seconds (issue 21)."""
        seen = await self._write(_subscriptions_signature)
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), SUBSCRIPTIONS_EVERY)
            if self._stopping.is_set():
                return
            now = await self._write(_subscriptions_signature)
            if now != seen:
                seen = now
                await self._apply_sources("subscriptions changed")

    async def _apply_sources(self, why: str) -> None:
        before = self.states
        await self._load_sources()
        added, removed = self.states.keys() - before.keys(), before.keys() - self.states.keys()
        if self.scheduler is not None:
            now = utc_now()
            for slug in removed:
                self.scheduler.remove_job(f"source:{slug}")
            for slug, state in self.states.items():
                old = before.get(slug)
                if old is None or (old.url, old.every_seconds) != (state.url,
                                                                    state.every_seconds):
                    self._add_job(self.scheduler, state, now)
        log.info("%s: %d sources (added: %s; removed: %s)", why,
                 len(self.states), ", ".join(sorted(added)) or "none",
                 ", ".join(sorted(removed)) or "none",
                 extra={"event": "reload", "sources": len(self.states)})

    async def run_once(self) -> int:
        """One full cycle: the inbox, every due source, a publish. Returns the failures."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        try:
            await self._load_sources()
            async with Fetcher(self.config.fetch) as self.fetcher:
                cycle = asyncio.create_task(self._one_cycle())
                stopped = asyncio.create_task(self._stopping.wait())
                await asyncio.wait({cycle, stopped}, return_when=asyncio.FIRST_COMPLETED)
                for task in (cycle, stopped):
                    task.cancel()
                await asyncio.gather(cycle, stopped, return_exceptions=True)
                if cycle.done() and not cycle.cancelled() and cycle.exception():
                    raise cycle.exception()  # type: ignore[misc]
                await self._drain()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        return self.failures

    async def _one_cycle(self) -> None:
        for watcher in self.watchers:  # a first look, to see which files are still growing
            watcher.ready(settle=0.0)
        await asyncio.sleep(0.5)
        await self._inbox_pass(settle=0.0)
        await asyncio.gather(*(self._fetch_source(slug) for slug in self.states))
        await self._scheduled_recheck()  # the due re-checks too, for cron (issue 20)
        await self._scheduled_media()  # and the images of what was archived (issue 23)
        await self._publish()

    async def _load_sources(self) -> None:
        states = await self._write(synced_sources, self.config, utc_now(), True)
        self.states = {state.slug: state for state in states}
        if states and self.pool is None:
            self.pool = worker_pool(worker_count(len(states)))
        for state in states:
            if state.last_success:
                self.metrics.last_success.labels(state.name).set(
                    parse_date(state.last_success).timestamp())  # type: ignore[union-attr]

    def _start_scheduler(self) -> None:
        scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        now = utc_now()
        for state in self.states.values():
            self._add_job(scheduler, state, now)
        scheduler.add_job(self._scheduled_recheck, IntervalTrigger(seconds=RECHECK_EVERY),
                          id="recheck", name="re-check articles at their outlets",
                          next_run_time=now + timedelta(seconds=60), replace_existing=True)
        scheduler.add_job(self._scheduled_media, IntervalTrigger(seconds=MEDIA_EVERY),
                          id="media", name="keep the images of archived articles",
                          next_run_time=now + timedelta(seconds=MEDIA_EVERY),
                          replace_existing=True)
        scheduler.start()
        self.scheduler = scheduler
        self.metrics.scheduler_up.set(1)
        log.info("scheduler started: %d sources, inbox %s", len(self.states), self.inbox.inbox,
                 extra={"event": "start", "sources": len(self.states)})

    def _add_job(self, scheduler: AsyncIOScheduler, state: SourceState,
                 now: datetime) -> None:
        """The source's job: first at start-up (spread over a few seconds) or when its
        backoff ends, then every interval; ``_reschedule`` moves it to each next due time
        (``schedule`` adds the jitter, once)."""
        start = now + timedelta(seconds=random.uniform(0, min(START_SPREAD,
                                                              state.every_seconds / 2)))
        if not is_due(state, now):
            start = parse_date(state.next_due) or start
        scheduler.add_job(
            self._scheduled_fetch, IntervalTrigger(seconds=state.every_seconds),
            args=[state.slug], id=f"source:{state.slug}", name=f"fetch {state.name}",
            next_run_time=start, replace_existing=True)

    async def _shutdown(self, server: _Server | None, tasks: list[asyncio.Task[Any]],
                        publisher: asyncio.Task[Any]) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)  # cancels the jobs still running
            self.metrics.scheduler_up.set(0)
        if server is not None:
            server.should_exit = True
        # The publisher waits for work forever: cancelled. The inbox watcher stops by itself
        # once the batch it is writing has committed and been filed away.
        publisher.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._drain()
        log.info("stopped", extra={"event": "stopped"})

    async def _drain(self) -> None:
        """Let the write in progress finish, close the archive, stop the workers."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self._close_db)
        self._writer.shutdown(wait=True)
        if self.pool is not None:
            await loop.run_in_executor(None, partial(self.pool.shutdown, wait=True,
                                                     cancel_futures=True))

    # -- jobs --------------------------------------------------------------------------

    async def _scheduled_fetch(self, slug: str) -> None:
        """The scheduler's job. A stop cancels a fetch in flight: that is no error (the
        source is fetched again at the next start), so it is not reported as one."""
        try:
            await self._fetch_source(slug)
        except asyncio.CancelledError:
            if not self._stopping.is_set():
                raise
            log.debug("fetch of %s cancelled by the stop", slug)

    async def _fetch_source(self, slug: str) -> None:
        state = self.states.get(slug)
        if state is None or self.fetcher is None or self.pool is None \
                or self._stopping.is_set():
            return
        report = await refresh_source(state, Selection.DUE, self.fetcher, self.pool,
                                      self._write, utc_now(), self._stopping.is_set)
        if report.status is FetchStatus.SKIPPED:  # disabled, or not due (a backoff): its time comes
            log.debug("%s: %s", state.name, "; ".join(report.notes))
            self._reschedule(state)
            return
        fresh = await self._write(_reloaded, state)
        self.states[slug] = fresh
        self._fetched(report, fresh)
        self._reschedule(fresh)

    def _fetched(self, report: FetchReport, state: SourceState) -> None:
        succeeded = report.error is None
        self.metrics.fetched(report, time.time() if succeeded else None)
        extra = {"event": "fetch", "source": state.slug, "status": report.status,
                 "new": report.new, "updated": report.updated}
        if not succeeded:
            self.failures += 1
            log.warning("%s: %s (%d consecutive failures, next try %s)", state.name,
                        report.error, state.failures, state.next_due, extra=extra)
        elif report.status is FetchStatus.NOT_MODIFIED:
            log.info("%s: not modified", state.name, extra=extra)
        else:
            log.info("%s: %d new, %d updated, %d unchanged", state.name, report.new,
                     report.updated, report.unchanged, extra=extra)
        for note in report.notes:
            log.info("%s: %s", state.name, note, extra={"event": "fetch-note",
                                                        "source": state.slug})
        self._changed(report.changed)
        self._media_soon(report.changed)

    def _media_soon(self, article_ids: list[int]) -> None:
        """New or edited articles: their images are looked for in ``MEDIA_SOON`` seconds,
        not at the next of the minute's rounds (a round running now is followed by
        another)."""
        if not article_ids or self.scheduler is None or self._stopping.is_set():
            return
        if self._media_running:
            self._media_again = True
            return
        job = self.scheduler.get_job("media")
        soon = utc_now() + timedelta(seconds=MEDIA_SOON)
        if job is not None and (job.next_run_time is None or job.next_run_time > soon):
            job.modify(next_run_time=soon)

    def _reschedule(self, state: SourceState) -> None:
        """Next run at the source's next due time (its interval, or its backoff)."""
        when = parse_date(state.next_due) if state.next_due else None
        if self.scheduler is None or when is None or state.disabled or self._stopping.is_set():
            return
        job = self.scheduler.get_job(f"source:{state.slug}")
        if job is not None:
            job.modify(next_run_time=max(when, utc_now()))

    async def _watch_inbox(self) -> None:
        """Scan the inbox every ``INBOX_POLL`` seconds after the previous pass ended: a long
        pass (a burst of files) delays the next scan, it never overlaps or skips one."""
        while not self._stopping.is_set():
            await self._inbox_pass()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), INBOX_POLL)

    async def _inbox_pass(self, settle: float | None = None) -> None:
        """Archive the inbox files that are ready, a batch per transaction."""
        ready = await self._write(lambda _db: [path for watcher in self.watchers
                                               for path in watcher.ready(settle=settle)])
        for start in range(0, len(ready), BATCH):
            if self._stopping.is_set():
                return
            report = await self._write(self._ingest_batch, ready[start:start + BATCH])
            self.metrics.ingested(report)
            self.failures += report.failed
            for name, reason in report.failures:
                watcher = self._watcher_of(Path(name))
                where = "left in place" if watcher.keep else f"moved to {watcher.inbox / 'failed'}"
                log.warning("%s: %s (%s)", name, reason, where,
                            extra={"event": "ingest-failed", "file": name})
            log.info("inbox: %d new, %d updated, %d unchanged, %d failed", report.new,
                     report.updated, report.unchanged, report.failed,
                     extra={"event": "ingest", "new": report.new, "updated": report.updated,
                            "failed": report.failed})
            self._changed(report.changed)
            self._media_soon(report.changed)

    def _ingest_batch(self, db: Archive, paths: list[Path]) -> IngestReport:
        """Archive, commit, then move each file out: a crash in between re-reads a file
        (found unchanged), it never loses one."""
        results = ingest_files(db, paths, utc_now())
        report = IngestReport()
        report.add(results)
        for result in results:
            try:
                self._watcher_of(result.path).file_away(result)
            except FeedsvcError as exc:
                log.error("%s", exc, extra={"event": "inbox-move-failed"})
        return report

    def _watcher_of(self, path: Path) -> InboxWatcher:
        return next((w for w in self.watchers[1:] if path.is_relative_to(w.inbox)), self.inbox)

    # -- publishing --------------------------------------------------------------------

    async def _scheduled_recheck(self) -> None:
        """The due re-checks (issue 20), their own few at a time beside the feeds."""
        if self.pool is None or self.fetcher is None or self._stopping.is_set():
            return
        now = utc_now()
        jobs = await self._write(due_jobs, now, self.config.recheck)
        touched: list[int] = []

        def done(job: RecheckJob, finding: Finding) -> None:
            self.metrics.recheck(job.source, finding.outcome)
            if finding.outcome in (*VANISHED, "edited"):
                touched.append(job.article_id)
                log.info("%s: %s (%s)", job.url, finding.outcome, finding.detail,
                         extra={"event": "recheck", "outcome": finding.outcome})

        if jobs:
            await run_rechecks(jobs, self.fetcher, self.pool, self._write, now,
                               self.config.recheck, done)
        self._changed(touched)
        self._media_soon(touched)  # a new version may show a new picture

    async def _scheduled_media(self) -> None:
        """The images of newly archived articles, and those due again (issue 23): after the
        articles are stored, never in their way; at most ``MEDIA_PER_ROUND`` a round and
        ``MEDIA_BUDGET`` seconds, so a slow image host holds up nothing else for long."""
        if self.fetcher is None or self._stopping.is_set():
            return
        self._media_running = True
        try:
            more = await self._media_round(self.fetcher)
        finally:
            self._media_running = False
        if self._media_again or more:
            self._media_again = False
            self._media_soon([0])

    async def _media_round(self, fetcher: Fetcher) -> bool:
        """One round; True when a full round's worth was done in time and more may wait."""
        await self._write(scan_new_articles, self.config)
        jobs = await self._write(due_downloads, utc_now(), MEDIA_PER_ROUND)
        if not jobs:
            return False
        kept: list[str] = []
        timed_out = False
        root = media_root(self.config)
        max_bytes = self.config.media.max_bytes

        async def one(url: str, attempts: int) -> None:
            outcome = await download(fetcher, url, max_bytes)
            await self._write(record, root, url, attempts, outcome, utc_now())
            if outcome.status == "kept":
                kept.append(url)

        try:
            async with asyncio.timeout(MEDIA_BUDGET):
                await asyncio.gather(*(one(url, attempts) for url, attempts in jobs))
        except TimeoutError:
            timed_out = True
            log.info("images: the round's %d s are up; the rest wait for the next",
                     MEDIA_BUDGET, extra={"event": "media-budget"})
        if kept:
            log.info("images: %d kept", len(kept), extra={"event": "media", "kept": len(kept)})
            self._changed(await self._write(articles_showing, kept))
            await self._write(evict, root, self.config.media.max_total, utc_now())
        return len(jobs) == MEDIA_PER_ROUND and not timed_out

    def _changed(self, article_ids: list[int]) -> None:
        if article_ids:
            self._dirty.update(article_ids)
            self._publish_wanted.set()

    async def _publisher(self) -> None:
        """Wait for changes; publish when they have paused (or waited too long)."""
        loop = asyncio.get_running_loop()
        while True:
            await self._publish_wanted.wait()
            deadline = loop.time() + PUBLISH_MAX_DELAY
            while (remaining := deadline - loop.time()) > 0:
                self._publish_wanted.clear()
                try:
                    await asyncio.wait_for(self._publish_wanted.wait(),
                                           min(PUBLISH_QUIET, remaining))
                except TimeoutError:
                    break
            self._publish_wanted.clear()
            await self._publish()

    async def _publish(self) -> None:
        everything, changed = self._publish_everything, sorted(self._dirty)
        if not everything and not changed:
            return
        self._publish_everything, self._dirty = False, set()
        started = time.perf_counter()
        try:
            report = await self._write(
                lambda db: publish_site(self.config, db, None if everything else changed,
                                        self._stopping.is_set))
        except FeedsvcError as exc:
            log.error("publish failed: %s", exc, extra={"event": "publish-failed"})
            self._dirty.update(changed)  # tried again with the next change
            self._publish_everything |= everything
            return
        seconds = time.perf_counter() - started
        self.metrics.publish_seconds.observe(seconds)
        self.metrics.files_written.inc(len(report.written))
        self.last_publish = utc_now().isoformat()
        log.info("published: %d files written, %d unchanged, in %.2f s",
                 len(report.written), report.unchanged, seconds,
                 extra={"event": "publish", "written": len(report.written),
                        "seconds": round(seconds, 3)})

    # -- health ------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        running = bool(self.scheduler and self.scheduler.running) \
            and not self._stopping.is_set()
        return running, {
            "scheduler": {"running": running,
                          "jobs": len(self.scheduler.get_jobs()) if self.scheduler else 0},
            "started": self.started.isoformat(),
            "last_publish": self.last_publish,
            "sources": [{"name": s.name, "slug": s.slug, "url": s.url,
                         "last_success": s.last_success, "last_status": s.last_status,
                         "last_error": s.problem,
                         "failures": s.failures, "next_due": s.next_due,
                         "disabled": s.disabled} for s in self.states.values()],
        }


def _subscriptions_signature(db: Archive) -> str:
    row = db.execute("SELECT group_concat(name || char(31) || url || char(31) || every, "
                     "char(30)) FROM (SELECT * FROM subscriptions ORDER BY name)").fetchone()
    return str(row[0] or "")


def _reloaded(db: Archive, state: SourceState) -> SourceState:
    """The source's state as the archive holds it now (with its latest fingerprints)."""
    return fetchstate.source_states(db, state.id, seen=True)[0]


async def serve_only(app: Starlette, sock: socket.socket, access_log: bool) -> None:
    """``feedsvc serve``: the site alone, until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    server = make_server(app, sock, access_log)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    await server.serve(sockets=[sock])
