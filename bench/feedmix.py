"""Random RSS 2.0 and Atom 1.0 documents built from the pieces real feeds are made of.

Each entry takes a random handful of elements in random order: links with every ``rel``,
dates in every form feeds write, titles plain, escaped, double-escaped or in CDATA,
authors as names, e-mails or both, extension elements, comments, whitespace, cp1252 code
points. The fast path must either read a document exactly as feedparser does or decline it:
``tests/test_parse.py`` and ``python -m bench --only parse-corpus`` run both on these.
"""

from __future__ import annotations

import random

DATES = ["Tue, 10 Jun 2003 04:00:00 GMT", "Tue, 10 Jun 2003 04:00:00 -04:00",
         "Tue, 10 Jun 2003 04:00:00 +0530", "10 Jun 2003 04:00 EDT", "2003-06-10T04:00:00Z",
         "2003-06-10T04:00:00.123+08:00", "2003-06-10", "2003", "Di, 10 Jun 2003 04:00:00 MEST",
         "Tue, 10 Jun 2003 04:00:00 GMT-01:01", "not a date", " Tue, 10 Jun 2003 04:00:00 PT ",
         "2003-06-10 04:00:00", "Tuesday, June 10, 2003 4:00 AM"]
TITLES = ["Plain title", "AT&amp;T results", "Tom &amp;amp; Jerry", "Fish &#38;#38; chips",
          "<![CDATA[A <b>bold</b> move]]>", "A &lt;i&gt;tag&lt;/i&gt;", "  spaced \n title ",
          "新闻 标题", "don&#146;t", "wait&#226;&#128;&#166;", "a &lt; b", "",
          "Breaking &lt;script&gt;x()&lt;/script&gt;news", "<!-- c -->commented", "Q&amp;A"]
BODIES = ["&lt;p&gt;Escaped &lt;b&gt;HTML&lt;/b&gt;&lt;/p&gt;", "<![CDATA[<p>CDATA body</p>]]>",
          "Plain words only.", "  padded  ", "<p>naked markup</p>", "x &amp;amp; y",
          "&lt;script&gt;alert(1)&lt;/script&gt;&lt;p&gt;after&lt;/p&gt;", "", "中文正文。",
          "don\u0092t", "line one\n\nline two"]
PEOPLE = ["Jane Roe", "jane@example.org", "jane@example.org (Jane Roe)", "Jane <jane@e.org>",
          "  Bo  ", "(anonymous)"]
RELS = [None, "alternate", "self", "related", "enclosure", "license", "replies", "via"]
TYPES = [None, "text/html", "application/atom+xml", "audio/mpeg", "application/xhtml+xml"]
HREFS = ["https://example.org/{n}", "/relative/{n}", "{n}.html", "https://example.org/feed",
         " https://example.org/{n} ", "mailto:x@example.org"]
EXTENSIONS = ['<wfw:commentRss xmlns:wfw="http://wellformedweb.org/CommentAPI/">'
              "https://example.org/c</wfw:commentRss>",
              '<slash:comments xmlns:slash="http://purl.org/rss/1.0/modules/slash/">3'
              "</slash:comments>",
              '<x:description xmlns:x="http://example.org/x">not the description</x:description>',
              '<media:title xmlns:media="http://search.yahoo.com/mrss/">media</media:title>',
              '<dc:subject xmlns:dc="http://purl.org/dc/elements/1.1/">subject</dc:subject>',
              '<dcterms:created xmlns:dcterms="http://purl.org/dc/terms/">2003-06-10</dcterms:'
              "created>", "<comments>https://example.org/comments</comments>",
              '<enclosure url="https://example.org/a.mp3" type="audio/mpeg" length="1"/>',
              "<!-- a comment -->"]


