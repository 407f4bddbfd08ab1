"""Plain-text wire copy: no metadata, a dateline naming the agency, a paragraph per line."""

from __future__ import annotations

import html
import re

from feedsvc.models import Article

# "WASHINGTON (Reuters) -", "United Nations (United States) (AFP) -", "(AP) —": the agency is
# the last parenthesis before the dash.
DATELINE = re.compile(
    r"\A(?P<place>[^\n]{0,120}?)\s*\((?P<agency>[A-Za-z][A-Za-z .&/-]{0,39})\)\s*[-–—]{1,2}\s+"
)
# 中文 wire datelines: （中央社台北6日電）, 【大纪元2020年10月13日讯】, 路透华盛顿7月22日 -
CJK_DATELINES = (
    re.compile(r"\A[（(](?P<agency>中央社|新华社|中新社|法新社|美联社|共同社)[^）)]{0,20}[电電][）)]"),
    re.compile(r"\A【(?P<agency>[^\d【】]{2,10})\d{4}年[^】]{0,20}[讯訊]】"),
    re.compile(r"\A(?P<agency>路透)[^\n-]{0,20}月\d{1,2}日\s*[-–—]"),
)
HEADLINE_MAX = 120
TITLE_MAX = 100
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"”’)]?\s")


def find_agency(text: str) -> str | None:
    if match := DATELINE.match(text):
        return match.group("agency").strip()
    for pattern in CJK_DATELINES:
        if match := pattern.match(text):
            return match.group("agency")
    return None


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks when the copy has them, else one paragraph per line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if re.search(r"\n[ \t]*\n", text.strip()):
        blocks = re.split(r"\n[ \t]*\n", text)
        return [" ".join(b.split()) for b in blocks if b.strip()]
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def _is_headline(line: str) -> bool:
    ends = (".", "。", ":", "：", ",", "，")
    return len(line) <= HEADLINE_MAX and not line.rstrip().endswith(ends)


def derive_title(lede: str) -> str:
    """The lede's first sentence, after the dateline, shortened at a word boundary."""
    if match := DATELINE.match(lede):
        lede = lede[match.end():]
    sentence = _SENTENCE_END.split(lede, maxsplit=1)[0].strip()
    if len(sentence) <= TITLE_MAX:
        return sentence.rstrip(".")
    cut = sentence[:TITLE_MAX].rsplit(" ", 1)[0] if " " in sentence[:TITLE_MAX] else ""
    return (cut or sentence[:TITLE_MAX]).rstrip(" ,;:") + "…"


def read_wire(text: str, origin: str) -> Article:
    paragraphs = split_paragraphs(text.lstrip("\ufeff"))
    title = ""
    if len(paragraphs) > 1 and _is_headline(paragraphs[0]) and not find_agency(paragraphs[0]):
        title = paragraphs.pop(0)
    lede = paragraphs[0] if paragraphs else ""
    agency = find_agency(lede)
    return Article(
        title=title or derive_title(lede),
        content_html="".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
        source=agency or "",
        author=agency,
        origin=origin,
    )
