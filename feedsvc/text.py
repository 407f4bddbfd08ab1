"""Plain text from cleaned HTML (for search and summaries), and the language it is in."""

from __future__ import annotations

import hashlib
import re
from collections import Counter

from lxml import etree

BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "figure", "figcaption", "table", "tr", "pre", "hr", "section", "article", "dd", "dt",
}
SUMMARY_CHARS = 280
# Runs, not single characters: counting by substitution then costs a match per run.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_KANA = re.compile(r"[\u3040-\u30ff]+")
_HANGUL = re.compile(r"[\uac00-\ud7af]+")
_NOT_LATIN = bytes(code for code in range(128) if not chr(code).isalpha())  # A-Z, a-z stay
# Common in Traditional text only (simplified forms differ): enough to tell zh-Hant.
_TRADITIONAL = re.compile(r"[們這個來時說國會對為學與關發經過點還開還當]+")
_SIMPLIFIED = re.compile(r"[们这个来时说国会对为学与关发经过点还开当]+")
# Matched in case-folded text: twice as fast as IGNORECASE.
_ENGLISH = re.compile(r"\b(?:the|and|of|to|in|is|that|for|with|was|on|said)\b")


# A word of Latin (or any spaced) script, or one Chinese, Japanese or Korean character: the
# unit text is compared in (does a page hold a feed's text; extraction benchmarks).
CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_LETTER = re.compile(f"[{CJK_LETTERS}]")
_WORD_OR_CJK = re.compile(rf"[{CJK_LETTERS}]|[^\s\W{CJK_LETTERS}]+")


def word_counts(text: str) -> Counter[str]:
    """The words of ``text`` (CJK: characters), case-folded, with how often each occurs."""
    return Counter(match.group().casefold() for match in _WORD_OR_CJK.finditer(text))


# Labels that change by themselves between two fetches of an unchanged article.
_RELATIVE_TIME = re.compile(
    r"(?i)(?:\b(?:updated|posted|published|edited)\s*:?\s*)?\b\d+\s*(?:seconds?|secs?|"
    r"minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b|"
    r"(?:更新于|发布于|更新於|發佈於|發布於)?\s*\d+\s*(?:秒|分钟|分鐘|小时|小時|天)前|刚刚|剛剛|"
    r"\bjust now\b")


def share_in(part: Counter[str], whole: Counter[str]) -> float:
    """How much of ``part``'s words (``word_counts``) ``whole`` holds; 1.0 when ``part``
    has none."""
    total = sum(part.values())
    return sum((part & whole).values()) / total if total else 1.0


def material_hash(title: str, author: str | None, text: str) -> str:
    """What a reader sees of an article: its title, author and words (issue 20). Markup,
    whitespace, links' tracking parameters, tags and "5 hours ago" labels are not part of
    it, so they never make a revision."""
    words = " ".join(_RELATIVE_TIME.sub(" ", text).split())
    visible = "\x1f".join([" ".join(title.split()), " ".join((author or "").split()), words])
    return hashlib.sha256(visible.encode("utf-8", "surrogatepass")).hexdigest()


def html_to_text(markup: str, media_text: bool = True) -> str:
    """Text of the HTML with a blank line between blocks and single spaces inside them.

    ``media_text=False`` leaves out image alt text and figure captions (for summaries).
    """
    full, without_media = _texts(markup, full=media_text, plain=not media_text)
    return full if media_text else without_media


_PLAIN_ALT = {"", "img", "image", "photo", "picture"}
# Code, not words: a raw feed title holding a script must not show its source (issue 15).
_NOT_TEXT = {"head", "script", "style"}


def html_texts(markup: str) -> tuple[str, str]:
    """``html_to_text`` with and without media text, from one walk over one parse."""
    return _texts(markup, full=True, plain=True)


