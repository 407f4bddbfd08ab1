"""Article HTML to what a reader should see: repaired, de-junked, absolute, sanitized.

``clean_html`` never raises: a cleaner that fails on one odd article would lose it.
"""

from __future__ import annotations

import html
import logging
import re
from urllib.parse import urlsplit

import nh3
from bs4 import BeautifulSoup, Comment, Tag
from bs4.element import NavigableString

from feedsvc.dates import parse_date
from feedsvc.junk import DROP_TAGS, FOOTER_TEXTS, UNWRAP_TAGS, is_junk_token
from feedsvc.names import clean_name
from feedsvc.text import xml_safe
from feedsvc.urls import absolute_url, strip_tracking

log = logging.getLogger(__name__)

ALLOWED_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col",
    "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "picture", "pre", "q", "rp", "rt", "ruby", "s", "samp", "small", "source", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
    "ul", "var", "video", "audio", "wbr",
}
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "srcset", "alt", "width", "height"},
    "video": {"src", "poster", "controls", "width", "height"},
    "audio": {"src", "controls"},
    "source": {"src", "srcset", "type", "media"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "time": {"datetime"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = ("href", "src", "poster")
LAZY_ATTRIBUTES = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url")
TEXT_BLOCKS = {"p", "div", "section", "span", "figure", "li", "ul", "ol", "blockquote", "center",
               "font", "article", "header", "footer", "aside", "main", "small", "strong", "em",
               "b", "i", "u", "table", "tbody", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6"}
MEDIA = ("img", "video", "audio", "iframe", "picture", "source", "hr", "br")
_TAG_NAMES = "|".join(sorted(
    ALLOWED_TAGS | set(DROP_TAGS) | set(UNWRAP_TAGS)
    | {"iframe", "section", "article", "aside", "header", "footer", "font", "center", "main"},
    key=len, reverse=True,
))
ESCAPED_TAG = re.compile(rf"<\s*/?\s*(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>", re.IGNORECASE)
VERBATIM = {"pre", "code", "textarea", "script", "style"}
_YOUTUBE_EMBED = re.compile(r"^/embed/([\w-]{6,})")


def clean_html(markup: str, base_url: str | None = None, title: str | None = None) -> str:
    """Repair escaped markup, drop junk, fix media and links, then sanitize by allow-list.

    ``title``, when given, lets a leading repeat of the title (heading or link line) go.
    """
    markup = xml_safe(markup)  # lone surrogates and C0 controls break parsers and feeds
    try:
        soup = BeautifulSoup(f"<body>{markup}</body>", "lxml")
        body = soup.body or soup
        repair_escaped_markup(body)
        remove_junk(body)
        embeds_to_links(body, base_url)
        fix_media(body)
        wrap_figures(body)
        fix_links(body, base_url)
        if title:
            drop_title_repeat(body, title)
        drop_leading_dateline(body)
        drop_empty(body)
        return sanitize_html(body.decode_contents())
    except Exception:  # the last line of defence: keep the text, lose the markup
        log.exception("cleaning failed for %s; keeping plain text", base_url or "an article")
        return sanitize_html(html.escape(BeautifulSoup(markup, "lxml").get_text(" ")))


def sanitize_html(markup: str) -> str:
    """The allow-list: no script, style, frame, form, event handler or javascript: URL."""
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "template", "textarea", "title", "noscript"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


def repair_escaped_markup(body: Tag, rounds: int = 3) -> None:
    """Text nodes that hold markup (``&lt;p&gt;`` in the source) become real elements.

    Repeated so that markup escaped twice (``&amp;lt;p&amp;gt;``) is repaired as well; text in
    ``pre``/``code`` is left alone, since there escaped markup is the content.
    """
    for _ in range(rounds):
        changed = False
        for node in list(body.find_all(string=True)):
            text = str(node)
            if "<" not in text and "&lt;" not in text:
                continue
            if isinstance(node, Comment) or node.find_parent(VERBATIM) is not None:
                continue
            if "<" not in text and "&lt;" in text:
                text = html.unescape(text)
            if not ESCAPED_TAG.search(text):
                continue
            fragment = BeautifulSoup(f"<body>{text}</body>", "lxml").body
            if fragment is None:
                continue
            node.replace_with(*list(fragment.contents))
            changed = True
        if not changed:
            return


def _is_junk(tag: Tag) -> bool:
    classes: object = tag.get("class") or []
    tokens: list[str] = list(classes) if isinstance(classes, list) else str(classes).split()
    element_id = tag.get("id")
    if isinstance(element_id, str):
        tokens.append(element_id)
    return any(is_junk_token(token) for token in tokens)


DROP_TAG_SET = frozenset(DROP_TAGS)


def _is_pixel(tag: Tag) -> bool:
    """Tracking pixels: images one pixel (or less) in size."""
    if tag.name != "img":
        return False
    sizes = [str(tag.get(k, "")).strip().removesuffix("px") for k in ("width", "height")]
    return any(size in {"0", "1"} for size in sizes)


def remove_junk(body: Tag) -> None:
    for comment in body.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in body.find_all(UNWRAP_TAGS):
        tag.unwrap()
    for fallback in body.find_all("noscript"):
        # Lazy-loading pages repeat the image in <noscript>: keep one copy, keep any text.
        previous = fallback.find_previous_sibling()
        shown = isinstance(previous, Tag) and (previous.name == "img" or previous.find("img"))
        if shown and fallback.find("img") and not fallback.get_text(strip=True):
            fallback.decompose()
        else:
            fallback.unwrap()
    for tag in body.find_all(True):
        if tag.decomposed:  # inside something removed already
            continue
        if tag.name in DROP_TAG_SET or _is_junk(tag) or _is_pixel(tag):
            tag.decompose()
    for text in body.find_all(string=lambda s: s.strip().startswith(FOOTER_TEXTS)):
        block = text.find_parent(["div", "p", "section", "small", "footer"])
        if block is None or block is body:
            continue
        previous = block.find_previous_sibling()
        if isinstance(previous, Tag) and previous.name == "hr":
            previous.decompose()
        block.decompose()


def embeds_to_links(body: Tag, base_url: str | None) -> None:
    """Frames cannot be republished safely; a link to what they showed keeps the content."""
    for frame in body.find_all("iframe"):
        src = frame.get("src") or frame.get("data-src")
        if not isinstance(src, str) or not src.strip():
            frame.decompose()
            continue
        url = absolute_url(src if not src.startswith("//") else "https:" + src, base_url)
        parts = urlsplit(url)
        youtube = parts.hostname and "youtube" in parts.hostname
        if youtube and (m := _YOUTUBE_EMBED.match(parts.path)):
            url = f"https://www.youtube.com/watch?v={m.group(1)}"
        title = frame.get("title")
        label = title if isinstance(title, str) else None
        link = BeautifulSoup("", "lxml").new_tag("a", href=url)
        link.string = label if label and label.lower() not in {"youtube iframe", "iframe"} else url
        paragraph = BeautifulSoup("", "lxml").new_tag("p")
        paragraph.append(link)
        frame.replace_with(paragraph)


def fix_media(body: Tag) -> None:
    """Lazy-loaded images and videos get a real ``src``."""
    for tag in body.find_all(["img", "video", "source", "audio"]):
        for lazy in LAZY_ATTRIBUTES:
            value = tag.get(lazy)
            if isinstance(value, str) and value.strip() and not value.startswith("data:"):
                src = tag.get("src")
                if not isinstance(src, str) or not src.strip() or src.startswith("data:"):
                    tag["src"] = value.strip()
                break
        lazy_srcset = tag.get("data-srcset")
        if isinstance(lazy_srcset, str) and not tag.get("srcset"):
            tag["srcset"] = lazy_srcset
        if tag.name == "img" and not tag.get("src"):
            tag.decompose()


def wrap_figures(body: Tag) -> None:
    """Captions stay with their images: a stray ``figcaption`` or WordPress caption becomes
    a ``figure``."""
    for caption in body.find_all("figcaption"):
        if caption.find_parent("figure") is not None:
            continue
        previous = caption.find_previous_sibling()
        figure = caption.wrap(BeautifulSoup("", "lxml").new_tag("figure"))
        if isinstance(previous, Tag) and (previous.name == "img" or previous.find("img")):
            figure.insert(0, previous.extract())
    for box in body.find_all(class_="wp-caption"):
        text = box.select_one(".wp-caption-text")
        box.name = "figure"
        if text is not None:
            text.name = "figcaption"


def fix_links(body: Tag, base_url: str | None) -> None:
    for tag in body.find_all(True):
        for attribute in URL_ATTRIBUTES:
            value = tag.get(attribute)
            if isinstance(value, str) and value.strip():
                tag[attribute] = strip_tracking(absolute_url(value, base_url))
        srcset = tag.get("srcset")
        if isinstance(srcset, str):
            fixed = fix_srcset(srcset, base_url)
            if fixed:
                tag["srcset"] = fixed
            else:
                del tag["srcset"]


def fix_srcset(srcset: str, base_url: str | None) -> str:
    """Absolute candidates; lazy-loading placeholders (``data:`` URLs) go."""
    if "data:" in srcset:
        return ""  # a data: URL holds commas, so the list cannot be split reliably
    candidates = [part.split() for part in srcset.split(",") if part.split()]
    return ", ".join(" ".join([absolute_url(c[0], base_url), *c[1:]]) for c in candidates)


def drop_title_repeat(body: Tag, title: str) -> None:
    """A leading heading (or ``[title](url)`` paragraph) that only repeats the title."""
    wanted = _comparable(title)
    for element in body.find_all(["h1", "h2", "p", "header"], limit=3):
        text = element.get_text()
        if len(text) <= 3 * len(title) + 20 and _comparable(text) == wanted:
            element.decompose()
            return


def drop_leading_dateline(body: Tag) -> None:
    """Mirrors put the feed's date (and a byline) in a first block: the entry has them already."""
    first_text = next((s for s in body.find_all(string=True) if s.strip()), None)
    block = first_text.find_parent(["div", "p"]) if first_text is not None else None
    if block is None or block.find(["img", "video", "audio", "picture", "div", "p"]) is not None:
        return
    lines = [line.strip() for line in block.get_text("\n").split("\n") if line.strip()]
    if lines and len(" ".join(lines)) <= 80 and parse_date(lines[-1]) is not None:
        block.decompose()


def _comparable(text: str) -> str:
    return re.sub(r"[\s\-—–_|]+", "", clean_name(text)).rstrip(".…").casefold()


def drop_empty(body: Tag) -> None:
    """Wrappers left empty by junk removal (and ``<p>&nbsp;</p>`` spacers) go, innermost first."""
    for tag in reversed(body.find_all(TEXT_BLOCKS)):
        if tag.get_text(strip=True) or tag.find(MEDIA) is not None:
            continue
        tag.decompose()
    for tag in body.find_all("br"):
        # Runs of <br> collapse to one; leading ones go.
        sibling = tag.next_sibling
        while isinstance(sibling, NavigableString) and not sibling.strip():
            sibling = sibling.next_sibling
        if isinstance(sibling, Tag) and sibling.name == "br":
            tag.decompose()
