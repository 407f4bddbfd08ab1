"""OPML in and out for subscriptions (issue 21): what other readers export (OPML 1.0 and
2.0, nested outlines as categories), and our sources written back the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from lxml import etree

from feedsvc.errors import ParseError
from feedsvc.models import SourceConfig
from feedsvc.urls import is_http_url


@dataclass(frozen=True, slots=True)
class Outline:
    url: str | None  # xmlUrl; None: invalid (the reason says why)
    title: str
    site: str | None
    tags: tuple[str, ...] = ()
    problem: str | None = None


@dataclass(slots=True)
class Subscriptions:
    outlines: list[Outline] = field(default_factory=list)


def read_opml(path: Path) -> Subscriptions:
    """Every feed outline, with the titles of the outlines around it (and its ``category``
    attribute) as tags. ``ParseError`` when the file is not OPML at all."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True,
                             huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ParseError(f"{path}: cannot read: {exc}") from exc
    if root is None or root.tag.lower() != "opml" or root.find("body") is None:
        raise ParseError(f"{path}: not an OPML file (no <opml> with a <body>)")
    found = Subscriptions()
    _walk(root.find("body"), (), found)
    return found


def _walk(parent: etree._Element, path: tuple[str, ...], found: Subscriptions) -> None:
    for outline in parent.iterfind("outline"):
        title = (outline.get("title") or outline.get("text") or "").strip()
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        children = outline.findall("outline")
        if children and not url:
            _walk(outline, (*path, title) if title else path, found)
            continue
        categories = [c.strip().strip("/") for c in (outline.get("category") or "").replace(
            ",", "/").split("/") if c.strip().strip("/")]
        tags = tuple(dict.fromkeys([*path, *categories]))
        site = (outline.get("htmlUrl") or "").strip() or None
        if not url:
            found.outlines.append(Outline(None, title or "(untitled)", site, tags,
                                          "no xmlUrl: not a feed subscription"))
        elif not is_http_url(url):
            found.outlines.append(Outline(None, title or url, site, tags,
                                          f"xmlUrl {url!r} is not an http(s) URL"))
        else:
            found.outlines.append(Outline(url, title or url, site, tags))
        if children:
            _walk(outline, (*path, title) if title else path, found)


def write_opml(sources: list[SourceConfig], title: str) -> bytes:
    """OPML 2.0 of the subscriptions: one outline per tag group (the first tag), as
    other readers import them."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(opml, "body")
    groups: dict[str, ET.Element] = {}
    for source in sources:
        parent = body
        if source.tags:
            group = source.tags[0]
            if group not in groups:
                groups[group] = ET.SubElement(body, "outline", text=group, title=group)
            parent = groups[group]
        attributes = {"type": "rss", "text": source.name, "title": source.name,
                      "xmlUrl": source.url}
        if source.tags[1:]:
            attributes["category"] = ",".join(source.tags[1:])
        ET.SubElement(parent, "outline", attributes)
    ET.indent(opml)
    return bytes(ET.tostring(opml, encoding="utf-8", xml_declaration=True)) + b"\n"