def _texts(markup: str, full: bool, plain: bool) -> tuple[str, str]:
    """The texts asked for (with media, without); "" for the other."""
    if not markup.strip():
        return "", ""
    root = _document(markup)
    full_pieces: list[str] = []
    plain_pieces: list[str] = []
    wanted_full = (full_pieces,) if full else ()
    wanted_both = wanted_full + ((plain_pieces,) if plain else ())

    def walk(element: etree._Element, media: bool) -> None:
        media = media or element.tag in {"figure", "figcaption"}
        sinks = wanted_full if media else wanted_both
        block = element.tag in BLOCK_TAGS
        if block:
            _add(sinks, "\n")
        if element.tag == "img" and (element.get("alt") or "").lower() not in _PLAIN_ALT:
            _add(wanted_full, f" {element.get('alt')} ")
        if element.text:
            _add(sinks, element.text)
        for child in element:
            if isinstance(child.tag, str) and child.tag not in _NOT_TEXT:
                walk(child, media)
            if child.tail:
                _add(sinks, child.tail)
        if block:
            _add(sinks, "\n")

    if root is not None:
        walk(root, False)
    return _paragraphs(full_pieces), _paragraphs(plain_pieces)


_PARSER = etree.HTMLParser()  # plain elements: lxml.html's cost a class lookup each
_DOCUMENT = re.compile(r"\s*<(?:html|!doctype)", re.IGNORECASE)


def _document(markup: str) -> etree._Element | None:
    """``markup`` parsed as an HTML document (wrapped in one unless it is one). Its text is
    all but the ``head``'s: a broken document can hold a second ``body``, or blocks between
    the two."""
    document = markup if _DOCUMENT.match(markup) else f"<html><body>{markup}</body></html>"
    root: etree._Element | None = etree.fromstring(document, _PARSER)
    return root


def _add(sinks: tuple[list[str], ...], text: str) -> None:
    for pieces in sinks:
        pieces.append(text)


def _paragraphs(pieces: list[str]) -> str:
    lines = (" ".join(line.split()) for line in "".join(pieces).split("\n"))
    return "\n\n".join(line for line in lines if line)


def summarize(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The opening of the text, cut at a sentence or word end near ``limit``."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    for mark in ("。", "！", "？", ". ", "! ", "? "):
        end = cut.rfind(mark)
        if end > limit // 2:
            return cut[: end + 1].strip()
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:，、") + "…"


_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: str | None) -> str | None:
    """A feed's language as a well-formed tag (``zh_CN`` → ``zh-CN``), or None if it is not one.

    Atom's ``xml:lang`` must match RFC 3066's form; feeds in the wild send anything."""
    if not value:
        return None
    tag = value.strip().replace("_", "-")
    return tag if _LANGUAGE_TAG.fullmatch(tag) else None


def _count(characters: re.Pattern[str], text: str) -> int:
    """How many characters of ``text`` the pattern matches: a C-speed substitution, no list."""
    return len(text) - len(characters.sub("", text))


def detect_lang(text: str) -> str | None:
    """A BCP 47 tag from the script in use: zh-Hans, zh-Hant, ja, ko, en; None if unsure."""
    sample = text[:1000]  # the script in use shows early; a longer look costs more
    cjk = _count(_CJK, sample)
    latin = len(sample.encode("ascii", "ignore").translate(None, _NOT_LATIN))
    if _count(_KANA, sample) > 20:
        return "ja"
    if _count(_HANGUL, sample) > max(20, cjk):
        return "ko"
    if cjk >= 10 and cjk * 3 >= latin:
        traditional = _count(_TRADITIONAL, sample)
        simplified = _count(_SIMPLIFIED, sample)
        return "zh-Hant" if traditional > simplified else "zh-Hans"
    if latin >= 50 and len(_ENGLISH.findall(sample.casefold())) * 40 >= len(sample.split()):
        return "en"
    return None


# Characters XML 1.0 forbids (C0 controls but tab/newline/return, surrogates, U+FFFE/U+FFFF):
# one of them in a published feed breaks it for every reader.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)
