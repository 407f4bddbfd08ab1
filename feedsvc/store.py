"""The SQLite archive: schema, migrations and writes. The only module that imports sqlite-utils.

Tables (documented in the README): ``sources``, ``articles``, ``tags``, ``article_tags``,
``article_revisions``. Every earlier version of an article is kept in ``article_revisions``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from feedsvc import outlets
from feedsvc.dates import format_date
from feedsvc.errors import StoreError
from feedsvc.fts import TOKENIZER, index_rows, index_text
from feedsvc.models import Article, SaveResult, SaveStatus, SourceConfig, SourceState
from feedsvc.outlets import unique_slug


def open_archive(path: str | Path) -> Database:
    """Open (creating and migrating if needed) the archive at ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(path)
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA foreign_keys = ON")
        db.enable_wal()  # readers (server, search, sqlite3 shell) never block the writer
        # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last commit.
        db.execute("PRAGMA synchronous = NORMAL")
        migrate(db)
        with db.conn:
            sync_search(db)  # changes made by other programs (a sqlite3 shell, Datasette)
    except (sqlite3.Error, OSError) as exc:
        hint = _storage_hint(exc) if isinstance(exc, sqlite3.Error) else ""
        raise StoreError(f"{path}: cannot open the archive: {exc}{hint}") from exc
    return db


def open_reader(path: str | Path) -> Database:
    """A read-only connection for the web server's searches; never migrates or writes.

    Usable from any thread (each request uses its own, one at a time).
    """
    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path}: no archive yet (run feedsvc ingest or fetch first)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the archive: {exc}") from exc
    return Database(conn)


@contextmanager
def archive(path: str | Path) -> Iterator[Database]:
    """``open_archive`` for a ``with`` block: closed however the block ends."""
    db = open_archive(path)
    try:
        yield db
    finally:
        db.close()


