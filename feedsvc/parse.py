"""Feed bodies to Articles: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed via json.

The common case, a well-formed UTF-8 RSS 2.0 or Atom 1.0 document without a DOCTYPE or
``xml:base``, goes through fastfeedparser (lxml, C speed: 0.03 instead of 0.55 ms per
entry); everything else, and anything it stumbles on, through feedparser, the robust one.
Both get bytes (never a string they could take for a URL or path) and neither sanitizes:
cleaning happens once, in ``clean.py``.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

import fastfeedparser
import feedparser
from lxml import etree

from feedsvc.dates import parse_date
from feedsvc.errors import ParseError
from feedsvc.models import Article
from feedsvc.text import html_to_text
from feedsvc.urls import absolute_url, is_http_url

# Legacy Chinese encodings are decoded with their superset: GB2312/GBK feeds routinely
# contain GB18030-only characters, Big5 feeds HKSCS ones.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
             "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs"}
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_DECL = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([\w.:-]+)([\"'])", re.IGNORECASE)


MAX_ENTRIES = 5000  # per feed document: feeds list their newest entries first
_ENTRY_START = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_CLOSINGS = {b"rss": b"</channel></rss>", b"rdf": b"</rdf:RDF>", b"feed": b"</feed>"}


def cap_entries(body: bytes, limit: int = MAX_ENTRIES) -> tuple[bytes, int]:
    """(body, entries found): a body with more than ``limit`` entries is cut before the next
    one and closed again, so a 100,000-entry feed costs the parsing of ``limit`` entries."""
    starts = _ENTRY_START.finditer(body)
    positions = [m.start() for _, m in zip(range(limit + 1), starts, strict=False)]
    if len(positions) <= limit:
        return body, len(positions)
    total = limit + 1 + sum(1 for _ in starts)
    head = body[:512].lower()
    kind = next((k for k in (b"rss", b"rdf", b"feed") if b"<" + k in head
                 or b":" + k in head), b"rss")
    return body[:positions[limit]] + _CLOSINGS[kind], total


@dataclass(slots=True)
class ParsedFeed:
    title: str | None = None
    link: str | None = None
    articles: list[Article] = field(default_factory=list)
    format: str = ""
    feed_id: str | None = None  # the feed's own atom:id (Atom feeds only)
    entries_found: int = 0  # more than ``len(articles)`` when the feed was cut at MAX_ENTRIES
    updated: datetime | None = None  # when the feed says it last changed


def _recode(body: bytes, content_type: str) -> tuple[bytes, str]:
    """Transcode legacy Chinese feeds to UTF-8 so no parser guesses wrong."""
    declared = _XML_DECL.search(body[:512])
    http = _HTTP_CHARSET.search(content_type)
    name = (http.group(1) if http else declared.group(2).decode("ascii") if declared else "")
    superset = SUPERSETS.get(name.lower())
    if not superset:
        return body, content_type
    text = body.decode(superset, errors="replace").encode("utf-8")
    text = _XML_DECL.sub(rb"\g<1>utf-8\g<3>", text, count=1)
    return text, "application/xml; charset=utf-8"


def parse_feed(body: bytes, url: str, content_type: str = "",
               now: datetime | None = None) -> ParsedFeed:
    """Parse a feed body fetched from ``url``; ``ParseError`` only when nothing is usable."""
    now = now or datetime.now(UTC)
    if "json" in content_type.lower() or body.lstrip()[:1] == b"{":
        return parse_json_feed(body, url, now)
    body, content_type = _recode(body, content_type)
    body, found = cap_entries(body)
    fast = parse_fast(body, url, content_type, found, now)
    return fast if fast is not None else parse_robust(body, url, content_type, found, now)


def parse_robust(body: bytes, url: str, content_type: str, found: int,
                 now: datetime) -> ParsedFeed:
    """feedparser: every RSS and Atom version, broken XML, odd encodings and dates."""
    parsed = feedparser.parse(
        io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False,
        response_headers={"content-type": content_type or "application/xml",
                          "content-location": url},
    )
    if not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception") or "no feed elements found"
        raise ParseError(f"{url}: not a feed: {reason}")
    feed = parsed.feed
    result = ParsedFeed(title=_text(feed.get("title")), link=feed.get("link"),
                        format=parsed.get("version") or "unknown",
                        feed_id=feed.get("id") if isinstance(feed.get("id"), str) else None,
                        updated=_when(feed, "updated_parsed", "published_parsed"),
                        entries_found=found)
    language = feed.get("language")
    for entry in parsed.entries:
        result.articles.append(_entry_article(entry, url, language, now))
    return result


# Parses only; never resolves an entity or reads a DTD, file or URL.
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, recover=False)
_A = "{http://www.w3.org/2005/Atom}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_EMAIL_NAME = re.compile(r"^\s*\S+@\S+\s+\((.+)\)\s*$")  # RSS: "jane@example.org (Jane)"


def _fast_tree(body: bytes, content_type: str) -> etree._Element | None:
    """The root of a plain case fastfeedparser reads as feedparser would: well-formed UTF-8
    RSS 2.0 or Atom 1.0, no DOCTYPE, no ``xml:base``, no XHTML content. None otherwise."""
    charset = _HTTP_CHARSET.search(content_type)
    if charset and charset.group(1).lower() not in {"utf-8", "utf8"}:
        return None
    declared = _XML_DECL.search(body[:512])
    if declared and declared.group(2).lower() not in {b"utf-8", b"utf8"}:
        return None
    try:
        root = etree.fromstring(body, _STRICT)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.getroottree().docinfo.doctype:
        return None
    # The words may be in the text (an article about XML); only the attributes count.
    if (b"xml:base" in body and root.xpath("//@xml:base")) or (
            b"xhtml" in body and root.xpath("//*[@type='xhtml']")):
        return None
    rss = root.tag == "rss" and root.get("version") == "2.0"
    return root if rss or root.tag == f"{_A}feed" else None


def parse_fast(body: bytes, url: str, content_type: str, found: int,
               now: datetime) -> ParsedFeed | None:
    """The fast path; None when it does not apply or does not agree with the document.

    A few things fastfeedparser leaves out or fills in on its own (a missing guid, all but
    the first Atom author, a summary made from the content) are read from the tree."""
    root = _fast_tree(body, content_type)
    if root is None:
        return None
    atom = root.tag == f"{_A}feed"
    elements = root.findall(f"{_A}entry") if atom else root.findall("channel/item")
    try:
        parsed = fastfeedparser.parse(body, include_media=False, include_enclosures=False)
    except Exception:  # any failure here means: let feedparser read it
        return None
    entries = parsed.get("entries") or []
    if not len(entries) == len(elements) == found:
        return None
    feed = parsed.get("feed") or {}
    language = root.get(_XML_LANG) if atom else root.findtext("channel/language")
    result = ParsedFeed(title=_text(feed.get("title")), link=feed.get("link"),
                        format="atom10" if atom else "rss20",
                        feed_id=feed.get("id") if atom else None,
                        updated=parse_date(feed.get("updated")), entries_found=found)
    if not entries and not result.title:
        return None
    for entry, element in zip(entries, elements, strict=True):
        article = _fast_article(entry, url, now)
        if atom:
            _atom_details(article, element, entry)
        else:
            article.guid = (element.findtext("guid") or "").strip() or None
        article.lang = _lang_in_scope(element, atom) or (language or "").strip() or None
        result.articles.append(article)
    return result


def _fast_article(entry: Any, feed_url: str, now: datetime) -> Article:
    content, summary = _fullest({"content": entry.get("content") or [],
                                 "summary": entry.get("description") or ""})
    names = []
    for author in entry.get("authors") or []:
        name = author.get("name") if isinstance(author, dict) else None
        if name:
            email_name = _EMAIL_NAME.match(name)
            names.append(email_name.group(1) if email_name else name)
    return _article(entry, feed_url, content, summary, names, entry.get("tags") or [],
                    parse_date(entry.get("published")) or parse_date(entry.get("updated"))
                    or now)


def _article(entry: Any, feed_url: str, content: str, summary: str | None, authors: list[str],
             tags: list[Any], published: datetime) -> Article:
    """The Article of a parsed entry (either parser's): the fields both read alike."""
    link = entry.get("link")
    link = absolute_url(link, feed_url) if link else None
    terms = [t.get("term") or t.get("label") for t in tags]
    return Article(
        title=_text(entry.get("title")) or "",
        content_html=content,
        source="",
        url=link if is_http_url(link) else None,
        author=", ".join(authors) or _text(entry.get("author")),
        tags=[t.strip() for t in terms if t and t.strip()],
        published=published,
        summary=summary,
        guid=entry.get("id") or None,
        origin=feed_url,
    )


def _atom_details(article: Article, element: etree._Element, entry: Any) -> None:
    names = [(n.text or "").strip() for n in element.iterfind(f"{_A}author/{_A}name")]
    article.author = ", ".join(n for n in names if n) or None
    terms = [c.get("term") or c.get("label") for c in element.iterfind(f"{_A}category")]
    article.tags = [t.strip() for t in terms if t and t.strip()]
    if element.find(f"{_A}summary") is None:  # not one made up from the content
        article.content_html, article.summary = _fullest(
            {"content": entry.get("content") or [], "summary": ""})


def _lang_in_scope(element: etree._Element, atom: bool) -> str | None:
    """The ``xml:lang`` in force where the entry's content is (as feedparser reports it)."""
    content = element.find(f"{_A}content") if atom else None
    node: etree._Element | None = content if content is not None else element
    while node is not None:
        lang = node.get(_XML_LANG)
        if lang:
            return lang.strip() or None
        node = node.getparent()
    return None


def _text(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return html_to_text(value) if "<" in value else " ".join(value.split())


def _when(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _fullest(entry: Any) -> tuple[str, str | None]:
    """(content, summary): the longest body wins; the summary is kept when it differs."""
    bodies = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
    summary = entry.get("summary") or ""
    content = max([*bodies, summary], key=len, default="")
    return content, summary if summary and summary != content else None


def _entry_article(entry: Any, feed_url: str, language: str | None, now: datetime) -> Article:
    content, summary = _fullest(entry)
    article = _article(
        entry, feed_url, content, summary,
        [a.get("name") for a in entry.get("authors", []) if a.get("name")],
        entry.get("tags", []),
        _when(entry, "published_parsed", "updated_parsed", "created_parsed") or now)
    article.lang = (entry.get("content", [{}])[0].get("language") if entry.get("content")
                    else None) or language
    return article


def parse_json_feed(body: bytes, url: str, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{url}: not a feed: invalid JSON ({exc})") from exc
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
            "https://jsonfeed.org/version/"):
        raise ParseError(f"{url}: not a feed: JSON without a jsonfeed.org version")
    items = data.get("items")
    if not isinstance(items, list):
        raise ParseError(f"{url}: not a feed: JSON Feed without items")
    result = ParsedFeed(title=_text(data.get("title")), link=data.get("home_page_url"),
                        format="json" + str(data["version"]).rsplit("/", 1)[-1],
                        entries_found=len(items))
    for item in items[:MAX_ENTRIES]:
        if isinstance(item, dict):
            result.articles.append(_json_item(item, url, data, now))
    return result


def _json_item(item: dict[str, Any], feed_url: str, feed: dict[str, Any],
               now: datetime) -> Article:
    link = item.get("url") or item.get("external_url")
    link = absolute_url(link, feed_url) if isinstance(link, str) else None
    html = item.get("content_html")
    if not isinstance(html, str) or not html:
        text = item.get("content_text") if isinstance(item.get("content_text"), str) else ""
        html = "".join(f"<p>{escape(p, quote=False)}</p>" for p in str(text).split("\n\n")
                       if p.strip())
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict)
                                      else [])
    names = [a.get("name") for a in authors if isinstance(a, dict) and a.get("name")]
    guid = item.get("id")
    return Article(
        title=_text(item.get("title")) or "",
        content_html=html,
        source="",
        url=link if is_http_url(link) else None,
        author=", ".join(str(n) for n in names) or None,
        tags=[str(t) for t in item.get("tags", []) if isinstance(t, str | int)],
        published=parse_date(item.get("date_published")) or parse_date(
            item.get("date_modified")) or now,
        summary=item.get("summary") if isinstance(item.get("summary"), str) else None,
        guid=str(guid) if guid is not None else None,
        lang=item.get("language") or feed.get("language"),
        origin=feed_url,
    )

