"""The two feed parsers: the plain-document fast path (plainfeed) and feedparser.

Whichever reads a document, the articles must be the same: every field of every entry is
compared between the two paths on RSS and Atom variants, the test feeds, the XSS corpus
feed and a generated bench feed.
"""

import dataclasses
import json
import random
from datetime import UTC, datetime

import pytest

from bench.feedmix import mixed_documents
from bench.workload import rss_feed
from feedsvc.models import Article
from feedsvc.parse import (
    ParsedFeed,
    _recode,
    cap_entries,
    parse_fast,
    parse_feed,
    parse_robust,
)
from feedsvc.prepare import prepare_article

from .conftest import DATA
from .hostile import hostile_rss

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
    return (parse_fast(body, URL, content_type, found),
            parse_robust(body, URL, content_type, found))


# Titles that feedparser may take for HTML (a tag or an entity in the text), and plain text
# holding markup: feedparser decides those, the fast path steps aside.
DECLINED = {"rss-html-title-in-cdata", "rss-escaped-title", "rss-html-document-title",
            "atom-text-content-no-summary", "xss-corpus"}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_fast_path_reads_what_feedparser_reads(name: str) -> None:
    fast, robust = both(DOCUMENTS[name])
    if name in DECLINED:
        assert fast is None
        return
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
    ("an image enclosure", rss("<item><title>A</title><link>https://e.org/a</link><enclosure "
                               "url='/a.jpg' type='image/jpeg' length='1'/></item>"), ""),
    ("an enclosure of no type", rss("<item><title>A</title><link>https://e.org/a</link>"
                                    "<enclosure url='/a' length='1'/></item>"), ""),
    ("an Atom image enclosure", atom('<entry><title>T</title><id>urn:x</id><link rel="enclosure" '
                                     'type="image/png" href="/p.png"/></entry>'), ""),
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
    titles = [prepare_article(article).title for article in parse_feed(body, URL).articles]
    assert titles == ["Breaking x news", "Calm"]


CORPUS = DATA / "feeds" / "corpus"  # issue 15's cases, each file says what it exercises


def corpus(name: str) -> list[Article]:
    """The articles of a corpus document as archived; both paths must agree on it."""
    body = (CORPUS / name).read_bytes()
    kind = "application/json" if name.endswith(".json") else "application/xml"
    parsed = parse_feed(body, URL, kind)
    if kind == "application/xml":
        fast, robust = both(body)
        if fast is not None:
            assert [dataclasses.asdict(a) for a in fast.articles] == [
                dataclasses.asdict(a) for a in robust.articles]
    return [prepare_article(article) for article in parsed.articles]


def test_links_before_the_alternate_do_not_merge_entries() -> None:
    fast, _ = both((CORPUS / "atom-self-link-first.xml").read_bytes())
    assert fast is not None  # decided by the document: one alternate per entry
    assert [a.url for a in corpus("atom-self-link-first.xml")] == [
        "https://example.org/one", "https://example.org/two"]


def test_dates_keep_their_time_zones() -> None:
    published = {a.title: a.published for a in corpus("rss-date-forms.xml")}
    eight = datetime(2003, 6, 10, 8, tzinfo=UTC)
    assert published == {
        "colon offset": eight, "india": datetime(2003, 6, 10, 4, tzinfo=UTC),
        "gmt offset": datetime(2003, 6, 10, 5, tzinfo=UTC), "eastern": eight,
        "central european summer": eight, "created only": eight,
        "year only": datetime(2003, 1, 1, tzinfo=UTC)}


def test_no_script_text_in_titles_or_summaries() -> None:
    articles = corpus("rss-script-in-content-and-title.xml")
    assert [a.title for a in articles] == ["Plain title", "Breaking news"]
    assert articles[0].summary == "The words of the article."
    for article in articles:
        assert "SECRETCODE" not in f"{article.title} {article.summary} {article.content_html}"


def test_html_titles_are_unescaped_once() -> None:
    assert [a.title for a in corpus("rss-title-entities.xml")] == [
        "Tom & Jerry", "Fish & chips", "AT&T results"]
    assert parse_feed((CORPUS / "rss-title-entities.xml").read_bytes(), URL).title == \
        "Ben & Jerry's"


@pytest.mark.parametrize(("name", "words"), [
    ("rss-naked-markup.xml", ["Example naked words", "Example body words",
                              "Example fullitem words", "The real description."]),
    ("atom-base64-and-plain-text.xml", ["Example Atom body"]),
    ("atom-plain-text-brackets.xml", ["Browsers once drew the <blink> tag.",
                                      "A second paragraph & more."]),
    ("rss-cp1252.xml", ["don’t stop", "more…"]),
], ids=["naked-markup", "base64", "plain-text-brackets", "cp1252"])
def test_every_word_of_the_body_is_kept(name: str, words: list[str]) -> None:
    texts = [a.content_text for a in corpus(name)]
    assert all(any(w in t for t in texts) for w in words), texts
    assert all("RXhhbXBsZ" not in a.content_html for a in corpus(name))  # no base64


def test_plain_text_stays_paragraphs_of_words() -> None:
    (article,) = corpus("atom-plain-text-brackets.xml")
    assert article.content_html.count("<p>") == 2
    assert "&lt;blink&gt;" in article.content_html


def test_mis_encoded_titles_are_repaired() -> None:
    assert [a.title for a in corpus("rss-cp1252.xml")] == ["don’t", "wait…"]


