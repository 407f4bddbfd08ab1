"""Subscriptions kept in the archive (issue 21): sources added with ``feedsvc add`` or
``feedsvc import``, beside those in ``config.yaml``. The config wins on conflict (the same
name or feed URL); every command and the daemon fetch the two lists as one.
"""

from __future__ import annotations

import json
from datetime import datetime

from feedsvc.archive import Archive
from feedsvc.dates import format_date
from feedsvc.models import Config, SourceConfig
from feedsvc.stories import forget_articles, recount_stories


def stored_sources(db: Archive) -> list[SourceConfig]:
    rows = db.execute("SELECT name, url, slug, tags, every, lang, full_text, robots, media "
                      "FROM subscriptions ORDER BY name").fetchall()
    return [SourceConfig(name=name, url=url, slug=slug, tags=tuple(json.loads(tags or "[]")),
                         every_seconds=every, lang=lang, full_text=full_text,
                         robots=bool(robots), media=media)
            for name, url, slug, tags, every, lang, full_text, robots, media in rows]


def all_sources(db: Archive, config: Config) -> tuple[SourceConfig, ...]:
    """The config's sources, then the archive's that do not clash with them."""
    names = {s.name for s in config.sources}
    urls = {s.url for s in config.sources}
    return config.sources + tuple(s for s in stored_sources(db)
                                  if s.name not in names and s.url not in urls)


def origins(db: Archive, config: Config) -> dict[str, str]:
    """Where each source comes from: ``config`` or ``archive``."""
    found = {s.name: "archive" for s in stored_sources(db)}
    found.update({s.name: "config" for s in config.sources})
    return found


def known_as(db: Archive, config: Config, url: str) -> str | None:
    """The name of the source (config or archive, current feed URL or as configured)
    fetching ``url``, if any."""
    for source in all_sources(db, config):
        if source.url == url:
            return source.name
    row = db.execute("SELECT name FROM sources WHERE kind = 'feed' AND (url = ? OR "
                     "config_url = ?)", [url, url]).fetchone()
    return str(row[0]) if row else None


def add(db: Archive, source: SourceConfig, now: datetime, site: str | None = None) -> None:
    with db.transaction():
        db.execute("INSERT INTO subscriptions (name, url, slug, tags, every, lang, full_text, "
                   "robots, site_url, added, media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [source.name, source.url, source.slug,
                    json.dumps(list(source.tags), ensure_ascii=False), source.every_seconds,
                    source.lang, source.full_text, int(source.robots), site,
                    format_date(now), source.media])


def remove(db: Archive, name: str) -> bool:
    with db.transaction():
        return db.execute("DELETE FROM subscriptions WHERE name = ?", [name]).rowcount > 0


def purge(db: Archive, name: str) -> int:
    """Delete a source's articles and everything hanging from them; returns how many."""
    with db.transaction():
        row = db.execute("SELECT id FROM sources WHERE name = ?", [name]).fetchone()
        if row is None:
            return 0
        ids = "SELECT id FROM articles WHERE source_id = ?"
        # (the images stay: shared by content, other articles may show them; unused, they
        # are the first to go when media.max_total is reached)
        for table in ("article_tags", "article_revisions", "changes", "pages", "rechecks",
                      "article_media", "media_scanned"):
            db.execute(f"DELETE FROM {table} WHERE article_id IN ({ids})", [row[0]])
        touched = [r[0] for r in db.execute(
            "SELECT DISTINCT story_id FROM articles WHERE source_id = ? "
            "AND story_id IS NOT NULL", [row[0]])]
        forget_articles(db, [r[0] for r in db.execute(ids, [row[0]])])
        count = db.execute("DELETE FROM articles WHERE source_id = ?", [row[0]]).rowcount
        recount_stories(db, touched)
        db.execute("UPDATE sources SET kind = 'removed' WHERE id = ?", [row[0]])
        return int(count)
