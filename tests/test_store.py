"""Deduplication against the canonical source URL, edits kept as revisions, real SQLite."""

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feedsvc import archive, schema, store
from feedsvc.errors import StoreError
from feedsvc.models import Article, Config
from feedsvc.pipeline import ingest_paths
from feedsvc.prepare import prepare_article

from .conftest import SAMPLES, SEED_POST, SEED_WIRE, copy_into

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = datetime(2026, 1, 3, 3, 4, 5, tzinfo=UTC)


def rows(config: Config, sql: str) -> list[tuple]:
    with sqlite3.connect(config.database) as conn:
        return conn.execute(sql).fetchall()


def post(url: str, body: str, title: str = "A title") -> str:
    return (f'---\ntitle: "{title}"\ndate: 2024-01-01T00:00:00Z\nauthor: Desk\nfrom: {url}\n'
            f"tags: [ Desk ]\n---\n\n<p>{body}</p>\n")


def test_same_article_twice_is_one_row(config: Config, inbox: Path) -> None:
    copy_into(inbox, SEED_POST)
    first = ingest_paths(config, now=NOW)
    second = ingest_paths(config, now=LATER)
    assert (first.new, first.unchanged) == (1, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 1)
    assert rows(config, "SELECT count(*), min(first_seen), max(last_seen) FROM articles") == [
        (1, "2026-01-02T03:04:05Z", "2026-01-03T03:04:05Z")]


def test_tracking_decorated_url_is_the_same_article(config: Config, inbox: Path) -> None:
    (inbox / "a.md").write_text(post("https://news.example.org/story/1", "Same text."))
    (inbox / "b.md").write_text(post(
        "HTTPS://News.Example.org:443/story/1?utm_source=rss&fbclid=x#comments", "Same text."))
    report = ingest_paths(config, now=NOW)
    assert (report.new, report.unchanged) == (1, 1)
    assert rows(config, "SELECT canonical_url FROM articles") == [
        ("https://news.example.org/story/1",)]


def test_changed_content_updates_and_keeps_the_earlier_version(config: Config, inbox: Path) -> None:
    path = inbox / "a.md"
    path.write_text(post("https://news.example.org/story/2", "First version."))
    ingest_paths(config, now=NOW)
    path.write_text(post("https://news.example.org/story/2", "Corrected version.", "New title"))
    report = ingest_paths(config, now=LATER)
    assert report.updated == 1
    assert rows(config, "SELECT title, content_text, revision, published, updated FROM articles") == [
        ("New title", "Corrected version.", 2, "2024-01-01T00:00:00Z", "2026-01-03T03:04:05Z")]
    assert rows(config, "SELECT title, content_text, revision, replaced FROM article_revisions") == [
        ("A title", "First version.", 1, "2026-01-03T03:04:05Z")]


def test_stale_copy_of_an_earlier_version_does_not_flip_the_article(config: Config, inbox: Path) -> None:
    """Sample 36 is the seed re-titled: ingesting both again and again settles."""
    copy_into(inbox, SEED_POST, SAMPLES / "36_nodenews_seed1_twin_retitled_archived.md")
    first = ingest_paths(config, now=NOW)
    again = ingest_paths(config, now=LATER)
    assert (first.new, first.updated) == (1, 1)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    assert rows(config, "SELECT count(*) FROM article_revisions") == [(1,)]


def test_article_without_url_gets_a_stable_identity(config: Config, inbox: Path) -> None:
    copy_into(inbox, SEED_WIRE)
    ingest_paths(config, now=NOW)
    (inbox / "copy-of-wire.txt").write_bytes(SEED_WIRE.read_bytes())
    report = ingest_paths(config, now=LATER)
    assert (report.new, report.unchanged) == (0, 2)
    ((uid, url, source),) = rows(config, "SELECT uid, url, source FROM articles")
    assert uid.startswith("urn:sha256:") and url is None and source == "AFP"


def test_failures_are_reported_and_the_rest_archived(config: Config, inbox: Path) -> None:
    copy_into(inbox, SEED_POST, SEED_WIRE)
    (inbox / "empty.md").write_bytes(b"")
    (inbox / "image.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 8)
    report = ingest_paths(config, [inbox, Path(config.inbox) / "missing"], now=NOW)
    assert report.new == 2
    reasons = dict(report.failures)
    assert reasons[str(inbox / "empty.md")] == "empty file"
    assert reasons[str(inbox / "image.jpg")] == "binary data, not an article"
    assert reasons[str(inbox / "missing")] == "no such file or folder"


def test_save_is_all_or_nothing_per_article(config: Config) -> None:
    """An article whose save fails half-way (its tags refused by a trigger, after its row
    was written) leaves nothing behind; the article saved before it in the same
    transaction stays whole."""
    db = archive.open_archive(config.database)
    kept = prepare_article(Article(title="Kept", content_html="<p>x</p>", source="S",
                                   url="https://x.org/1"))
    failing = prepare_article(Article(title="T", content_html="<p>y</p>", source="S",
                                      url="https://x.org/2", tags=["a"]))
    db.execute("CREATE TRIGGER refuse_tags BEFORE INSERT ON article_tags "
               "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    with db.transaction():
        store.save_article(db, kept, NOW)
        with pytest.raises((StoreError, sqlite3.Error)), db.savepoint():
            store.save_article(db, failing, NOW)
    assert db.execute("SELECT uid FROM articles").fetchall() == [(kept.uid,)]
    assert db.execute("SELECT count(*) FROM article_tags").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM tags").fetchone() == (0,)  # the tag row too
    db.close()


def test_schema_is_versioned_and_reopens(config: Config) -> None:
    archive.open_archive(config.database).close()
    db = archive.open_archive(config.database)
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert set(db.table_names()) >= {"sources", "articles", "tags", "article_tags",
                                     "article_revisions"}
    db.close()


def test_chinese_names_get_safe_distinct_slugs(config: Config) -> None:
    db = archive.open_archive(config.database)
    with db.transaction():
        ids = store.ensure_tags(db, ["联合早报", "News", "news", "../etc/passwd", "a/b", "!!!"])
    slugs = [db.execute("SELECT slug FROM tags WHERE id = ?", [i]).fetchone()[0] for i in ids]
    db.close()
    assert slugs[0] == "联合早报"
    assert len(set(slugs)) == len(slugs)
    for slug in slugs:
        assert "/" not in slug and ".." not in slug and slug.strip() == slug and slug
