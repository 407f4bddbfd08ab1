"""The archive as a website (issue 19): a page for every article, a listing page for every
feed document (everything, each source, each tag; newest first, paginated like the feeds),
and the front page. Static files with relative links only, so ``public/`` works copied to
any static host; no script, a strict Content-Security-Policy, no third-party request but
the articles' own images.

Every page depends only on what it shows (no clock, no "newer article" links), so the same
archive gives the same bytes and an unchanged page is never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta, timezone
from html import escape
from urllib.parse import quote

from feedsvc.atom import feed_title, timestamp, vanished_notice
from feedsvc.models import Change, FeedInfo, FeedPage, StoredArticle, StoryLinks
from feedsvc.text import language_tag
from feedsvc.urls import ascii_url
from feedsvc.webpath import article_path, href

STYLESHEET = "site.css"
# In a meta tag, so a copy on any static host keeps it (frame-ancestors cannot be set there;
# our server sends it as a header too).
PAGE_POLICY = ("default-src 'none'; img-src * data:; media-src *; style-src 'self'; "
               "base-uri 'none'; form-action 'self'")
RTL = {"ar", "fa", "he", "ur", "ps", "sd", "ug", "yi", "dv"}
# A zone to show times in, by the article's language: without a script the page cannot
# know the reader's, and these languages' readers mostly live in one.
ZONES = {"zh": 8, "ja": 9, "ko": 9}
SUMMARY_CHARS = 220


@dataclass(frozen=True, slots=True)
class Slugs:
    """Names of sources and tags to their slugs: where their listing pages are."""

    sources: dict[str, str]
    tags: dict[str, str]

    def source(self, name: str) -> str | None:
        slug = self.sources.get(name)
        return f"sources/{slug}.html" if slug else None

    def tag(self, name: str) -> str | None:
        slug = self.tags.get(name)
        return f"tags/{slug}.html" if slug else None


def when(rfc3339: str, lang: str | None) -> str:
    """``<time>``: the ISO time for machines, ``2022-02-06 08:33 UTC+8`` for people."""
    moment = timestamp(rfc3339)
    hours = ZONES.get((language_tag(lang) or "").split("-")[0], 0)
    local = moment.astimezone(timezone(timedelta(hours=hours)))
    zone = f"UTC+{hours}" if hours else "UTC"
    shown = f"{local:%Y-%m-%d %H:%M} {zone}"
    return f'<time datetime="{escape(rfc3339)}">{shown}</time>'


def _lang_attributes(lang: str | None) -> str:
    tag = language_tag(lang)
    if not tag:
        return ""
    direction = ' dir="rtl"' if tag.split("-")[0].lower() in RTL else ""
    return f' lang="{escape(tag)}"{direction}'


def frame(path: str, title: str, body: str, head: str = "", lang: str | None = "en",
          site_title: str = "feedsvc") -> bytes:
    """A page of the site at ``path``: ``title`` is plain text, ``head``/``body`` markup."""
    home = href(path, "index.html")
    return f"""<!DOCTYPE html>
