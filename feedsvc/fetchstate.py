"""What the archive remembers of each configured feed source: the table kept in line
with the config, and the state each fetch leaves (ETag, status, failures, next due)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from feedsvc.archive import Archive, in_chunks
from feedsvc.dates import format_date
from feedsvc.models import FetchStatus, SourceConfig, SourceState
from feedsvc.outlets import unique_slug

SEEN_PER_SOURCE = 1000  # fingerprints remembered per source: more than any feed lists


_STATE_COLUMNS = ("id", "name", "slug", "url", "tags", "every", "lang", "etag", "last_modified",
                  "last_fetch", "last_status", "last_success", "last_error", "failures",
                  "next_due", "disabled", "full_text", "robots")
USUAL_FROM = 3  # page-text articles needed before a source's usual length counts


def sync_sources(db: Archive, sources: tuple[SourceConfig, ...], now: datetime) -> None:
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
                "created, failures, full_text, robots) "
                "VALUES (?, ?, 'feed', ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                [unique_slug(db, "sources", source.name, source.slug), source.name,
                 source.url, source.url, tags, source.every_seconds, source.lang,
                 format_date(now), source.full_text, int(source.robots)],
            )
            continue
        changes = "kind = 'feed', tags = ?, every = ?, lang = ?, full_text = ?, robots = ?"
        params: list[object] = [tags, source.every_seconds, source.lang, source.full_text,
                                int(source.robots)]
        if row[1] != source.url:  # the config changed: it wins over an earlier redirect
            changes += ", url = ?, config_url = ?, disabled = NULL, failures = 0, next_due = NULL"
            params += [source.url, source.url]
        db.execute(f"UPDATE sources SET {changes} WHERE id = ?", [*params, row[0]])
    # Removed from the config: no longer a feed to fetch (issue 17). The row stays, with
    # its articles, feeds and fetch state; named again in the config, it is fetched again.
    names = [source.name for source in sources]
    db.execute(f"UPDATE sources SET kind = 'removed' WHERE kind = 'feed' AND name NOT IN "
               f"({', '.join('?' for _ in names)})", names)


def source_states(db: Archive, source_id: int | None = None,
                  seen: bool = False) -> list[SourceState]:
    """Every feed source (or the one with ``source_id``) with its fetch state and archived
    article count, by name; with ``seen``, the fingerprints of its latest entries too."""
    only = "AND s.id = ?" if source_id is not None else ""
    cursor = db.execute(
        f"SELECT {', '.join('s.' + c for c in _STATE_COLUMNS)}, "
        "(SELECT count(*) FROM articles a WHERE a.source_id = s.id), "
        # the median text length of its latest page-text articles: what "much shorter than
        # usual" is measured against (issue 18)
        "(SELECT group_concat(n) FROM (SELECT length(content_text) AS n FROM articles a "
        " WHERE a.source_id = s.id AND a.text_origin = 'page' ORDER BY a.id DESC LIMIT 25)) "
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
            next_due=values["next_due"], disabled=values["disabled"], articles=row[-2],
            full_text=values["full_text"], robots=bool(values["robots"]),
            usual_length=_median(row[-1]),
            seen=_seen(db, values["id"]) if seen else frozenset(),
        ))
    return states


def _median(lengths: str | None) -> int | None:
    values = sorted(int(n) for n in lengths.split(",")) if lengths else []
    return values[len(values) // 2] if len(values) >= USUAL_FROM else None


def seen_again(db: Archive, source_id: int, fingerprints: list[str], now: datetime) -> None:
    """Entries a feed listed again unchanged: only ``last_seen`` moves."""
    stamp = format_date(now)
    for chunk, marks in in_chunks(fingerprints):
        db.execute(f"UPDATE articles SET last_seen = ? WHERE source_id = ? AND raw_hash IN "
                   f"({marks})", [stamp, source_id, *chunk])


def _seen(db: Archive, source_id: int) -> frozenset[str]:
    rows = db.execute("SELECT raw_hash FROM articles WHERE source_id = ? AND raw_hash IS NOT "
                      "NULL ORDER BY id DESC LIMIT ?", [source_id, SEEN_PER_SOURCE]).fetchall()
    return frozenset(row[0] for row in rows)


@dataclass(slots=True, frozen=True)
class FetchState:
    """What one fetch leaves on its source's row (``sources`` columns of the same names)."""

    last_fetch: str
    last_status: FetchStatus
    next_due: str | None = None
    failures: int = 0
    last_error: str | None = None
    last_success: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    disabled: str | None = None


def record_fetch(db: Archive, source_id: int, state: FetchState) -> None:
    """The state a fetch left (success and failure alike write every column: a success
    clears the last error, a failure keeps the ETag it could not use)."""
    if state.last_status is FetchStatus.ERROR or state.last_status is FetchStatus.GONE:
        db.execute("UPDATE sources SET last_fetch = ?, last_status = ?, next_due = ?, "
                   "failures = ?, last_error = ?, disabled = coalesce(?, disabled), "
                   "failing_since = coalesce(failing_since, ?) WHERE id = ?",
                   [state.last_fetch, state.last_status, state.next_due, state.failures,
                    state.last_error, state.disabled, state.last_fetch, source_id])
        return
    db.execute("UPDATE sources SET last_fetch = ?, last_status = ?, next_due = ?, failures = ?, "
               "last_error = ?, last_success = ?, etag = ?, last_modified = ?, "
               "failing_since = NULL WHERE id = ?",
               [state.last_fetch, state.last_status, state.next_due, state.failures,
                state.last_error, state.last_success, state.etag, state.last_modified,
                source_id])


def record_move(db: Archive, source_id: int, url: str) -> None:
    """A permanent redirect: the feed URL from now on."""
    db.execute("UPDATE sources SET url = ? WHERE id = ?", [url, source_id])


def record_feed_title(db: Archive, source_id: int, title: str, site_url: str | None) -> None:
    db.execute("UPDATE sources SET title = ?, site_url = ? WHERE id = ?",
               [title, site_url, source_id])
