"""The images an article's content shows, in order (issue 23): what is downloaded when its
source keeps media. ``img`` ``src``, the chosen ``srcset`` candidate, ``picture`` sources,
and video ``poster`` images; absolute http(s) URLs only (content is cleaned: relative ones
were made absolute, ``data:`` ones are already in the archive). A page's og:image, or a
feed entry's own picture (``media:content``, an image enclosure, ``media:thumbnail``, a JSON
Feed ``image``), opens a body that shows no picture of its own (``with_lead_image``), so it
is found here too.
"""

from __future__ import annotations

import re
from html import escape

from lxml import html

from feedsvc.urls import is_http_url

SRCSET_CANDIDATE = re.compile(r"\s*(\S+?)(?:\s+(\d+(?:\.\d+)?)([wx]))?\s*(?:,|$)")
SKIPPED_TYPES = {"image/svg+xml"}  # never kept: a picture source of this type is passed over


def with_lead_image(body_html: str, image: str | None) -> str:
    """``body_html`` opened by the picture its page or feed entry names, when the body shows
    none of its own: the article's only picture would be lost otherwise. Its alt text is
    empty (it is not the article's words, and it adds none to the archived text)."""
    if image and is_http_url(image) and "<img" not in body_html:
        return f'<figure><img src="{escape(image)}" alt=""></figure>' + body_html
    return body_html


def image_urls(content_html: str, limit: int = 30) -> list[str]:
    """The distinct image URLs of ``content_html``, in document order, at most ``limit``."""
    if "<img" not in content_html and "<source" not in content_html \
            and "poster" not in content_html:
        return []
    try:
        root = html.fragment_fromstring(content_html, create_parent="div")
    except (ValueError, TypeError):
        return []
    found: dict[str, None] = {}
    for element in root.iter("img", "source", "video"):
        for url in _urls_of(element):
            if is_http_url(url):
                found.setdefault(url, None)
        if len(found) >= limit:
            break
    return list(found)[:limit]


def _urls_of(element: html.HtmlElement) -> list[str]:
    tag = element.tag
    if tag == "video":
        return [element.get("poster", "").strip()]
    if tag == "source":
        # libxml2 does not know <source> is empty: the next one nests inside it, so the
        # picture is an ancestor, not always the parent
        in_picture = any(a.tag == "picture" for a in element.iterancestors())
        if not in_picture or element.get("type", "").strip().lower() in SKIPPED_TYPES:
            return []
        return [chosen_candidate(element.get("srcset", "")) or element.get("src", "").strip()]
    urls = [element.get("src", "").strip()]
    if element.get("srcset"):
        urls.append(chosen_candidate(element.get("srcset", "")))
    return urls


def chosen_candidate(srcset: str) -> str:
    """The ``srcset`` candidate a wide screen would load: the largest width (``800w``), or
    the highest density (``2x``); the first when none says."""
    best, best_size = "", -1.0
    for match in SRCSET_CANDIDATE.finditer(srcset):
        url, size, _unit = match.groups()
        if not url:
            continue
        value = float(size) if size else 0.0
        if value > best_size:
            best, best_size = url.rstrip(","), value
    return best
