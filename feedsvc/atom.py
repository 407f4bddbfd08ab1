"""Atom 1.0 documents (RFC 4287) with feedgen: deterministic bytes for the same entries."""

from __future__ import annotations

import uuid

from feedgen.feed import FeedGenerator

from feedsvc import PROJECT_URL, __version__
from feedsvc.models import FeedInfo, StoredArticle
from feedsvc.text import xml_safe
from feedsvc.urls import ascii_url

FEED_TITLES = {
    "all": "{site}: all articles",
    "source": "{name} · {site}",
    "tag": "#{name} · {site}",
    "search": "Search “{name}” · {site}",
}


def entry_id(uid: str) -> str:
    """Stable for the life of the article, whatever the base URL: a name-based UUID URN."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, uid)}"


def feed_id(feed: FeedInfo) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'feedsvc:' + feed.path)}"


def feed_title(feed: FeedInfo, site_title: str) -> str:
    return FEED_TITLES[feed.kind].format(site=site_title, name=feed.name)


def render_feed(feed: FeedInfo, articles: list[StoredArticle], self_url: str, home_url: str,
                site_title: str) -> bytes:
    """The Atom document of ``feed``; same inputs give the same bytes (no clock inside)."""
    fg = FeedGenerator()
    fg.id(feed_id(feed))
    fg.title(xml_safe(feed_title(feed, site_title)))
    fg.author({"name": xml_safe(site_title)})  # entries without an author inherit this
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=home_url, rel="alternate", type="text/html")
    fg.generator("feedsvc", __version__, PROJECT_URL)
    fg.updated(max((a.updated for a in articles), default="1970-01-01T00:00:00Z"))
    for article in articles:
        add_entry(fg, article)
    return bytes(fg.atom_str(pretty=True))


def add_entry(fg: FeedGenerator, article: StoredArticle) -> None:
    entry = fg.add_entry(order="append")
    entry.id(entry_id(article.uid))
    entry.title(xml_safe(article.title) or "(untitled)")
    if article.url:
        entry.link(href=ascii_url(article.url), rel="alternate", type="text/html")
    entry.published(article.published)
    entry.updated(article.updated)
    if article.author:
        entry.author({"name": xml_safe(article.author)})
    for tag in article.tags:
        entry.category(term=xml_safe(tag), label=xml_safe(tag))
    if article.summary:
        entry.summary(xml_safe(article.summary))
    if article.content_html:
        entry.content(xml_safe(article.content_html), type="html")
