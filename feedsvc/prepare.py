"""Preparing articles: clean, derive text, summary, language, search forms and identity.

Pure CPU work on one article (or one fetched feed body) at a time, with no archive access:
this is what the worker processes run, for files and for fetched feeds alike.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from html import escape
from urllib.parse import urlsplit

from feedsvc.clean import clean_html, sanitize_html
from feedsvc.dates import format_date, utc_now
from feedsvc.defaults import MAX_ENTRIES, MAX_HTML, MAX_NAME, MAX_SUMMARY, MAX_TAGS, MAX_TITLE
from feedsvc.errors import FeedsvcError, ParseError
from feedsvc.extract import extract_page
from feedsvc.formats.wire import derive_title
from feedsvc.fts import index_text
from feedsvc.fulltext import decode_page, not_an_article, page_is_better, summary_reason
from feedsvc.models import Article, PageJob, PreparedArticle, SourceState
from feedsvc.names import clean_name, strip_markup
from feedsvc.parse import ParsedFeed, parse_feed
from feedsvc.text import (
    detect_lang,
    html_texts,
    html_to_text,
    language_tag,
    material_hash,
    summarize,
    xml_safe,
)
from feedsvc.urls import absolute_url, canonical_url, is_http_url

FALLBACK_SOURCE = "inbox"


def _source_name(source: str, url: str | None) -> str:
    if source.strip():
        return clean_name(source)
    host = urlsplit(url).hostname if url else None
    return host.removeprefix("www.") if host else FALLBACK_SOURCE


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _name(text: str, limit: int) -> str:
    """A title, author or tag: plain text, XML-safe, at most ``limit`` characters (only a
    bounded head of a huge input is looked at)."""
    return _capped(xml_safe(clean_name(text[:limit * 4])), limit)


def clean_body(markup: str, url: str | None, title: str) -> tuple[str, str, str]:
    """(cleaned HTML, its text, its text without media). No rule may leave less text than
    the title when the body had more (issue 16): then the body is cleaned again without
    the title-repeat rule; and a body the junk rules emptied keeps its own words (a short
    article beside an ad keeps the article, not the ad)."""
    content = xml_safe(clean_html(markup, url, title))
    text, plain = html_texts(content)
    if len(text) >= len(title) and text:
        return content, text, plain
    words = html_to_text(markup)
    if len(words) <= len(text):
        return content, text, plain
    if title:
        content = xml_safe(clean_html(markup, url))
        text, plain = html_texts(content)
    if not text:
        content = xml_safe(sanitize_html("".join(
            f"<p>{escape(p, quote=False)}</p>" for p in words.split("\n\n"))))
        text, plain = html_texts(content)
    return content, text, plain


FUTURE_SLACK = timedelta(days=1)  # publishers' clocks and time zones are often off a little


def published_when(article: Article, now: datetime) -> datetime:
    """The date rule, applied here once: no date is the arrival time; a date more than a
    day ahead is a publisher's error (or a trick to stay on top) and becomes now too."""
    published = article.published or now
    return now if published > now + FUTURE_SLACK else published


def prepare_article(article: Article, now: datetime | None = None) -> PreparedArticle:
    """Clean the HTML and fill every derived field; the result is ready to store.

    Oversized parts are cut, not refused: a title at ``MAX_TITLE`` characters, the HTML at
    ``MAX_HTML`` (the cleaner closes what the cut left open)."""
    now = now or utc_now()
    url = article.url.strip() if article.url and is_http_url(article.url) else None
    title = _name(article.title, MAX_TITLE)
    content, text, plain = clean_body(article.content_html[:MAX_HTML], url, title)
    if not title:
        title = derive_title(text.split("\n", 1)[0]) if text else ""
    if not title and not text:
        raise ParseError(f"{article.origin or 'article'}: no title and no text left after cleaning")
    title = title or "(untitled)"
    summary = (_capped(html_to_text(clean_html(article.summary[:MAX_HTML])), MAX_SUMMARY)
               if article.summary else "")
    summary = summary or summarize(plain)
    canonical = canonical_url(url) if url else None
    source = _source_name(article.source, url)
    author = _name(article.author, MAX_NAME) or None if article.author else None
    tags = [t for t in dict.fromkeys(_name(t, MAX_NAME) for t in article.tags[:MAX_TAGS]) if t]
    # No URL: a reader-given identity (a feed's guid), else one from the content.
    uid = canonical or article.uid or "urn:sha256:" + hashlib.sha256(
        f"{source}\x1f{' '.join(text.split())}".encode("utf-8", "surrogatepass")).hexdigest()
    return PreparedArticle(
        title=title, content_html=content, source=xml_safe(source), url=url, author=author,
        tags=tags, published=published_when(article, now),
        summary=xml_safe(strip_markup(summary)) or None, guid=article.guid,
        lang=language_tag(article.lang) or detect_lang(f"{title}\n{text}"),
        origin=article.origin, source_feed=article.source_feed, canonical_url=canonical,
        uid=uid, content_text=text, content_hash=material_hash(title, author, text),
        search_forms=(index_text(title), index_text(text)), fingerprint=article.fingerprint,
        text_origin=article.text_origin)


