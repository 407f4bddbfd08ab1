"""HTML pages dropped into the inbox: read with the same extractor as fetched article pages
(``extract``), so there is one way an article is taken out of a page."""

from __future__ import annotations

import re

from feedsvc.extract import extract_page
from feedsvc.models import Article


def looks_like_page(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) and "<html" in text[:4096].lower():
        return True
    return head.startswith("<") and bool(re.search(r"<(body|head|article|p|div)\b", head))


def read_page(text: str, origin: str) -> Article:
    page = extract_page(text)
    return Article(
        title=page.title,
        content_html=page.body_html,
        source=page.site or "",  # the pipeline falls back to the host
        url=page.url,
        author=page.author,
        tags=page.tags,
        published=page.published,
        summary=page.summary,
        lang=page.lang,
        origin=origin,
        text_origin="page",
    )
