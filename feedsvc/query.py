"""Read-only questions to the archive: feeds to publish, search, statistics."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from feedsvc.archive import Archive, in_chunks
from feedsvc.errors import QueryError, StoreError
from feedsvc.fts import parse_query
from feedsvc.models import Change, FeedInfo, LinkedArticle, StoredArticle, StoryLinks

_ARTICLE_COLUMNS = ("a.id, a.uid, a.url, a.canonical_url, a.title, a.author, a.source, a.tags, "
                    "a.published, a.updated, a.summary, a.content_html, a.lang, a.source_feed, "
                    "a.text_origin, a.revision, a.vanished_at, a.vanished_reason")


def _rows(db: Archive, sql: str, params: list[object] | None = None) -> list[dict[str, Any]]:
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
        lang=row["lang"], content_text=row.get("content_text") or "",
        source_feed=_provenance(row["source_feed"]), text_origin=row["text_origin"],
        revision=row["revision"], vanished_at=row["vanished_at"],
        vanished_reason=row["vanished_reason"],
    )


def _provenance(value: str | None) -> dict[str, str] | None:
    try:
        data = json.loads(value) if value else None
    except ValueError:
        return None  # edited by hand into something else: publish without it
    if not isinstance(data, dict):
        return None
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str) and v}


def listing_slugs(db: Archive) -> tuple[dict[str, str], dict[str, str]]:
    """Names to slugs of the sources and tags that have articles (and so a listing page)."""
    # EXISTS, one index probe per source or tag: not a scan of every article (this runs for
    # every feed of every publish, the daemon's incremental ones too)
    sources = {r["name"]: r["slug"] for r in _rows(
        db, "SELECT name, slug FROM sources s WHERE EXISTS "
            "(SELECT 1 FROM articles a WHERE a.source_id = s.id)")}
    tags = {r["name"]: r["slug"] for r in _rows(
        db, "SELECT name, slug FROM tags t WHERE EXISTS "
            "(SELECT 1 FROM article_tags at WHERE at.tag_id = t.id)")}
    return sources, tags


def changes_of(db: Archive, article_ids: Iterable[int]) -> dict[int, list[Change]]:
    """Each article's changes, oldest first."""
    found: dict[int, list[Change]] = {}
    ids = sorted(set(article_ids))
    for chunk, marks in in_chunks(ids):
        for row in _rows(db, "SELECT id, article_id, kind, at, revision, detail, diff_html "
                             f"FROM changes WHERE article_id IN ({marks}) ORDER BY id", chunk):
            found.setdefault(row["article_id"], []).append(Change(**row))
    return found


def find_article(db: Archive, key: str) -> dict[str, Any] | None:
    """An article by id, URL or canonical URL (``feedsvc history``)."""
    row = None
    if key.isdigit():
        row = _rows(db, "SELECT id, uid, url, title, first_seen, vanished_at, vanished_reason "
                        "FROM articles WHERE id = ?", [int(key)])
    if not row:
        row = _rows(db, "SELECT id, uid, url, title, first_seen, vanished_at, vanished_reason "
                        "FROM articles WHERE url = ? OR canonical_url = ? OR uid = ? LIMIT 1",
                    [key, key, key])
    return row[0] if row else None


def versions_of(db: Archive, article_id: int) -> list[dict[str, Any]]:
    """Every version of an article, oldest first: ``since`` is when it became current."""
    first = _rows(db, "SELECT first_seen FROM articles WHERE id = ?", [article_id])
    rows = _rows(db, "SELECT revision, replaced, title, author, content_text, content_hash "
                     "FROM article_revisions WHERE article_id = ? ORDER BY revision",
                 [article_id])
    rows += _rows(db, "SELECT revision, NULL AS replaced, title, author, content_text, "
                      "content_hash FROM articles WHERE id = ?", [article_id])
    since = first[0]["first_seen"] if first else None
    for row in rows:
        row["since"], since = since, row["replaced"]
    return rows


