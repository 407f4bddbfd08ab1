"""Re-checking articles at their outlet (issue 20): after an article is first seen, its
original URL is fetched again on a front-loaded schedule (``recheck.schedule``), politely
(the same fetcher and its per-host limit, conditional requests, ``recheck.per_host_daily``
requests to a host a day, ``recheck.concurrency`` at once so feeds keep the other slots).

What is found: ``gone`` (404/410), ``redirected away`` (to the site's front page or a
section of it: a soft 404), ``withdrawn`` (the page answers but the article's words are
gone, or a removal notice stands in their place), ``edited`` (an article whose text came
from its page: a new revision), or ``unchanged``. Timeouts, refusals and 5xx are never
evidence: the check is tried again later.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from feedsvc import store
from feedsvc.archive import Archive
from feedsvc.dates import format_date, parse_date
from feedsvc.errors import FeedsvcError, FetchError
from feedsvc.extract import extract_page
from feedsvc.fetch import PAGE_ACCEPT, Fetcher, http_status
from feedsvc.fulltext import contained, decode_page
from feedsvc.models import Article, PreparedArticle, RecheckConfig
from feedsvc.prepare import prepare_article
from feedsvc.text import material_hash

Writer = Callable[..., Awaitable[Any]]
VANISHED = ("gone", "redirected away", "withdrawn")
RETRY_AFTER_ERROR = timedelta(hours=1)
ERRORS_PER_STEP = 3  # checks without evidence before a step counts as done
STILL_THERE = 0.3  # share of the archived words a page must hold to still be the article
_REMOVED = re.compile(
    r"(?i)(this (article|story|page|post|content) (has been|was|is) (removed|deleted|"
    r"withdrawn|taken down|unpublished)|(article|story|page|content) (is )?no longer "
    r"available|该文章已被删除|此文章已删除|文章已删除|内容已删除|该内容已被发布者删除|"
    r"此内容因违规无法查看|文章已下架|該文章已被刪除|內容已刪除|页面不存在|頁面不存在|"
    r"根据相关法律法规)")


@dataclass(slots=True)
class RecheckJob:
    article_id: int
    url: str
    step: int
    first_seen: str
    etag: str | None
    last_modified: str | None
    text_origin: str
    archived: tuple[str, str | None, str]  # title, author, text
    content_hash: str
    uid: str
    source: str
    errors: int = 0  # checks in a row that found no evidence


def due_jobs(db: Archive, now: datetime, config: RecheckConfig, sources: list[str] | None = None,
             due_only: bool = True, limit: int = 1000) -> list[RecheckJob]:
    """Articles to check now (or, without ``due_only``, every one still on its schedule),
    the oldest due first, within each host's daily budget."""
    where = ["r.next_check IS NOT NULL", "a.vanished_at IS NULL"]
    params: list[object] = []
    if due_only:
        where.append("r.next_check <= ?")
        params.append(format_date(now))
    if sources:
        where.append(f"(s.name IN ({', '.join('?' * len(sources))}) OR s.slug IN "
                     f"({', '.join('?' * len(sources))}))")
        params += [*sources, *sources]
    rows = db.execute(
        "SELECT r.article_id, r.url, r.host, r.step, a.first_seen, r.etag, r.last_modified, "
        "a.text_origin, a.title, a.author, a.content_text, a.content_hash, a.uid, s.name, "
        "r.errors "
        "FROM rechecks r JOIN articles a ON a.id = r.article_id "
        f"JOIN sources s ON s.id = a.source_id WHERE {' AND '.join(where)} "
        "ORDER BY r.next_check LIMIT ?", [*params, limit]).fetchall()
    day = format_date(now.replace(hour=0, minute=0, second=0, microsecond=0))
    spent: dict[str, int] = {}
    jobs = []
    for row in rows:
        host = row[2]
        if host not in spent:
            spent[host] = db.execute("SELECT count(*) FROM rechecks WHERE host = ? AND "
                                     "last_check >= ?", [host, day]).fetchone()[0]
        if spent[host] >= config.per_host_daily:
            continue  # tomorrow: a host's budget is a day's
        spent[host] += 1
        jobs.append(RecheckJob(row[0], row[1], row[3], row[4], row[5], row[6], row[7],
                               (row[8], row[9], row[10] or ""), row[11], row[12], row[13],
                               row[14]))
    return jobs


@dataclass(frozen=True, slots=True)
class Finding:
    outcome: str  # gone | redirected away | withdrawn | edited | unchanged | error
    detail: str = ""
    article: PreparedArticle | None = None  # edited: the new version


def read_page(job: RecheckJob, body: bytes, url: str, content_type: str,
              now: datetime) -> Finding:
    """Is the article still on its page, and the same? CPU work: runs in a worker."""
    try:
        page = extract_page(decode_page(body, content_type, url), url)
    except FeedsvcError as exc:
        return Finding("error", f"page not read: {exc}")
    title, author, archived_text = job.archived
    fresh = prepare_article(Article(title=title, content_html=page.body_html, source=job.source,
                                    url=job.url, author=author, text_origin="page",
                                    uid=job.uid), now)
    text = fresh.content_text
    if _REMOVED.search(page.title) or (len(text) < 1500 and _REMOVED.search(text)):
        return Finding("withdrawn", "the page says the article was removed")
    if contained(archived_text, text) < STILL_THERE and contained(
            archived_text, page.title + " " + text) < STILL_THERE:
        return Finding("withdrawn", "the article's words are no longer on its page")
    if job.text_origin == "page" and material_hash(title, author, text) != job.content_hash:
        return Finding("edited", "the page's text changed", replace(fresh, uid=job.uid))
    return Finding("unchanged")


