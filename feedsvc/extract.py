"""An article out of a web page: its body without the page around it, and what the page
says about it (canonical URL, dates, author, image). One path for fetched article pages
(issue 18) and for HTML files in the inbox.

The body comes from trafilatura (the best-scoring maintained extractor on public article
benchmarks); when it finds nothing, or much less than the page's own article container
holds, that container is taken instead (``BODY_SELECTORS``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from feedsvc.dates import from_epoch, parse_date
from feedsvc.mediarefs import with_lead_image
from feedsvc.names import clean_name
from feedsvc.text import share_in
from feedsvc.text import word_counts as _tokens
from feedsvc.urls import absolute_url, is_http_url


# Most specific first: the first one present holds the article.
def _class(name: str) -> str:
    return f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


BODY_SELECTORS = (
    "//*[@itemprop='articleBody']", "//*[@id='div-content-rss']", _class("entry-content"),
    _class("post-content"), _class("article-body"), _class("article-content"),
    _class("story-body"), "//article", "//main", "//*[@role='main']",
)
SPECIFIC = 7  # the selectors before this one name the article text itself
HOLDS = 0.9  # share of trafilatura's words the article element must hold to be taken
CHROME = ("nav", "header", "footer", "aside", "script", "style", "noscript", "form")
DATE_METAS = (
    "article:published_time", "og:published_time", "datepublished", "date", "pubdate",
    "publishdate", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "article:modified_time",
)
# Boxes inside an article element that are not the article (readability's "unlikely
# candidates", narrowed to what news pages put beside the text).
_FURNITURE = re.compile(
    r"(?i)(?<![a-z])(related|share|sharing|social|sns|comments?|newsletter|subscribe|promo|"
    r"recommend\w*|most-?\w+|popular|trending|latest|tag-?list|tags|keywords?|"
    r"breadcrumbs?|byline|read-?more|links-block|outbrain|taboola|sponsor\w*|advert\w*|"
    r"ad-container|ad-slot|author-bio|aside\w*|sidebar|right-(area|rail|list\w*)|rail|"
    r"widget\w*)(?![a-z])")
_EPOCH = re.compile(r"^\s*(\d{12,13})\s*$")


@dataclass(slots=True)
class Page:
    """What a page gives: ``body_html`` is raw (the cleaner runs on it like on any body)."""

    body_html: str
    title: str = ""
    url: str | None = None  # rel=canonical, og:url or the JSON-LD url, absolute
    published: datetime | None = None
    author: str | None = None
    image: str | None = None  # og:image, absolute
    site: str | None = None
    lang: str | None = None
    summary: str | None = None
    tags: list[str] = field(default_factory=list)
    free: bool = True  # False: the page says its article is for subscribers only


def extract_page(markup: str | bytes, url: str | None = None) -> Page:
    """Read a page. Never raises on bad markup: an unreadable page has an empty body."""
    try:
        tree = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return Page(body_html="")
    base = url if is_http_url(url) else None
    metas = _metas(tree)
    ld = list(_json_ld(tree))
    title = clean_name(
        metas.get("og:title") or metas.get("twitter:title") or _ld_value(ld, "headline")
        or _first_text(tree, "//h1") or _first_text(tree, "//title"))
    page = Page(body_html="", title=title)
    page.url = _canonical(tree, metas, ld, base)
    page.published = _published(tree, metas, ld)
    author = metas.get("author") or metas.get("article:author") or _ld_value(ld, "author")
    page.author = clean_name(author) if author and not is_http_url(author) else None
    image = metas.get("og:image") or metas.get("og:image:url") or metas.get("twitter:image")
    page.image = absolute_url(image, base) if image else None
    site = metas.get("og:site_name") or metas.get("application-name") \
        or _ld_value(ld, "publisher")
    page.site = clean_name(site) if site else None
    lang = tree.get("lang") or tree.get("xml:lang") or metas.get("og:locale")
    page.lang = lang.strip().replace("_", "-") if lang and lang.strip() else None
    page.summary = metas.get("description") or metas.get("og:description")
    keywords = metas.get("keywords", "")
    page.tags = list(dict.fromkeys(t for t in (
        clean_name(k) for k in re.split(r"[,，;]", keywords)[:10]) if t))
    page.free = not any(item.get("isAccessibleForFree") in (False, "False", "false")
                        for item in ld)
    page.url = page.url or _title_link(tree, title)
    page.body_html = with_lead_image(_body(tree, base, title), page.image)
    return page


def _body(tree: Any, base: str | None, title: str) -> str:
    container = _container(tree)
    body = _trafilatura(tree, base, title)
    if container is None:
        return body
    element, specific = container
    whole = _container_html(element)
    own = _tokens(_text_of(whole))
    # trafilatura keeps the headline; an article element often starts below it
    extracted = _tokens(_without(_text_of(body), title))
    if not extracted and own:
        return whole
    # trafilatura leaves out figure captions, embeds and short boxes of the article; the
    # page's own article element, when it holds all of trafilatura's text and not much more
    # (a general ``article`` element: little more), is the article as published.
    room = 2.0 if specific else 1.25
    if own and share_in(extracted, own) >= HOLDS and sum(own.values()) <= room * sum(
            extracted.values()) + 20:
        return whole
    return body


def _trafilatura(tree: Any, base: str | None, title: str) -> str:
    """trafilatura's article, with its images when they cost no accuracy: asked to keep
    images, trafilatura prunes less and on some pages keeps lists of headlines (newspaper4k's
    yna_co_kr: F1 0.80 with images, 0.99 without). The text-only run decides the words."""
    runs = []
    for images in (True, False):
        try:
            found = trafilatura.extract(
                lxml.html.fromstring(lxml.html.tostring(tree)), url=base, output_format="html",
                include_images=images, include_links=True, include_formatting=True,
                include_tables=True, include_comments=False, favor_precision=True) or ""
        except Exception:  # an extractor bug on one page must not lose the article
            found = ""
        runs.append(_inner(found))
    with_images, words_only = runs
    more = _tokens(_without(_text_of(with_images), title))
    fewer = _tokens(_without(_text_of(words_only), title))
    if sum((more - fewer).values()) <= 0.05 * sum(fewer.values()):
        return with_images
    return words_only


def _without(text: str, title: str) -> str:
    return text.replace(title, "", 1) if title else text


def _text(element: Any) -> str:
    return "".join(element.itertext())


def _text_of(markup: str) -> str:
    return _text(lxml.html.fromstring(markup)) if markup.strip() else ""


def _inner(document: str) -> str:
    if not document.strip():
        return ""
    root = lxml.html.document_fromstring(document)
    body = root.find("body")
    holder = body if body is not None else root
    parts = [holder.text or ""] + [lxml.html.tostring(child, encoding="unicode")
                                   for child in holder]
    return "".join(parts)


def _container(tree: Any) -> tuple[Any, bool] | None:
    """The page's own article element, and whether it is one made for the article text
    (``articleBody``, ``entry-content``...) rather than a general ``article`` or ``main``."""
    for position, selector in enumerate(BODY_SELECTORS):
        for found in tree.xpath(selector):
            if _text(found).strip():
                return found, position < SPECIFIC
    return None


def _container_html(container: Any) -> str:
    """The article element without the page's furniture inside it."""
    container = lxml.html.fromstring(lxml.html.tostring(container))
    for chrome in container.xpath("|".join(f".//{tag}" for tag in CHROME)
                                  + "|.//*[@role='navigation' or @role='complementary']"):
        chrome.drop_tree()
    for element in list(container.iter(tag=etree.Element)):
        if element.getparent() is None:
            continue  # the container itself, or inside a box already dropped
        names = " ".join(element.get(key) or "" for key in ("class", "id", "data-component"))
        if names.strip() and _FURNITURE.search(names):
            element.drop_tree()
    return (container.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in container)


