"""Plain-text wire copy: no metadata, a dateline naming the agency, a paragraph per line."""

from __future__ import annotations

import html
import re

from feedsvc.models import Article

# "WASHINGTON (Reuters) -", "United Nations (United States) (AFP) -", "(AP) —",
# "BEIJING, Feb. 6 (Xinhua) --": the agency is the last parenthesis before the dash.
DATELINE = re.compile(
    r"\A(?P<place>[^\n]{0,120}?)\s*\((?P<agency>[A-Za-z][A-Za-z .&/-]{0,39})\)\s*[-–—]{1,2}\s+"
)
# "Nantes, France | AFP | ": AFP's own wire layout.
PIPE_DATELINE = re.compile(
    r"\A(?P<place>[^\n|]{1,80}?)\s*\|\s*(?P<agency>[A-Za-z][A-Za-z .&-]{0,30}?)\s*\|\s*")
# "CONAKRY, Guinea — ": a place in capitals and a dash, no agency (so no source).
PLACE_DATELINE = re.compile(
    r"\A(?P<place>[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3}(?:,\s*[A-Z][\w.' -]{0,40}?)?)"
    r"\s*[-–—]{1,2}\s+")
# Chinese outlets whose copy opens with a dateline naming them.
CJK_AGENCIES = ("新华社", "中新社", "中新网", "人民网", "人民日报", "央视新闻", "央视网", "中央社",
                "法新社", "美联社", "路透社", "共同社", "韩联社", "塔斯社", "澎湃新闻", "环球网",
                "中国新闻网", "光明网", "中国日报网", "大公网", "联合早报")
_AGENCY = "|".join(CJK_AGENCIES)
# 中文 wire datelines: （中央社台北6日電）, 【大纪元2020年10月13日讯】, 路透华盛顿7月22日 -,
# 新华社北京2月6日电, 新华社记者张三报道, 人民网北京2月6日电, 据央视新闻报道
CJK_DATELINES = (
    re.compile(r"\A[（(](?P<agency>中央社|新华社|中新社|法新社|美联社|共同社)[^）)]{0,20}[电電][）)]"),
    re.compile(r"\A【(?P<agency>[^\d【】]{2,10})\d{4}年[^】]{0,20}[讯訊]】"),
    re.compile(r"\A(?P<agency>路透)[^\n-]{0,20}月\d{1,2}日\s*[-–—]"),
    re.compile(rf"\A(?P<agency>{_AGENCY})(?:记者[^\s，。]{{1,12}}?)?[^\s，。\d]{{0,12}}?"
               r"(?:\d{4}年)?\d{1,2}月\d{1,2}日[电電讯訊](?:\s*[（(][^）)\n]{0,20}[）)])?\s*"),
    re.compile(rf"\A(?P<agency>{_AGENCY})记者[^\n，。]{{1,30}}?[报報]道[：:，,]?\s*"),
    re.compile(rf"\A据(?P<agency>{_AGENCY})[^\n，。]{{0,12}}?[报報]道[：:，,]?\s*"),
)
HEADLINE_MAX = 120
TITLE_MAX = 100
# A sentence ends at one of these, then a closing quote or bracket, then white space.
_SENTENCE_END = re.compile(r"[.!?。！？][\"”’)]?(?:\s+|$)|[。！？][\"”’」』）)]?")
# Words a period ends without ending the sentence ("The U.S. Senate", "Dr. Tedros").
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "st", "mt",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no",
    "nos", "vs", "etc", "inc", "ltd", "co", "corp", "jr", "sr", "dept", "est", "approx", "fig",
    "vol", "pp", "ft"})
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")  # U.S. U.K. a.m. J.


def find_agency(text: str) -> str | None:
    if match := DATELINE.match(text) or PIPE_DATELINE.match(text):
        return match.group("agency").strip()
    for pattern in CJK_DATELINES:
        if match := pattern.match(text):
            return match.group("agency")
    return None


def strip_dateline(text: str) -> str:
    """The lede without its dateline (with or without an agency)."""
    for pattern in (DATELINE, PIPE_DATELINE, *CJK_DATELINES, PLACE_DATELINE):
        if match := pattern.match(text):
            rest = text[match.end():].lstrip(" -–—:：，,")
            return rest or text
    return text


def first_sentence(text: str) -> str:
    """The text up to its first sentence end: a period after an abbreviation ("U.S.",
    "Dr.", "Jan.", "No. 10", "a.m."), or before a lower-case word or a digit, ends none."""
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        if text[end] == "." and _continues(text, end, match.end()):
            continue
        return text[:match.end()].strip()
    return text.strip()


def _continues(text: str, period: int, after: int) -> bool:
    word = text[:period + 1].rsplit(None, 1)[-1] if text[:period + 1].strip() else ""
    if word[:-1].casefold().strip("(\"“'") in ABBREVIATIONS or _INITIALS.fullmatch(word):
        return True
    following = text[after:after + 1]
    return bool(following) and (following.islower() or following.isdigit())


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
    sentence = first_sentence(strip_dateline(lede))
    if len(sentence) <= TITLE_MAX:
        return sentence.rstrip(".。")
    cut = sentence[:TITLE_MAX].rsplit(" ", 1)[0] if " " in sentence[:TITLE_MAX] else ""
    return (cut or sentence[:TITLE_MAX]).rstrip(" ,;:，、") + "…"


def read_wire(text: str, origin: str) -> Article:
    paragraphs = split_paragraphs(text.lstrip("\ufeff"))
    title = ""
    if len(paragraphs) > 1 and _is_headline(paragraphs[0]) and not find_agency(paragraphs[0]):
        title = paragraphs.pop(0)
    lede = paragraphs[0] if paragraphs else ""
    agency = find_agency(lede)
    # No headline: the title is derived from the lede when the article is prepared, after
    # cleaning, so that no rule can take the lede for a repeat of its title (issue 16).
    return Article(
        title=title,
        content_html="".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs),
        source=agency or "",
        author=agency,
        origin=origin,
    )
