"""One outlet, one source: the names and hosts an outlet goes by (issue 16).

A post names its outlet in front matter ("Solidot"), or not, and then the host of its URL
names it ("solidot.org"). Both are the same outlet. So an article that carries a name and
a URL teaches that the host is an alias of the name; a nameless article from that host
then goes to the named source; a source already made from the host name is merged into
it. ``aliases`` in the config names aliases outright (a second name, another host).

A merged source keeps its row and slug (``sources.merged_into``): its old feed URL keeps
answering, with the merged feed (``publish`` copies it there; the server answers 301),
and no new source can take the slug. A host seen with two names (a platform many outlets
publish on, like ``mp.weixin.qq.com``) is an alias of neither.

Works inside the caller's transaction on the archive's connection (``db.conn``).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from urllib.parse import urlsplit

from feedsvc.archive import Archive
from feedsvc.dates import format_date
from feedsvc.names import name_hash, slugify

MAX_CHAIN = 20  # merged_into hops followed (a chain longer than this is a broken archive)


def host_of(url: str | None) -> str | None:
    """The host that names a nameless post's outlet: ``www.solidot.org`` -> ``solidot.org``."""
    if not url:
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def alias_key(name: str) -> str:
    """How aliases compare: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def unique_slug(db: Archive, table: str, name: str, wanted: str | None = None) -> str:
    slug = wanted or slugify(name)
    taken = db.conn.execute(f"SELECT 1 FROM {table} WHERE slug = ?", [slug]).fetchone()
    return f"{slug}-{name_hash(name)}" if taken else slug


def ensure_source(db: Archive, name: str, now: datetime, kind: str = "inbox",
                  url: str | None = None, slug: str | None = None) -> int:
    """The id of the source called ``name`` (or of the one it was merged into), made if
    there is none."""
    found = _by_name(db, name)
    if found is not None:
        return found
    cursor = db.conn.execute(
        "INSERT INTO sources (slug, name, kind, url, created) VALUES (?, ?, ?, ?, ?)",
        [unique_slug(db, "sources", name, slug), name, kind, url, format_date(now)])
    return int(cursor.lastrowid or 0)


def source_for(db: Archive, name: str, url: str | None, now: datetime,
               learn: bool = True) -> tuple[int, str]:
    """(id, name) of the source an article named ``name`` from ``url`` belongs to; with
    ``learn``, the host of ``url`` becomes an alias of a name the article carries."""
    if not learn:  # a feed's entries: one answer for all of them, within the transaction
        key = ("source_for", name)
        known = db.memo.get(key)
        if not isinstance(known, tuple):
            known = _resolve(db, name, now)
            db.memo[key] = known
        return known
    host = host_of(url)
    derived = host is not None and name == host  # no name given: the host stands in
    source_id = _aliased(db, name)
    if source_id is None:
        source_id = ensure_source(db, name, now)
    if learn and host and not derived:
        _learn(db, host, source_id, now)
    return source_id, _name(db, source_id)


def _resolve(db: Archive, name: str, now: datetime) -> tuple[int, str]:
    source_id = _aliased(db, name) or ensure_source(db, name, now)
    return source_id, _name(db, source_id)


def apply_aliases(db: Archive, aliases: dict[str, tuple[str, ...]], now: datetime) -> None:
    """The config's ``aliases``: each alias names the source called by the key; a source
    already made under an alias is merged into it."""
    for name, names in aliases.items():
        source_id = _aliased(db, name) or ensure_source(db, name, now)
        for alias in names:
            db.conn.execute(
                "INSERT INTO source_aliases (alias, source_id, origin, created) "
                "VALUES (?, ?, 'config', ?) ON CONFLICT (alias) DO UPDATE SET "
                "source_id = excluded.source_id, origin = 'config'",
                [alias_key(alias), source_id, format_date(now)])
            _absorb(db, alias, source_id)


def merge_source(db: Archive, old_id: int, into_id: int) -> None:
    """Move every article of ``old_id`` to ``into_id``; the old source stays as a redirect."""
    if old_id == into_id:
        return
    db.memo.clear()
    into_name = _name(db, into_id)
    conn = db.conn
    conn.execute("UPDATE articles SET source_id = ?, source = ? WHERE source_id = ?",
                 [into_id, into_name, old_id])
    conn.execute("UPDATE sources SET merged_into = ? WHERE id = ? OR merged_into = ?",
                 [into_id, old_id, old_id])
    conn.execute("UPDATE source_aliases SET source_id = ? WHERE source_id = ?",
                 [into_id, old_id])
    old_name = conn.execute("SELECT name FROM sources WHERE id = ?", [old_id]).fetchone()[0]
    conn.execute("INSERT INTO source_aliases (alias, source_id, origin, created) "
                 "VALUES (?, ?, 'merged', (SELECT created FROM sources WHERE id = ?)) "
                 "ON CONFLICT (alias) DO UPDATE SET source_id = excluded.source_id",
                 [alias_key(old_name), into_id, old_id])


def redirects(db: Archive) -> list[tuple[str, str]]:
    """(old slug, slug of the source it was merged into) for every merged source."""
    rows = db.conn.execute(
        "SELECT old.slug, new.slug FROM sources old JOIN sources new "
        "ON new.id = old.merged_into ORDER BY old.slug").fetchall()
    return [(str(old), str(new)) for old, new in rows]


def _learn(db: Archive, host: str, source_id: int, now: datetime) -> None:
    conn = db.conn
    row = conn.execute("SELECT source_id, origin FROM source_aliases WHERE alias = ?",
                       [alias_key(host)]).fetchone()
    if row is None:
        conn.execute("INSERT INTO source_aliases (alias, source_id, origin, created) "
                     "VALUES (?, ?, 'learned', ?)", [alias_key(host), source_id,
                                                     format_date(now)])
        _absorb(db, host, source_id)
    elif row[1] == "learned" and row[0] is not None and _final(db, row[0]) != source_id:
        # Two names from one host: a platform, not an outlet. It names neither from now on.
        conn.execute("UPDATE source_aliases SET source_id = NULL WHERE alias = ?",
                     [alias_key(host)])


def _absorb(db: Archive, alias: str, source_id: int) -> None:
    """A source made earlier under ``alias`` (from nameless posts) joins ``source_id``.
    Configured feed sources are never merged: their fetch state belongs to them."""
    row = db.conn.execute("SELECT id FROM sources WHERE name = ? AND merged_into IS NULL "
                          "AND kind != 'feed'", [alias]).fetchone()
    if row is not None and row[0] != source_id:
        merge_source(db, int(row[0]), source_id)


def _aliased(db: Archive, name: str) -> int | None:
    row = db.conn.execute("SELECT source_id FROM source_aliases WHERE alias = ? AND "
                          "source_id IS NOT NULL", [alias_key(name)]).fetchone()
    return _final(db, int(row[0])) if row else None


def _by_name(db: Archive, name: str) -> int | None:
    row = db.conn.execute("SELECT id FROM sources WHERE name = ?", [name]).fetchone()
    return _final(db, int(row[0])) if row else None


def _final(db: Archive, source_id: int) -> int:
    """The source ``source_id`` was merged into, however many times over."""
    for _ in range(MAX_CHAIN):
        row = db.conn.execute("SELECT merged_into FROM sources WHERE id = ?",
                              [source_id]).fetchone()
        if row is None or row[0] is None:
            return source_id
        source_id = int(row[0])
    return source_id


def _name(db: Archive, source_id: int) -> str:
    return str(db.conn.execute("SELECT name FROM sources WHERE id = ?",
                               [source_id]).fetchone()[0])