def change_feeds(db: Archive) -> list[FeedInfo]:
    """The feeds of changes: everywhere, and each source that has any."""
    total = _rows(db, "SELECT count(*) AS n, max(at) AS at FROM changes")[0]
    if not total["n"]:
        return []
    feeds = [FeedInfo("changes", "Edits and removals", "", total["n"], total["at"])]
    for row in _rows(db, """SELECT s.name, s.slug, count(*) AS n, max(c.at) AS at
            FROM changes c JOIN articles a ON a.id = c.article_id
            JOIN sources s ON s.id = a.source_id GROUP BY s.id ORDER BY s.name"""):
        feeds.append(FeedInfo("changes", row["name"], row["slug"], row["n"], row["at"]))
    return feeds


def change_entries(db: Archive, feed: FeedInfo) -> list[tuple[Change, StoredArticle]]:
    """A feed of changes' entries in archive order (by change id), with their articles."""
    scope = "" if feed.slug == "" else "WHERE a.source_id = (SELECT id FROM sources WHERE slug = ?)"
    rows = _rows(db, f"SELECT c.id AS change_id, c.kind, c.at, c.revision, c.detail, "
                     f"c.diff_html, {_ARTICLE_COLUMNS} FROM changes c JOIN articles a ON "
                     f"a.id = c.article_id {scope} ORDER BY c.id", [feed.slug] if scope else [])
    return [(Change(row["change_id"], row["id"], row["kind"], row["at"], row["revision"],
                    row["detail"], row["diff_html"]), _article(row)) for row in rows]


def list_feeds(db: Archive) -> list[FeedInfo]:
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
            JOIN articles a INDEXED BY articles_id_updated ON a.id = at.article_id
            GROUP BY t.id ORDER BY t.name"""):  # the index holds `updated`: no row is read
        feeds.append(FeedInfo("tag", row["name"], row["slug"], row["n"], row["updated"]))
    return feeds


def _feed_scope(feed: FeedInfo) -> tuple[str, str, list[object], str]:
    """(joins, condition, params, key) selecting the articles of ``feed``; ``key`` is the
    article id as the feed's index holds it, so ordering by it needs no sort."""
    if feed.kind == "source":
        return ("", "a.source_id = (SELECT id FROM sources WHERE slug = ?)", [feed.slug],
                "a.id")
    if feed.kind == "tag":
        return ("JOIN article_tags at ON at.article_id = a.id",
                "at.tag_id = (SELECT id FROM tags WHERE slug = ?)", [feed.slug],
                "at.article_id")
    return "", "1", [], "a.id"


def feed_articles(db: Archive, feed: FeedInfo, limit: int) -> list[StoredArticle]:
    """The newest ``limit`` articles of a feed, newest first (ties broken by id: stable)."""
    joins, condition, params, _ = _feed_scope(feed)
    sql = (f"SELECT {_ARTICLE_COLUMNS} FROM articles a {joins} WHERE {condition} "
           "ORDER BY a.published DESC, a.id DESC LIMIT ?")
    return [_article(row) for row in _rows(db, sql, [*params, limit])]


def feed_chunk(db: Archive, feed: FeedInfo, after_id: int,
               limit: int | None) -> list[StoredArticle]:
    """The feed's articles in archive order (by id) after ``after_id``: ``limit`` of them,
    or all when None. Pages of the feed's history are cut from this order."""
    joins, condition, params, key = _feed_scope(feed)
    sql = (f"SELECT {_ARTICLE_COLUMNS} FROM articles a {joins} WHERE {condition} "
           f"AND {key} > ? ORDER BY {key} LIMIT ?")
    return [_article(row) for row in _rows(db, sql, [*params, after_id,
                                                     -1 if limit is None else limit])]


def feed_from_end(db: Archive, feed: FeedInfo, skip: int, limit: int | None) -> list[StoredArticle]:
    """The feed's articles in archive order, counted from its newest: ``limit`` of them
    (all when None) after skipping the newest ``skip``. The daemon's pages are near the end,
    so this reads a few pages of rows, never the whole feed."""
    joins, condition, params, key = _feed_scope(feed)
    sql = (f"SELECT {_ARTICLE_COLUMNS} FROM articles a {joins} WHERE {condition} "
           f"ORDER BY {key} DESC LIMIT ? OFFSET ?")
    rows = _rows(db, sql, [*params, -1 if limit is None else limit, skip])
    return [_article(row) for row in reversed(rows)]


