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

from feedsvc.archive import Archive
from feedsvc.dates import format_date
from feedsvc.errors import FetchError
from feedsvc.fetch import Fetcher, http_status
from feedsvc.mediarefs import image_urls
from feedsvc.mediastore import store_media
from feedsvc.mediatype import ImageInfo, MediaRefusedError, identify
from feedsvc.models import Config

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
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> None:
        self.outcomes[status] = self.outcomes.get(status, 0) + 1


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # kept | refused | gone | failed | retry
    reason: str | None = None
    info: ImageInfo | None = None
    body: bytes = b""


def want_images(db: Archive, articles: Iterable[tuple[int, str]], per_article: int,
                now: datetime) -> int:
    """Record the images of these (id, content_html) articles; returns how many image URLs
    were new."""
    when = format_date(now)
    new = 0
    for article_id, content_html in articles:
        for position, url in enumerate(image_urls(content_html or "", per_article)):
            db.execute("INSERT OR IGNORE INTO article_media (article_id, url, position) "
                       "VALUES (?, ?, ?)", [article_id, url, position])
            cursor = db.execute("INSERT OR IGNORE INTO media (url, first_used, last_used) "
                                "VALUES (?, ?, ?)", [url, when, when])
            if cursor.rowcount == 1:
                new += 1
            else:
                db.execute("UPDATE media SET last_used = ? WHERE url = ? AND last_used < ?",
                           [when, url, when])
    return new


def due_downloads(db: Archive, now: datetime, urls: Iterable[str] | None = None) -> list[
        tuple[str, int]]:
    """(url, attempts so far) of the images waiting for a download, newest use first."""
    rows = db.execute("SELECT url, attempts FROM media WHERE status IN ('wanted', 'retry') "
                      "AND (next_try IS NULL OR next_try <= ?) ORDER BY last_used DESC, url",
                      [format_date(now)]).fetchall()
    if urls is not None:
        wanted = set(urls)
        rows = [r for r in rows if r[0] in wanted]
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
                       on_done: Callable[[], None] | None = None) -> MediaReport:
    """Download ``jobs`` at the fetcher's limits (``fetch.concurrency``, ``per_host``);
    each result is stored as it arrives, so an interrupted run loses nothing done."""
    report = MediaReport()
    root = media_root(config)
    limits = replace(config.fetch, max_bytes=config.media.max_bytes)
    async with Fetcher(limits) as fetcher:
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


def media_stats(db: Archive) -> dict[str, int]:
    """Image URLs by status, and the files and bytes kept (each file counted once)."""
    stats = {f"images_{status}": count for status, count in db.execute(
        "SELECT status, count(*) FROM media GROUP BY status")}
    files, size = db.execute("SELECT count(*), coalesce(sum(bytes), 0) FROM (SELECT digest, "
                             "max(bytes) AS bytes FROM media WHERE status = 'kept' "
                             "GROUP BY digest)").fetchone()
    return {**stats, "media_files": files, "media_bytes": size}