<html{_lang_attributes(lang) or ' lang="en"'}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">
<meta name="referrer" content="no-referrer">
<title>{escape(title)}</title>
<link rel="stylesheet" href="{href(path, STYLESHEET)}">
{head}
</head>
<body>
<a class="skip" href="#main" lang="en">Skip to the content</a>
<header class="site" lang="en"><a href="{home}">{escape(site_title)}</a></header>
<main id="main">
{body}
</main>
<footer class="site" lang="en"><a href="{home}">{escape(site_title)}</a> · an archive of \
feeds, kept by <a href="https://github.com/feedsvc/feedsvc">feedsvc</a></footer>
</body>
</html>
""".encode()


def page_of(article: StoredArticle) -> str:
    return article.page_path or article_path(article.uid, article.url)


def history_html(article: StoredArticle, changes: list[Change]) -> str:
    """Every version with its time and the diff from the one before; removals found."""
    if not changes:
        return ""
    items = [f'<li>Published {when(article.published, article.lang)}.</li>']
    for change in changes:
        if change.kind == "edited":
            items.append(f'<li><p>Edited (version {change.revision}), seen '
                         f'{when(change.at, article.lang)}:</p>\n<div class="diff">'
                         f"{change.diff_html or ''}</div></li>")
        else:
            detail = f" ({escape(change.detail)})" if change.detail else ""
            items.append(f"<li><p><strong>{escape(change.kind.capitalize())}</strong> at its "
                         f"outlet, found {when(change.at, article.lang)}{detail}.</p></li>")
    return ('<section class="history" aria-labelledby="history" lang="en">\n'
            '<h2 id="history">History</h2>\n<ol>\n' + "\n".join(items) + "\n</ol>\n</section>")


def story_html(path: str, links: StoryLinks | None) -> str:
    """The article's copies in other sources ("also in") and related coverage (the same
    event in other words or languages), each linking its archived page."""
    if links is None or not (links.copies or links.coverage):
        return ""
    parts = ['<section class="story" lang="en">']
    for heading, anchor, items in (("Also in", "also-in", links.copies),
                                   ("Related coverage", "related-coverage", links.coverage)):
        if not items:
            continue
        parts.append(f'<h2 id="{anchor}">{heading}</h2>\n<ul>')
        for item in items:
            page = article_path(item.uid, item.url)
            parts.append(f'<li><a href="{href(path, page)}"{_lang_attributes(item.lang)}>'
                         f'{escape(item.title)}</a> <span class="meta">'
                         f'{escape(item.source)} · {when(item.published, item.lang)}'
                         + (f" · also {escape(', '.join(item.others))}" if item.others else "")
                         + "</span></li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def render_article(article: StoredArticle, slugs: Slugs, site_title: str,
                   feed_base: str, changes: list[Change] | None = None,
                   links: StoryLinks | None = None) -> bytes:
    """An article's page: title, source, author, dates, tags, the cleaned content, the
    link to the original, its history (edits with their diffs, a removal). ``feed_base``
    is where the feeds are (for the source's feed)."""
    path = page_of(article)
    source_page = slugs.source(article.source)
    source = (f'<a href="{href(path, source_page)}">{escape(article.source)}</a>'
              if source_page else escape(article.source))
    meta = [source]
    if article.author:
        meta.append(f'<span class="author">{escape(article.author)}</span>')
    meta.append(when(article.published, article.lang))
    if article.updated[:16] != article.published[:16]:
        meta.append(f'<span lang="en">updated</span> {when(article.updated, article.lang)}')
    tags = " ".join(
        f'<a href="{href(path, page)}">#{escape(tag)}</a>' if (page := slugs.tag(tag))
        else f"#{escape(tag)}" for tag in article.tags)
    original = ""
    if article.url:
        address = escape(ascii_url(article.url))
        original = (f'<p class="original" lang="en">Original: <a href="{address}" '
                    f'rel="noopener noreferrer">{escape(article.url)}</a></p>')
    head = ""
    if source_page:
        feed = source_page.removesuffix(".html") + ".xml"
        head = (f'<link rel="alternate" type="application/atom+xml" title="'
                f'{escape(article.source)}" href="{escape(feed_base + quote(feed))}">')
    body = f"""<article>
<h1>{escape(article.title)}</h1>
<p class="meta">{" · ".join(meta)}</p>
{vanished_notice(article)}<div class="content">
{article.content_html}
</div>
{f'<p class="tags">{tags}</p>' if tags else ""}
{original}
{story_html(path, links)}
{history_html(article, changes or [])}
</article>"""
    return frame(path, f"{article.title} · {article.source}", body, head, article.lang,
                 site_title)


def _item(path: str, article: StoredArticle, slugs: Slugs, show_source: bool) -> str:
    page = page_of(article)
    lang = _lang_attributes(article.lang)
    source_page = slugs.source(article.source)
    parts = []
    if show_source:
        parts.append(f'<a href="{href(path, source_page)}">{escape(article.source)}</a>'
                     if source_page else escape(article.source))
    parts.append(when(article.published, article.lang))
    summary = " ".join((article.summary or "").split())
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS - 1].rstrip() + "…"
    return (f'<li{lang}><h2><a href="{href(path, page)}">{escape(article.title)}</a></h2>\n'
            f'<p class="meta">{" · ".join(parts)}</p>'
            + (f"\n<p>{escape(summary)}</p>" if summary else "") + "</li>")


