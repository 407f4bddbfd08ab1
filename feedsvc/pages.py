"""What the archive remembers of article pages (issue 18): the ``pages`` table, one row per
article whose page was wanted, and the jobs it gives: pages to fetch for new entries, pages
to try again after a failure (with backoff), pages of archived summaries (backfill).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from feedsvc import store
from feedsvc.archive import Archive
from feedsvc.dates import format_date, parse_date, utc_now
from feedsvc.fulltext import summary_reason
from feedsvc.models import Article, PageJob, PreparedArticle, SaveResult, SourceState
from feedsvc.prepare import PageResult

# A failed page is tried again after these delays, then given up (the feed text stays).
RETRY_DELAYS = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=6),
                timedelta(hours=24))
DONE = ("used", "kept_feed", "disallowed", "failed")  # no further fetch for these


def known_pages(db: Archive, jobs: list[PageJob]) -> list[PageJob]:
    """Fill in what the archive knows of each job's page and article: an entry that changed
    (its page fetched before, with an ETag to send), or one archived before its source
    fetched pages (it keeps its row)."""
    for job in jobs:
        row = db.execute("SELECT p.article_id, p.etag, p.last_modified, p.attempts "
                         "FROM pages p JOIN articles a ON a.id = p.article_id "
                         "WHERE p.url = ? ORDER BY p.fetched DESC LIMIT 1", [job.url]).fetchone()
        if row:
            job.article_id, job.etag, job.last_modified, job.attempts = row
            continue
        archived = db.execute("SELECT id FROM articles WHERE uid = ?",
                              [job.feed.uid]).fetchone()
        job.article_id = archived[0] if archived else None
    return jobs


def due_retries(db: Archive, state: SourceState, now: datetime, limit: int = 50) -> list[PageJob]:
    """Pages of this source that failed before and whose next try has come."""
    rows = db.execute(
        "SELECT p.article_id, p.url, p.attempts FROM pages p JOIN articles a ON "
        "a.id = p.article_id WHERE a.source_id = ? AND p.status = 'retry' AND p.next_try <= ? "
        "ORDER BY p.next_try LIMIT ?", [state.id, format_date(now), limit]).fetchall()
    jobs = []
    for article_id, url, attempts in rows:
        job = archived_job(db, article_id, url, "retry after a failed fetch")
        if job:
            job.attempts = attempts
            jobs.append(job)
    return jobs


def backfill_jobs(db: Archive, states: list[SourceState], since: datetime | None,
                  limit: int | None) -> list[PageJob]:
    """Archived articles of these sources whose text is only a summary (or all of them, for
    ``full_text: always``) and whose page was never fetched to an end: newest first."""
    jobs: list[PageJob] = []
    for state in states:
        if state.full_text == "never":
            continue
        rows = db.execute(
            "SELECT a.id, a.url, a.content_text FROM articles a LEFT JOIN pages p ON "
            "p.article_id = a.id WHERE a.source_id = ? AND a.text_origin = 'feed' AND "
            "a.url IS NOT NULL AND (p.status IS NULL OR p.status = 'retry') AND "
            "a.published >= ? ORDER BY a.published DESC",
            [state.id, format_date(since) if since else ""]).fetchall()
        for article_id, url, text in rows:
            reason = "full_text: always" if state.full_text == "always" else summary_reason(
                text, state.usual_length)
            job = archived_job(db, article_id, url, reason) if reason else None
            if job:
                jobs.append(job)
                if limit is not None and len(jobs) >= limit:
                    return jobs
    return jobs


def archived_job(db: Archive, article_id: int, url: str, reason: str) -> PageJob | None:
    """A job for an archived article: its stored version stands for the feed's."""
    row = db.execute(
        "SELECT a.uid, a.title, a.content_html, a.content_text, a.author, a.tags, "
        "a.published, a.summary, a.guid, a.lang, a.origin, a.source_feed, a.canonical_url, "
        "a.content_hash, a.raw_hash, s.name, a.text_origin FROM articles a JOIN sources s ON "
        "s.id = a.source_id WHERE a.id = ?", [article_id]).fetchone()
    if row is None:
        return None
    (uid, title, html, text, author, tags, published, summary, guid, lang, origin,
     source_feed, canonical, content_hash, raw_hash, source, text_origin) = row
    when = parse_date(published)
    provenance = json.loads(source_feed) if source_feed else None
    entry = Article(title=title, content_html=html, source=source, url=url, author=author,
                    tags=json.loads(tags or "[]"), published=when, summary=summary, guid=guid,
                    lang=lang, origin=origin, source_feed=provenance, uid=uid,
                    fingerprint=raw_hash)
    feed = PreparedArticle(
        title=title, content_html=html, source=source, url=url, author=author,
        tags=entry.tags, published=when or utc_now(), summary=summary, guid=guid,
        lang=lang, origin=origin, source_feed=provenance, canonical_url=canonical, uid=uid,
        content_text=text, content_hash=content_hash, fingerprint=raw_hash,
        text_origin=text_origin)
    return PageJob(entry, feed, url, reason, article_id=article_id)


