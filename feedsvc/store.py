"""Article writes: an article archived (new, updated with its earlier version kept, or
seen again), its tags, its revisions. The caller holds the transaction (``Archive``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from feedsvc import outlets
from feedsvc.archive import Archive
from feedsvc.dates import format_date
from feedsvc.defaults import RECHECK_SCHEDULE
from feedsvc.diff import diff_html, diff_versions
from feedsvc.models import PreparedArticle, SaveResult, SaveStatus
from feedsvc.outlets import unique_slug


def ensure_tags(db: Archive, names: list[str]) -> list[int]:
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
              "origin", "revision", "text_origin")




def save_article(db: Archive, article: PreparedArticle, now: datetime) -> SaveResult:
    """Insert, update (keeping the earlier version) or just mark the article as seen again.

    The caller holds the transaction.
    """
    conn = db.conn  # inside the caller's transaction: no wrapper needed
    stamp = format_date(now)
    existing = conn.execute(
        "SELECT id, content_hash, revision, published, title, author, content_text, "
        "text_origin, tags FROM articles WHERE uid = ?", [article.uid]).fetchone()
    if existing and (existing[1] == article.content_hash or _is_old_version(db, existing[0],
                                                                            article.content_hash)):
        # Seen before: the current version, or an earlier one arriving again (a stale copy
        # is not an edit, so re-ingesting the same files never flips the article back).
        conn.execute("UPDATE articles SET last_seen = ?, raw_hash = coalesce(?, raw_hash) "
                     "WHERE id = ?", [stamp, article.fingerprint, existing[0]])
        tags = json.dumps(article.tags, ensure_ascii=False)
        if existing[1] == article.content_hash and tags != existing[8]:
            # Tags are the source's filing, not the article's words: kept up to date in
            # place, without a revision (issue 20).
            conn.execute("UPDATE articles SET tags = ? WHERE id = ?", [tags, existing[0]])
            _set_tags(db, int(existing[0]), article.tags)
            return SaveResult(SaveStatus.UPDATED, int(existing[0]))
        return SaveResult(SaveStatus.UNCHANGED, int(existing[0]))
    # Learned from files only: a feed (an aggregator's, say) links to many outlets' hosts.
    source_id, source_name = outlets.source_for(
        db, article.source, article.canonical_url or article.url, now,
        learn=article.source_feed is None)
    published = article.published  # the date rule was applied once, when prepared
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
        "raw_hash": article.fingerprint, "text_origin": article.text_origin,
    }
    if existing is None:
        cursor = conn.execute(
            f"INSERT INTO articles (uid, first_seen, {', '.join(values)}) "
            f"VALUES (?, ?, {', '.join('?' for _ in values)})",
            [article.uid, stamp, *values.values()],
        )
        article_id, status = int(cursor.lastrowid or 0), SaveStatus.NEW
        if article.source_feed and article.url:  # fetched: watched for edits and removal
            conn.execute("INSERT OR IGNORE INTO rechecks (article_id, url, host, next_check) "
                         "VALUES (?, ?, ?, ?)", [article_id, article.url, _host(article.url),
                                                 format_date(now + timedelta(
                                                     seconds=RECHECK_SCHEDULE[0]))])
    else:
        article_id, status = int(existing[0]), SaveStatus.UPDATED
        _keep_revision(db, article_id, stamp)
        values["published"] = existing[3]  # an entry keeps its original publication time
        values["updated"] = stamp  # and is updated when its content changes
        values["revision"] = int(existing[2]) + 1
        conn.execute(f"UPDATE articles SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                   [*values.values(), article_id])
        # An edit people can see (a summary completed from its page is not one).
        if existing[7] == article.text_origin:
            record_edit(db, article_id, int(existing[2]) + 1, stamp,
                        (existing[4], existing[5], existing[6] or ""),
                        (article.title, article.author, article.content_text))
    _set_tags(db, article_id, article.tags)
    if article.search_forms:
        db.search_forms[article_id] = (article.title, article.content_text,
                                         *article.search_forms)
    return SaveResult(status, article_id)


def _set_tags(db: Archive, article_id: int, names: list[str]) -> None:
    # Also for a new row: its id may be one a hand-deleted article left tags under.
    db.conn.execute("DELETE FROM article_tags WHERE article_id = ?", [article_id])
    for tag_id in ensure_tags(db, names):
        db.conn.execute("INSERT OR IGNORE INTO article_tags (article_id, tag_id) VALUES (?, ?)",
                        [article_id, tag_id])


def record_edit(db: Archive, article_id: int, revision: int, stamp: str,
                before: tuple[str, str | None, str], after: tuple[str, str | None, str]) -> None:
    """A material edit, with its diff, for the article's history and ``changes.xml``."""
    db.conn.execute("INSERT INTO changes (article_id, kind, at, revision, diff_html) "
                    "VALUES (?, 'edited', ?, ?, ?)",
                    [article_id, stamp, revision, diff_html(diff_versions(before, after))])


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _is_old_version(db: Archive, article_id: int, content_hash: str) -> bool:
    conn = db.conn  # inside the caller's transaction: no wrapper needed
    return conn.execute(
        "SELECT 1 FROM article_revisions WHERE article_id = ? AND content_hash = ?",
        [article_id, content_hash],
    ).fetchone() is not None


def _keep_revision(db: Archive, article_id: int, replaced: str) -> None:
    conn = db.conn  # inside the caller's transaction: no wrapper needed
    columns = ", ".join(_VERSIONED)
    conn.execute(
        f"INSERT INTO article_revisions (article_id, replaced, {columns}) "
        f"SELECT id, ?, {columns} FROM articles WHERE id = ?",
        [replaced, article_id],
    )
