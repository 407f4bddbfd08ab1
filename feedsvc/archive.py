"""The archive's connection: an ``Archive`` owns one SQLite connection (read-write, or
read-only for readers and publish workers), its transactions and savepoints, and what a
transaction carries along (the search-index forms ``save_article`` hands over). Together
with ``schema`` the only place that imports sqlite-utils; ``sqlite3`` errors leave every
module here as ``StoreError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from feedsvc.errors import StoreError
from feedsvc.schema import migrate
from feedsvc.searchindex import sync_search

Params = Sequence[object] | dict[str, object]


class Archive:
    """One connection to the archive."""

    def __init__(self, conn: sqlite3.Connection, path: Path, writable: bool = True) -> None:
        self.conn = conn
        self.path = path
        self.writable = writable
        # (title, text, indexed title, indexed text) by article id, from ``save_article``
        # to the next ``sync_search``: a hint, checked before use.
        self.search_forms: dict[int, tuple[str, str, str, str]] = {}

    @property
    def utils(self) -> Database:
        """sqlite-utils over the same connection: table creation in migrations."""
        return Database(self.conn)

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction, the search index brought up to date before it commits; sqlite
        errors leave as ``StoreError``."""
        try:
            with self.conn:
                yield
                sync_search(self)
        except sqlite3.Error as exc:
            raise StoreError(f"archive write failed: {exc}{_storage_hint(exc)}") from exc
        finally:
            self.search_forms.clear()  # used by sync_search, or about rows rolled back

    @contextmanager
    def savepoint(self, name: str = "article") -> Iterator[None]:
        """All or nothing for one article inside a larger transaction."""
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")


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
        db = Archive(conn, path)
        migrate(db)
        with db.conn:
            sync_search(db)  # changes made by other programs (a sqlite3 shell, Datasette)
    except (sqlite3.Error, OSError) as exc:
        hint = _storage_hint(exc) if isinstance(exc, sqlite3.Error) else ""
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


def _storage_hint(exc: sqlite3.Error) -> str:
    """SQLite says "disk I/O error" for a full disk (EFBIG, ENOSPC while writing the WAL)."""
    text = str(exc).lower()
    if "disk" in text or "full" in text or "readonly" in text or "read-only" in text:
        return (" (is the disk full, or the archive folder read-only? Nothing was lost: the "
                "transaction was rolled back; run the command again when there is space)")
    return ""