def _rss_item(rng: random.Random, n: int) -> str:
    parts = []
    if rng.random() < 0.9:
        parts.append(f"<title>{rng.choice(TITLES)}</title>")
    if rng.random() < 0.8:
        parts.append(f"<link>{rng.choice(HREFS).format(n=n)}</link>")
    if rng.random() < 0.6:
        permalink = rng.choice(["", ' isPermaLink="false"', ' isPermaLink="true"'])
        parts.append(f"<guid{permalink}>{rng.choice(HREFS).format(n=n)}</guid>")
    for tag in ("pubDate", "dc:date"):
        if rng.random() < 0.5:
            parts.append(f"<{tag}>{rng.choice(DATES)}</{tag}>")
    if rng.random() < 0.7:
        parts.append(f"<description>{rng.choice(BODIES)}</description>")
    if rng.random() < 0.4:
        parts.append(f"<content:encoded>{rng.choice(BODIES)}</content:encoded>")
    for _ in range(rng.choice([0, 0, 1, 2])):
        tag = rng.choice(["author", "dc:creator"])
        parts.append(f"<{tag}>{rng.choice(PEOPLE).replace('<', '&lt;')}</{tag}>")
    for _ in range(rng.choice([0, 1, 2])):
        parts.append(f"<category>{rng.choice(['news', ' spaced ', '中文', ''])}</category>")
    if rng.random() < 0.4:
        parts.append(rng.choice(EXTENSIONS))
    rng.shuffle(parts)
    return "<item>" + "".join(parts) + "</item>"


def rss_document(rng: random.Random, entries: int) -> bytes:
    channel = rng.choice(["", "<language>en</language>", "<language>zh-CN</language>"])
    items = "".join(_rss_item(rng, n) for n in range(entries))
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{rng.choice(TITLES) or 'Feed'}</title>"
            f"<link>https://example.org/</link>{channel}{items}</channel></rss>").encode()


def _atom_text(rng: random.Random, tag: str, values: list[str]) -> str:
    kind = rng.choice(["", ' type="text"', ' type="html"', ' type="xhtml"'])
    value = rng.choice(values)
    if kind == ' type="xhtml"':
        value = f'<div xmlns="http://www.w3.org/1999/xhtml">{value.replace("&", "&amp;")}</div>'
        value = value.replace("&amp;lt;", "&lt;") if "CDATA" not in value else "x"
    return f"<{tag}{kind}>{value}</{tag}>"


def _atom_entry(rng: random.Random, n: int) -> str:
    parts = []
    if rng.random() < 0.9:
        parts.append(_atom_text(rng, "title", TITLES))
    if rng.random() < 0.8:
        parts.append(f"<id>{rng.choice(['urn:uuid:{n}', 'https://example.org/id/{n}'])}</id>"
                     .format(n=n))
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        rel, kind = rng.choice(RELS), rng.choice(TYPES)
        attributes = (f' rel="{rel}"' if rel else "") + (f' type="{kind}"' if kind else "")
        parts.append(f'<link{attributes} href="{rng.choice(HREFS).format(n=n)}"/>')
    for tag in ("published", "updated"):
        if rng.random() < 0.6:
            parts.append(f"<{tag}>{rng.choice(DATES)}</{tag}>")
    if rng.random() < 0.5:
        parts.append(_atom_text(rng, "summary", BODIES))
    if rng.random() < 0.6:
        parts.append(_atom_text(rng, "content", BODIES))
    for _ in range(rng.choice([0, 1, 2])):
        inner = rng.choice(["<name>Ann</name>", "<email>a@example.org</email>",
                            "<name>Bo</name><email>b@example.org</email>", "<name> </name>"])
        parts.append(f"<author>{inner}</author>")
    for _ in range(rng.choice([0, 1])):
        parts.append(rng.choice(['<category term="t"/>', '<category label="L"/>',
                                 '<category term=" s " label="S"/>']))
    rng.shuffle(parts)
    lang = rng.choice(["", ' xml:lang="fr"', ' xml:lang=""'])
    return f"<entry{lang}>" + "".join(parts) + "</entry>"


def atom_document(rng: random.Random, entries: int) -> bytes:
    lang = rng.choice(["", ' xml:lang="en"', ' xml:lang="zh"'])
    links = rng.choice(['<link href="https://example.org/"/>',
                        '<link rel="self" href="https://example.org/feed"/>', ""])
    body = "".join(_atom_entry(rng, n) for n in range(entries))
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"'
            f"{lang}><title>Feed</title><id>urn:feed</id>{links}"
            f"<updated>2024-05-04T12:00:00Z</updated>{body}</feed>").encode()


def mixed_documents(count: int, seed: int = 15) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    return [(f"generated/{n}", (rss_document if n % 2 else atom_document)(
        rng, rng.randint(1, 4))) for n in range(count)]