def _v1(db: Database) -> None:
    db.table("sources").create({
        "id": int, "slug": str, "name": str, "kind": str, "url": str, "site_url": str,
        "lang": str, "created": str,
    }, pk="id", not_null={"slug", "name", "kind", "created"}, defaults={"kind": "inbox"})
    db.table("sources").create_index(["slug"], unique=True)
    db.table("sources").create_index(["name"], unique=True)
    db.table("tags").create({"id": int, "name": str, "slug": str}, pk="id",
                            not_null={"name", "slug"})
    db.table("tags").create_index(["slug"], unique=True)
    db.table("tags").create_index(["name"], unique=True)
    article_columns = {
        "id": int, "uid": str, "url": str, "canonical_url": str, "guid": str, "title": str,
        "author": str, "source_id": int, "source": str, "tags": str, "summary": str,
        "content_html": str, "content_text": str, "lang": str, "published": str,
        "updated": str, "first_seen": str, "last_seen": str, "content_hash": str,
        "origin": str, "revision": int,
    }
    db.table("articles").create(
        article_columns, pk="id",
        not_null={"uid", "title", "source_id", "source", "published", "updated", "first_seen",
                  "last_seen", "content_hash", "revision"},
        defaults={"tags": "[]", "revision": 1, "content_html": "", "content_text": ""},
        foreign_keys=[("source_id", "sources", "id")],
    )
    db.table("articles").create_index(["uid"], unique=True)
    db.table("articles").create_index(["canonical_url"])
    db.table("articles").create_index(["published"])
    db.table("articles").create_index(["source_id", "published"])
    db.table("article_tags").create(
        {"article_id": int, "tag_id": int}, pk=("article_id", "tag_id"),
        foreign_keys=[("article_id", "articles", "id"), ("tag_id", "tags", "id")],
    )
    db.table("article_tags").create_index(["tag_id", "article_id"])
    revision_columns = {k: v for k, v in article_columns.items()
                        if k not in {"first_seen", "last_seen", "source_id", "uid", "guid"}}
    db.table("article_revisions").create(
        {**revision_columns, "article_id": int, "replaced": str}, pk="id",
        not_null={"article_id", "revision", "replaced"},
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_revisions").create_index(["article_id", "revision"], unique=True)


def _v2(db: Database) -> None:
    """Fetch state of feed sources (the fetching issue): kept across restarts."""
    sources = db.table("sources")
    for name, kind in (("config_url", str), ("tags", str), ("every", int), ("title", str),
                       ("etag", str), ("last_modified", str), ("last_fetch", str),
                       ("last_status", str), ("last_success", str), ("last_error", str),
                       ("failures", int), ("next_due", str), ("disabled", str)):
        sources.add_column(name, kind)
    db.execute("UPDATE sources SET failures = 0 WHERE failures IS NULL")


def _v3(db: Database) -> None:
    """Full-text search (the search issue) and views for common questions.

    ``articles_fts`` is an FTS5 index over ``articles`` (``content=[articles]``, so
    Datasette finds it). What it indexes is ``fts.index_text`` of title and text, which SQL
    cannot compute; so triggers queue every change in ``fts_pending`` and ``sync_search``
    applies the queue before each commit, whoever made the change.
    """
    # The long column first: FTS5 marks positions of every column but the first, so this
    # order makes the index a third smaller (measured in bench/search.py).
    db.execute(f"CREATE VIRTUAL TABLE [articles_fts] USING FTS5 ([content_text], [title], "
               f"content=[articles], tokenize='{TOKENIZER}')")
    db.execute("CREATE TABLE fts_pending (id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL, "
               "kind TEXT NOT NULL, title TEXT, content_text TEXT)")
    db.execute("CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
               "INSERT INTO fts_pending (article_id, kind) VALUES (new.id, 'insert'); END")
    for event, kind in (("UPDATE OF title, content_text", "update"), ("DELETE", "delete")):
        db.execute(f"CREATE TRIGGER articles_fts_{kind} AFTER {event} ON articles BEGIN "
                   "INSERT INTO fts_pending (article_id, kind, title, content_text) "
                   f"VALUES (old.id, '{kind}', old.title, old.content_text); END")
    db.execute("INSERT INTO fts_pending (article_id, kind) SELECT id, 'insert' FROM articles")
    for name, sql in VIEWS.items():
        db.execute(f"CREATE VIEW {name} AS {sql}")
    sync_search(db)


VIEWS = {
    # One row per article with its source's name and slug and its tag names.
    "articles_with_tags": """
        SELECT a.id, a.published, a.updated, s.name AS source, s.slug AS source_slug,
               a.title, coalesce(a.canonical_url, a.url) AS url, a.author, a.lang,
               (SELECT group_concat(t.name, ', ') FROM article_tags at
                JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id) AS tag_names,
               a.summary, a.revision
        FROM articles a JOIN sources s ON s.id = a.source_id""",
    # How much each source published each day (UTC).
    "articles_per_source_per_day": """
        SELECT s.name AS source, substr(a.published, 1, 10) AS day, count(*) AS articles
        FROM articles a JOIN sources s ON s.id = a.source_id
        GROUP BY s.id, day""",
}

def _v4(db: Database) -> None:
    """Provenance (the republishing issue): the feed each fetched entry came from, as it was
    when the entry was archived, so published pages stay stable when the feed changes."""
    db.table("articles").add_column("source_feed", str)
    # A source's articles in id order: the order its feed's archive pages are cut in.
    db.table("articles").create_index(["source_id"])
    db.execute("""UPDATE articles SET source_feed = (
        SELECT json_object('id', s.url, 'title', coalesce(s.title, s.name), 'link', s.url,
                           'home', s.site_url)
        FROM sources s WHERE s.id = articles.source_id AND s.kind = 'feed')""")


def _v5(db: Database) -> None:
    """Entry fingerprints (the benchmark issue): an entry a feed repeats unchanged is
    recognised before it is cleaned. Empty for older articles, which are prepared once more
    the next time their feed lists them, and then get one."""
    db.table("articles").add_column("raw_hash", str)


def _v6(db: Database) -> None:
    """One outlet, one source (issue 16): the names and hosts a source goes by, and the
    source a merged one now redirects to."""
    db.execute("CREATE TABLE source_aliases (alias TEXT PRIMARY KEY, source_id INTEGER "
               "REFERENCES sources (id), origin TEXT NOT NULL, created TEXT NOT NULL)")
    db.table("sources").add_column("merged_into", int)


MIGRATIONS: list[Callable[[Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
SEEN_PER_SOURCE = 1000  # fingerprints remembered per source: more than any feed lists


def sync_search(db: Database) -> int:
    """Apply the queued changes to ``articles_fts``; returns how many articles it touched.

    For each article only the first queued entry matters: its old values are what the
    index holds (later ones were never indexed), and the row as it is now is what the
    index must hold. Index forms that ``save_article`` was handed are used when the row
    still holds exactly the title and text they were made from.
    """
    known = _search_forms(db)
    rows = db.execute("SELECT id, article_id, kind, title, content_text FROM fts_pending "
                      "ORDER BY id").fetchall()
    if not rows:
        known.clear()
        return 0
    first: dict[int, tuple[str, str | None, str | None]] = {}
    for _, article_id, kind, title, text in rows:
        first.setdefault(article_id, (kind, title, text))
    for article_id, (kind, title, text) in first.items():
        if kind != "insert":
            db.conn.execute("INSERT INTO articles_fts (articles_fts, rowid, title, "
                            "content_text) VALUES ('delete', ?, ?, ?)",
                            [article_id, index_text(title), index_text(text)])
        now = db.conn.execute("SELECT title, content_text FROM articles WHERE id = ?",
                              [article_id]).fetchone()
        if now is not None:
            forms = known.get(article_id)
            indexed = forms[2:] if forms and forms[:2] == tuple(now) else (
                index_text(now[0]), index_text(now[1]))
            db.conn.execute("INSERT INTO articles_fts (rowid, title, content_text) "
                            "VALUES (?, ?, ?)", [article_id, *indexed])
    db.execute("DELETE FROM fts_pending WHERE id <= ?", [rows[-1][0]])
    known.clear()
    return len(first)


def _search_forms(db: Database) -> dict[int, tuple[str, str, str, str]]:
    """This connection's (title, text, indexed title, indexed text) by article id, from
    ``save_article`` to the next ``sync_search``: a hint, checked before use."""
    forms: dict[int, tuple[str, str, str, str]] = db.__dict__.setdefault("_search_forms", {})
    return forms


IndexRows = Callable[[list[tuple[int, str | None, str | None]]], list[tuple[int, str, str]]]


def rebuild_search(db: Database, batch: int = 2000,
                   submit: Callable[[IndexRows, list[Any]], Future[Any]] | None = None) -> int:
    """Build ``articles_fts`` from scratch (``feedsvc reindex``); returns the articles.

    ``submit`` (an executor's) rewrites the next batch of text in another process while
    this one writes the previous batch into the index.
    """
    pending: Future[Any] | None = None
    count = 0
    with transaction(db):
        db.execute("DELETE FROM fts_pending")
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
        # No merging while filling: one 'optimize' at the end does it once, 25 % faster.
        db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 0)")
        cursor = db.conn.execute("SELECT id, title, content_text FROM articles ORDER BY id")
        while True:
            rows = cursor.fetchmany(batch)
            work = (submit(index_rows, rows) if submit else None) if rows else None
            done = pending.result() if pending else None
            if done:
                _insert_indexed(db, done)
                count += len(done)
            if not rows:
                break
            if work is None:
                _insert_indexed(db, index_rows(rows))
                count += len(rows)
            pending = work
        db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 4)")
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('optimize')")
    return count


def _insert_indexed(db: Database, rows: list[tuple[int, str, str]]) -> None:
    db.conn.executemany(
        "INSERT INTO articles_fts (rowid, title, content_text) VALUES (?, ?, ?)", rows)


def migrate(db: Database) -> None:
    """Apply the migrations this archive has not seen yet, each in its own transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"{db.conn.execute('PRAGMA database_list').fetchone()[2]}: "
                         f"schema version {version} is newer than this feedsvc "
                         f"({len(MIGRATIONS)}); upgrade feedsvc")
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with db.conn:
            step(db)
            db.execute(f"PRAGMA user_version = {number}")


@contextmanager
def transaction(db: Database) -> Iterator[None]:
    """One transaction, the search index brought up to date before it commits; sqlite
    errors leave as ``StoreError``."""
    try:
        with db.conn:
            yield
            sync_search(db)
    except sqlite3.Error as exc:
        raise StoreError(f"archive write failed: {exc}{_storage_hint(exc)}") from exc
    finally:
        _search_forms(db).clear()  # used by sync_search, or about rows rolled back


def _storage_hint(exc: sqlite3.Error) -> str:
    """SQLite says "disk I/O error" for a full disk (EFBIG, ENOSPC while writing the WAL)."""
    text = str(exc).lower()
    if "disk" in text or "full" in text or "readonly" in text or "read-only" in text:
        return (" (is the disk full, or the archive folder read-only? Nothing was lost: the "
                "transaction was rolled back; run the command again when there is space)")
    return ""


@contextmanager
def savepoint(db: Database, name: str = "article") -> Iterator[None]:
    """All or nothing for one article inside a larger transaction."""
    db.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        db.execute(f"ROLLBACK TO {name}")
        db.execute(f"RELEASE {name}")
        raise
    db.execute(f"RELEASE {name}")


def ensure_tags(db: Database, names: list[str]) -> list[int]:
    conn = db.conn  # inside the caller's transaction: no wrapper needed
    ids = []
    for name in names:
        row = conn.execute("SELECT id FROM tags WHERE name = ?", [name]).fetchone()
        if row is None:
            cursor = conn.execute("INSERT INTO tags (name, slug) VALUES (?, ?)",
                                [name, unique_slug(db, "tags", name)])
            ids.append(int(cursor.lastrowid or 0))
        else:
            ids.append(int(row[0]))
    return ids


_VERSIONED = ("url", "canonical_url", "title", "author", "source", "tags", "summary",
              "content_html", "content_text", "lang", "published", "updated", "content_hash",
              "origin", "revision")


FUTURE_SLACK = timedelta(days=1)  # clocks and time zones of publishers are often off a little


def save_article(db: Database, article: Article, now: datetime) -> SaveResult:
    """Insert, update (keeping the earlier version) or just mark the article as seen again.

    The caller holds the transaction; ``article`` must be prepared (uid, hash, text).
    """
    conn = db.conn  # inside the caller's transaction: no wrapper needed
    stamp = format_date(now)
    existing = conn.execute(
        "SELECT id, content_hash, revision, published FROM articles WHERE uid = ?", [article.uid]
    ).fetchone()
    if existing and (existing[1] == article.content_hash or _is_old_version(db, existing[0],
                                                                            article.content_hash)):
        # Seen before: the current version, or an earlier one arriving again (a stale copy
        # is not an edit, so re-ingesting the same files never flips the article back).
        conn.execute("UPDATE articles SET last_seen = ?, raw_hash = coalesce(?, raw_hash) "
                     "WHERE id = ?", [stamp, article.fingerprint, existing[0]])
        return SaveResult(SaveStatus.UNCHANGED, int(existing[0]))
    # Learned from files only: a feed (an aggregator's, say) links to many outlets' hosts.
    source_id, source_name = outlets.source_for(
        db, article.source, article.canonical_url or article.url, now,
        learn=article.source_feed is None)
    published = article.published or now
    if published > now + FUTURE_SLACK:  # a publisher's error, or a trick to stay on top
        published = now
    values = {
        "url": article.url, "canonical_url": article.canonical_url, "guid": article.guid,
        "title": article.title, "author": article.author, "source_id": source_id,
        "source": source_name, "tags": json.dumps(article.tags, ensure_ascii=False),
        "summary": article.summary, "content_html": article.content_html,
        "content_text": article.content_text, "lang": article.lang,
        "published": format_date(published), "updated": format_date(min(published, now)),
        "last_seen": stamp, "content_hash": article.content_hash, "origin": article.origin,
        "source_feed": json.dumps(article.source_feed, ensure_ascii=False, sort_keys=True)
        if article.source_feed else None,
        "raw_hash": article.fingerprint,
    }
    if existing is None:
        cursor = conn.execute(
            f"INSERT INTO articles (uid, first_seen, {', '.join(values)}) "
            f"VALUES (?, ?, {', '.join('?' for _ in values)})",
            [article.uid, stamp, *values.values()],
        )
        article_id, status = int(cursor.lastrowid or 0), SaveStatus.NEW
    else:
        article_id, status = int(existing[0]), SaveStatus.UPDATED
        _keep_revision(db, article_id, stamp)
        values["published"] = existing[3]  # an entry keeps its original publication time
        values["updated"] = stamp  # and is updated when its content changes
        values["revision"] = int(existing[2]) + 1
        conn.execute(f"UPDATE articles SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                   [*values.values(), article_id])
    # Also for a new row: its id may be one a hand-deleted article left tags under.
    conn.execute("DELETE FROM article_tags WHERE article_id = ?", [article_id])
    for tag_id in ensure_tags(db, article.tags):
        conn.execute("INSERT OR IGNORE INTO article_tags (article_id, tag_id) VALUES (?, ?)",
                   [article_id, tag_id])
    if article.search_forms:
        _search_forms(db)[article_id] = (article.title, article.content_text,
                                         *article.search_forms)
    return SaveResult(status, article_id)


def _is_old_version(db: Database, article_id: int, content_hash: str) -> bool:
    conn = db.conn  # inside the caller's transaction: no wrapper needed
    return conn.execute(
        "SELECT 1 FROM article_revisions WHERE article_id = ? AND content_hash = ?",
        [article_id, content_hash],
    ).fetchone() is not None


def _keep_revision(db: Database, article_id: int, replaced: str) -> None:
    conn = db.conn  # inside the caller's transaction: no wrapper needed
    columns = ", ".join(_VERSIONED)
    conn.execute(
        f"INSERT INTO article_revisions (article_id, replaced, {columns}) "
        f"SELECT id, ?, {columns} FROM articles WHERE id = ?",
        [replaced, article_id],
    )


_STATE_COLUMNS = ("id", "name", "slug", "url", "tags", "every", "lang", "etag", "last_modified",
                  "last_fetch", "last_status", "last_success", "last_error", "failures",
                  "next_due", "disabled")


def sync_sources(db: Database, sources: tuple[SourceConfig, ...], now: datetime) -> None:
    """Make the ``sources`` table agree with the config; fetch state is kept.

    A source is known by its name. Its URL follows the config unless a permanent redirect
    moved it since the config last changed (``config_url`` remembers what the config said).
    """
    for source in sources:
        tags = json.dumps(list(source.tags), ensure_ascii=False)
        row = db.execute("SELECT id, config_url, kind FROM sources WHERE name = ?",
                         [source.name]).fetchone()
        if row is None:
            db.execute(
                "INSERT INTO sources (slug, name, kind, url, config_url, tags, every, lang, "
                "created, failures) VALUES (?, ?, 'feed', ?, ?, ?, ?, ?, ?, 0)",
                [unique_slug(db, "sources", source.name, source.slug), source.name,
                 source.url, source.url, tags, source.every_seconds, source.lang,
                 format_date(now)],
            )
            continue
        changes = "kind = 'feed', tags = ?, every = ?, lang = ?"
        params: list[object] = [tags, source.every_seconds, source.lang]
        if row[1] != source.url:  # the config changed: it wins over an earlier redirect
            changes += ", url = ?, config_url = ?, disabled = NULL, failures = 0, next_due = NULL"
            params += [source.url, source.url]
        db.execute(f"UPDATE sources SET {changes} WHERE id = ?", [*params, row[0]])
    # Removed from the config: no longer a feed to fetch (issue 17). The row stays, with
    # its articles, feeds and fetch state; named again in the config, it is fetched again.
    names = [source.name for source in sources]
    db.execute(f"UPDATE sources SET kind = 'removed' WHERE kind = 'feed' AND name NOT IN "
               f"({', '.join('?' for _ in names)})", names)


def source_states(db: Database, source_id: int | None = None,
                  seen: bool = False) -> list[SourceState]:
    """Every feed source (or the one with ``source_id``) with its fetch state and archived
    article count, by name; with ``seen``, the fingerprints of its latest entries too."""
    only = "AND s.id = ?" if source_id is not None else ""
    cursor = db.execute(
        f"SELECT {', '.join('s.' + c for c in _STATE_COLUMNS)}, "
        "(SELECT count(*) FROM articles a WHERE a.source_id = s.id) "
        f"FROM sources s WHERE s.kind = 'feed' {only} ORDER BY s.name",
        [source_id] if source_id is not None else [])
    states = []
    for row in cursor.fetchall():
        values = dict(zip(_STATE_COLUMNS, row, strict=False))
        states.append(SourceState(
            id=values["id"], name=values["name"], slug=values["slug"], url=values["url"],
            tags=tuple(json.loads(values["tags"] or "[]")), every_seconds=values["every"] or 3600,
            lang=values["lang"], etag=values["etag"], last_modified=values["last_modified"],
            last_fetch=values["last_fetch"], last_status=values["last_status"],
            last_success=values["last_success"], last_error=values["last_error"],
            failures=values["failures"] or 0,
            next_due=values["next_due"], disabled=values["disabled"], articles=row[-1],
            seen=_seen(db, values["id"]) if seen else frozenset(),
        ))
    return states


def seen_again(db: Database, source_id: int, fingerprints: list[str], now: datetime) -> None:
    """Entries a feed listed again unchanged: only ``last_seen`` moves."""
    stamp = format_date(now)
    for start in range(0, len(fingerprints), 500):
        chunk = fingerprints[start:start + 500]
        db.execute(f"UPDATE articles SET last_seen = ? WHERE source_id = ? AND raw_hash IN "
                   f"({', '.join('?' for _ in chunk)})", [stamp, source_id, *chunk])


def _seen(db: Database, source_id: int) -> frozenset[str]:
    rows = db.execute("SELECT raw_hash FROM articles WHERE source_id = ? AND raw_hash IS NOT "
                      "NULL ORDER BY id DESC LIMIT ?", [source_id, SEEN_PER_SOURCE]).fetchall()
    return frozenset(row[0] for row in rows)


def record_fetch(db: Database, source_id: int, **fields: object) -> None:
    """Store fetch state columns of one source (``etag=...``, ``failures=...``)."""
    allowed = {"url", "title", "site_url", "etag", "last_modified", "last_fetch", "last_status",
               "last_success", "last_error", "failures", "next_due", "disabled"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not fetch state: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE sources SET {assignments} WHERE id = ?", [*fields.values(), source_id])
