"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/): the same entries as the Atom
document beside it, for readers that prefer JSON."""

from __future__ import annotations

import json
from typing import Any

from feedsvc.atom import entry_id, feed_title, page_url, vanished_notice
from feedsvc.models import FeedInfo, StoredArticle
from feedsvc.text import language_tag, xml_safe
from feedsvc.urls import ascii_url

VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(feed: FeedInfo, articles: list[StoredArticle], self_url: str,
                     home_url: str, site_title: str, older_url: str | None = None,
                     pages_base: str | None = None) -> bytes:
    """The JSON Feed document; ``older_url`` is its ``next_url`` (the next, older page).
    With ``pages_base``, an item's ``url`` (its permalink) is its archived page and
    ``external_url`` the original, as JSON Feed 1.1 defines them.

    Same inputs give the same bytes. Text goes through ``xml_safe`` too: a reader that turns
    the entries into XML must not meet characters XML forbids.
    """
    document: dict[str, Any] = {
        "version": VERSION,
        "title": xml_safe(feed_title(feed, site_title)),
        "home_page_url": home_url,
        "feed_url": self_url,
        "authors": [{"name": xml_safe(site_title)}],
    }
    if older_url:
        document["next_url"] = older_url
    document["items"] = [_item(article, pages_base) for article in articles]
    # No indent: the C encoder only runs without one (a third of a publish otherwise).
    return (json.dumps(document, ensure_ascii=False) + "\n").encode()


def _item(article: StoredArticle, pages_base: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry_id(article.uid)}
    if pages_base:
        item["url"] = page_url(pages_base, article)
        if article.url:
            item["external_url"] = ascii_url(article.url)
    elif article.url:
        item["url"] = ascii_url(article.url)
    item["title"] = xml_safe(article.title) or "(untitled)"
    item["content_html"] = xml_safe(vanished_notice(article) + article.content_html)
    if article.summary:
        item["summary"] = xml_safe(article.summary)
    item["date_published"] = article.published
    item["date_modified"] = article.updated
    if article.author:
        item["authors"] = [{"name": xml_safe(article.author)}]
    if article.tags:
        item["tags"] = [xml_safe(tag) for tag in article.tags]
    lang = language_tag(article.lang)
    if lang:
        item["language"] = lang
    if article.source_feed:  # provenance: an extension, as JSON Feed names them
        item["_feedsvc"] = {"source": {k: xml_safe(v) for k, v in
                                       sorted(article.source_feed.items())}}
    return item
