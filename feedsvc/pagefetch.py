"""Fetching article pages (issue 18): robots.txt, the same polite fetcher as the feeds
(per-host limit, timeout, ``max_bytes``, conditional requests), extraction and the choice
between page and feed text in a worker process, and each page stored as soon as it is done
(so an interrupted backfill continues where it stopped).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from datetime import datetime
from functools import partial
from typing import Any

from feedsvc import pages
from feedsvc.errors import FetchError
from feedsvc.fetch import PAGE_ACCEPT, Fetcher, http_status
from feedsvc.models import FetchReport, PageJob, SaveResult, SaveStatus
from feedsvc.prepare import PageResult, prepare_page

log = logging.getLogger(__name__)
Writer = Callable[..., Awaitable[Any]]
HTML_TYPES = ("text/html", "application/xhtml+xml", "")  # "": unsaid, sniffed as HTML


async def fetch_pages(jobs: list[PageJob], fetcher: Fetcher, pool: Executor, write: Writer,
                      now: datetime, obey_robots: bool = True, report: FetchReport | None = None,
                      on_page: Callable[[PageJob, str], None] | None = None) -> Counter[str]:
    """Fetch every job's page at once (the fetcher's per-host limit keeps it polite) and
    store each as it completes; articles stored are counted in ``report``. Returns how many
    pages ended which way (``used``, ``kept_feed``, ``not_modified``, ``disallowed``,
    ``failed``)."""
    outcomes: Counter[str] = Counter()

    async def one(job: PageJob) -> None:
        outcome, saved = await fetch_page(job, fetcher, pool, write, now, obey_robots)
        outcomes[outcome] += 1
        if report is not None and saved is not None:
            report.count(saved.status)
            if saved.status is not SaveStatus.UNCHANGED:
                report.changed.append(saved.article_id)
        if on_page:
            on_page(job, outcome)

    await asyncio.gather(*(one(job) for job in jobs))
    return outcomes


async def fetch_page(job: PageJob, fetcher: Fetcher, pool: Executor, write: Writer,
                     now: datetime, obey_robots: bool = True) -> tuple[str, SaveResult | None]:
    """Fetch, read and store one entry's page; what happened, and the article stored."""
    if obey_robots and not await fetcher.robots.allowed(job.url):
        return "disallowed", await _store(write, job, "disallowed", now,
                                          reason="robots.txt disallows fetching it")
    try:
        answer = await fetcher.fetch(job.url, job.etag, job.last_modified, accept=PAGE_ACCEPT)
    except FetchError as exc:
        return "failed", await _store(write, job, "failed", now, reason=str(exc))
    if answer.status == 304 and job.article_id is not None:
        return "not_modified", await _store(write, job, "not_modified", now)
    if answer.status != 200 or answer.body is None:
        return "failed", await _store(write, job, "failed", now,
                                      reason=f"{answer.url}: {http_status(answer.status)}")
    media_type = answer.content_type.split(";")[0].strip().lower()
    if media_type not in HTML_TYPES:
        result = PageResult(job.feed, False, f"page not used: not an HTML page ({media_type})")
    else:
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                pool, prepare_page, job.entry, job.feed, answer.body, answer.url,
                answer.content_type, now)
        except Exception as exc:  # one page's extraction crashing must not stop the rest
            log.exception("extracting %s failed", answer.url)
            result = PageResult(job.feed, False, f"page not used: cannot be read: {exc}")
    saved = await _store(write, job, "fetched", now, result=result, final_url=answer.url,
                         etag=answer.etag, last_modified=answer.last_modified)
    return ("used" if result.used else "kept_feed"), saved


async def _store(write: Writer, job: PageJob, status: str, now: datetime,
                 **details: Any) -> SaveResult | None:
    saved: SaveResult | None = await write(partial(pages.store_page, **details), job, status,
                                           now)
    return saved
