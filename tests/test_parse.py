"""The two feed parsers: fastfeedparser for plain documents, feedparser for the rest.

Whichever reads a document, the articles must be the same: every field of every entry is
compared between the two paths on RSS and Atom variants, the test feeds, the XSS corpus
feed and a generated bench feed.
"""

import dataclasses
import random
from datetime import UTC, datetime

import pytest

from bench.workload import rss_feed
from feedsvc.parse import (
    ParsedFeed,
    _recode,
    cap_entries,
    parse_fast,
    parse_feed,
    parse_robust,
)

from .conftest import DATA
from .test_hostile import hostile_rss

NOW = datetime(2026, 1, 1, tzinfo=UTC)
URL = "http://127.0.0.1:1/feed.xml"


def rss(items: str, channel: str = "<language>en-GB</language>") -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title>'
            f"<link>https://e.org/</link>{channel}{items}</channel></rss>").encode()


def atom(entries: str, lang: str = "en") -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            f'xml:lang="{lang}"><title>F</title><id>urn:f</id>'
            '<updated>2024-05-04T12:00:00Z</updated><link href="https://e.org/"/>'
            f"{entries}</feed>").encode()


RSS_ITEMS = {
    "email-author": "<author>jane@e.org (Jane R)</author>"
                    "<pubDate>Sat, 04 May 2024 10:00:00 +0800</pubDate>",
    "dc-creator-and-date": "<dc:creator>Bob</dc:creator><dc:date>2024-05-04T10:00:00+08:00</dc:date>",
    "unparseable-date": "<pubDate>not a date</pubDate>",
    "date-without-zone": "<pubDate>2024-05-04 10:00</pubDate>",
    "html-title-in-cdata": "<title><![CDATA[A <b>bold</b> &amp; x]]></title>",
    "escaped-title": "<title>A &amp;amp; B &lt;i&gt;</title>",
    "no-title": "<description>Body only</description>",
    "guid-not-permalink": "<guid isPermaLink='false'>x-1</guid>",
    "guid-permalink-no-link": "<guid>https://e.org/g</guid>",
    "categories": "<category domain='x'>c1</category><category> c2 </category>",
    "content-and-description": "<description>short</description>"
                               "<content:encoded><![CDATA[<p>long body</p>]]></content:encoded>",
    "description-longer": "<description>a much longer description</description>"
                          "<content:encoded>short</content:encoded>",
    "enclosure": "<enclosure url='https://e.org/a.mp3' type='audio/mpeg' length='1'/>",
    "spaces": "<title>\n  Spaced   title \n</title>",
    "relative-link": "<link>/2024/story</link>",
    # A whole (broken) HTML document as a title once made lxml.html fail the whole feed.
    "html-document-title": "<title>&lt;html&gt;Breaking&lt;/body&gt;&lt;p&gt;x&lt;/p&gt;"
                           "&lt;body&gt;news</title>",
}
ATOM_ENTRIES = {
    "two-authors-label-category": '<entry><title type="html">A &lt;b&gt;x&lt;/b&gt;</title>'
        '<id>urn:1</id><link href="https://e.org/1"/><updated>2024-05-04T12:00:00Z</updated>'
        "<author><name>Ann</name><email>a@e.org</email></author><author><name>Bo</name>"
        '</author><summary>s</summary><content type="html">&lt;p&gt;long long&lt;/p&gt;'
        '</content><category term="t1"/><category label="L"/></entry>',
    "text-content-no-summary": '<entry><title type="text">A &lt; B</title><id>urn:2</id>'
        '<link rel="alternate" type="text/html" href="https://e.org/2"/>'
        '<published>2024-05-01T00:00:00+02:00</published>'
        '<content type="text">plain &lt;b&gt; text</content></entry>',
    "languages": '<entry xml:lang="fr"><title>T</title><id>urn:3</id><link href="/rel"/>'
                 '<content xml:lang="de" type="html">x</content></entry>',
    "summary-only": '<entry><title>T</title><id>tag:e.org,2024:4</id>'
                    '<summary type="html">&lt;p&gt;only summary&lt;/p&gt;</summary></entry>',
}
DOCUMENTS = {
    **{f"rss-{name}": rss("<item>" + ("" if "<title>" in item else "<title>A</title>")
                          + ("" if "<link>" in item or "<guid>" in item
                             else "<link>https://e.org/a</link>") + item + "</item>")
       for name, item in RSS_ITEMS.items()},
    **{f"atom-{name}": atom(entry) for name, entry in ATOM_ENTRIES.items()},
    "rss-test-feed": (DATA / "feeds" / "rss2.xml").read_bytes(),
    "gbk-test-feed": (DATA / "feeds" / "gbk.xml").read_bytes(),
    "xss-corpus": hostile_rss(),
    "bench": rss_feed(3, 20, "http://127.0.0.1:1", random.Random(1)),
}


def both(body: bytes, content_type: str = "application/xml"
         ) -> tuple[ParsedFeed | None, ParsedFeed]:
    body, content_type = _recode(body, content_type)
    body, found = cap_entries(body)
    return (parse_fast(body, URL, content_type, found, NOW),
            parse_robust(body, URL, content_type, found, NOW))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_fast_path_reads_what_feedparser_reads(name: str) -> None:
    fast, robust = both(DOCUMENTS[name])
    assert fast is not None, "a plain document must take the fast path"
    for field in ("title", "link", "format", "feed_id", "updated", "entries_found"):
        assert getattr(fast, field) == getattr(robust, field), field
    assert len(fast.articles) == len(robust.articles) > 0
    for ours, theirs in zip(fast.articles, robust.articles, strict=True):
        assert dataclasses.asdict(ours) == dataclasses.asdict(theirs)


@pytest.mark.parametrize(("name", "body", "content_type"), [
    ("xml:base", (DATA / "feeds" / "atom.xml").read_bytes(), ""),
    ("latin-1 by HTTP", rss("<item><title>caf\xe9</title></item>").replace(
        b"caf\xc3\xa9", b"caf\xe9").replace(b' encoding="utf-8"', b""),
     "text/xml; charset=iso-8859-1"),
    ("DOCTYPE", rss("<item><title>A</title></item>").replace(
        b"<rss", b'<!DOCTYPE rss [<!ENTITY x "y">]><rss', 1), ""),
    ("not well-formed", rss("<item><title>A &nbsp; B</title></item>"), ""),
    ("RSS 1.0", b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
     b'syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel>'
     b"<item><title>A</title><link>https://e.org/a</link></item></rdf:RDF>", ""),
    ("XHTML content", atom('<entry><title>T</title><id>urn:x</id><content type="xhtml">'
                           '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>'
                           "</content></entry>"), ""),
])
def test_unusual_documents_go_to_feedparser(name: str, body: bytes, content_type: str) -> None:
    fast, robust = both(body, content_type or "application/xml")
    assert fast is None
    assert robust.articles


def test_a_title_holding_a_broken_html_document_costs_nothing_else() -> None:
    body = rss("<item><title>&lt;html&gt;Breaking&lt;/body&gt;&lt;p&gt;x&lt;/p&gt;&lt;body&gt;news"
               "</title><link>https://e.org/1</link></item>"
               "<item><title>Calm</title><link>https://e.org/2</link></item>")
    titles = [" ".join(article.title.split()) for article in parse_feed(body, URL).articles]
    assert titles == ["Breaking x news", "Calm"]
