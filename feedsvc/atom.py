"""Atom 1.0 documents (RFC 4287) with feedgen: deterministic bytes for the same entries.

Feeds carry their history (RFC 5005 links, ``fh:archive``), entries their provenance
(``atom:source``) and language (``xml:lang``).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from lxml import etree

from feedsvc import PROJECT_URL, __version__
from feedsvc.models import FeedInfo, StoredArticle
from feedsvc.text import language_tag, xml_safe
from feedsvc.urls import ascii_url
from feedsvc.webpath import article_path

FEED_HISTORY = "http://purl.org/syndication/history/1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED_TITLES = {
    "all": "{site}: all articles",
    "source": "{name} · {site}",
    "tag": "#{name} · {site}",
    "search": "Search “{name}” · {site}",
    "changes": "Edits and removals: {name} · {site}",
    "stories": "{site}: each story once",
}


@dataclass(slots=True, frozen=True)
class History:
    """Where a document sits in its feed's history (RFC 5005 §4), as absolute URLs."""

    current: str  # the subscription document
    prev_archive: str | None = None  # the archive page before (older)
    next_archive: str | None = None  # the archive page after (newer)
    is_archive: bool = False  # this document is an archive page (``fh:archive``)


@lru_cache(maxsize=4096)
def timestamp(rfc3339: str) -> datetime:
    """The archive's RFC 3339 strings as datetimes: handed to feedgen as strings, they went
    through dateutil's parser, half the time of a full publish."""
    try:
        return datetime.fromisoformat(rfc3339)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)  # edited by hand into something else


@lru_cache(maxsize=65536)
def entry_id(uid: str) -> str:
    """Stable for the life of the article, whatever the base URL: a name-based UUID URN."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, uid)}"


def feed_id(feed: FeedInfo) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'feedsvc:' + feed.path)}"


def feed_title(feed: FeedInfo, site_title: str) -> str:
    if feed.kind == "changes" and feed.slug == "":
        return f"{site_title}: edits and removals"
    return FEED_TITLES[feed.kind].format(site=site_title, name=feed.name)


def vanished_notice(article: StoredArticle) -> str:
    """What an article's page and feed entries say once it is gone from its outlet."""
    if not article.vanished_at:
        return ""
    reason = escape(article.vanished_reason or "no longer found")
    return (f'<p class="vanished"><strong>No longer at its outlet.</strong> A re-check on '
            f"{escape(article.vanished_at[:16].replace('T', ' '))} UTC found: {reason}. "
            "What follows is the copy archived before.</p>")


def render_feed(feed: FeedInfo, articles: list[StoredArticle], self_url: str, home_url: str,
                site_title: str, history: History | None = None,
                stylesheet: str | None = None, pages_base: str | None = None) -> bytes:
    """The Atom document of ``feed``; same inputs give the same bytes (no clock inside).

    ``stylesheet`` is the (relative) URL of the XSLT that renders it in a browser;
    ``pages_base`` where the site is, when entries link to their archived pages.
    """
    fg = FeedGenerator()
    fg.register_extension("history", FeedHistory, EntryProvenance, atom=True, rss=False)
    fg.id(feed_id(feed))
    fg.title(xml_safe(feed_title(feed, site_title)))
    fg.author({"name": xml_safe(site_title)})  # entries without an author inherit this
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=home_url, rel="alternate", type="text/html")
    if history:
        fg.link(href=history.current, rel="current", type="application/atom+xml")
        for rel, href in (("prev-archive", history.prev_archive),
                          ("next-archive", history.next_archive)):
            if href:
                fg.link(href=href, rel=rel, type="application/atom+xml")
        fg.history.archive = history.is_archive
    fg.generator("feedsvc", __version__, PROJECT_URL)
    fg.updated(timestamp(max((a.updated for a in articles), default="1970-01-01T00:00:00Z")))
    for article in articles:
        add_entry(fg, article, page_url(pages_base, article) if pages_base else None)
    document = bytes(fg.atom_str(pretty=True))
    if stylesheet:
        declaration, _, rest = document.partition(b"\n")
        pi = f'<?xml-stylesheet type="text/xsl" href="{stylesheet}"?>'.encode()
        document = b"\n".join((declaration, pi, rest))
    return document


