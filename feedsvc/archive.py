"""Opening the archive: read-write (created and migrated as needed, the search index
brought up to date) or read-only, for readers and publish workers. The ``Archive`` itself
lives in ``connection``; ``sqlite3`` errors leave as ``StoreError``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedsvc.connection import Archive, in_chunks, storage_hint
from feedsvc.errors import StoreError
from feedsvc.schema import migrate
from feedsvc.searchindex import sync_search


def open_archive(path: str | Path) -> Archive:
    """Open (creating and migrating if needed) the archive at ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = wal")  # readers never block the writer
        # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last commit.
        conn.execute("PRAGMA synchronous = NORMAL")
        db = Archive(conn, path, before_commit=sync_search)
        migrate(db)
        with db.conn:
            sync_search(db)  # changes made by other programs (a sqlite3 shell, Datasette)
    except (sqlite3.Error, OSError) as exc:
        hint = storage_hint(exc) if isinstance(exc, sqlite3.Error) else ""
        raise StoreError(f"{path}: cannot open the archive: {exc}{hint}") from exc
    return db


def open_reader(path: str | Path) -> Archive:
    """A read-only connection (the web server's searches, publish workers); never migrates
    or writes. Usable from any thread, by one at a time."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"{path}: no archive yet (run feedsvc ingest or fetch first)")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                               check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the archive: {exc}") from exc
    return Archive(conn, path, writable=False)


@contextmanager
def opened(path: str | Path) -> Iterator[Archive]:
    """``open_archive`` for a ``with`` block: closed however the block ends."""
    db = open_archive(path)
    try:
        yield db
    finally:
        db.close()


__all__ = ["Archive", "in_chunks", "open_archive", "open_reader", "opened"]
