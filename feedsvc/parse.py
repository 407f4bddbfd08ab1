"""Feed bodies to Articles: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed via json.

The common case, a plain well-formed UTF-8 RSS 2.0 or Atom 1.0 document, is read straight
from an lxml tree (``plainfeed``: feedparser's own result shape at C speed); everything
else through feedparser, the robust one. One builder turns either into articles. Parsers
get bytes (never a string they could take for a URL or path) and nothing here sanitizes:
cleaning happens once, in ``clean.py``.
"""

from __future__ import annotations

import calendar
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape, unescape
from typing import Any

import feedparser

from feedsvc.dates import parse_date
from feedsvc.defaults import MAX_ENTRIES
from feedsvc.errors import ParseError
from feedsvc.mediarefs import with_lead_image
from feedsvc.models import Article
from feedsvc.plainfeed import HTTP_CHARSET, XML_DECL, read_plain
from feedsvc.text import html_to_text
from feedsvc.urls import absolute_url, is_http_url

# Legacy Chinese encodings are decoded with their superset: GB2312/GBK feeds routinely
# contain GB18030-only characters, Big5 feeds HKSCS ones.
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
             "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs"}


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
    notes: list[str] = field(default_factory=list)  # what was ignored, for the fetch report


def _recode(body: bytes, content_type: str) -> tuple[bytes, str]:
    """Transcode legacy Chinese feeds to UTF-8 so no parser guesses wrong."""
    declared = XML_DECL.search(body[:512])
    http = HTTP_CHARSET.search(content_type)
    name = (http.group(1) if http else declared.group(2).decode("ascii") if declared else "")
    superset = SUPERSETS.get(name.lower())
    if not superset:
        return body, content_type
    text = body.decode(superset, errors="replace").encode("utf-8")
    text = XML_DECL.sub(rb"\g<1>utf-8\g<3>", text, count=1)
    return text, "application/xml; charset=utf-8"


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed body fetched from ``url``; ``ParseError`` only when nothing is usable."""
    if "json" in content_type.lower() or body.lstrip()[:1] == b"{":
        return parse_json_feed(body, url)
    body, content_type = _recode(body, content_type)
    body, found = cap_entries(body)
    fast = parse_fast(body, url, content_type, found)
    return fast if fast is not None else parse_robust(body, url, content_type, found)


def parse_robust(body: bytes, url: str, content_type: str, found: int) -> ParsedFeed:
    """feedparser: every RSS and Atom version, broken XML, odd encodings and dates."""
    parsed = feedparser.parse(
        io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False,
        response_headers={"content-type": content_type or "application/xml",
                          "content-location": url},
    )
    if not parsed.entries and not parsed.feed.get("title"):
        reason = parsed.get("bozo_exception") or "no feed elements found"
        raise ParseError(f"{url}: not a feed: {reason}")
    return _parsed_feed(parsed, url, found)


def parse_fast(body: bytes, url: str, content_type: str, found: int) -> ParsedFeed | None:
    """The fast path (``plainfeed``): the same articles as ``parse_robust`` for a plain
    document, None for any other (or when it finds other than ``found`` entries)."""
    plain = read_plain(body, content_type, url)
    if plain is None or len(plain["entries"]) != found:
        return None
    if not plain["entries"] and not plain["feed"].get("title"):
        return None  # feedparser says why it is not a feed
    return _parsed_feed(plain, url, found)


def _parsed_feed(parsed: Any, url: str, found: int) -> ParsedFeed:
    """Articles from feedparser's result, or from ``plainfeed``'s copy of its shape."""
    feed = parsed["feed"]
    feed_id = feed.get("id")
    result = ParsedFeed(title=_text(feed.get("title"), _is_html(feed.get("title_detail"))),
                        link=feed.get("link"), format=parsed.get("version") or "unknown",
                        feed_id=feed_id if isinstance(feed_id, str) else None,
                        updated=_when(feed, "updated_parsed", "published_parsed"),
                        entries_found=found)
    language = feed.get("language")
    for entry in parsed["entries"]:
        result.articles.append(_entry_article(entry, url, language))
    return result


def _article(entry: Any, feed_url: str, content: str, summary: str | None, authors: list[str],
             tags: list[Any], published: datetime | None) -> Article:
    """The Article of a parsed entry (either parser's): the fields both read alike."""
    link = entry.get("link")
    link = absolute_url(link, feed_url) if link else None
    terms = [t.get("term") or t.get("label") for t in tags]
    return Article(
        title=_text(entry.get("title"), _is_html(entry.get("title_detail"))) or "",
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


_HTML_TYPES = {"text/html", "application/xhtml+xml"}


def _is_html(detail: Any) -> bool | None:
    """Whether the parser says a text is HTML; None when it does not say."""
    kind = detail.get("type") if isinstance(detail, dict) else None
    return kind in _HTML_TYPES if isinstance(kind, str) else None


def _text(value: object, html: bool | None = None) -> str | None:
    """A title or name as plain text. HTML (as the feed types it) is read as HTML: entities
    unescaped, scripts left out. So is "plain" text holding tags: it is HTML escaped once
    too often (feedparser types a title with a script or ``<body>`` text/plain), and its
    tags would go anyway (titles are plain text); "a < b" stays as it is."""
    if not isinstance(value, str) or not value.strip():
        return None
    if html or ("<" in value and _TAG.search(value)):
        return html_to_text(value) if "<" in value or "&" in value else " ".join(value.split())
    return " ".join(value.split())


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _when(entry: Any, *keys: str) -> datetime | None:
    for key in keys:
        # dict.get: the stored key itself, not feedparser's deprecated published -> updated
        # fallback (which warns; the keys after the first are tried here anyway).
        value = dict.get(entry, key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, TypeError):
                continue
    return None


def _body(value: object, detail: Any) -> str:
    """A content or summary as HTML: plain text (as the feed types it) is escaped, its blank
    lines kept as paragraphs, so "a <b> c" stays words and not a tag (issue 15). Entity
    references in it are resolved first, as in titles: "&nbsp;" in plain text is HTML
    escaped once too often, not five characters a reader should see."""
    if not isinstance(value, str):
        return ""
    if _is_html(detail) is not False:
        return value
    if "&" in value:
        value = unescape(value)
    paragraphs = [p.strip() for p in value.split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return escape(value, quote=False)
    return "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)


def _fullest(entry: Any) -> tuple[str, str | None]:
    """(content, summary): the longest body wins; the summary is kept when it differs."""
    contents = [c for c in entry.get("content") or [] if isinstance(c, dict)]
    bodies = [_body(c.get("value", ""), c) for c in contents]
    detail = entry.get("summary_detail") or (contents[0] if contents else None)
    summary = _body(entry.get("summary") or "", detail)
    content = max([*bodies, summary], key=len, default="")
    return content, summary if summary and summary != content else None


def _entry_picture(entry: Any, feed_url: str) -> str | None:
    """The picture a feed names for an entry: its largest ``media:content`` image, else an
    image enclosure, else its largest ``media:thumbnail`` (absolute; None when none)."""
    def width(item: dict[str, Any]) -> int:
        value = str(item.get("width") or "")
        return int(value) if value.isdigit() else 0

    def image(item: Any) -> bool:
        return isinstance(item, dict) and (item.get("medium") == "image" or str(
            item.get("type") or "").startswith("image/"))

    contents = [c for c in entry.get("media_content") or [] if image(c) and c.get("url")]
    enclosures = [e for e in entry.get("enclosures") or [] if image(e) and e.get("href")]
    thumbnails = [t for t in entry.get("media_thumbnail") or []
                  if isinstance(t, dict) and t.get("url")]
    url = (max(contents, key=width)["url"] if contents
           else enclosures[0]["href"] if enclosures
           else max(thumbnails, key=width)["url"] if thumbnails else None)
    found = absolute_url(url.strip(), feed_url) if isinstance(url, str) and url.strip() else None
    return found if is_http_url(found) else None


def _entry_article(entry: Any, feed_url: str, language: str | None) -> Article:
    content, summary = _fullest(entry)
    # the feed's picture for an entry whose body has none (the summary is left as it was)
    content = with_lead_image(content, _entry_picture(entry, feed_url))
    # An author may be known only by e-mail; feedparser then gives no name.
    people = [a.get("name") or a.get("email") for a in entry.get("authors") or []
              if isinstance(a, dict)]
    article = _article(
        entry, feed_url, content, summary, [p for p in people if p],
        entry.get("tags") or [],
        _when(entry, "published_parsed", "updated_parsed", "created_parsed"))
    article.lang = (entry.get("content", [{}])[0].get("language") if entry.get("content")
                    else None) or entry.get("language") or language
    return article


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/). A field of the wrong type
    is ignored (and named once in ``ParsedFeed.notes``); the item and the others stay."""
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
    fields = _JsonFields()
    result = ParsedFeed(title=_text(fields.get(data, "title")),
                        link=fields.get(data, "home_page_url"),
                        format="json" + str(data["version"]).rsplit("/", 1)[-1],
                        entries_found=len(items))
    language = fields.get(data, "language")
    for item in items[:MAX_ENTRIES]:
        if isinstance(item, dict):
            result.articles.append(_json_item(item, url, language, fields))
        else:
            fields.wrong.add(f"items[] ({type(item).__name__}, not an object)")
    if fields.wrong:
        result.notes.append(f"{url}: JSON Feed fields of the wrong type ignored: "
                            + ", ".join(sorted(fields.wrong)))
    return result


@dataclass(slots=True)
class _JsonFields:
    """Typed reads of JSON Feed fields; what had the wrong type is remembered, once."""

    wrong: set[str] = field(default_factory=set)

    def get(self, obj: dict[str, Any], key: str, kind: type | tuple[type, ...] = str,
            where: str = "") -> Any:
        value = obj.get(key)
        if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
            return value
        self.wrong.add(f"{where}{key} ({type(value).__name__})")
        return None


def _json_item(item: dict[str, Any], feed_url: str, language: str | None,
               fields: _JsonFields) -> Article:
    def get(key: str, kind: type | tuple[type, ...] = str) -> Any:
        return fields.get(item, key, kind, "items[].")

    link = get("url") or get("external_url")
    link = absolute_url(link, feed_url) if link else None
    html = get("content_html")
    if not html:
        text = get("content_text") or ""
        html = "".join(f"<p>{escape(p, quote=False)}</p>" for p in text.split("\n\n")
                       if p.strip())
    picture = get("image") or get("banner_image")
    html = with_lead_image(html, absolute_url(picture, feed_url) if picture else None)
    authors = get("authors", list) or ([item["author"]] if get("author", dict) else [])
    names = [a.get("name") for a in authors if isinstance(a, dict)]
    guid = get("id", (str, int, float))
    tags = get("tags", list) or []
    return Article(
        title=_text(get("title")) or "",
        content_html=html,
        source="",
        url=link if is_http_url(link) else None,
        author=", ".join(n for n in names if isinstance(n, str) and n) or None,
        tags=[str(t) for t in tags if isinstance(t, str | int) and not isinstance(t, bool)],
        published=parse_date(get("date_published")) or parse_date(get("date_modified")),
        summary=get("summary"),
        guid=str(guid) if guid is not None else None,
        lang=get("language") or language,
        origin=feed_url,
    )
