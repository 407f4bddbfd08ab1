"""``Archive``: one connection to the archive, its transactions and savepoints, and what a
transaction carries along (the search-index forms ``save_article`` hands over). Opened by
``archive.open_archive`` or ``archive.open_reader``; ``sqlite3`` errors leave as
``StoreError``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from feedsvc.errors import StoreError

Params = Sequence[object] | dict[str, object]


class Archive:
    """One connection to the archive."""

    def __init__(self, conn: sqlite3.Connection, path: Path, writable: bool = True,
                 before_commit: Callable[[Archive], object] | None = None) -> None:
        self.conn = conn
        self.path = path
        self.writable = writable
        # what a transaction does last (``searchindex.sync_search``, set by ``open_archive``)
        self.before_commit = before_commit
        # (title, text, indexed title, indexed text) by article id, from ``save_article``
        # to the next ``sync_search``: a hint, checked before use.
        self.search_forms: dict[int, tuple[str, str, str, str]] = {}
        # answers worth keeping for the rest of one transaction (a feed's source, resolved
        # once for all its entries); forgotten when it ends or a savepoint rolls back
        self.memo: dict[object, object] = {}

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
                if self.before_commit is not None:
                    self.before_commit(self)
        except sqlite3.Error as exc:
            raise StoreError(f"archive write failed: {exc}{storage_hint(exc)}") from exc
        finally:
            self.search_forms.clear()  # used by sync_search, or about rows rolled back
            self.memo.clear()

    @contextmanager
    def savepoint(self, name: str = "article") -> Iterator[None]:
        """All or nothing for one article inside a larger transaction."""
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.memo.clear()  # it may name rows the rollback takes away
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        self.conn.execute(f"RELEASE {name}")


def storage_hint(exc: sqlite3.Error) -> str:
    """SQLite says "disk I/O error" for a full disk (EFBIG, ENOSPC while writing the WAL)."""
    text = str(exc).lower()
    if "disk" in text or "full" in text or "readonly" in text or "read-only" in text:
        return (" (is the disk full, or the archive folder read-only? Nothing was lost: the "
                "transaction was rolled back; run the command again when there is space)")
    return ""


IN_LIST_SIZE = 500  # values in one ``IN (…)``: well under SQLite's limit on parameters


def in_chunks(values: Iterable[Any]) -> Iterator[tuple[list[Any], str]]:
    """``values`` in lists short enough for one ``IN (…)``, each with its placeholders
    (``?, ?, …``)."""
    items = list(values)
    for start in range(0, len(items), IN_LIST_SIZE):
        chunk = items[start:start + IN_LIST_SIZE]
        yield chunk, ", ".join("?" * len(chunk))
