"""The fast path of feed parsing: plain documents read straight from an lxml tree.

feedparser reads anything, at about 0.5 ms an entry. Most real feeds are plain: well-formed
UTF-8 RSS 2.0 or Atom 1.0 built from a handful of elements. For those this module builds
the very dictionaries feedparser would (``entries[i]['title']``, ``title_detail``,
``link``, ``authors``, ``published_parsed``...), from a strict C parse, at a fraction of the
cost; ``parse.py`` turns either into articles with one builder.

Exactness is by construction, not by hope (issue 15): a document is read here only when
everything in it that reaches an article is in the subset below (known elements, one
alternate link first, no markup where text belongs, no cp1252 code points, text titles
that cannot be mistaken for HTML); anything else returns None and feedparser reads the
document. Dates are read by feedparser's own date parser, so time zones, month names and
partial dates come out exactly as on the robust path. ``python -m bench --only
parse-corpus`` checks both paths against each other on feedparser's test corpus.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.urls import _urljoin
from lxml import etree

from feedsvc.urls import joins_unchanged

# The charset a Content-Type names, and the encoding an XML declaration names (group 2;
# groups 1 and 3 around it let ``parse._recode`` rewrite it).
HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
XML_DECL = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([\w.:-]+)([\"'])", re.IGNORECASE)
# Parses only; never resolves an entity or reads a DTD, file or URL.
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, recover=False)
# U+0080-U+009F, as UTF-8 or as a character reference: feedparser reads these as the
# windows-1252 characters they were meant to be ("don\x92t"); so does our robust path.
# Two patterns, each opening with a literal: the scan for that is fast, an alternation's not.
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_C1_REFERENCE = re.compile(rb"&#(?:12[89]|1[3-5][0-9]|[xX]0*[89][0-9a-fA-F]);")
# What feedparser takes for HTML in a text title (and then unescapes): a closing tag or an
# entity. Such titles go to feedparser, which decides.
_LOOKS_HTML = re.compile(r"<|&#?\w+;")

_A = "{http://www.w3.org/2005/Atom}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC = "{http://purl.org/dc/elements/1.1/}"
_HTML_TYPES = {None, "text/html", "application/xhtml+xml"}
_TEXT_TYPES = {None: "text/plain", "text": "text/plain", "html": "text/html"}

# Elements of an RSS item that feedsvc reads, and those it may skip because feedparser
# files them under keys that reach no article field. Anything else: feedparser.
_ITEM_READ = {"title", "link", "description", "guid", "pubDate", "author", "category",
              _CONTENT, _DC + "creator", _DC + "date"}
_ITEM_SKIP = {"comments", "enclosure", "{http://wellformedweb.org/CommentAPI/}commentRss",
              "{http://wellformedweb.org/CommentAPI/}comment",
              "{http://purl.org/rss/1.0/modules/slash/}comments"}
_CHANNEL_PLAIN = {"title", "link", "description", "language", "copyright", "managingEditor",
                  "webMaster", "pubDate", "lastBuildDate", "category", "generator", "docs",
                  "cloud", "ttl", "image", "rating", "textInput", "skipHours", "skipDays",
                  "item", f"{_A}link"}
_CHANNEL_NAMESPACES = ("{http://purl.org/rss/1.0/modules/syndication/}",
                       "{http://www.itunes.com/dtds/podcast-1.0.dtd}")
_ENTRY_READ = {f"{_A}{n}" for n in ("id", "title", "link", "updated", "published", "author",
                                    "category", "summary", "content", "rights")}
_FEED_PLAIN = {f"{_A}{n}" for n in ("id", "title", "link", "updated", "subtitle", "rights",
                                    "generator", "icon", "logo", "author", "category",
                                    "entry")}
_FEED_NAMESPACES = ("{http://a9.com/-/spec/opensearchrss/1.0/}",
                    "{http://a9.com/-/spec/opensearch/1.1/}")
_EMAIL = re.compile(r"^[^\s@()<>]+@[^\s@()<>]+$")
_EMAIL_NAME = re.compile(r"^([^\s@()<>]+@[^\s@()<>]+) \(([^()<>@]+)\)$")


class NotPlainError(Exception):
    """The document holds something outside the plain subset: feedparser reads it."""


def read_plain(body: bytes, content_type: str, base: str) -> dict[str, Any] | None:
    """feedparser's result (``feed``, ``entries``, ``version``) for a plain document read
    from ``base``; None for anything else."""
    root = _plain_root(body, content_type)
    if root is None:
        return None
    try:
        return _read_atom(root, base) if root.tag == f"{_A}feed" else _read_rss(root, base)
    except NotPlainError:
        return None


def _plain_root(body: bytes, content_type: str) -> etree._Element | None:
    charset = HTTP_CHARSET.search(content_type)
    if charset and charset.group(1).lower() not in {"utf-8", "utf8"}:
        return None
    declared = XML_DECL.search(body[:512])
    if declared and declared.group(2).lower() not in {b"utf-8", b"utf8"}:
        return None
    if _C1_UTF8.search(body) or _C1_REFERENCE.search(body):
        return None
    try:
        root = etree.fromstring(body, _STRICT)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root.getroottree().docinfo.doctype:
        return None
    if b"xml:base" in body and root.xpath("//@xml:base"):
        return None
    rss = root.tag == "rss" and root.get("version") == "2.0"
    return root if rss or root.tag == f"{_A}feed" else None


def _children(element: etree._Element) -> Iterator[etree._Element]:
    """Child elements; comments and processing instructions are not content."""
    for child in element:
        if isinstance(child.tag, str):
            yield child


def _text(element: etree._Element) -> str:
    """An element that must hold text only: its text, stripped as feedparser strips it."""
    if not len(element):
        return (element.text or "").strip()
    if any(isinstance(c.tag, str) for c in element):
        raise NotPlainError
    return "".join(element.itertext()).strip()


def _one(found: dict[str, list[etree._Element]], tag: str) -> etree._Element | None:
    elements = found.get(tag) or []
    if len(elements) > 1:
        raise NotPlainError
    return elements[0] if elements else None


def _when(element: etree._Element | None) -> time.struct_time | None:
    return _parse_date(_text(element)) if element is not None else None


def _plain_title(element: etree._Element | None) -> dict[str, Any] | None:
    if element is None:
        return None
    value = _text(element)
    if _LOOKS_HTML.search(value):
        raise NotPlainError
    return {"type": "text/plain", "value": value}


def _person(value: str) -> dict[str, str]:
    """An RSS author or dc:creator, split as feedparser splits it (or not plain)."""
    if "@" not in value and not set("()<>") & set(value):
        return {"name": value}
    if _EMAIL.match(value):
        return {"email": value}
    email_name = _EMAIL_NAME.match(value)
    if email_name:
        return {"name": email_name.group(2).strip(), "email": email_name.group(1)}
    raise NotPlainError


def _group(element: etree._Element, read: set[str], skip: set[str] | None = None,
           namespaces: tuple[str, ...] = ()) -> dict[str, list[etree._Element]]:
    """The element's children by tag; NotPlainError for one outside ``read``, ``skip`` and
    ``namespaces`` (skipped children must be empty or text-only)."""
    found: dict[str, list[etree._Element]] = {}
    for child in _children(element):
        tag = child.tag
        if tag in read:
            found.setdefault(tag, []).append(child)
        elif (skip and tag in skip) or (namespaces and tag.startswith(namespaces)):
            continue
        else:
            raise NotPlainError
    return found


def _url(base: str, value: str) -> str:
    """``value`` resolved against the document's address as feedparser resolves it (links
    always, an id or guid when it doubles as the link)."""
    if joins_unchanged(value):
        return value  # what _urljoin would give back: the common case, 15 µs saved
    result: str = _urljoin(base, value)
    return result


def _read_rss(root: etree._Element, base: str) -> dict[str, Any]:
    channels = list(_children(root))
    if len(channels) != 1 or channels[0].tag != "channel":
        raise NotPlainError
    channel = channels[0]
    found = _group(channel, _CHANNEL_PLAIN, namespaces=_CHANNEL_NAMESPACES)
    for link in found.get(f"{_A}link", []):
        if link.get("rel") in {None, "alternate"}:
            raise NotPlainError
    title = _plain_title(_one(found, "title"))
    link = found.get("link", [])
    updated = _when(_one(found, "lastBuildDate"))
    feed: dict[str, Any] = {
        "title": title["value"] if title else None,
        "link": _url(base, _text(link[0])) if link else None,
        "language": _text(language) if (language := _one(found, "language")) is not None
        else None,
        "updated_parsed": updated,
        "published_parsed": _when(_one(found, "pubDate")),
    }
    entries = [_rss_item(item, base) for item in found.get("item", [])]
    return {"feed": feed, "entries": entries, "version": "rss20"}


def _rss_item(item: etree._Element, base: str) -> dict[str, Any]:
    found = _group(item, _ITEM_READ, _ITEM_SKIP)
    if "author" in found and _DC + "creator" in found:
        raise NotPlainError
    if any(_may_be_picture(e) for e in item.iterchildren("enclosure")):
        raise NotPlainError  # a picture of the entry: feedparser reads it
    entry: dict[str, Any] = {}
    title = _plain_title(_one(found, "title"))
    if title:
        entry["title"], entry["title_detail"] = title["value"], title
    guid = _one(found, "guid")
    link = _one(found, "link")
    if link is not None:
        entry["link"] = _url(base, _text(link))
    if guid is not None:
        permalink = guid.get("isPermaLink", "true") == "true"
        entry["id"] = _url(base, _text(guid)) if permalink else _text(guid)
        if link is None and permalink:
            entry["link"] = entry["id"]
    people = [_person(_text(p)) for p in found.get("author", found.get(_DC + "creator", []))]
    if people:
        entry["authors"] = people
    entry["tags"] = _tags({"term": _text(c), "scheme": c.get("domain"), "label": None}
                          for c in found.get("category", []))
    description = _one(found, "description")
    content = _one(found, _CONTENT)
    if content is not None:
        entry["content"] = [{"type": "text/html", "value": _text(content),
                             "language": _lang(content)}]
    if description is not None:
        entry["summary"] = _text(description)
    elif content is not None:
        entry["summary"] = entry["content"][0]["value"]  # feedparser copies it
    entry["published_parsed"] = _when(_one(found, "pubDate"))
    entry["updated_parsed"] = _when(_one(found, _DC + "date"))
    return entry


def _tags(tags: Iterator[dict[str, str | None]]) -> list[dict[str, str | None]]:
    """Each category once, as feedparser lists them (term, scheme and label alike)."""
    unique: list[dict[str, str | None]] = []
    for tag in tags:
        if tag not in unique:
            unique.append(tag)
    return unique


def _lang(element: etree._Element) -> str | None:
    """The ``xml:lang`` in force at the element, as feedparser reports it."""
    node: etree._Element | None = element
    while node is not None:
        lang: str | None = node.get(_XML_LANG)
        if lang is not None:
            return lang
        node = node.getparent()
    return None


def _may_be_picture(enclosure: etree._Element) -> bool:
    """An enclosure that may be an image (its type says so, or says nothing). Audio and
    video (podcasts) stay on this path: only pictures reach an article."""
    kind = (enclosure.get("type") or "").strip().lower()
    return not kind or kind.startswith("image/")


def _alternate(links: list[etree._Element], base: str) -> str | None:
    """The href of the one alternate link (an Atom link without rel is one); NotPlainError when
    there are several, or it is not a web page (feedparser then chooses), or an enclosure
    may be a picture."""
    if any(link.get("rel") == "enclosure" and _may_be_picture(link) for link in links):
        raise NotPlainError
    alternates = [link for link in links if link.get("rel") in {None, "alternate"}]
    if not alternates:
        return None
    if len(alternates) > 1 or alternates[0].get("type") not in _HTML_TYPES:
        raise NotPlainError
    href: str | None = alternates[0].get("href")
    if href is None:
        raise NotPlainError
    return _url(base, href.strip())


def _text_construct(element: etree._Element | None) -> dict[str, Any] | None:
    """An Atom title, summary or content of type text or html (never xhtml, base64, src)."""
    if element is None:
        return None
    kind = element.get("type")
    if kind not in _TEXT_TYPES or element.get("mode") or element.get("src") is not None:
        raise NotPlainError
    value = _text(element)
    if kind != "html" and _LOOKS_HTML.search(value):
        raise NotPlainError  # plain text that feedparser may re-type: let it decide
    return {"type": _TEXT_TYPES[kind], "value": value, "language": _lang(element)}


def _read_atom(root: etree._Element, base: str) -> dict[str, Any]:
    found = _group(root, _FEED_PLAIN, namespaces=_FEED_NAMESPACES)
    title = _text_construct(_one(found, f"{_A}title"))
    feed_id = _one(found, f"{_A}id")
    identity = _url(base, _text(feed_id)) if feed_id is not None else None
    link = _alternate(found.get(f"{_A}link", []), base)
    feed: dict[str, Any] = {
        "title": title["value"] if title else None,
        "title_detail": title,
        "link": link if link is not None else identity,
        "id": identity,
        "language": root.get(_XML_LANG),
        "updated_parsed": _when(_one(found, f"{_A}updated")),
    }
    entries = [_atom_entry(entry, base) for entry in found.get(f"{_A}entry", [])]
    return {"feed": feed, "entries": entries, "version": "atom10"}


def _atom_entry(element: etree._Element, base: str) -> dict[str, Any]:
    found = _group(element, _ENTRY_READ)
    entry: dict[str, Any] = {}
    title = _text_construct(_one(found, f"{_A}title"))
    if title:
        entry["title"], entry["title_detail"] = title["value"], title
    entry_id = _one(found, f"{_A}id")
    if entry_id is not None:
        entry["id"] = _url(base, _text(entry_id))
    link = _alternate(found.get(f"{_A}link", []), base)
    if link is None:
        link = entry.get("id")  # as feedparser: without an alternate, the id is the link
    if link is not None:
        entry["link"] = link
    people = [_atom_person(author) for author in found.get(f"{_A}author", [])]
    if len(people) > 1 and not all(p.get("name") for p in people):
        raise NotPlainError  # feedparser gives a nameless second author the first one's name
    if people:
        entry["authors"] = people
    entry["tags"] = _tags({"term": c.get("term"), "scheme": c.get("scheme"),
                           "label": c.get("label")} for c in found.get(f"{_A}category", []))
    summary = _text_construct(_one(found, f"{_A}summary"))
    content = _text_construct(_one(found, f"{_A}content"))
    if content is not None:
        entry["content"] = [content]
    if summary is not None or content is not None:
        entry["summary"] = (summary or content or {})["value"]
        entry["summary_detail"] = summary or content
    entry["published_parsed"] = _when(_one(found, f"{_A}published"))
    entry["updated_parsed"] = _when(_one(found, f"{_A}updated"))
    return entry


def _atom_person(element: etree._Element) -> dict[str, str]:
    found = _group(element, {f"{_A}name", f"{_A}email", f"{_A}uri"})
    person = {}
    for key in ("name", "email"):
        value = _one(found, f"{_A}{key}")
        if value is not None and _text(value):
            person[key] = _text(value)
    return person