def _first_text(tree: Any, path: str) -> str:
    found = tree.xpath(path)
    return "".join(found[0].itertext()) if found else ""


def _metas(tree: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _json_ld(tree: Any) -> Iterator[dict[str, object]]:
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError):
            continue
        items = data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(
            data, dict) else []
        yield from (item for item in items if isinstance(item, dict))


def _ld_value(items: list[dict[str, object]], key: str) -> str | None:
    for item in items:
        value = item.get(key)
        if isinstance(value, dict):
            value = value.get("name")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0].get("name")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _canonical(tree: Any, metas: dict[str, str], ld: list[dict[str, object]],
               base: str | None) -> str | None:
    links = tree.xpath("//link[@href][contains(concat(' ', normalize-space(@rel), ' '), "
                       "' canonical ')]/@href")
    for candidate in (*[str(link) for link in links[:1]], metas.get("og:url"),
                      _ld_value(ld, "url")):
        if candidate and candidate.strip():
            found = absolute_url(candidate.strip(), base)
            if is_http_url(found):
                return found
    return None


def _published(tree: Any, metas: dict[str, str], ld: list[dict[str, object]]) -> datetime | None:
    for key in DATE_METAS:
        if found := parse_date(metas.get(key)):
            return found
    if found := parse_date(_ld_value(ld, "datePublished")):
        return found
    for comment in tree.iter(etree.Comment):
        if match := _EPOCH.match(comment.text or ""):
            return from_epoch(match.group(1))
    times = tree.xpath("//time[@datetime]/@datetime")
    return parse_date(str(times[0])) if times else None


def _title_link(tree: Any, title: str) -> str | None:
    """A Jekyll-rendered post links its title to the original article."""
    for link in tree.xpath("//a[@href]")[:40]:
        href = str(link.get("href"))
        if title and clean_name("".join(link.itertext())) == title and is_http_url(href):
            return href
    return None
