"""Each feed as RFC 5005 archived feed: a subscription document plus archive pages.

Pages are cut from the feed's articles in archive order (by id, so arrival order): page 1
holds the oldest ``per_page``, page 2 the next, and so on; the subscription document holds
the rest, between ``per_page`` and ``2 * per_page - 1`` entries (all of them while the feed
is shorter). Every entry is in exactly one document, and a full page keeps its entries for
good: new articles only ever reach the subscription document, until it can give a whole
page to the archive. An edited entry stays on its page, which is rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from html import escape
from pathlib import Path

from feedsvc import query
from feedsvc.archive import Archive
from feedsvc.atom import History, render_feed
from feedsvc.jsonfeed import render_json_feed
from feedsvc.mediapublish import with_copies
from feedsvc.models import Change, FeedInfo, FeedPage, PublicConfig, StoredArticle
from feedsvc.publish import STYLESHEET, feed_url, write_file
from feedsvc.webpages import Slugs, page_of, pages_of, render_listing
from feedsvc.webpath import href


def archive_pages(total: int, per_page: int) -> int:
    """How many full archive pages a feed of ``total`` entries has."""
    return max(0, total // per_page - 1)


def publish_history(db: Archive, public: PublicConfig, feed: FeedInfo,
                    changed: Iterable[int] | None = None,
                    slugs: Slugs | None = None) -> tuple[list[str], int]:
    """Write the feed's documents (Atom, JSON Feed and web page): all of them, or with
    ``changed`` (article ids) only those that can differ. ``slugs`` (where the sources' and
    tags' pages are) is read once per publish by the caller. Returns (paths written,
    documents unchanged)."""
    per_page = public.entries_per_feed
    top = FeedPage(feed, 0, archive_pages(feed.count, per_page))
    written: list[str] = []
    unchanged = 0
    slugs = slugs or Slugs(*query.listing_slugs(db))
    changed = None if changed is None else set(changed)
    for page, articles in (_every_page(db, top, per_page) if changed is None
                           else _pages_holding(db, top, per_page, changed)):
        paths = write_page(public, page, with_media(db, public, articles), slugs)
        if feed.kind == "all":  # every article is in it once: its page is written here
            paths += write_article_pages(public, articles if changed is None else [
                a for a in articles if a.id in changed], slugs, db)
        for path in paths:
            if path:
                written.append(path)
            else:
                unchanged += 1
    if changed is None:
        _remove_pages_after(Path(public.dir) / top.stem, top.archive_pages)
    return written, unchanged


def _every_page(db: Archive, top: FeedPage,
                per_page: int) -> Iterable[tuple[FeedPage, list[StoredArticle]]]:
    """Every document of the feed, one page of articles in memory at a time."""
    last_id = 0
    for number in range(1, top.archive_pages + 1):
        chunk = query.feed_chunk(db, top.feed, last_id, per_page)
        if not chunk:
            return  # the archive shrank under us; the next publish puts it right
        yield top.page(number), chunk
        last_id = chunk[-1].id
    yield top, query.feed_chunk(db, top.feed, last_id, None)


def _pages_holding(db: Archive, top: FeedPage, per_page: int,
                   changed: Iterable[int]) -> Iterable[tuple[FeedPage, list[StoredArticle]]]:
    """The subscription document, the newest two archive pages (a new page links the one
    before it) and the pages holding the changed articles."""
    total, pages = top.feed.count, top.archive_pages
    numbers = {0, pages, pages - 1}
    numbers |= {rank // per_page + 1 for rank in query.feed_ranks(db, top.feed, changed, total)
                if rank // per_page < pages}
    for number in sorted(n for n in numbers if n >= 0):
        if number == 0:
            yield top, query.feed_from_end(db, top.feed, 0, total - pages * per_page)
        else:
            yield top.page(number), query.feed_from_end(db, top.feed, total - number * per_page,
                                                        per_page)


def write_page(public: PublicConfig, page: FeedPage, articles: list[StoredArticle],
               slugs: Slugs) -> list[str | None]:
    """Write one document as Atom, as JSON Feed and as a web page; the path of each that
    changed (None for each that did not). ``articles`` come in archive order (as ``query``
    hands them out) and go newest first."""
    base = public.base_url
    newest_first = articles[::-1]
    older, newer = page.older, page.newer
    history = History(
        current=feed_url(base, page.feed.path),
        prev_archive=feed_url(base, older.path()) if older else None,
        next_archive=feed_url(base, newer.path()) if newer else None,
        is_archive=page.is_archive,
    )
    stylesheet = "../" * page.path().count("/") + STYLESHEET
    atom = render_feed(page.feed, newest_first, feed_url(base, page.path()), base,
                       public.title, history, stylesheet, pages_base=base)
    json_feed = render_json_feed(page.feed, newest_first, feed_url(base, page.path("json")),
                                 base, public.title,
                                 feed_url(base, older.path("json")) if older else None,
                                 pages_base=base)
    listing = render_listing(page, newest_first, slugs, public.title, base)
    root = Path(public.dir)
    return [path if write_file(root / path, data) else None for path, data in (
        (page.path(), atom), (page.path("json"), json_feed), (page.path("html"), listing))]


def write_article_pages(public: PublicConfig, articles: list[StoredArticle],
                        slugs: Slugs, db: Archive) -> list[str | None]:
    """Each article's own page; the path of each that changed (None: unchanged)."""
    root = Path(public.dir)
    changes = query.changes_of(db, [a.id for a in articles
                                    if a.revision > 1 or a.vanished_at])
    links = query.story_links(db, [a.id for a in articles])
    # a page shows the archived copy of an image whenever there is one
    articles = with_copies(db, articles, lambda a, path: href(page_of(a), path))
    return [path if write_file(root / path, data) else None
            for path, data in pages_of(articles, slugs, public.title, public.base_url,
                                       changes, links)]


