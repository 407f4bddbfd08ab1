"""Read-only questions to the archive: feeds to publish, search, statistics."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from feedsvc.errors import QueryError, StoreError
from feedsvc.models import FeedInfo, StoredArticle

_ARTICLE_COLUMNS = ("a.id, a.uid, a.url, a.canonical_url, a.title, a.author, a.source, a.tags, "
                    "a.published, a.updated, a.summary, a.content_html, a.lang")


def _rows(db: Any, sql: str, params: list[object] | None = None) -> list[dict[str, Any]]:
    try:
        cursor = db.conn.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.Error as exc:
        raise StoreError(f"archive query failed: {exc}") from exc


def _article(row: dict[str, Any]) -> StoredArticle:
    return StoredArticle(
        id=row["id"], uid=row["uid"], url=row["canonical_url"] or row["url"],
        title=row["title"], author=row["author"], source=row["source"],
        tags=tuple(json.loads(row["tags"] or "[]")), published=row["published"],
        updated=row["updated"], summary=row["summary"], content_html=row["content_html"] or "",
        lang=row["lang"],
    )


def list_feeds(db: Any) -> list[FeedInfo]:
    """Every feed to publish: everything, then each source, then each tag, by name."""
    total = _rows(db, "SELECT count(*) AS n, max(updated) AS updated FROM articles")[0]
    feeds = [FeedInfo("all", "All articles", "all", total["n"], total["updated"])]
    for row in _rows(db, """
            SELECT s.name, s.slug, count(a.id) AS n, max(a.updated) AS updated
            FROM sources s JOIN articles a ON a.source_id = s.id
            GROUP BY s.id ORDER BY s.name"""):
        feeds.append(FeedInfo("source", row["name"], row["slug"], row["n"], row["updated"]))
    for row in _rows(db, """
            SELECT t.name, t.slug, count(a.id) AS n, max(a.updated) AS updated
            FROM tags t JOIN article_tags at ON at.tag_id = t.id
            JOIN articles a ON a.id = at.article_id
            GROUP BY t.id ORDER BY t.name"""):
        feeds.append(FeedInfo("tag", row["name"], row["slug"], row["n"], row["updated"]))
    return feeds


def feed_articles(db: Any, feed: FeedInfo, limit: int) -> list[StoredArticle]:
    """The newest ``limit`` articles of a feed, newest first (ties broken by id: stable)."""
    joins, where, params = "", "", []
    if feed.kind == "source":
        joins, where = "JOIN sources s ON s.id = a.source_id", "WHERE s.slug = ?"
        params = [feed.slug]
    elif feed.kind == "tag":
        joins = ("JOIN article_tags at ON at.article_id = a.id "
                 "JOIN tags t ON t.id = at.tag_id")
        where, params = "WHERE t.slug = ?", [feed.slug]
    sql = (f"SELECT {_ARTICLE_COLUMNS} FROM articles a {joins} {where} "
           "ORDER BY a.published DESC, a.id DESC LIMIT ?")
    return [_article(row) for row in _rows(db, sql, [*params, limit])]


def feeds_of_articles(db: Any, article_ids: Iterable[int]) -> set[str]:
    """The paths of the feeds these articles appear in (always including ``all``)."""
    ids = sorted(set(article_ids))
    paths = {FeedInfo("all", "", "all", 0, None).path}
    for start in range(0, len(ids), 500):  # stay under SQLite's parameter limit
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in _rows(db, f"""
                SELECT 'source' AS kind, s.slug FROM articles a
                JOIN sources s ON s.id = a.source_id WHERE a.id IN ({marks})
                UNION SELECT 'tag', t.slug FROM article_tags at
                JOIN tags t ON t.id = at.tag_id WHERE at.article_id IN ({marks})""",
                         [*chunk, *chunk]):
            paths.add(FeedInfo(row["kind"], "", row["slug"], 0, None).path)
    return paths


@dataclass(slots=True, frozen=True)
class SearchHit:
    article: StoredArticle
    snippet: str


_TERM = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(query: str) -> list[str]:
    """Words and "quoted phrases"; every one must match. Unbalanced quotes are an error."""
    if query.count('"') % 2:
        raise QueryError(f"search query {query!r}: unbalanced double quote")
    terms = [" ".join((m.group(1) or m.group(2) or "").split()) for m in _TERM.finditer(query)]
    terms = [t for t in terms if t]
    if not terms:
        raise QueryError("search query is empty: give at least one word")
    return terms


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_articles(db: Any, query: str, source: str | None = None, tag: str | None = None,
                    limit: int = 20) -> list[SearchHit]:
    """Articles whose title or text contains every term (any language, ASCII case-blind)."""
    terms = parse_query(query)
    where, params = [], []
    for term in terms:
        where.append("(a.title LIKE ? ESCAPE '\\' OR a.content_text LIKE ? ESCAPE '\\')")
        params += [_like(term), _like(term)]
    if source:
        where.append("(a.source = ? OR a.source_id IN (SELECT id FROM sources WHERE slug = ?))")
        params += [source, source]
    if tag:
        where.append("a.id IN (SELECT at.article_id FROM article_tags at JOIN tags t "
                     "ON t.id = at.tag_id WHERE t.name = ? OR t.slug = ?)")
        params += [tag, tag]
    sql = (f"SELECT {_ARTICLE_COLUMNS}, a.content_text FROM articles a "
           f"WHERE {' AND '.join(where)} ORDER BY a.published DESC, a.id DESC LIMIT ?")
    rows = _rows(db, sql, [*params, limit])
    return [SearchHit(_article(row), make_snippet(row["content_text"] or row["title"], terms))
            for row in rows]


def make_snippet(text: str, terms: list[str], width: int = 60) -> str:
    """Text around the first match, the match marked with [brackets]."""
    flat = " ".join(text.split())
    lowered = flat.casefold()
    for term in terms:
        at = lowered.find(term.casefold())
        if at >= 0:
            start, end = max(0, at - width), min(len(flat), at + len(term) + width)
            return ("…" if start else "") + flat[start:at] + "[" + flat[at:at + len(term)] + \
                "]" + flat[at + len(term):end] + ("…" if end < len(flat) else "")
    return flat[: width * 2] + ("…" if len(flat) > width * 2 else "")


def archive_stats(db: Any) -> dict[str, Any]:
    totals = _rows(db, """SELECT
        (SELECT count(*) FROM articles) AS articles,
        (SELECT count(*) FROM article_revisions) AS revisions,
        (SELECT count(*) FROM sources) AS sources,
        (SELECT count(*) FROM tags) AS tags,
        (SELECT min(published) FROM articles) AS oldest,
        (SELECT max(published) FROM articles) AS newest,
        (SELECT max(last_seen) FROM articles) AS last_ingest""")[0]
    totals["by_source"] = _rows(db, """SELECT source, count(*) AS articles,
        max(published) AS newest FROM articles GROUP BY source ORDER BY articles DESC, source""")
    totals["by_lang"] = _rows(db, """SELECT coalesce(lang, 'unknown') AS lang,
        count(*) AS articles FROM articles GROUP BY 1 ORDER BY 2 DESC""")
    return totals


def iter_articles(db: Any, batch: int = 500) -> Iterator[StoredArticle]:
    """Every article, oldest first, fetched in batches (never the whole archive at once)."""
    last = 0
    while True:
        rows = _rows(db, f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE a.id > ? "
                         "ORDER BY a.id LIMIT ?", [last, batch])
        if not rows:
            return
        yield from (_article(row) for row in rows)
        last = rows[-1]["id"]