def test_every_author_is_kept() -> None:
    assert [a.author for a in corpus("rss-authors.xml")] == [
        "Ann Lee, Bo Chen", "desk@example.org", "News Desk"]


def test_wrongly_typed_json_feed_fields_cost_only_themselves() -> None:
    parsed = parse_feed((CORPUS / "wrong-types.json").read_bytes(), URL, "application/json")
    assert [a.url for a in parsed.articles] == ["https://example.org/1", "https://example.org/2"]
    assert parsed.articles[0].content_html == "<p>The text survives a wrong content_html.</p>"
    assert parsed.articles[1].tags == ["ok", "3"]
    (note,) = parsed.notes
    assert "items[].title (int)" in note and "home_page_url (dict)" in note
    assert parsed.title is None and parsed.link is None


def test_an_atom_id_is_the_link_when_there_is_no_alternate() -> None:
    fast, robust = both((CORPUS / "atom-no-alternate-link.xml").read_bytes())
    assert fast is not None and fast.link == robust.link == "https://example.org/"
    assert [a.url for a in corpus("atom-no-alternate-link.xml")] == [
        "https://example.org/posts/1", None]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_real_world_pieces_agree_or_decline(seed: int) -> None:
    """bench/feedmix: random documents from the pieces real feeds are made of (link orders,
    date forms, escaped titles, authors, extensions). The fast path reads each exactly as
    feedparser does or declines it; ``python -m bench --only parse-corpus`` runs 20,000."""
    taken = 0
    for name, body in mixed_documents(500, seed):
        fast, robust = both(body)
        if fast is None:
            continue
        taken += 1
        assert [dataclasses.asdict(a) for a in fast.articles] == [
            dataclasses.asdict(a) for a in robust.articles], name
        assert (fast.title, fast.link) == (robust.title, robust.link), name
    assert taken > 5  # the generator still makes plain documents (about 1 in 25)


def test_plain_text_entities_are_resolved_once() -> None:
    (article,) = corpus("atom-plain-text-entities.xml")
    assert article.content_text == "Developer: Example Ltd. Fish & chips, 3 < 4."
    assert "&amp;nbsp;" not in article.content_html and "&amp;amp;" not in article.content_html


MEDIA_RSS = ('xmlns:media="http://search.yahoo.com/mrss/"',)


@pytest.mark.parametrize(("item", "picture"), [
    ("<media:thumbnail url='https://i.e.org/s.jpg' width='150'/>"
     "<media:thumbnail url='https://i.e.org/m.jpg' width='600'/>", "https://i.e.org/m.jpg"),
    ("<media:content url='https://i.e.org/v.mp4' medium='video' width='1920'/>"
     "<media:content url='https://i.e.org/big.jpg' medium='image' width='1200'/>"
     "<media:thumbnail url='https://i.e.org/t.jpg'/>", "https://i.e.org/big.jpg"),
    ("<media:group><media:content url='https://i.e.org/g.webp' type='image/webp'/>"
     "</media:group>", "https://i.e.org/g.webp"),
    ("<enclosure url='/pics/a.jpg' type='image/jpeg' length='9'/>", "https://e.org/pics/a.jpg"),
    ("<enclosure url='https://e.org/a.mp3' type='audio/mpeg' length='9'/>", None),
    ("<media:thumbnail url='javascript:alert(1)'/>", None),
])
def test_the_feeds_picture_opens_a_body_that_has_none(item: str, picture: str | None) -> None:
    body = rss(f"<item><title>A</title><link>https://e.org/a</link><description>Words only."
               f"</description>{item}</item>").replace(b"<rss ", b"<rss " + MEDIA_RSS[0].encode()
                                                      + b" ", 1)
    [article] = parse_feed(body, "https://e.org/feed.xml").articles
    if picture is None:
        assert "<img" not in article.content_html
    else:
        assert article.content_html == (f'<figure><img src="{picture}" alt=""></figure>'
                                        "Words only.")
    assert article.summary is None  # the description is the body: not kept twice


def test_a_body_with_its_own_picture_gets_no_other() -> None:
    body = rss("<item><title>A</title><link>https://e.org/a</link><description>&lt;img src="
               "'https://e.org/own.jpg'&gt; words</description><media:thumbnail url="
               "'https://i.e.org/t.jpg'/></item>").replace(
        b"<rss ", b"<rss " + MEDIA_RSS[0].encode() + b" ", 1)
    [article] = parse_feed(body, "https://e.org/feed.xml").articles
    assert "t.jpg" not in article.content_html and "own.jpg" in article.content_html


def test_a_json_feed_items_image_opens_a_body_that_has_none() -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
        {"id": "1", "url": "https://e.org/1", "content_text": "Words.", "image": "/i/1.png"},
        {"id": "2", "url": "https://e.org/2", "content_html": "<p>x</p>",
         "banner_image": "https://e.org/b.png"},
        {"id": "3", "url": "https://e.org/3", "content_html": "<img src='https://e.org/o.png'>",
         "image": "https://e.org/not.png"}]}
    first, second, third = parse_feed(json.dumps(feed).encode(), "https://e.org/feed.json",
                                      "application/feed+json").articles
    assert first.content_html.startswith('<figure><img src="https://e.org/i/1.png" alt="">')
    assert second.content_html.startswith('<figure><img src="https://e.org/b.png" alt="">')
    assert "not.png" not in third.content_html