def with_media(db: Archive, public: PublicConfig,
               articles: list[StoredArticle]) -> list[StoredArticle]:
    """Feed entries pointing at the archived copies of their images (``public.media:
    local``), by absolute address: a feed reader has no page to resolve a path against."""
    if public.media != "local":
        return articles
    return with_copies(db, articles, lambda _article, path: feed_url(public.base_url, path))


def publish_changes(db: Archive, public: PublicConfig,
                    slugs: Slugs | None = None) -> tuple[list[str], int]:
    """The feeds of edits and removals (``changes.xml``, ``sources/<slug>/changes.xml``),
    with their history pages and web pages like every feed. Small: written whole each time
    (files whose bytes would not change are not rewritten)."""
    slugs = slugs or Slugs(*query.listing_slugs(db))
    written: list[str] = []
    unchanged = 0
    per_page = public.entries_per_feed
    for feed in query.change_feeds(db):
        entries = [change_entry(change, article)
                   for change, article in query.change_entries(db, feed)]
        top = FeedPage(feed, 0, archive_pages(len(entries), per_page))
        documents = [(top.page(n), entries[(n - 1) * per_page:n * per_page])
                     for n in range(1, top.archive_pages + 1)]
        documents.append((top, entries[top.archive_pages * per_page:]))
        for page, chunk in documents:
            for path in write_page(public, page, chunk, slugs):
                if path:
                    written.append(path)
                else:
                    unchanged += 1
    return written, unchanged


def change_entry(change: Change, article: StoredArticle) -> StoredArticle:
    """One change as a feed entry: about the article, linking its page and its original."""
    if change.kind == "edited":
        title = f"Edited: {article.title}"
        content = change.diff_html or ""
    else:
        title = f"{change.kind.capitalize()}: {article.title}"
        content = (f"<p>A re-check found this article {escape(change.kind)} at its outlet"
                   + (f" ({escape(change.detail)})" if change.detail else "") + ". The "
                   "archived copy is kept.</p>")
    return replace(article, id=change.id, uid=f"change:{change.id}", title=title,
                   published=change.at, updated=change.at, summary=None, content_html=content,
                   tags=(), source_feed=None, vanished_at=None,
                   page_path=page_of(article))


_PAGE_FILE = re.compile(r"(\d+)\.(xml|json|html)")


def _remove_pages_after(folder: Path, last: int) -> None:
    """Archive pages beyond the last one: left over when articles were deleted by hand."""
    if not folder.is_dir():
        return
    for file in folder.iterdir():
        match = _PAGE_FILE.fullmatch(file.name)
        if match and int(match.group(1)) > last:
            file.unlink(missing_ok=True)
