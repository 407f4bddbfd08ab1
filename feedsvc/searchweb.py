"""Searches over HTTP: ``/search.xml?q=...`` is an Atom feed of the newest matches (subscribe
to a topic across all sources), ``/search?q=...`` a results page for people.

Both take the filters of ``feedsvc search`` as query parameters: ``source``, ``tag``,
``since``, ``until``, ``limit``. Each request reads the archive through its own read-only
connection in a worker thread, so searches never block serving files or the daemon's writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedsvc import archive, query
from feedsvc.atom import render_feed
from feedsvc.dates import date_bound
from feedsvc.errors import BadRequestError, FeedsvcError, QueryError
from feedsvc.models import Config, FeedInfo
from feedsvc.query import Filters, SearchHit
from feedsvc.site import HTML_POLICY, content_etag, etag_matches, is_browser_navigation
from feedsvc.urls import ascii_url
from feedsvc.webpages import frame
from feedsvc.webpath import article_path, href

FEED_TYPE = "application/atom+xml; charset=utf-8"
MAX_LIMIT = 100
PARAMETERS = ("q", "source", "tag", "since", "until", "limit")


@dataclass(slots=True, frozen=True)
class SearchSite:
    database: str
    base_url: str
    site_title: str
    max_age: int = 60
    feed_entries: int = 50


def search_site(config: Config) -> SearchSite:
    public = config.public
    return SearchSite(config.database, public.base_url, public.title, config.server.max_age,
                      public.entries_per_feed)


def _read(request: Request, default_limit: int) -> tuple[str, Filters, int, str]:
    """(query, filters, limit, canonical query string) from the URL; ``BadRequestError``."""
    params = request.query_params
    text = " ".join(params.get("q", "").split())
    if not text:
        raise BadRequestError("give a query: ?q=words")
    bounds = {}
    for name, end in (("since", False), ("until", True)):
        value = params.get(name, "").strip()
        bounds[name] = date_bound(value, end) if value else None
        if value and bounds[name] is None:
            raise BadRequestError(f"{name}: {value!r} is not a date (use YYYY-MM-DD or RFC 3339)")
    try:
        limit = min(int(params.get("limit", default_limit)), MAX_LIMIT)
    except ValueError:
        raise BadRequestError("limit: expected a number") from None
    if limit < 1:
        raise BadRequestError("limit: expected a number from 1 to 100")
    filters = Filters(source=params.get("source") or None, tag=params.get("tag") or None,
                      since=bounds["since"], until=bounds["until"])
    canonical = urlencode([(k, params[k]) for k in PARAMETERS if params.get(k)])
    return text, filters, limit, canonical


def _search(site: SearchSite, text: str, filters: Filters, limit: int,
            newest_first: bool) -> list[SearchHit]:
    db = archive.open_reader(site.database)
    try:
        return query.search_articles(db, text, filters, limit, newest_first=newest_first)
    finally:
        db.close()


def _conditional(request: Request, body: bytes, media_type: str, max_age: int) -> Response:
    etag = content_etag(body)
    headers = {"etag": etag, "cache-control": f"public, max-age={max_age}",
               "x-content-type-options": "nosniff"}
    if media_type.startswith("text/html"):
        headers["content-security-policy"] = HTML_POLICY
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def search_routes(site: SearchSite) -> list[Route]:
    async def search_feed(request: Request) -> Response:
        try:
            text, filters, limit, canonical = _read(request, site.feed_entries)
            if is_browser_navigation({k.encode("latin-1"): v.encode("latin-1")
                                      for k, v in request.headers.items()}):
                return Response(b"", status_code=303, headers={
                    "location": f"search?{canonical}", "cache-control": "no-store"})
            hits = await run_in_threadpool(_search, site, text, filters, limit, True)
        except QueryError as exc:  # BadRequestError is one
            return Response(f"{exc}\n", status_code=400, media_type="text/plain")
        except FeedsvcError as exc:
            return Response(f"{exc}\n", status_code=503, media_type="text/plain")
        feed = FeedInfo("search", text, canonical, len(hits),
                        max((h.article.updated for h in hits), default=None))
        body = render_feed(feed, [h.article for h in hits], site.base_url + feed.path,
                           site.base_url + "search?" + canonical, site.site_title,
                           pages_base=site.base_url)
        return _conditional(request, body, FEED_TYPE, site.max_age)

    async def search_page(request: Request) -> Response:
        text = " ".join(request.query_params.get("q", "").split())
        if not text:
            return _conditional(request, render_results(site, "", "", [], None), "text/html",
                                site.max_age)
        try:
            text, filters, limit, canonical = _read(request, 20)
            hits = await run_in_threadpool(_search, site, text, filters, limit, False)
        except QueryError as exc:  # BadRequestError is one
            page = render_results(site, text, "", [], str(exc))
            return Response(page, status_code=400, media_type="text/html",
                            headers={"content-security-policy": HTML_POLICY})
        except FeedsvcError as exc:
            page = render_results(site, text, "", [], str(exc))
            return Response(page, status_code=503, media_type="text/html",
                            headers={"content-security-policy": HTML_POLICY})
        return _conditional(request, render_results(site, text, canonical, hits, None),
                            "text/html", site.max_age)

    return [Route("/search.xml", search_feed, methods=["GET", "HEAD"]),
            Route("/search", search_page, methods=["GET", "HEAD"])]


def render_results(site: SearchSite, text: str, canonical: str, hits: list[SearchHit],
                   error: str | None) -> bytes:
    """The results page: a form, the hits with highlighted snippets (linked to their pages
    in the archive, and to the original), a link to the feed."""
    title = f"{text} · {site.site_title}" if text else f"Search · {site.site_title}"
    feed_link = (f'<link rel="alternate" type="application/atom+xml" title="Search feed: '
                 f'{escape(text)}" href="search.xml?{escape(canonical)}">') if canonical else ""
    if error:
        body = f'<p class="error">{escape(error)}</p>'
    elif not text:
        body = "<p>Words must all match; \"quoted phrases\" as written; a OR b; -word " \
               "excludes. Chinese and English.</p>"
    elif not hits:
        body = "<p>No matches.</p>"
    else:
        items = []
        for hit in hits:
            article = hit.article
            page = href("search", article_path(article.uid, article.url))
            original = (f' · <a href="{escape(ascii_url(article.url))}" rel="noopener '
                        'noreferrer">original</a>' if article.url else "")
            items.append(f'<li><h2><a href="{page}">{escape(article.title)}</a></h2>'
                         f'<p class="meta">{escape(article.source)}, '
                         f"{escape(article.published[:10])}{original}</p>"
                         f"<p>{hit.snippet_html}</p></li>")
        body = (f'<p>{len(hits)} matches. <a href="search.xml?{escape(canonical)}">Subscribe '
                f'to this search</a> in your feed reader.</p>\n<ol class="articles">\n'
                + "\n".join(items) + "\n</ol>")
    form = (f'<h1>Search</h1>\n<form class="search" action="search" method="get" '
            f'role="search"><input type="search" name="q" value="{escape(text)}" '
            'aria-label="Search the archive"> <button>Search</button></form>\n')
    return frame("search", title, form + body, feed_link, "en", site.site_title)