def redirected_away(asked: str, landed: str) -> bool:
    """Sent to the front page or a section of the site instead of an article."""
    before, after = urlsplit(asked), urlsplit(landed)
    if (before.hostname, before.path.rstrip("/")) == (after.hostname, after.path.rstrip("/")):
        return False
    path = after.path.rstrip("/")
    if not path or path in ("/index", "/index.html", "/home"):
        return True
    return before.hostname == after.hostname and before.path.startswith(path + "/")


async def check(job: RecheckJob, fetcher: Fetcher, pool: Executor, now: datetime) -> tuple[
        Finding, str | None, str | None]:
    """Fetch and judge one article; (finding, etag, last_modified)."""
    try:
        answer = await fetcher.fetch(job.url, job.etag, job.last_modified, accept=PAGE_ACCEPT)
    except FetchError as exc:
        return Finding("error", str(exc)), None, None
    if answer.status == 304:
        return Finding("unchanged", "304 Not Modified"), answer.etag, answer.last_modified
    if answer.status in (404, 410):
        return Finding("gone", http_status(answer.status)), None, None
    if answer.status != 200 or answer.body is None:
        return Finding("error", http_status(answer.status)), None, None
    if redirected_away(job.url, answer.url):
        return Finding("redirected away", f"redirected to {answer.url}"), None, None
    finding = await asyncio.get_running_loop().run_in_executor(
        pool, read_page, job, answer.body, answer.url, answer.content_type, now)
    return finding, answer.etag, answer.last_modified


def store_finding(db: Archive, job: RecheckJob, finding: Finding, etag: str | None,
                  last_modified: str | None, now: datetime, config: RecheckConfig) -> None:
    stamp = format_date(now)
    with db.transaction():
        if finding.outcome in VANISHED:
            db.execute("UPDATE articles SET vanished_at = ?, vanished_reason = ?, updated = ? "
                       "WHERE id = ?", [stamp, f"{finding.outcome}: {finding.detail}", stamp,
                                        job.article_id])
            db.execute("INSERT INTO changes (article_id, kind, at, detail) VALUES (?, ?, ?, ?)",
                       [job.article_id, finding.outcome, stamp, finding.detail])
            next_check: str | None = None
        elif finding.outcome == "error" and job.errors + 1 < ERRORS_PER_STEP:
            next_check = format_date(now + RETRY_AFTER_ERROR)  # no evidence: again soon
        elif finding.outcome == "error":  # the step is spent: on to the next, still no mark
            later = _next_step(job, config)
            next_check = max(later, format_date(now + RETRY_AFTER_ERROR)) if later else None
        else:
            if finding.outcome == "edited" and finding.article is not None:
                store.save_article(db, finding.article, now)
            next_check = _next_step(job, config)
        retry = finding.outcome == "error" and job.errors + 1 < ERRORS_PER_STEP
        errors = job.errors + 1 if retry else 0
        step = job.step if retry else job.step + 1
        db.execute(
            "UPDATE rechecks SET step = ?, next_check = ?, last_check = ?, last_outcome = ?, "
            "last_error = ?, etag = coalesce(?, etag), last_modified = coalesce(?, "
            "last_modified), checks = checks + 1, errors = ? WHERE article_id = ?",
            [step, next_check, stamp, finding.outcome,
             finding.detail if finding.outcome == "error" else None, etag, last_modified,
             errors, job.article_id])


def _next_step(job: RecheckJob, config: RecheckConfig) -> str | None:
    """Counted from when the article was first seen: the schedule is front-loaded."""
    step = job.step + 1
    first = parse_date(job.first_seen)
    if step >= len(config.schedule) or first is None:
        return None
    return format_date(first + timedelta(seconds=config.schedule[step]))


async def run_rechecks(jobs: list[RecheckJob], fetcher: Fetcher, pool: Executor,
                       write: Writer, now: datetime, config: RecheckConfig,
                       on_done: Callable[[RecheckJob, Finding], None] | None = None
                       ) -> Counter[str]:
    """Check every job, ``config.concurrency`` at a time; each stored as it is judged."""
    slots = asyncio.Semaphore(config.concurrency)
    outcomes: Counter[str] = Counter()

    async def one(job: RecheckJob) -> None:
        async with slots:
            finding, etag, last_modified = await check(job, fetcher, pool, now)
            await write(partial(store_finding, config=config), job, finding, etag,
                        last_modified, now)
        outcomes[finding.outcome] += 1
        if on_done:
            on_done(job, finding)

    await asyncio.gather(*(one(job) for job in jobs))
    return outcomes
