"""Finding a site's feeds from any of its pages (issue 21): the URL itself if it is a feed,
else the page's ``<link rel="alternate">`` feeds (RSS, Atom, JSON Feed; relative hrefs
resolved), else the usual places, else the same at the site's root. Each candidate is
fetched and parsed, so what is offered is a feed that reads, with its title and size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from feedsvc.errors import FeedsvcError, FetchError
from feedsvc.fetch import Fetcher, http_status
from feedsvc.parse import parse_feed

FEED_TYPES = {"application/rss+xml": "RSS", "application/atom+xml": "Atom",
              "application/feed+json": "JSON Feed", "application/json": "JSON Feed",
              "application/rdf+xml": "RSS", "text/xml": "RSS", "application/xml": "RSS"}
USUAL_PLACES = ("/feed", "/rss", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json",
                "/feed.xml", "/feeds/posts/default")


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str  # after redirects
    title: str
    kind: str  # "Atom" | "RSS" | "JSON Feed"
    entries: int
    site: str | None = None  # the feed's home page link


@dataclass(slots=True)
class Discovery:
    feeds: list[FoundFeed] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)  # "URL: what it was", for the error


async def discover(fetcher: Fetcher, url: str) -> Discovery:
    """The feeds at or behind ``url``: it, else the page's alternates, else the usual
    places on its site, else the site root's alternates."""
    found = Discovery()
    page = await _read(fetcher, url, found)
    if found.feeds:
        return found
    for candidate in _alternates(page, url) if page else []:
        await _read(fetcher, candidate, found)
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}/"
    for place in USUAL_PLACES if not found.feeds else ():
        await _read(fetcher, urljoin(root, place), found)
    if not found.feeds and parts.path.strip("/"):
        home = await _read(fetcher, root, found)
        for candidate in _alternates(home, root) if home else []:
            await _read(fetcher, candidate, found)
    return found


async def _read(fetcher: Fetcher, url: str, found: Discovery) -> bytes | None:
    """Fetch ``url``: a feed is added to ``found``; an HTML page is returned."""
    try:
        answer = await fetcher.fetch(url)
    except FetchError as exc:
        found.tried.append(f"{url}: {exc.args[0].removeprefix(url + ': ')}")
        return None
    if answer.status != 200 or answer.body is None:
        found.tried.append(f"{url}: {http_status(answer.status)}")
        return None
    if any(feed.url == answer.url for feed in found.feeds):
        return None
    try:
        parsed = parse_feed(answer.body, answer.url, answer.content_type)
    except FeedsvcError:
        if b"<html" in answer.body[:4096].lower() or "html" in answer.content_type:
            found.tried.append(f"{url}: a web page")
            return answer.body
        found.tried.append(f"{url}: neither a feed nor a web page")
        return None
    kind = ("JSON Feed" if parsed.format.startswith("json") else
            "Atom" if parsed.format.startswith("atom") else "RSS")
    found.feeds.append(FoundFeed(answer.url, parsed.title or answer.url, kind,
                                 parsed.entries_found or len(parsed.articles), parsed.link))
    found.tried.append(f"{url}: a feed")
    return None


def _alternates(page: bytes, base: str) -> list[str]:
    try:
        root = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return []
    base = next((b for b in root.xpath("//base/@href")), base) if root.xpath("//base/@href") \
        else base
    found = []
    for link in root.xpath("//link[@href]"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rels and kind in FEED_TYPES:
            found.append(urljoin(str(base), link.get("href").strip()))
    return list(dict.fromkeys(found))
