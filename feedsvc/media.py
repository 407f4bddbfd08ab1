"""Keeping the articles' images (issue 23): which images each article shows, downloading
them through the polite fetcher, and recording what became of each.

One ``media`` row per image URL, whatever the number of articles showing it, so an image is
downloaded once; ``article_media`` says which articles show which. An image is ``kept``
(its bytes under ``media/ab/cdef….ext``, shared by every URL with the same bytes),
``refused`` (not a safe raster image, too large: the reason in words), ``gone`` (404/410),
``failed`` (another answer, or still unreachable after the last retry), or waits for its
next try (``retry``: no network, DNS failure, timeout, 429, 5xx; 1 h, 6 h, 1 day, 3 days).
Nothing here touches the article itself: its HTML keeps the original URLs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from feedsvc.archive import Archive, in_chunks
from feedsvc.dates import format_date
from feedsvc.errors import FetchError
from feedsvc.fetch import Fetcher, http_status
from feedsvc.mediarefs import image_urls
from feedsvc.mediastore import store_media
from feedsvc.mediatype import ImageInfo, MediaRefusedError, identify
from feedsvc.models import Config
from feedsvc.subscriptions import all_sources

RETRY_AFTER = (3600, 6 * 3600, 86400, 3 * 86400)  # seconds: then it has failed
IMAGE_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"


def media_root(config: Config) -> Path:
    """Where images are kept: ``media/`` beside the archive database."""
    return Path(config.database).parent / "media"


@dataclass(slots=True)
class MediaReport:
    wanted: int = 0  # image URLs newly found in the articles
    downloaded: int = 0
    stored: int = 0  # new files (the others' bytes were kept already)
    evicted: int = 0  # files removed to stay within media.max_total
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> None:
        self.outcomes[status] = self.outcomes.get(status, 0) + 1


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # kept | refused | gone | failed | retry
    reason: str | None = None
    info: ImageInfo | None = None
    body: bytes = b""


def want_images(db: Archive, articles: Iterable[tuple[int, str, str]], per_article: int) -> int:
    """Record the images of these (id, content_html, first_seen) articles; an image's
    ``first_used`` and ``last_used`` are the arrival times of the first and the latest
    article showing it. Returns how many image URLs were new."""
    new = 0
    for article_id, content_html, when in articles:
        for position, url in enumerate(image_urls(content_html or "", per_article)):
            db.execute("INSERT OR IGNORE INTO article_media (article_id, url, position) "
                       "VALUES (?, ?, ?)", [article_id, url, position])
            cursor = db.execute("INSERT OR IGNORE INTO media (url, first_used, last_used) "
                                "VALUES (?, ?, ?)", [url, when, when])
            if cursor.rowcount == 1:
                new += 1
                continue
            db.execute("UPDATE media SET last_used = ? WHERE url = ? AND last_used < ?",
                       [when, url, when])
            # removed to save room, and shown again: wanted again
            new += db.execute("UPDATE media SET status = 'wanted', reason = NULL, attempts = 0, "
                              "next_try = NULL WHERE url = ? AND status = 'evicted'",
                              [url]).rowcount
    return new


def images_of(db: Archive, article_ids: list[int]) -> set[str]:
    """The image URLs these articles show."""
    found: set[str] = set()
    for chunk, marks in in_chunks(article_ids):
        found |= {r[0] for r in db.execute(
            f"SELECT url FROM article_media WHERE article_id IN ({marks})", chunk)}
    return found


def scan_new_articles(db: Archive, config: Config, limit: int = 500) -> int:
    """Look for the images of articles archived, or edited, since the last look (of sources
    that keep media; the others are marked looked at too). Returns how many image URLs are
    new."""
    # new articles, and new versions of articles (an edit may bring a picture)
    rows = db.execute("SELECT a.id, a.content_html, a.source, a.first_seen, a.revision "
                      "FROM articles a LEFT JOIN media_scanned m ON m.article_id = a.id "
                      "WHERE m.article_id IS NULL OR m.revision < a.revision "
                      "ORDER BY a.id LIMIT ?", [limit]).fetchall()
    if not rows:
        return 0
    modes = {s.name: s.media for s in all_sources(db, config)}
    with db.transaction():
        new = want_images(db, [(r[0], r[1], r[3]) for r in rows
                               if modes.get(r[2], config.media.inbox) == "keep"],
                          config.media.max_per_article)
        db.conn.executemany("INSERT OR REPLACE INTO media_scanned (article_id, revision) "
                            "VALUES (?, ?)", [(r[0], r[4]) for r in rows])
    return new


def articles_showing(db: Archive, urls: Iterable[str]) -> list[int]:
    """The articles that show these images (their pages change when one is kept)."""
    found: set[int] = set()
    for chunk, marks in in_chunks(urls):
        found |= {r[0] for r in db.execute(
            f"SELECT article_id FROM article_media WHERE url IN ({marks})", chunk)}
    return sorted(found)


def due_downloads(db: Archive, now: datetime, limit: int | None = None) -> list[
        tuple[str, int]]:
    """(url, attempts so far) of the images waiting for a download, newest use first."""
    rows = db.execute("SELECT url, attempts FROM media WHERE status IN ('wanted', 'retry') "
                      "AND (next_try IS NULL OR next_try <= ?) ORDER BY last_used DESC, url "
                      "LIMIT ?", [format_date(now), -1 if limit is None else limit]).fetchall()
    return [(r[0], r[1]) for r in rows]


async def download(fetcher: Fetcher, url: str, max_bytes: int) -> Outcome:
    """Fetch and identify one image; never raises for what the network or the server do."""
    try:
        result = await fetcher.fetch(url, accept=IMAGE_ACCEPT)
    except FetchError as exc:
        if "max_bytes" in str(exc):
            return Outcome("refused", f"over the limit of {max_bytes:,} bytes")
        return Outcome("retry", str(exc))
    if result.status == 200 and result.body is not None:
        try:
            info = identify(result.body, max_bytes)
        except MediaRefusedError as exc:
            return Outcome("refused", str(exc))
        return Outcome("kept", info=info, body=result.body)
    if result.status in (404, 410):
        return Outcome("gone", http_status(result.status))
    if result.status == 429 or result.status >= 500:
        return Outcome("retry", http_status(result.status))
    return Outcome("failed", http_status(result.status))


def record(db: Archive, root: Path, url: str, attempts: int, outcome: Outcome,
           now: datetime) -> bool:
    """Store what one download gave, in its own transaction; True when a new file was
    written (the same bytes kept for another URL are not written again)."""
    when = format_date(now)
    written = False
    with db.transaction():
        if outcome.status == "kept" and outcome.info is not None:
            stored = store_media(root, outcome.body, outcome.info)
            written = stored.new
            info = outcome.info
            db.execute("UPDATE media SET status = 'kept', reason = NULL, digest = ?, "
                       "media_type = ?, extension = ?, bytes = ?, width = ?, height = ?, "
                       "next_try = NULL, fetched = ? WHERE url = ?",
                       [stored.digest, info.media_type, info.extension, len(outcome.body),
                        info.width, info.height, when, url])
            # the same bytes under other URLs, removed to save room: back with this file
            db.execute("UPDATE media SET status = 'kept', reason = NULL WHERE digest = ? "
                       "AND status = 'evicted'", [stored.digest])
        elif outcome.status == "retry" and attempts < len(RETRY_AFTER):
            later = format_date(now + timedelta(seconds=RETRY_AFTER[attempts]))
            db.execute("UPDATE media SET status = 'retry', reason = ?, attempts = ?, "
                       "next_try = ?, fetched = ? WHERE url = ?",
                       [outcome.reason, attempts + 1, later, when, url])
        else:
            status = "failed" if outcome.status == "retry" else outcome.status
            db.execute("UPDATE media SET status = ?, reason = ?, attempts = ?, "
                       "next_try = NULL, fetched = ? WHERE url = ?",
                       [status, outcome.reason, attempts + 1, when, url])
    return written


async def download_all(db: Archive, config: Config, jobs: list[tuple[str, int]],
                       now: Callable[[], datetime],
                       on_done: Callable[[], None] | None = None,
                       transport: httpx.AsyncBaseTransport | None = None) -> MediaReport:
    """Download ``jobs`` at the fetcher's limits (``fetch.concurrency``, ``per_host``);
    each result is stored as it arrives, so an interrupted run loses nothing done.
    ``transport``: how requests reach the network (the benchmark serves every host from
    127.0.0.1)."""
    report = MediaReport()
    root = media_root(config)
    limits = replace(config.fetch, max_bytes=config.media.max_bytes)
    async with Fetcher(limits, transport) as fetcher:
        async def one(url: str, attempts: int) -> tuple[str, int, Outcome]:
            return url, attempts, await download(fetcher, url, config.media.max_bytes)

        for finished in asyncio.as_completed([one(url, n) for url, n in jobs]):
            url, attempts, outcome = await finished
            report.downloaded += outcome.status == "kept"
            report.stored += record(db, root, url, attempts, outcome, now())
            report.count(outcome.status if outcome.status != "retry"
                         or attempts < len(RETRY_AFTER) else "failed")
            if on_done:
                on_done()
    return report


def waiting(db: Archive) -> tuple[int, str | None, str | None]:
    """The images waiting to be tried again: how many, the earliest next try, and the
    commonest reason (without the URL each reason opens with)."""
    reasons: dict[str, int] = {}
    count, first = 0, None
    for url, reason, next_try in db.execute(
            "SELECT url, reason, next_try FROM media WHERE status = 'retry'"):
        count += 1
        first = next_try if first is None or (next_try and next_try < first) else first
        why = (reason or "").removeprefix(f"{url}: ")
        reasons[why] = reasons.get(why, 0) + 1
    commonest = max(reasons, key=lambda r: (reasons[r], r)) if reasons else None
    return count, first, commonest


def media_stats(db: Archive) -> dict[str, int]:
    """Image URLs by status, and the files and bytes kept (each file counted once)."""
    stats = {f"images_{status}": count for status, count in db.execute(
        "SELECT status, count(*) FROM media GROUP BY status")}
    files, size = db.execute("SELECT count(*), coalesce(sum(bytes), 0) FROM (SELECT digest, "
                             "max(bytes) AS bytes FROM media WHERE status = 'kept' "
                             "GROUP BY digest)").fetchone()
    return {**stats, "media_files": files, "media_bytes": size}


RECENT = timedelta(days=30)  # an image used by an article this recent is never evicted


def evict(db: Archive, root: Path, max_total: int, now: datetime) -> int:
    """Keep the media folder within ``max_total`` bytes: files no article shows any more
    (their articles were purged) go first, then those whose last use is oldest, but never
    one an article of the last 30 days shows. The articles are untouched (their HTML has
    the original URLs); their pages point back at the originals. Returns how many files
    were removed."""
    total = db.execute("SELECT coalesce(sum(size), 0) FROM (SELECT max(bytes) AS size "
                       "FROM media WHERE status = 'kept' GROUP BY digest)").fetchone()[0]
    if total <= max_total:
        return 0
    files = db.execute(
        "SELECT m.digest, max(m.extension), max(m.bytes), max(m.last_used), "
        "max(EXISTS (SELECT 1 FROM article_media am WHERE am.url = m.url)) AS shown "
        "FROM media m WHERE m.status = 'kept' GROUP BY m.digest ORDER BY 5, 4, 1").fetchall()
    recent = format_date(now - RECENT)
    removed = 0
    for digest, extension, size, last_used, shown in files:
        if total <= max_total:
            break
        if shown and last_used >= recent:
            continue
        with db.transaction():
            db.execute("UPDATE media SET status = 'evicted', reason = ? WHERE digest = ?",
                       [f"removed to keep media within {max_total:,} bytes", digest])
            (root / digest[:2] / f"{digest[2:]}.{extension}").unlink(missing_ok=True)
        total -= size or 0
        removed += 1
    return removed
