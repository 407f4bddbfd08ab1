"""``feeds.opml`` for readers, and what every response of the site shares (CSP, content
ETags). The pages people read are ``webpages.py``'s."""

from __future__ import annotations

import hashlib
from xml.etree import ElementTree as ET

from feedsvc.atom import feed_title
from feedsvc.models import FeedInfo

# Pages hold sanitized third-party markup; the browser enforces the rest (sent by the server).
HTML_POLICY = ("default-src 'none'; img-src * data:; media-src *; style-src 'self' "
               "'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECTIONS = (("all", "Everything"), ("source", "Sources"), ("tag", "Tags"),
            ("changes", "Edits and removals"), ("stories", "Each story once"))


def content_etag(body: bytes) -> str:
    """A strong ETag from the bytes: the same content always gets the same tag."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Does an If-None-Match header name ``etag`` (weakly, or as its gzip variant)?"""
    tags = {tag.strip().removeprefix("W/").replace('-gz"', '"')
            for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def render_opml(feeds: list[tuple[FeedInfo, str]], site_title: str, home_url: str) -> bytes:
    """OPML 2.0: one outline per section, one ``type="rss"`` outline per feed."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = f"{site_title} feeds"
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(opml, "body")
    for kind, label in SECTIONS:
        members = [(f, url) for f, url in feeds if f.kind == kind]
        if not members:
            continue
        group = ET.SubElement(body, "outline", text=label, title=label)
        for feed, url in members:
            title = feed_title(feed, site_title)
            ET.SubElement(group, "outline", type="rss", version="ATOM1", text=title,
                          title=title, xmlUrl=url, htmlUrl=home_url)
    ET.indent(opml)
    return bytes(ET.tostring(opml, encoding="utf-8", xml_declaration=True)) + b"\n"


def is_browser_navigation(headers: dict[bytes, bytes]) -> bool:
    """A browser loading a page for a person (Fetch Metadata: every current browser sends
    these on navigation; feed readers, fetch() and curl do not)."""
    return (headers.get(b"sec-fetch-dest") == b"document"
            and headers.get(b"sec-fetch-mode") == b"navigate")
