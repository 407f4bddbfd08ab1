"""The two documents about the feeds: ``feeds.opml`` for readers, ``index.html`` for people;
and what every page and response of the site shares (page frame, CSP, content ETags)."""

from __future__ import annotations

import hashlib
from html import escape
from xml.etree import ElementTree as ET

from feedsvc.atom import feed_title
from feedsvc.models import FeedInfo, StoredArticle
from feedsvc.urls import ascii_url

# Pages hold sanitized third-party markup; the browser enforces the rest (sent by the server).
HTML_POLICY = ("default-src 'none'; img-src * data:; media-src *; style-src 'self' "
               "'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECTIONS = (("all", "Everything"), ("source", "Sources"), ("tag", "Tags"))
PAGE_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;"
              "padding:0 1rem}\nsmall{color:#666}")


def content_etag(body: bytes) -> str:
    """A strong ETag from the bytes: the same content always gets the same tag."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Does an If-None-Match header name ``etag`` (weakly, or as its gzip variant)?"""
    tags = {tag.strip().removeprefix("W/").replace('-gz"', '"')
            for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def html_page(title: str, head: str, body: str, style: str = "") -> bytes:
    """A page of the site; ``title`` is plain text, ``head`` and ``body`` are markup."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
{head}
<style>{PAGE_STYLE}{style}</style>
</head>
<body>
{body}
</body>
</html>
""".encode()


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


def json_url(atom_url: str) -> str:
    """The JSON Feed published beside an Atom feed."""
    return atom_url.removesuffix(".xml") + ".json"


def render_index(feeds: list[tuple[FeedInfo, str]], latest: list[StoredArticle],
                 site_title: str) -> bytes:
    """A plain page listing every feed, with autodiscovery links for browsers and readers."""
    discovery = "\n".join(
        f'<link rel="alternate" type="{kind}" title="{escape(feed_title(f, site_title))}'
        f'{label}" href="{escape(href)}">'
        for f, url in feeds
        for kind, label, href in (("application/atom+xml", "", url),
                                  ("application/feed+json", " (JSON Feed)", json_url(url)))
    )
    sections = []
    for kind, label in SECTIONS:
        items = "\n".join(
            f'<li><a href="{escape(url)}">{escape(f.name)}</a> '
            f'<small>{f.count} {"entry" if f.count == 1 else "entries"}, last updated '
            f'{escape(f.updated or "never")} · <a href="{escape(url)}">Atom</a> · '
            f'<a href="{escape(json_url(url))}">JSON Feed</a></small></li>'
            for f, url in feeds if f.kind == kind
        )
        if items:
            sections.append(f"<h2>{label}</h2>\n<ul>\n{items}\n</ul>")
    newest = "\n".join(
        f'<li><a href="{escape(ascii_url(a.url))}">{escape(a.title)}</a> '
        f"<small>{escape(a.source)}, {escape(a.published[:10])}</small></li>"
        if a.url else f"<li>{escape(a.title)} <small>{escape(a.source)}</small></li>"
        for a in latest
    )
    head = ('<link rel="alternate" type="text/x-opml" title="All feeds (OPML)" '
            f'href="feeds.opml">\n{discovery}')
    body = f"""<h1>{escape(site_title)}</h1>
<p>Subscribe to any feed below in your feed reader, or import
<a href="feeds.opml">feeds.opml</a> to subscribe to all of them.</p>
<form action="search" method="get"><input type="search" name="q" size="40"
 aria-label="Search the archive" placeholder="新疆, visit, &quot;human rights&quot;">
 <button>Search</button> <small>every search is a feed too: <a
 href="search">how</a></small></form>
{chr(10).join(sections)}
<h2>Latest articles</h2>
<ul>
{newest}
</ul>"""
    return html_page(site_title, head, body)