@dataclass(slots=True)
class PreparedFeed:
    """A fetched body parsed and cleaned (in a worker process), ready to store."""

    title: str | None
    link: str | None
    articles: list[PreparedArticle]
    skipped: list[str]
    seen_again: list[str] = field(default_factory=list)  # fingerprints of unchanged entries
    pages: list[PageJob] = field(default_factory=list)  # entries whose page is wanted


PREPARE_VERSION = "4"  # part of every fingerprint: raise it when cleaning changes its output


def fingerprint(entry: Article) -> str:
    """The entry as the feed gave it, with what its source adds (name, tags, language): the
    same fingerprint again means the same prepared article, so it need not be prepared."""
    published = entry.published.isoformat() if entry.published else ""
    parts = [PREPARE_VERSION, entry.source, entry.uid, entry.url or "", entry.guid or "",
             entry.title, entry.author or "", "\x1e".join(entry.tags), entry.summary or "",
             entry.content_html, published, entry.lang or ""]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


def prepare_feed(state: SourceState, body: bytes, url: str, content_type: str,
                 now: datetime) -> PreparedFeed:
    """Parse a feed body and prepare every entry not seen before (``state.seen``).
    CPU-bound: runs in a worker process."""
    parsed = parse_feed(body, url, content_type)
    result = PreparedFeed(parsed.title, parsed.link, [], list(parsed.notes))
    if parsed.entries_found > MAX_ENTRIES:
        result.skipped.append(f"{url}: the feed lists {parsed.entries_found:,} entries; only "
                              f"the first {len(parsed.articles):,} were read")
    origin = source_feed(parsed, url, state.name)
    for entry in parsed.articles:
        entry.source = state.name
        entry.source_feed = origin
        entry.tags = list(dict.fromkeys([*state.tags, *entry.tags]))
        entry.lang = state.lang or entry.lang
        if entry.url is None and entry.guid:
            entry.uid = f"guid:{state.slug}:{entry.guid}"
        entry.fingerprint = fingerprint(entry)
        if entry.fingerprint in state.seen:
            result.seen_again.append(entry.fingerprint)
            continue
        try:
            prepared = prepare_article(entry, now)
        except FeedsvcError as exc:
            result.skipped.append(f"entry skipped: {exc}")
            continue
        reason = page_wanted(state, prepared)
        if reason and prepared.url:
            result.pages.append(PageJob(entry, prepared, prepared.url, reason))
        else:
            result.articles.append(prepared)
    return result


def page_wanted(state: SourceState, article: PreparedArticle) -> str | None:
    """Why the entry's web page should be fetched (its source's ``full_text``), or None."""
    if state.full_text == "never" or not article.url:
        return None
    if state.full_text == "always":
        return "full_text: always"
    return summary_reason(article.content_text, state.usual_length)


def source_feed(parsed: ParsedFeed, url: str, name: str) -> dict[str, str]:
    """What an entry's ``atom:source`` says about the feed it came from."""
    feed_id = parsed.feed_id if parsed.feed_id and ":" in parsed.feed_id else url
    provenance = {"id": feed_id, "title": parsed.title or name, "link": url}
    if parsed.link and is_http_url(parsed.link):
        provenance["home"] = absolute_url(parsed.link, url)
    if parsed.updated:
        provenance["updated"] = format_date(parsed.updated)
    return provenance


@dataclass(frozen=True, slots=True)
class PageResult:
    """What a fetched page gave for one entry: the article to store, and in words what
    was decided (``used`` when the page's text was taken)."""

    article: PreparedArticle
    used: bool
    reason: str


def prepare_page(entry: Article, feed: PreparedArticle, body: bytes, page_url: str,
                 content_type: str, now: datetime) -> PageResult:
    """Extract the article from its page and decide between its text and the feed's.
    The page's canonical URL becomes the article's either way (dedup, issue 18); the feed's
    title, author and date stay unless the feed had none."""
    try:
        page = extract_page(decode_page(body, content_type, page_url), page_url)
    except FeedsvcError as exc:
        return PageResult(feed, False, f"page not read: {exc}")
    url = page.url if page.url and is_http_url(page.url) else page_url
    from_page = replace(
        entry, content_html=page.body_html, url=url, text_origin="page",
        title=entry.title or page.title, author=entry.author or page.author,
        published=entry.published or page.published, lang=entry.lang or page.lang)
    try:
        candidate = prepare_article(from_page, now)
    except FeedsvcError as exc:
        return PageResult(feed, False, f"page not used: {exc}")
    blocked = not_an_article(page, candidate.content_text)
    why_not = (f"it is {blocked}" if blocked
               else page_is_better(feed.content_text, candidate.content_text))
    if why_not is None:
        return PageResult(candidate, True, "page text used")
    # the feed's text, at the page's canonical address (prepared only when it is kept)
    kept = prepare_article(replace(entry, url=url), now) if url != entry.url else feed
    return PageResult(kept, False, f"page not used: {why_not}")
