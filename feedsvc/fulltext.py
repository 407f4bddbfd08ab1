"""Full text (issue 18): when an entry's text is only a summary, and whether its web page's
text replaces it. Decisions only: ``prepare.prepare_page`` applies them in the worker processes.

The page's text wins only when it is fuller and no worse: it holds most of the feed's words
and more, and the page is an article, not a paywall, cookie wall, login or error page.
"""

from __future__ import annotations

import re

from feedsvc.decode import decode_text
from feedsvc.extract import Page
from feedsvc.text import CJK_LETTER, share_in, word_counts

MODES = ("auto", "always", "never")
SUMMARY_CHARS = 300  # text shorter than this (Latin script) is a summary
SUMMARY_CJK = 80  # or this many Chinese, Japanese or Korean characters
SHORTER_THAN_USUAL = 0.3  # a third of the length the source's pages usually give
# How summaries end: an ellipsis, a bracketed one, or an invitation to read on.
_TRUNCATED = re.compile(
    r"(?i)(\.\.\.|…|\[…\]|\[\.\.\.\]|\(continued\)|continue reading|read more|read the full "
    r"(story|article)|full story|more»|»|阅读全文|閱讀全文|查看全文|全文>*|更多>*|详细>*|"
    r"詳細>*|点击阅读|點擊閱讀)\W*$")


def summary_reason(text: str, usual_length: int | None = None) -> str | None:
    """Why ``text`` (an entry's text) looks like a summary of a longer article, or None."""
    stripped = text.strip()
    if len(stripped) < SUMMARY_CHARS:  # longer is never short, in any script: skip counting
        cjk = len(CJK_LETTER.findall(stripped))
        if cjk >= len(stripped) / 3 and cjk < SUMMARY_CJK:
            return f"short ({cjk} CJK characters)"
        if cjk < len(stripped) / 3:
            return f"short ({len(stripped)} characters)"
    if _TRUNCATED.search(stripped[-60:]):
        return "ends in a truncation mark"
    if usual_length and len(stripped) < SHORTER_THAN_USUAL * usual_length:
        return f"much shorter than this source's pages ({len(stripped)} of ~{usual_length})"
    return None


# A page that is not the article: said in its title or in its short text. Each pattern is
# specific enough not to match an article that merely mentions subscriptions or cookies.
_NOT_ARTICLE = (
    ("a paywall", re.compile(
        r"(?i)(subscribe (now )?to (continue|keep) reading|subscribers? only|for subscribers|"
        r"already a subscriber|to continue reading,? (please )?(subscribe|log ?in|sign ?in)|"
        r"this (article|content|story) is (only )?(available|reserved) (to|for) "
        r"(paying )?(subscribers|members)|become a (member|subscriber) to read|"
        r"订阅后(阅读|查看)|訂閱後(閱讀|查看)|付费(阅读|内容|文章)|付費(閱讀|內容|文章)|"
        r"会员专享|會員專享|开通会员|開通會員)")),
    ("a cookie or consent wall", re.compile(
        r"(?i)(we (use|value) (your privacy|cookies)|accept (all )?cookies|cookie (settings|"
        r"preferences|policy)|consent to (the use of )?cookies|manage (your )?consent|"
        r"before you continue|使用cookie|同意.{0,6}cookie|隐私设置)")),
    ("a login page", re.compile(
        r"(?i)(log ?in to (continue|read|view)|sign ?in to (continue|read|view)|please (log|sign)"
        r" ?in|create a free account to|登录后(阅读|查看|继续)|登入後(閱讀|查看|繼續)|请先登录|"
        r"請先登入)")),
    ("an error page", re.compile(
        r"(?i)(page not found|404 not found|^not found$|page (you requested |you're looking "
        r"for )?(cannot|can't|could not) be found|no longer available|has been removed|"
        r"access denied|forbidden|service unavailable|页面不存在|頁面不存在|找不到(该|該)?页面|"
        r"找不到(该|該)?頁面|文章不存在|内容已删除|內容已刪除)")),
)
STUB_CHARS = 1500  # a page with more article text than this is not a wall, whatever it says


def not_an_article(page: Page, text: str) -> str | None:
    """What the page is instead of the article, or None when it is the article."""
    if not page.free and len(text) < STUB_CHARS * 2:
        return "a paywall (the page marks its article as not free)"
    if len(text) >= STUB_CHARS:
        return None
    for what, pattern in _NOT_ARTICLE:
        if pattern.search(page.title) or pattern.search(text[:STUB_CHARS]):
            return what
    return None


def contained(part: str, whole: str) -> float:
    """The share of ``part``'s words (CJK: characters) found in ``whole``."""
    return share_in(word_counts(_TRUNCATED.sub("", part.strip())), word_counts(whole))


MOST = 0.6  # "most of" the feed's text: summaries are cut and lightly reworded


def page_is_better(feed_text: str, page_text: str) -> str | None:
    """None when the page's text should replace the feed's; else why not."""
    if len(page_text.strip()) <= len(feed_text.strip()):
        return "the page's text is not longer than the feed's"
    share = contained(feed_text, page_text)
    if share < MOST:
        return f"the page's text holds only {share:.0%} of the feed's"
    return None


def decode_page(body: bytes, content_type: str, url: str) -> str:
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if match:
        try:
            return body.decode(match.group(1).lower().replace("gb2312", "gb18030")
                               .replace("gbk", "gb18030"), errors="replace")
        except LookupError:
            pass
    return decode_text(body, url)