def store_page(db: Archive, job: PageJob, status: str, now: datetime, *,
               result: PageResult | None = None, reason: str = "", final_url: str | None = None,
               etag: str | None = None, last_modified: str | None = None) -> SaveResult | None:
    """Store what one page fetch gave: the article (new, or updated with the page's text)
    and the page's row. ``status`` is ``fetched`` (``result`` says what was used),
    ``not_modified``, ``disallowed`` or ``failed`` (tried again later, a few times)."""
    stamp = format_date(now)
    saved: SaveResult | None = None
    with db.transaction():
        article = result.article if result else job.feed
        archived = db.execute("SELECT uid, text_origin FROM articles WHERE id = ?",
                              [job.article_id]).fetchone() if job.article_id else None
        if archived:  # it keeps its identity and address
            article = _keep_identity(article, job.feed, archived[0])
        # An article whose text came from its page is never replaced by the feed's summary
        # (the page unchanged, failing, or now behind a wall): the entry is only seen.
        if archived and (status == "not_modified" or (
                archived[1] == "page" and article.text_origin != "page")):
            db.execute("UPDATE articles SET raw_hash = coalesce(?, raw_hash), last_seen = ? "
                       "WHERE id = ?", [job.entry.fingerprint, stamp, job.article_id])
            article_id = job.article_id
        else:
            saved = store.save_article(db, article, now)
            article_id = saved.article_id
        attempts = job.attempts + (1 if status == "failed" else 0)
        if status == "fetched" and result is not None:
            row_status = "used" if result.used else "kept_feed"
            reason = result.reason
        elif status == "failed":
            row_status = "retry" if attempts < len(RETRY_DELAYS) else "failed"
        else:
            row_status = {"not_modified": "used", "disallowed": "disallowed"}[status]
        next_try = (format_date(now + RETRY_DELAYS[attempts - 1])
                    if row_status == "retry" else None)
        if status == "not_modified":
            db.execute("UPDATE pages SET fetched = ? WHERE article_id = ?", [stamp, article_id])
            return saved
        db.execute(
            "INSERT INTO pages (article_id, url, final_url, status, reason, attempts, "
            "next_try, etag, last_modified, fetched) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (article_id) DO UPDATE SET url = excluded.url, "
            "final_url = coalesce(excluded.final_url, final_url), status = excluded.status, "
            "reason = excluded.reason, attempts = excluded.attempts, "
            "next_try = excluded.next_try, etag = coalesce(excluded.etag, etag), "
            "last_modified = coalesce(excluded.last_modified, last_modified), "
            "fetched = excluded.fetched",
            [article_id, job.url, final_url, row_status, reason, attempts, next_try, etag,
             last_modified, stamp])
    return saved


def _keep_identity(article: PreparedArticle, archived: PreparedArticle,
                   uid: str) -> PreparedArticle:
    return replace(article, uid=uid, url=archived.url or article.url,
                   canonical_url=archived.canonical_url or article.canonical_url,
                   published=archived.published)
