"""The archive's schema: its migrations (``PRAGMA user_version`` counts them) and views.
With ``archive``, the only module that imports sqlite-utils (for table creation)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

from feedsvc.diff import diff_html, diff_versions
from feedsvc.errors import StoreError
from feedsvc.fts import TOKENIZER
from feedsvc.searchindex import sync_search
from feedsvc.text import material_hash

if TYPE_CHECKING:
    from feedsvc.connection import Archive


def _v1(archive: Archive) -> None:
    db = archive.utils
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


def _v2(archive: Archive) -> None:
    """Fetch state of feed sources (the fetching issue): kept across restarts."""
    db = archive.utils
    sources = db.table("sources")
    for name, kind in (("config_url", str), ("tags", str), ("every", int), ("title", str),
                       ("etag", str), ("last_modified", str), ("last_fetch", str),
                       ("last_status", str), ("last_success", str), ("last_error", str),
                       ("failures", int), ("next_due", str), ("disabled", str)):
        sources.add_column(name, kind)
    db.execute("UPDATE sources SET failures = 0 WHERE failures IS NULL")


def _v3(db: Archive) -> None:
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

def _v4(archive: Archive) -> None:
    """Provenance (the republishing issue): the feed each fetched entry came from, as it was
    when the entry was archived, so published pages stay stable when the feed changes."""
    db = archive.utils
    db.table("articles").add_column("source_feed", str)
    # A source's articles in id order: the order its feed's archive pages are cut in.
    db.table("articles").create_index(["source_id"])
    db.execute("""UPDATE articles SET source_feed = (
        SELECT json_object('id', s.url, 'title', coalesce(s.title, s.name), 'link', s.url,
                           'home', s.site_url)
        FROM sources s WHERE s.id = articles.source_id AND s.kind = 'feed')""")


def _v5(archive: Archive) -> None:
    """Entry fingerprints (the benchmark issue): an entry a feed repeats unchanged is
    recognised before it is cleaned. Empty for older articles, which are prepared once more
    the next time their feed lists them, and then get one."""
    db = archive.utils
    db.table("articles").add_column("raw_hash", str)


def _v6(archive: Archive) -> None:
    """One outlet, one source (issue 16): the names and hosts a source goes by, and the
    source a merged one now redirects to."""
    db = archive.utils
    db.execute("CREATE TABLE source_aliases (alias TEXT PRIMARY KEY, source_id INTEGER "
               "REFERENCES sources (id), origin TEXT NOT NULL, created TEXT NOT NULL)")
    db.table("sources").add_column("merged_into", int)


def _v7(archive: Archive) -> None:
    """Full text (issue 18): where each article's text came from, and the state of fetching
    its web page (one row per article whose page was wanted)."""
    db = archive.utils
    for table in ("articles", "article_revisions"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN text_origin TEXT NOT NULL DEFAULT 'feed'")
    db.execute("""CREATE TABLE pages (
        article_id INTEGER PRIMARY KEY REFERENCES articles (id),
        url TEXT NOT NULL,            -- the page asked for (the entry's link)
        final_url TEXT,               -- where it was found after redirects
        status TEXT NOT NULL,         -- used | kept_feed | retry | failed | disallowed
        reason TEXT,                  -- in words: why the feed text was kept, what failed
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try TEXT,                -- for status retry
        etag TEXT, last_modified TEXT,
        fetched TEXT)""")
    db.execute("CREATE INDEX pages_status ON pages (status, next_try)")
    db.execute("CREATE INDEX pages_url ON pages (url)")
    db.execute("ALTER TABLE sources ADD COLUMN full_text TEXT NOT NULL DEFAULT 'auto'")
    db.execute("ALTER TABLE sources ADD COLUMN robots INTEGER NOT NULL DEFAULT 1")


def _v8(archive: Archive) -> None:
    """Edits and vanishings (issue 20): ``content_hash`` now covers what a reader sees
    (title, author, words), recomputed here for every version; the material edits among
    the revisions kept so far become ``changes``; articles can be marked vanished; and
    fetched articles get a re-check schedule."""
    db = archive.conn
    db.execute("ALTER TABLE articles ADD COLUMN vanished_at TEXT")
    db.execute("ALTER TABLE articles ADD COLUMN vanished_reason TEXT")
    db.execute("""CREATE TABLE changes (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles (id),
        kind TEXT NOT NULL,           -- edited | gone | redirected away | withdrawn
        at TEXT NOT NULL,             -- when feedsvc saw it
        revision INTEGER,             -- edited: the new revision's number
        detail TEXT,                  -- in words: what was found (HTTP 404 Not Found...)
        diff_html TEXT)""")
    db.execute("CREATE INDEX changes_article ON changes (article_id)")
    db.execute("""CREATE TABLE rechecks (
        article_id INTEGER PRIMARY KEY REFERENCES articles (id),
        url TEXT NOT NULL, host TEXT NOT NULL,
        step INTEGER NOT NULL DEFAULT 0,  -- index into recheck.schedule
        next_check TEXT,                  -- NULL: the schedule is done (or it vanished)
        last_check TEXT, last_outcome TEXT, last_error TEXT,
        etag TEXT, last_modified TEXT, checks INTEGER NOT NULL DEFAULT 0)""")
    db.execute("CREATE INDEX rechecks_due ON rechecks (next_check)")
    db.execute("CREATE INDEX rechecks_host ON rechecks (host, last_check)")
    rows = db.execute("SELECT id, title, author, content_text FROM article_revisions").fetchall()
    rows += db.execute("SELECT -id, title, author, content_text FROM articles").fetchall()
    for key, title, author, text in rows:
        table, row_id = ("articles", -key) if key < 0 else ("article_revisions", key)
        db.execute(f"UPDATE {table} SET content_hash = ? WHERE id = ?",
                   [material_hash(title, author, text or ""), row_id])
    _changes_from_revisions(archive)


def _changes_from_revisions(archive: Archive) -> None:
    db = archive.conn
    ids = [r[0] for r in db.execute("SELECT DISTINCT article_id FROM article_revisions")]
    for article_id in ids:
        versions = db.execute(
            "SELECT revision, replaced, title, author, content_text, content_hash FROM "
            "article_revisions WHERE article_id = ? ORDER BY revision", [article_id]).fetchall()
        versions += db.execute("SELECT revision, updated, title, author, content_text, "
                               "content_hash FROM articles WHERE id = ?", [article_id]).fetchall()
        for before, after in itertools.pairwise(versions):
            if before[5] != after[5]:
                db.execute("INSERT INTO changes (article_id, kind, at, revision, diff_html) "
                           "VALUES (?, 'edited', ?, ?, ?)",
                           [article_id, before[1], after[0], diff_html(diff_versions(
                               (before[2], before[3], before[4] or ""),
                               (after[2], after[3], after[4] or "")))])


def _v9(archive: Archive) -> None:
    """Subscriptions kept in the archive (issue 21): ``feedsvc add`` and ``import``."""
    archive.conn.execute("""CREATE TABLE subscriptions (
        name TEXT PRIMARY KEY, url TEXT NOT NULL UNIQUE, slug TEXT, tags TEXT, every INTEGER
        NOT NULL, lang TEXT, full_text TEXT NOT NULL DEFAULT 'auto', robots INTEGER NOT NULL
        DEFAULT 1, site_url TEXT, added TEXT NOT NULL)""")
    # source health: entries in the last feed body, and when the current failures began
    archive.conn.execute("ALTER TABLE sources ADD COLUMN last_entries INTEGER")
    archive.conn.execute("ALTER TABLE sources ADD COLUMN failing_since TEXT")
    # the sources page counts each day's new articles on every publish
    archive.conn.execute("CREATE INDEX articles_first_seen ON articles (first_seen)")
    # re-checks that found no evidence in a row (issue 20): the third moves to the next step
    archive.conn.execute("ALTER TABLE rechecks ADD COLUMN errors INTEGER NOT NULL DEFAULT 0")


def _v10(archive: Archive) -> None:
    """Stories (issue 22): copies of one story grouped, related coverage linked. Articles
    already archived get their story on the next run (``stories.cluster_pending``)."""
    archive.conn.execute("""CREATE TABLE stories (
        id INTEGER PRIMARY KEY, title TEXT NOT NULL, first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL, copies INTEGER NOT NULL, sources TEXT NOT NULL,
        languages TEXT NOT NULL, article_id INTEGER NOT NULL)""")
    archive.conn.execute("ALTER TABLE articles ADD COLUMN story_id INTEGER")  # stories.id
    archive.conn.execute("CREATE INDEX articles_story ON articles (story_id)")
    archive.conn.execute("""CREATE TABLE coverage (
        story_id INTEGER NOT NULL, related_story_id INTEGER NOT NULL, score REAL NOT NULL,
        article_id INTEGER NOT NULL, related_article_id INTEGER NOT NULL,
        linked TEXT NOT NULL, PRIMARY KEY (story_id, related_story_id)) WITHOUT ROWID""")
    # the index behind both: one row per clustered article, its MinHash band keys, its names
    archive.conn.execute("""CREATE TABLE story_index (
        article_id INTEGER PRIMARY KEY, at REAL, shingles INTEGER NOT NULL,
        names TEXT NOT NULL)""")
    archive.conn.execute("""CREATE TABLE story_bands (key INTEGER NOT NULL,
        article_id INTEGER NOT NULL, PRIMARY KEY (key, article_id)) WITHOUT ROWID""")
    archive.conn.execute("""CREATE TABLE story_names (name TEXT NOT NULL,
        article_id INTEGER NOT NULL, PRIMARY KEY (name, article_id)) WITHOUT ROWID""")
    archive.conn.execute("""CREATE TABLE story_name_counts (name TEXT PRIMARY KEY,
        articles INTEGER NOT NULL) WITHOUT ROWID""")


def _v11(archive: Archive) -> None:
    """Media (issue 23): each image URL an article shows, and what became of it."""
    archive.conn.execute("""CREATE TABLE media (
        url TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'wanted', reason TEXT,
        digest TEXT, media_type TEXT, extension TEXT, bytes INTEGER, width INTEGER,
        height INTEGER, attempts INTEGER NOT NULL DEFAULT 0, next_try TEXT,
        first_used TEXT NOT NULL, last_used TEXT NOT NULL, fetched TEXT)""")
    archive.conn.execute("CREATE INDEX media_status ON media (status, next_try)")
    archive.conn.execute("CREATE INDEX media_digest ON media (digest)")
    archive.conn.execute("""CREATE TABLE article_media (
        article_id INTEGER NOT NULL, url TEXT NOT NULL, position INTEGER NOT NULL,
        PRIMARY KEY (article_id, url)) WITHOUT ROWID""")
    archive.conn.execute("CREATE INDEX article_media_url ON article_media (url)")
    # the articles (and which of their versions) whose images the daemon has looked for
    archive.conn.execute("CREATE TABLE media_scanned (article_id INTEGER PRIMARY KEY, "
                         "revision INTEGER NOT NULL DEFAULT 1)")
    # `feedsvc add --media link`: a subscription's choice, as `media:` is a configured one's
    archive.conn.execute("ALTER TABLE subscriptions ADD COLUMN media TEXT NOT NULL "
                         "DEFAULT 'keep'")
    # the articles archived before are not looked at by the daemon: `feedsvc media` backfills
    # them when asked (an archive's whole history at once is the user's call)
    archive.conn.execute("INSERT INTO media_scanned (article_id, revision) "
                         "SELECT id, revision FROM articles")


def _v12(archive: Archive) -> None:
    """Every publish counts each feed's articles and reads its latest update, and the
    sources page counts each day's arrivals: from indexes holding those columns, not from
    every article's row (0.8 s of a 1 s incremental publish at 100,000 articles)."""
    conn = archive.conn
    conn.execute("CREATE INDEX IF NOT EXISTS articles_source_updated "
                 "ON articles (source_id, updated)")
    conn.execute("CREATE INDEX IF NOT EXISTS articles_id_updated ON articles (id, updated)")
    conn.execute("DROP INDEX IF EXISTS articles_first_seen")  # version 9's, now covering:
    conn.execute("CREATE INDEX IF NOT EXISTS articles_first_seen_source "
                 "ON articles (first_seen, source_id)")


MIGRATIONS: list[Callable[[Archive], None]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9,
                                               _v10, _v11, _v12]


def migrate(db: Archive) -> None:
    """Apply the migrations this archive has not seen yet, each in its own transaction."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"{db.path}: "
                         f"schema version {version} is newer than this feedsvc "
                         f"({len(MIGRATIONS)}); upgrade feedsvc")
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        with db.conn:
            step(db)
            db.conn.execute(f"PRAGMA user_version = {number}")
