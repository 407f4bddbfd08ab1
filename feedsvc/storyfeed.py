"""``stories.xml`` and ``stories.json``: each story once (issue 22), for readers who want
one entry per story however many outlets ran it. The entry is the story's fullest copy,
followed by the other copies' sources with links (the outlet's and the archived page) and
the related coverage.

Like every feed it is an RFC 5005 archived feed, cut in story order (by story id: the
order stories began), with the web page beside each document. A story that gains a copy
keeps its place: its page is rewritten, as an edited entry's is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from html import escape

from feedsvc import query
from feedsvc.archive import Archive
from feedsvc.history import archive_pages, with_media, write_page
from feedsvc.models import FeedInfo, FeedPage, LinkedArticle, PublicConfig, StoredArticle
from feedsvc.publish import feed_url
from feedsvc.urls import ascii_url
from feedsvc.webpages import Slugs, page_of
from feedsvc.webpath import article_path


def stories_feed(db: Archive) -> FeedInfo | None:
    row = db.execute("SELECT count(*), max(last_seen) FROM stories").fetchone()
    return FeedInfo("stories", "Stories", "stories", row[0], row[1]) if row[0] else None


def publish_stories(db: Archive, public: PublicConfig, slugs: Slugs,
                    touched: Iterable[int] | None = None) -> tuple[list[str], int]:
    """Write the stories feed: every document, or with ``touched`` (story ids) the
    subscription document, the newest two archive pages and those holding these stories."""
    feed = stories_feed(db)
    if feed is None:
        return [], 0
    per_page = public.entries_per_feed
    top = FeedPage(feed, 0, archive_pages(feed.count, per_page))
    if touched is None:
        numbers = list(range(top.archive_pages + 1))
    else:
        wanted = {0, top.archive_pages, top.archive_pages - 1}
        for story_id in touched:  # its rank in story order: a count over the id index
            rank = db.execute("SELECT count(*) FROM stories WHERE id < ?",
                              [story_id]).fetchone()[0]
            wanted.add(rank // per_page + 1)
        numbers = sorted(n for n in wanted if 0 <= n <= top.archive_pages)
    written: list[str] = []
    unchanged = 0
    for number in numbers:
        if number:
            chunk = [r[0] for r in db.execute("SELECT id FROM stories ORDER BY id LIMIT ? "
                                              "OFFSET ?", [per_page, (number - 1) * per_page])]
        else:  # the subscription document: the newest, counted from the end
            chunk = [r[0] for r in db.execute(
                "SELECT id FROM stories ORDER BY id DESC LIMIT ?",
                [feed.count - top.archive_pages * per_page])][::-1]
        entries = story_entries(db, chunk, public)
        for path in write_page(public, top.page(number) if number else top, entries, slugs):
            if path:
                written.append(path)
            else:
                unchanged += 1
    return written, unchanged


def story_entries(db: Archive, story_ids: list[int], public: PublicConfig
                  ) -> list[StoredArticle]:
    """One entry per story, in the order given: its fullest copy (pointing at the archived
    copies of its images, as the other feeds do), with the others listed."""
    rows = {s.id: s for s in query.list_stories(db, story_ids=story_ids)}
    leads = {a.id: a for a in with_media(db, public, query.articles_by_id(
        db, [r.article_id for r in rows.values()]))}
    entries = []
    for story_id in story_ids:
        story = rows.get(story_id)
        lead = leads.get(story.article_id) if story else None
        if story is None or lead is None:
            continue
        others = [m for m in story.members if m.id != lead.id]
        entries.append(replace(
            lead, id=story.id, uid=f"story:{story.id}", title=story.title,
            updated=max([lead.updated, story.last_seen]),
            content_html=lead.content_html + _copies_html(others, story.coverage,
                                                            public.base_url),
            page_path=page_of(lead)))
    return entries


def _copies_html(copies: list[LinkedArticle], coverage: tuple[LinkedArticle, ...],
                 base_url: str) -> str:
    """The other copies and the related coverage, each linking its archived page (an
    absolute address: a feed reader has no page to resolve it against) and its original."""
    parts = []
    for label, items in (("Also published by", copies), ("Related coverage", coverage)):
        if not items:
            continue
        links = []
        for item in items:
            original = (f' (<a href="{escape(ascii_url(item.url))}">original</a>)'
                        if item.url else "")
            page = feed_url(base_url, article_path(item.uid, item.url))
            also = f" (also {escape(', '.join(item.others))})" if item.others else ""
            links.append(f'<li><a href="{escape(page)}">'
                         f"{escape(item.source)}: {escape(item.title)}</a>{original}{also}</li>")
        parts.append(f"<p><strong>{label}</strong></p>\n<ul>\n" + "\n".join(links) + "\n</ul>")
    return ("\n<hr>\n" + "\n".join(parts)) if parts else ""
