"""Jekyll-style posts: YAML front matter, an epoch comment, a ``[title](url)`` line, HTML body.

Variants seen in real mirrors: no front matter at all (only the epoch and link lines),
``<!--NaN-->`` epochs, a ``日期：<RFC 2822>`` line under the link, date-only values.
"""

from __future__ import annotations

import re
from datetime import datetime

from feedsvc.dates import from_epoch, parse_date
from feedsvc.formats.frontmatter import parse_front_matter, split_front_matter
from feedsvc.models import Article
from feedsvc.names import clean_name
from feedsvc.urls import is_http_url

EPOCH_COMMENT = re.compile(r"\A\s*<!--\s*(\d{9,13}|NaN|null|undefined)?\s*-->[ \t]*\r?\n?")
LINK_LINE = re.compile(
    r"\A\s*\[(?P<title>.+)\]\((?P<url>[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)\)[ \t]*\r?\n"
    r"[ \t]*[-=—]{3,}[ \t]*(?:\r?\n|\Z)"
)
DATE_LINE = re.compile(r"\A\s*(?:日期|Date|date)\s*[:：]\s*(?P<date>[^\n]{6,60})\r?\n")
GENERIC_TAGS = frozenset({"news", "post", "posts", "uncategorized", "未分类"})


def looks_like_post(text: str) -> bool:
    head = text.lstrip("\ufeff")
    if split_front_matter(head)[0] is not None:
        return True
    return bool(EPOCH_COMMENT.match(head) or LINK_LINE.match(head))


def _names(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value] if value not in (None, "") else []
    names: list[str] = []
    for item in items:
        name = clean_name(str(item))
        if name and name not in names:
            names.append(name)
    return names


def _text(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = clean_name(str(value))
    return text or None


def read_post(text: str, origin: str) -> Article:
    """Parse a post; never fails on missing parts, only yields fewer fields."""
    block, body = split_front_matter(text.lstrip("\ufeff"))
    meta = parse_front_matter(block)[0] if block is not None else {}
    epoch: datetime | None = None
    link_title = link_url = None
    if match := EPOCH_COMMENT.match(body):
        epoch = from_epoch(match.group(1)) if match.group(1) else None
        body = body[match.end():]
    if match := LINK_LINE.match(body):
        link_title, link_url = match.group("title").strip(), match.group("url")
        body = body[match.end():]
    if match := DATE_LINE.match(body):
        epoch = epoch or parse_date(match.group("date"))
        body = body[match.end():]

    declared = meta.get("from") or meta.get("url") or meta.get("link")
    url = str(declared).strip() if declared else None
    if url and (any(ch.isspace() for ch in url) or not is_http_url(url)):
        url = None  # broken YAML (a raw newline in the URL): the link line is encoded properly
    url = url or (link_url if is_http_url(link_url) else None)
    tags = _names(meta.get("tags")) + _names(meta.get("categories"))
    tags = list(dict.fromkeys(tags))
    author = _text(meta.get("author"))
    specific = [t for t in tags if t.casefold() not in GENERIC_TAGS]
    return Article(
        title=_text(meta.get("title")) or clean_name(link_title or ""),
        content_html=body.strip(),
        source=specific[0] if specific else author or "",
        url=url,
        author=author,
        tags=tags,
        published=parse_date(meta.get("date")) or epoch,
        summary=_text(meta.get("description")) or _text(meta.get("summary")),
        lang=_text(meta.get("lang")),
        origin=origin,
    )