def feed_ranks(db: Archive, feed: FeedInfo, article_ids: Iterable[int], total: int) -> list[int]:
    """The positions (0-based, archive order) in ``feed`` (of ``total`` articles) of those
    articles that are in it; counted from the end, where new articles are."""
    joins, condition, params, key = _feed_scope(feed)
    ranks = []
    for article_id in sorted(set(article_ids)):
        rows = _rows(db, f"SELECT count(*) AS after, (SELECT count(*) FROM articles a {joins} "
                         f"WHERE {condition} AND {key} = ?) AS member FROM articles a {joins} "
                         f"WHERE {condition} AND {key} > ?",
                     [*params, article_id, *params, article_id])
        if rows[0]["member"]:
            ranks.append(total - int(rows[0]["after"]) - 1)
    return ranks


def feeds_of_articles(db: Archive, article_ids: Iterable[int]) -> set[str]:
    """The paths of the feeds these articles appear in (always including ``all``)."""
    ids = sorted(set(article_ids))
    paths = {FeedInfo("all", "", "all", 0, None).path}
    for chunk, marks in in_chunks(ids):
        for row in _rows(db, f"""
                SELECT 'source' AS kind, s.slug FROM articles a
                JOIN sources s ON s.id = a.source_id WHERE a.id IN ({marks})
                UNION SELECT 'tag', t.slug FROM article_tags at
                JOIN tags t ON t.id = at.tag_id WHERE at.article_id IN ({marks})""",
                         [*chunk, *chunk]):
            paths.add(FeedInfo(row["kind"], "", row["slug"], 0, None).path)
    return paths


RANK_WINDOW = 5000  # matches scored per query, newest first
TIE_MARGIN = 200  # candidates beyond the limit kept, so ties still sort newest first
Segments = tuple[tuple[str, bool], ...]  # (text, is a match) pieces of a snippet


@dataclass(slots=True, frozen=True)
class SearchHit:
    article: StoredArticle
    segments: Segments  # the snippet, matches marked

    @property
    def snippet(self) -> str:
        """The snippet as plain text, each match in [brackets]."""
        return "".join(f"[{text}]" if hit else text for text, hit in self.segments)

    @property
    def snippet_html(self) -> str:
        """The snippet as HTML, each match in ``<mark>``; everything escaped."""
        return "".join(f"<mark>{html.escape(text)}</mark>" if hit else html.escape(text)
                       for text, hit in self.segments)


