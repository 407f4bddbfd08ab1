"""HTML pages: metadata from the usual meta tags, the article body without page chrome."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime

from bs4 import BeautifulSoup, Comment, Tag

from feedsvc.dates import from_epoch, parse_date
from feedsvc.models import Article
from feedsvc.names import clean_name
from feedsvc.urls import is_http_url

# Most specific first: the first one present holds the article.
BODY_SELECTORS = (
    "[itemprop=articleBody]", "#div-content-rss", ".entry-content", ".post-content",
    ".article-body", ".article-content", ".story-body", "article", "main", "[role=main]",
)
CHROME = "nav, header, footer, aside, script, style, noscript, form, [role=navigation]"
DATE_METAS = (
    "article:published_time", "og:published_time", "datePublished", "date", "pubdate",
    "publishdate", "dc.date", "dc.date.issued", "dcterms.created", "sailthru.date",
    "parsely-pub-date", "article:modified_time",
)
_EPOCH = re.compile(r"^\s*(\d{12,13})\s*$")


def looks_like_page(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) and "<html" in text[:4096].lower():
        return True
    return head.startswith("<") and bool(re.search(r"<(body|head|article|p|div)\b", head))


def _metas(soup: BeautifulSoup) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        content = meta.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _json_ld(soup: BeautifulSoup) -> Iterator[dict[str, object]]:
    for script in soup.find_all("script", type="application/ld+json"):
        try:
            data = json.loads(script.string or "")
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


def _pick_body(soup: BeautifulSoup) -> Tag:
    for selector in BODY_SELECTORS:
        found = soup.select_one(selector)
        if found is not None and found.get_text(strip=True):
            return found
    return soup.body or soup


def _epoch_in(body: Tag) -> datetime | None:
    for comment in body.find_all(string=lambda s: isinstance(s, Comment)):
        if match := _EPOCH.match(str(comment)):
            return from_epoch(match.group(1))
    return None


def _title_link(body: Tag, title: str) -> str | None:
    """A Jekyll-rendered post links its title to the original article."""
    for link in body.find_all("a", href=True, limit=5):
        if clean_name(link.get_text()) == title and is_http_url(str(link["href"])):
            return str(link["href"])
    return None


def read_page(text: str, origin: str) -> Article:
    soup = BeautifulSoup(text, "lxml")
    metas = _metas(soup)
    ld = list(_json_ld(soup))
    heading = soup.find("h1")
    title = clean_name(
        metas.get("og:title") or metas.get("twitter:title") or _ld_value(ld, "headline")
        or (heading.get_text() if heading else "") or (soup.title.get_text() if soup.title else "")
    )
    canonical = soup.find("link", rel="canonical", href=True)
    body = _pick_body(soup)
    url = next((u for u in (
        str(canonical["href"]) if canonical else None, metas.get("og:url"), _ld_value(ld, "url"),
    ) if is_http_url(u)), None) or _title_link(body, title)
    published = next((d for d in (parse_date(metas.get(k)) for k in DATE_METAS) if d), None)
    published = published or parse_date(_ld_value(ld, "datePublished")) or _epoch_in(body)
    if published is None and (time := body.find("time", datetime=True)):
        published = parse_date(str(time["datetime"]))
    site = metas.get("og:site_name") or metas.get("application-name") or _ld_value(ld, "publisher")
    author = metas.get("author") or metas.get("article:author") or _ld_value(ld, "author")
    keywords = metas.get("keywords", "")
    tags = [clean_name(t) for t in re.split(r"[,，;]", keywords) if t.strip()][:10]
    for chrome in body.select(CHROME):
        chrome.decompose()
    html_tag = soup.find("html")
    lang = html_tag.get("lang") if isinstance(html_tag, Tag) else None
    return Article(
        title=title,
        content_html=body.decode_contents() if isinstance(body, Tag) else str(body),
        source=clean_name(site) if site else "",  # the pipeline falls back to the host
        url=url,
        author=clean_name(author) if author else None,
        tags=list(dict.fromkeys(t for t in tags if t)),
        published=published,
        summary=metas.get("description") or metas.get("og:description"),
        lang=lang.strip() if isinstance(lang, str) and lang.strip() else None,
        origin=origin,
    )
