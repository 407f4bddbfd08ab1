"""The one orchestrator: read -> prepare (clean, identify) -> store -> publish."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feedsvc import query, store
from feedsvc.clean import clean_html
from feedsvc.dates import utc_now
from feedsvc.errors import FeedsvcError, ParseError
from feedsvc.files import iter_article_files, read_article_file
from feedsvc.formats.wire import derive_title
from feedsvc.models import Article, Config, IngestReport
from feedsvc.names import clean_name
from feedsvc.publish import publish_directory, publish_feed
from feedsvc.text import detect_lang, html_to_text, summarize, xml_safe
from feedsvc.urls import canonical_url, is_http_url

log = logging.getLogger(__name__)
BATCH = 200  # articles per transaction: fast, and a crash loses at most one batch of work
FALLBACK_SOURCE = "inbox"


def _source_name(article: Article) -> str:
    if article.source.strip():
        return clean_name(article.source)
    host = urlsplit(article.url).hostname if article.url else None
    return host.removeprefix("www.") if host else FALLBACK_SOURCE


def content_hash(article: Article) -> str:
    """What a reader sees: a change here is an edit worth a new revision."""
    body = " ".join(article.content_html.split())
    tags = "\x1e".join(sorted(article.tags))
    visible = "\x1f".join([article.title, article.author or "", body, tags])
    return hashlib.sha256(visible.encode("utf-8", "surrogatepass")).hexdigest()


def prepare_article(article: Article) -> Article:
    """Clean the HTML and fill every derived field; the result is ready to store."""
    url = article.url if is_http_url(article.url) else None
    title = xml_safe(clean_name(article.title))
    content = xml_safe(clean_html(article.content_html, url, title))
    text = html_to_text(content)
    if not title:
        title = derive_title(text.split("\n", 1)[0]) if text else ""
    if not title and not text:
        raise ParseError(f"{article.origin or 'article'}: no title and no text left after cleaning")
    summary = html_to_text(clean_html(article.summary)) if article.summary else ""
    summary = summary or summarize(html_to_text(content, media_text=False))
    canonical = canonical_url(url) if url else None
    source = _source_name(replace(article, url=url))
    prepared = replace(
        article, url=url, title=title or "(untitled)", content_html=content, content_text=text,
        summary=xml_safe(summary) or None, canonical_url=canonical, source=xml_safe(source),
        author=xml_safe(clean_name(article.author)) or None if article.author else None,
        tags=[xml_safe(t) for t in dict.fromkeys(clean_name(t) for t in article.tags) if t],
        lang=article.lang or detect_lang(f"{title}\n{text}"),
    )
    prepared.content_hash = content_hash(prepared)
    # No URL: the identity comes from the content, so the same text is one article.
    prepared.uid = canonical or "urn:sha256:" + hashlib.sha256(
        f"{source}\x1f{' '.join(text.split())}".encode("utf-8", "surrogatepass")).hexdigest()
    return prepared


@dataclass(slots=True)
class PublishReport:
    written: list[str] = field(default_factory=list)
    unchanged: int = 0


def ingest_paths(config: Config, paths: Iterable[str | Path] | None = None,
                 progress: Callable[[list[Path]], Iterable[Path]] | None = None,
                 now: datetime | None = None) -> IngestReport:
    """Read every article file under ``paths`` (default: the inbox) into the archive."""
    report = IngestReport()
    wanted = [Path(p) for p in (paths or [config.inbox])]
    for missing in (p for p in wanted if not p.exists()):
        report.failures.append((str(missing), "no such file or folder"))
    files = list(iter_article_files(p for p in wanted if p.exists()))
    db = store.open_archive(config.database)
    try:
        iterator = progress(files) if progress else files
        batch: list[Path] = []
        for path in iterator:
            batch.append(path)
            if len(batch) >= BATCH:
                _ingest_batch(db, batch, report, now or utc_now())
                batch = []
        if batch:
            _ingest_batch(db, batch, report, now or utc_now())
    finally:
        db.close()
    return report


def _ingest_batch(db: Any, paths: list[Path], report: IngestReport, now: datetime) -> None:
    with store.transaction(db):
        for path in paths:
            try:
                article = prepare_article(read_article_file(path))
                with store.savepoint(db):
                    result = store.save_article(db, article, now)
            except FeedsvcError as exc:
                report.failures.append((str(path), _reason(exc, path)))
                log.warning("%s", exc)
                continue
            report.count(result.status)


def _reason(exc: Exception, path: Path) -> str:
    """The message without the file name in front, which the report shows already."""
    text = str(exc)
    return text.removeprefix(f"{path}: ")


def publish_site(config: Config) -> PublishReport:
    """Regenerate every feed, ``feeds.opml`` and ``index.html`` from the archive."""
    report = PublishReport()
    public = config.public
    db = store.open_archive(config.database)
    try:
        feeds = query.list_feeds(db)
        for feed in feeds:
            articles = query.feed_articles(db, feed, public.entries_per_feed)
            if publish_feed(public.dir, public.base_url, public.title, feed, articles):
                report.written.append(feed.path)
            else:
                report.unchanged += 1
        latest = query.feed_articles(db, feeds[0], 20)
        report.written += publish_directory(public.dir, public.base_url, public.title, feeds,
                                            latest)
    finally:
        db.close()
    return report