def page_url(base_url: str, article: StoredArticle) -> str:
    """The absolute URL of the article's archived page."""
    return base_url + quote(article.page_path or article_path(article.uid, article.url))


def add_entry(fg: FeedGenerator, article: StoredArticle, archived: str | None = None) -> None:
    """One entry. With ``archived`` (the URL of its page in the archive), that page is the
    ``alternate`` link and the original is ``via``, "the source of the information" (RFC
    4287 §4.2.7.2): a reader's link then always works, even after the outlet removed the
    article, and the original is one click further, on the page and in the entry."""
    entry = fg.add_entry(order="append")
    entry.id(entry_id(article.uid))
    entry.title(xml_safe(article.title) or "(untitled)")
    links = [("alternate", archived)] if archived else []
    if article.url:
        links.append(("via" if archived else "alternate", ascii_url(article.url)))
    for rel, address in links:
        entry.link(href=address, rel=rel, type="text/html")
    entry.history.rels = [rel for rel, _ in links]
    entry.published(timestamp(article.published))
    entry.updated(timestamp(article.updated))
    if article.author:
        entry.author({"name": xml_safe(article.author)})
    for tag in article.tags:
        entry.category(term=xml_safe(tag), label=xml_safe(tag))
    if article.summary:
        entry.summary(xml_safe(article.summary))
    # Always a content element, even empty: an entry without a link must have one (RFC 4287
    # §4.1.1.1), and a title-only article is still an article.
    entry.content(xml_safe(vanished_notice(article) + article.content_html), type="html")
    entry.history.lang = language_tag(article.lang)
    entry.history.source = article.source_feed


class FeedHistory:
    """feedgen extension: ``fh:archive`` on archive pages (RFC 5005 §4.2)."""

    def __init__(self) -> None:
        self.archive = False

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FEED_HISTORY}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        if self.archive:
            # feedgen appends extensions before the entries: RFC 4287 wants them there.
            etree.SubElement(feed, f"{{{FEED_HISTORY}}}archive")
        return feed


class EntryProvenance:
    """feedgen extension: an entry's ``xml:lang`` and its ``atom:source`` (RFC 4287 §4.2.11);
    and the rel and type of its link to the original, which feedgen 1.0 drops."""

    def __init__(self) -> None:
        self.lang: str | None = None
        self.source: dict[str, str] | None = None
        self.rels: list[str] = []  # of the entry's links, in order

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for link, rel in zip(entry.iterfind("link"), self.rels, strict=False):
            link.set("rel", rel)
            link.set("type", "text/html")
        if self.lang:
            entry.set(XML_LANG, self.lang)
        if self.source:
            entry.append(source_element(self.source))
        return entry


def source_element(feed: dict[str, str]) -> etree._Element:
    """``atom:source``: the original feed's id, title, links and updated time.

    Unqualified names, as feedgen builds the rest: the root's default namespace is Atom's."""
    return copy.deepcopy(_source_element(tuple(sorted(feed.items()))))


@lru_cache(maxsize=1024)  # one per source snapshot; every entry of a source carries it
def _source_element(items: tuple[tuple[str, str], ...]) -> etree._Element:
    feed = dict(items)
    source = etree.Element("source")
    if feed.get("id"):
        etree.SubElement(source, "id").text = xml_safe(ascii_url(feed["id"]))
    if feed.get("title"):
        etree.SubElement(source, "title").text = xml_safe(feed["title"])
    if feed.get("link"):
        etree.SubElement(source, "link", rel="self", href=xml_safe(ascii_url(feed["link"])))
    if feed.get("home"):
        etree.SubElement(source, "link", rel="alternate", type="text/html",
                         href=xml_safe(ascii_url(feed["home"])))
    if feed.get("updated"):
        etree.SubElement(source, "updated").text = feed["updated"]
    return source