def render_listing(page: FeedPage, articles: list[StoredArticle], slugs: Slugs,
                   site_title: str, feed_base: str) -> bytes:
    """A feed document as a page: the same articles, newest first, with the feed's
    subscribe links and the way to older and newer pages."""
    path = page.path("html")
    title = feed_title(page.feed, site_title)
    atom, json_feed = feed_base + quote(page.feed.path), feed_base + quote(
        page.feed.path.removesuffix(".xml") + ".json")
    top = page.page(0)
    older = page.older
    newer = page.newer or (top if page.is_archive else None)
    pager = []
    if newer:
        pager.append(f'<a rel="prev" href="{href(path, newer.path("html"))}">Newer</a>')
    if older:
        pager.append(f'<a rel="next" href="{href(path, older.path("html"))}">Older</a>')
    # An archive page says nothing that changes as the feed grows (its count, how many
    # pages there are): it stays byte for byte what it was, like the feed's archive page.
    where = (f"Archive page {page.number} (page 1 holds the oldest articles)."
             if page.is_archive else f"{page.feed.count} articles; the newest first.")
    items = "\n".join(_item(path, a, slugs, page.feed.kind != "source") for a in articles)
    head = (f'<link rel="alternate" type="application/atom+xml" title="{escape(title)}" '
            f'href="{escape(atom)}">\n<link rel="alternate" type="application/feed+json" '
            f'title="{escape(title)} (JSON Feed)" href="{escape(json_feed)}">')
    body = f"""<h1>{escape(page.feed.name if page.feed.kind != "all" else "All articles")}</h1>
<p class="subscribe">Follow in a feed reader: <a href="{escape(atom)}">Atom</a> · \
<a href="{escape(json_feed)}">JSON Feed</a> <small>(copy the address into your reader: \
<code>{escape(atom)}</code>)</small></p>
<p class="meta">{where}</p>
<ol class="articles">
{items}
</ol>
<nav class="pager" aria-label="Pages">{" · ".join(pager)}</nav>"""
    return frame(path, f"{title}{f' (page {page.number})' if page.is_archive else ''}", body,
                 head, "en", site_title)


def render_front(feeds: list[FeedInfo], latest: list[StoredArticle], slugs: Slugs,
                 site_title: str, feed_base: str) -> bytes:
    """``index.html``: the newest articles, the sources and tags with their counts and
    last update, the search box, and every feed's subscribe links."""
    path = "index.html"
    newest = "\n".join(_item(path, a, slugs, True) for a in latest)
    sections = []
    for kind, label in (("source", "Sources"), ("tag", "Tags"), ("changes", "Changes"),
                        ("stories", "Stories")):
        rows = "\n".join(
            f'<tr><td><a href="{href(path, f.path.removesuffix(".xml") + ".html")}">'
            f'{escape(f.name)}</a>'
            f'</td><td class="n">{f.count}</td><td>{when(f.updated, None) if f.updated else ""}'
            f'</td><td><a href="{escape(feed_base + quote(f.path))}">Atom</a> · <a href="'
            f'{escape(feed_base + quote(f.path.removesuffix(".xml") + ".json"))}">JSON</a>'
            "</td></tr>" for f in feeds if f.kind == kind)
        if rows:
            sections.append(f"""<section aria-labelledby="{kind}s">
<h2 id="{kind}s">{label}</h2>
<table><thead><tr><th scope="col">{label[:-1]}</th><th scope="col">Articles</th>
<th scope="col">Last update</th><th scope="col">Feeds</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</section>""")
    discovery = "\n".join(
        f'<link rel="alternate" type="{kind}" title="{escape(feed_title(f, site_title))}'
        f'{label}" href="{escape(feed_base + quote(path))}">'
        for f in feeds
        for kind, label, path in (("application/atom+xml", "", f.path),
                                  ("application/feed+json", " (JSON Feed)",
                                   f.path.removesuffix(".xml") + ".json")))
    head = ('<link rel="alternate" type="text/x-opml" title="All feeds (OPML)" '
            f'href="feeds.opml">\n{discovery}')
    everything = next((f for f in feeds if f.kind == "all"), None)
    body = f"""<h1>{escape(site_title)}</h1>
<form class="search" action="search" method="get" role="search">
<input type="search" name="q" aria-label="Search the archive" \
placeholder="新疆, visit, &quot;human rights&quot;">
<button>Search</button></form>
<p class="subscribe">Every list here is a feed: <a href="all.xml">all articles</a> \
(<a href="all.json">JSON Feed</a>), one per source and per tag; \
<a href="feeds.opml">feeds.opml</a> subscribes to all of them.</p>
<section aria-labelledby="newest">
<h2 id="newest">Newest articles</h2>
<ol class="articles">
{newest}
</ol>
{f'<p><a href="all.html">All {everything.count} articles</a></p>' if everything else ""}
</section>
{chr(10).join(sections)}
<p><a href="sources.html">Sources and their health</a>: failures, moves, silence.</p>"""
    return frame(path, site_title, body, head, "en", site_title)


def pages_of(articles: Iterable[StoredArticle], slugs: Slugs, site_title: str,
             feed_base: str, changes: dict[int, list[Change]] | None = None,
             links: dict[int, StoryLinks] | None = None) -> Iterable[tuple[str, bytes]]:
    """(path, bytes) of each article's page."""
    for article in articles:
        yield (page_of(article), render_article(article, slugs, site_title, feed_base,
                                                (changes or {}).get(article.id),
                                                (links or {}).get(article.id)))