@dataclass(slots=True, frozen=True)
class Filters:
    """What narrows a search or an export; every field optional."""

    source: str | None = None  # name or slug
    tag: str | None = None  # name or slug
    since: str | None = None  # RFC 3339, inclusive
    until: str | None = None  # RFC 3339, inclusive

    def where(self) -> tuple[list[str], list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if self.source:
            clauses.append("a.source_id IN (SELECT id FROM sources WHERE name = ? OR slug = ?)")
            params += [self.source, self.source]
        if self.tag:
            clauses.append("a.id IN (SELECT at.article_id FROM article_tags at JOIN tags t "
                           "ON t.id = at.tag_id WHERE t.name = ? OR t.slug = ?)")
            params += [self.tag, self.tag]
        if self.since:
            clauses.append("a.published >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("a.published <= ?")
            params.append(self.until)
        return clauses, params


def check_filters(db: Archive, filters: Filters) -> None:
    """``QueryError`` naming a ``--source`` or ``--tag`` that names nothing in the archive
    (an empty result would read as "no such articles"), with the names it does hold."""
    for option, value, table in (("--source", filters.source, "sources"),
                                 ("--tag", filters.tag, "tags")):
        if not value:
            continue
        found = db.execute(f"SELECT 1 FROM {table} WHERE name = ? OR slug = ? LIMIT 1",
                           [value, value]).fetchone()
        if found is None:
            names = [row[0] for row in db.execute(
                f"SELECT name FROM {table} ORDER BY name LIMIT 8").fetchall()]
            known = f"some there are: {', '.join(names)}" if names else "it holds none yet"
            raise QueryError(f"{option} {value!r}: no such {table[:-1]} in the archive "
                             f"({known})")


def search_articles(db: Archive, query: str, filters: Filters | None = None,
                    limit: int = 20, newest_first: bool = False) -> list[SearchHit]:
    """Articles matching ``query`` (see ``fts.parse_query``), most relevant first (or
    newest first: the search feed).

    Title matches weigh more than body matches; among equally relevant articles the newest
    comes first. ``QueryError`` for a query FTS5 cannot run.
    """
    parsed = parse_query(query)
    clauses, params = (filters or Filters()).where()
    joined = "JOIN articles a ON a.id = f.rowid" if clauses else ""
    # The newest RANK_WINDOW matches (by archive order, which FTS5 walks without sorting)
    # are scored; so a word found in most of a 100,000-article archive still answers in
    # milliseconds. Every match is ranked when there are fewer.
    # Only the best-scored candidates are joined with ``articles`` for the final order.
    sql = (f"SELECT {_ARTICLE_COLUMNS}, a.content_text, m.score FROM ("
           "SELECT id, score FROM ("
           "SELECT f.rowid AS id, bm25(articles_fts, 1.0, 5.0) AS score "
           f"FROM articles_fts f {joined} WHERE articles_fts MATCH ? "
           f"{''.join(' AND ' + c for c in clauses)} ORDER BY f.rowid DESC LIMIT ?"
           ") ORDER BY score LIMIT ?"
           ") m JOIN articles a ON a.id = m.id "
           f"ORDER BY {'' if newest_first else 'm.score, '}a.published DESC, a.id DESC "
           "LIMIT ?")
    # Newest first (the search feed) orders the whole window by publication time.
    candidates = RANK_WINDOW if newest_first else limit + TIE_MARGIN
    # Every term is a quoted phrase (``fts.parse_query``): FTS5 cannot find a syntax error
    # in the expression (20,000 random queries raised none), so a failure here is the
    # archive's, a StoreError, and is not guessed from its message.
    rows = _rows(db, sql, [parsed.expression, *params, RANK_WINDOW, candidates, limit])
    return [SearchHit(_article(row), make_snippet(row["content_text"] or row["title"],
                                                  parsed.terms)) for row in rows]


def _term_pattern(term: str) -> str:
    """A regex finding ``term`` in text: Chinese as written, English words by their stem."""
    words = []
    for word in term.split():
        if word.isascii() and word.isalpha() and len(word) > 3:
            stem = re.sub(r"(ies|es|s|ed|ing|ly)$", "", word.lower()) or word
            words.append(r"\b" + re.escape(stem) + r"\w*")
        else:
            words.append(re.escape(word))
    return r"\W+".join(words)


def make_snippet(text: str, terms: tuple[str, ...] | list[str], width: int = 60) -> Segments:
    """About ``2 * width`` characters around the first match, every match in it marked."""
    flat = " ".join(text.split())
    patterns = [_term_pattern(t) for t in terms if t.strip()]
    finder = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None
    first = finder.search(flat) if finder else None
    if first is None:
        cut = flat[: width * 2]
        return ((cut + ("…" if len(flat) > len(cut) else ""), False),)
    start, end = max(0, first.start() - width), min(len(flat), first.end() + width)
    window = flat[start:end]
    segments: list[tuple[str, bool]] = [("…", False)] if start else []
    position = 0
    for match in finder.finditer(window):  # type: ignore[union-attr]
        if match.start() > position:
            segments.append((window[position:match.start()], False))
        segments.append((match.group(), True))
        position = match.end()
    segments.append((window[position:] + ("…" if end < len(flat) else ""), False))
    return tuple(s for s in segments if s[0])


def archive_stats(db: Archive) -> dict[str, Any]:
    totals = _rows(db, """SELECT
        (SELECT count(*) FROM articles) AS articles,
        (SELECT count(*) FROM article_revisions) AS revisions,
        (SELECT count(*) FROM sources) AS sources,
        (SELECT count(*) FROM tags) AS tags,
        (SELECT min(published) FROM articles) AS oldest,
        (SELECT max(published) FROM articles) AS newest,
        (SELECT max(last_seen) FROM articles) AS last_ingest,
        (SELECT count(*) FROM articles WHERE text_origin = 'page') AS from_pages,
        (SELECT count(*) FROM pages WHERE status = 'retry') AS pages_to_retry,
        (SELECT count(*) FROM pages WHERE status IN ('kept_feed', 'failed', 'disallowed'))
            AS pages_not_used""")[0]
    totals["by_source"] = _rows(db, """SELECT source, count(*) AS articles,
        max(published) AS newest,
        (SELECT count(*) FROM changes c JOIN articles b ON b.id = c.article_id
         WHERE b.source = a.source AND c.kind = 'edited') AS edits,
        (SELECT count(*) FROM articles b WHERE b.source = a.source
         AND b.vanished_at IS NOT NULL) AS vanished
        FROM articles a GROUP BY source ORDER BY articles DESC, source""")
    totals["by_lang"] = _rows(db, """SELECT coalesce(lang, 'unknown') AS lang,
        count(*) AS articles FROM articles GROUP BY 1 ORDER BY 2 DESC""")
    return totals


def iter_articles(db: Archive, filters: Filters | None = None,
                  batch: int = 500) -> Iterator[StoredArticle]:
    """Every article (or those ``filters`` let through), oldest first, fetched in batches:
    never the whole archive in memory."""
    clauses, params = (filters or Filters()).where()
    extra = "".join(" AND " + c for c in clauses)
    last = 0
    while True:
        rows = _rows(db, f"SELECT {_ARTICLE_COLUMNS}, a.content_text FROM articles a "
                         f"WHERE a.id > ?{extra} ORDER BY a.id LIMIT ?", [last, *params, batch])
        if not rows:
            return
        yield from (_article(row) for row in rows)
        last = rows[-1]["id"]


def story_links(db: Archive, article_ids: Iterable[int]) -> dict[int, StoryLinks]:
    """Each article's copies in other sources' rows ("also in") and the articles of the
    stories linked to its story as related coverage (each story by its fullest copy).
    Three queries per 500 articles, whatever the number of stories (a page of a feed of
    100,000 articles is written in one go)."""
    ids = sorted(set(article_ids))
    found: dict[int, StoryLinks] = {}
    for chunk, marks in in_chunks(ids):
        rows = _rows(db, f"SELECT a.id, a.story_id, s.copies FROM articles a JOIN stories s "
                         f"ON s.id = a.story_id WHERE a.id IN ({marks})", chunk)
        story_of = {row["id"]: row["story_id"] for row in rows}
        shared: list[object] = sorted({row["story_id"] for row in rows if row["copies"] > 1})
        every: list[object] = sorted(set(story_of.values()))
        copies: dict[int, list[LinkedArticle]] = {}
        if shared:
            for row in _rows(db, f"SELECT {_LINKED}, a.story_id AS sid FROM articles a WHERE "
                                 f"a.story_id IN ({', '.join('?' for _ in shared)}) "
                                 "ORDER BY a.published, a.id", shared):
                copies.setdefault(row["sid"], []).append(_linked(row))
        coverage: dict[int, list[LinkedArticle]] = {}
        if every:
            for row in _rows(db, f"SELECT {_LINKED}, c.score, s.sources, c.story_id AS sid "
                                 "FROM coverage c JOIN stories s ON s.id = c.related_story_id "
                                 "JOIN articles a ON a.id = s.article_id WHERE c.story_id IN "
                                 f"({', '.join('?' for _ in every)}) "
                                 "ORDER BY c.score DESC, a.id", every):
                coverage.setdefault(row["sid"], []).append(_linked(row))
        for article_id, story_id in story_of.items():
            found[article_id] = StoryLinks(
                story_id, tuple(c for c in copies.get(story_id, ()) if c.id != article_id),
                tuple(coverage.get(story_id, ())))
    return found


_LINKED = "a.id, a.uid, a.url, a.title, a.source, a.published, a.lang"


def _linked(row: dict[str, Any]) -> LinkedArticle:
    others = [s for s in json.loads(row.get("sources") or "[]") if s != row["source"]]
    return LinkedArticle(row["id"], row["uid"], row["url"], row["title"], row["source"],
                         row["published"], row["lang"], row.get("score"), tuple(others))


@dataclass(slots=True, frozen=True)
class StoryRow:
    """A story as ``feedsvc stories`` and ``stories.xml`` show it."""

    id: int
    title: str
    first_seen: str
    last_seen: str
    copies: int
    sources: list[str]
    languages: list[str]
    article_id: int  # the fullest copy
    members: tuple[LinkedArticle, ...] = ()
    coverage: tuple[LinkedArticle, ...] = ()


def list_stories(db: Archive, since: str | None = None, min_size: int = 1,
                 limit: int | None = None, with_members: bool = True,
                 story_ids: Iterable[int] | None = None) -> list[StoryRow]:
    """Stories, the latest first (by their newest copy's date)."""
    where, params = ["copies >= ?"], list[object]([min_size])
    if since:
        where.append("last_seen >= ?")
        params.append(since)
    if story_ids is not None:
        wanted = sorted(set(story_ids))
        where.append(f"id IN ({', '.join('?' for _ in wanted)})")
        params.extend(wanted)
    rows = _rows(db, f"SELECT * FROM stories WHERE {' AND '.join(where)} "
                     f"ORDER BY last_seen DESC, id DESC LIMIT ?",
                 [*params, -1 if limit is None else limit])
    result = []
    leads_wanted: list[object] = [r["article_id"] for r in rows]
    links = story_links(db, [r["article_id"] for r in rows]) if with_members else {}
    leads = {r["id"]: _linked(r) for chunk, marks in in_chunks(leads_wanted)
             for r in _rows(db, f"SELECT {_LINKED} FROM articles a WHERE a.id IN ({marks})",
                            chunk)} if with_members else {}
    for row in rows:
        found = links.get(row["article_id"])
        lead = [leads[row["article_id"]]] if row["article_id"] in leads else []
        members = tuple(lead + list(found.copies if found else ()))
        result.append(StoryRow(row["id"], row["title"], row["first_seen"], row["last_seen"],
                               row["copies"], json.loads(row["sources"]),
                               json.loads(row["languages"]), row["article_id"], members,
                               found.coverage if found else ()))
    return result


def articles_by_id(db: Archive, article_ids: Iterable[int]) -> list[StoredArticle]:
    """These articles (those that exist), in id order."""
    ids = sorted(set(article_ids))
    found: list[StoredArticle] = []
    for chunk, marks in in_chunks(ids):
        found += [_article(row) for row in _rows(
            db, f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE a.id IN ({marks}) "
                "ORDER BY a.id", chunk)]
    return found


def stories_of(db: Archive, article_ids: Iterable[int]) -> set[int]:
    """The stories these articles belong to."""
    ids = sorted(set(article_ids))
    found: set[int] = set()
    for chunk, marks in in_chunks(ids):
        found |= {row["story_id"] for row in _rows(
            db, f"SELECT story_id FROM articles WHERE id IN ({marks}) "
                "AND story_id IS NOT NULL", chunk)}
    return found


def one_hit_per_story(db: Archive, hits: list[SearchHit], limit: int
                      ) -> tuple[list[SearchHit], dict[int, int]]:
    """The best hit of each story (hits come best first), at most ``limit``; with the
    number of copies of each kept hit's story."""
    ids: list[object] = [h.article.id for h in hits]
    story_of: dict[int, tuple[int, int]] = {}
    for chunk, marks in in_chunks(ids):
        for row in _rows(db, f"SELECT a.id, a.story_id, s.copies FROM articles a "
                             f"LEFT JOIN stories s ON s.id = a.story_id "
                             f"WHERE a.id IN ({marks})", chunk):
            story_of[row["id"]] = (row["story_id"] or -row["id"], row["copies"] or 1)
    kept: list[SearchHit] = []
    copies: dict[int, int] = {}
    seen: set[int] = set()
    for hit in hits:
        story, count = story_of.get(hit.article.id, (-hit.article.id, 1))
        if story in seen:
            continue
        seen.add(story)
        kept.append(hit)
        copies[hit.article.id] = count
        if len(kept) >= limit:
            break
    return kept, copies
