"""Edits and vanishings (issue 20): material edits only, readable diffs, re-checks at the
outlet on a front-loaded schedule, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.html
import pytest

from feedsvc.diff import diff_versions
from feedsvc.models import Config
from feedsvc.pipeline import fetch_sources, ingest_paths, publish_site, recheck_articles
from feedsvc.webpath import article_path

from .conftest import DATA, SAMPLE_FILES, copy_into, write_sources
from .feedserver import FeedServer, Reply

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
PAGE = (DATA / "pages" / "fulltext_en.html").read_text(encoding="utf-8")
SENTENCE = "Officials expect traffic to return to normal by Monday"
EDITED = "Officials now expect traffic to return to normal by Wednesday"


def rows(config: Config, sql: str) -> list[tuple]:
    with sqlite3.connect(config.database) as conn:
        return conn.execute(sql).fetchall()


# --- material edits only --------------------------------------------------------------------

def noisy(text: str) -> str:
    """The same article as a re-fetch may give it: other whitespace and markup, tracking
    parameters on its links, a relative time label."""
    text = text.replace("<p>", '<p class="x-2024">\n  ').replace("</p>", " </p>")
    text = re.sub(r'href="(https?://[^"?]+)"', r'href="\1?utm_source=rss&amp;utm_medium=x"',
                  text)
    return text.rstrip("\n") + '\n<p class="ago">Updated 5 hours ago</p>\n'


def test_a_refetch_of_the_samples_makes_no_revision_and_one_word_one(
        config: Config, inbox: Path) -> None:
    copy_into(inbox, *SAMPLE_FILES)
    first = ingest_paths(config)
    assert first.failed == 0
    revisions = rows(config, "SELECT count(*) FROM article_revisions")[0][0]
    for sample in SAMPLE_FILES:  # the same files again, as a re-fetch gives them
        (inbox / sample.name).write_text(noisy(sample.read_text(encoding="utf-8")),
                                         encoding="utf-8")
    again = ingest_paths(config)
    assert (again.new, again.updated, again.failed) == (0, 0, 0)
    assert rows(config, "SELECT count(*) FROM article_revisions")[0][0] == revisions
    # One word changed in one article: exactly one revision, and one change with its diff.
    target = next(s for s in SAMPLE_FILES if "economist" in s.name)
    text = target.read_text(encoding="utf-8")
    (inbox / target.name).write_text(text.replace("remarkable", "surprising", 1),
                                     encoding="utf-8")
    third = ingest_paths(config)
    assert (third.new, third.updated) == (0, 1)
    assert rows(config, "SELECT count(*) FROM article_revisions")[0][0] == revisions + 1
    ((diff,),) = rows(config, "SELECT diff_html FROM changes WHERE kind = 'edited' AND "
                              "revision = (SELECT max(revision) FROM articles)"
                              " ORDER BY id DESC LIMIT 1")
    assert "<del>remarkable</del><ins>surprising</ins>" in diff


def test_diffs_are_by_word_for_latin_and_by_character_for_chinese() -> None:
    english = diff_versions(("T", None, "One.\n\nThe harbour reopened on Friday.\n\nThree."),
                            ("T", None, "One.\n\nThe harbour reopened on Saturday.\n\nThree."))
    (changed,) = [b for b in english.blocks if b.kind == "changed"]
    assert [(p.kind, p.text) for p in changed.parts] == [
        ("same", "The harbour reopened on "), ("del", "Friday"), ("ins", "Saturday"),
        ("same", ".")]
    assert [b.unchanged for b in english.blocks if b.kind == "same"] == [1, 1]
    chinese = diff_versions(("标题", None, "古特雷斯昨天告诉中国。"),
                            ("标题", None, "古特雷斯今天告诉中国。"))
    assert [(p.kind, p.text) for p in chinese.blocks[0].parts] == [
        ("same", "古特雷斯"), ("del", "昨"), ("ins", "今"), ("same", "天告诉中国。")]


# --- re-checks against a real server --------------------------------------------------------

@pytest.fixture
def watched(project: Path, feed_server: FeedServer) -> tuple[Config, FeedServer, str]:
    """A summary feed whose article page is fetched (its text from the page), archived at
    NOW; the page's answer can be changed with ``server.answer``."""
    answer = [Reply(200, PAGE.encode(), HTML)]
    link = feed_server.serve("/2024/05/harbour-reopens", lambda _h: answer[0])
    feed_server.answer = answer  # type: ignore[attr-defined]
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Courier</title>'
            f"<item><title>Harbour reopens after three-day storm</title><link>{link}</link>"
            "<description>The harbour reopened on Friday morning…</description></item>"
            "</channel></rss>").encode()
    config = write_sources(project, [{
        "name": "Courier", "full_text": "auto",
        "url": feed_server.serve("/feed", Reply(200, feed, XML))}], "fetch:\n  timeout: 1s\n")
    fetch_sources(config, now=NOW)
    assert rows(config, "SELECT text_origin FROM articles") == [("page",)]
    return config, feed_server, link


def page_says(server: FeedServer, text: str) -> None:
    server.answer[0] = Reply(200, text.encode(), HTML)  # type: ignore[attr-defined]


def test_an_edited_page_gives_one_revision_and_a_diff_everywhere(
        watched: tuple[Config, FeedServer, str], cli) -> None:
    config, server, _ = watched
    page_says(server, PAGE.replace(SENTENCE, EDITED))
    outcomes = recheck_articles(config, now=NOW + timedelta(minutes=31))
    assert outcomes == {"edited": 1}
    assert rows(config, "SELECT revision FROM articles") == [(2,)]
    assert rows(config, "SELECT count(*) FROM article_revisions") == [(1,)]
    publish_site(config)
    public = Path(config.public.dir)
    ((uid, url),) = rows(config, "SELECT uid, coalesce(canonical_url, url) FROM articles")
    page = (public / article_path(uid, url)).read_text(encoding="utf-8")
    history = lxml.html.fromstring(page).find(".//section[@class='history']")
    inserted = [e.text for e in history.iter("ins")]
    deleted = [e.text for e in history.iter("del")]
    assert inserted == [" now", "Wednesday"] and deleted == ["Monday"]
    shown = cli("history", url)
    assert "[-Monday-]{+Wednesday+}" in shown.output and "{+ now+}" in shown.output
    data = json.loads(cli("history", url, "--json").output)
    assert len(data["edits"]) == 1 and data["vanished"] == []
    changes = feedparser.parse((public / "changes.xml").read_bytes())
    (entry,) = changes.entries
    assert entry.title.startswith("Edited: ")
    assert "<del>Monday</del>" in entry.content[0].value
    assert entry.link == config.public.base_url + article_path(uid, url)
    source_changes = feedparser.parse((public / "sources" / "courier" / "changes.xml").read_bytes())
    assert len(source_changes.entries) == 1
    assert "changes.xml" in (public / "feeds.opml").read_text(encoding="utf-8")
    assert 'href="changes.html"' in (public / "index.html").read_text(encoding="utf-8")


def test_a_markup_only_change_is_no_revision(watched: tuple[Config, FeedServer, str]) -> None:
    config, server, _ = watched
    page_says(server, PAGE.replace("<p>", '<p class="lead" data-x="1">').replace(
        "by Monday</a>", "by Monday</a> "))
    assert recheck_articles(config, now=NOW + timedelta(minutes=31)) == {"unchanged": 1}
    assert rows(config, "SELECT revision, vanished_at FROM articles") == [(1, None)]


def test_a_page_turned_404_is_gone_and_still_archived_and_published(
        watched: tuple[Config, FeedServer, str]) -> None:
    config, server, _ = watched
    server.answer[0] = Reply(404, b"not found")  # type: ignore[attr-defined]
    assert recheck_articles(config, now=NOW + timedelta(minutes=31)) == {"gone": 1}
    ((vanished, reason, text),) = rows(config, "SELECT vanished_at, vanished_reason, "
                                                "content_text FROM articles")
    assert vanished == "2026-03-01T12:31:00Z" and reason == "gone: HTTP 404 Not Found"
    assert "divers had checked the breakwater" in text  # the content is kept
    publish_site(config)
    public = Path(config.public.dir)
    (entry,) = feedparser.parse((public / "all.xml").read_bytes()).entries
    assert "No longer at its outlet" in entry.content[0].value
    assert "divers had checked the breakwater" in entry.content[0].value
    ((uid, url),) = rows(config, "SELECT uid, coalesce(canonical_url, url) FROM articles")
    page = (public / article_path(uid, url)).read_text(encoding="utf-8")
    assert "No longer at its outlet" in page and "breakwater" in page
    # vanished: no more checks
    assert rows(config, "SELECT next_check FROM rechecks") == [(None,)]
    assert recheck_articles(config, now=NOW + timedelta(days=2)) == {}


def test_a_redirect_to_the_front_page_is_redirected_away(
        watched: tuple[Config, FeedServer, str]) -> None:
    config, server, _ = watched
    server.answer[0] = Reply(302, b"", {"Location": "/"})  # type: ignore[attr-defined]
    server.serve("/", Reply(200, b"<html><body><h1>Courier</h1><p>Front page</p></body></html>",
                            HTML))
    assert recheck_articles(config, now=NOW + timedelta(minutes=31)) == {"redirected away": 1}
    assert rows(config, "SELECT vanished_reason FROM articles")[0][0].startswith(
        "redirected away")


def test_a_timeout_or_a_server_error_marks_nothing(
        watched: tuple[Config, FeedServer, str]) -> None:
    config, server, _ = watched
    server.answer[0] = Reply(200, PAGE.encode(), HTML, delay=2)  # type: ignore[attr-defined]
    assert recheck_articles(config, now=NOW + timedelta(minutes=31)) == {"error": 1}
    server.answer[0] = Reply(503, b"busy")  # type: ignore[attr-defined]
    assert recheck_articles(config, now=NOW + timedelta(minutes=40)) == {"error": 1}
    assert rows(config, "SELECT vanished_at, revision FROM articles") == [(None, 1)]
    ((step, next_check, error),) = rows(config, "SELECT step, next_check, last_error "
                                                "FROM rechecks")
    assert step == 0 and next_check == "2026-03-01T13:40:00Z" and "503" in error


def test_the_schedule_is_followed(watched: tuple[Config, FeedServer, str]) -> None:
    config, server, _ = watched
    assert rows(config, "SELECT next_check FROM rechecks") == [("2026-03-01T12:30:00Z",)]
    # 30 min, 2 h, 6 h, 24 h, 3 d, 7 d, 30 d after first seen: a look a minute before each
    # finds nothing due, a look at it checks once
    fetched = []
    for minutes in (30, 120, 360, 1440, 4320, 10080, 43200):
        for offset in (minutes - 1, minutes, minutes + 1):
            before = len(server.seen("/2024/05/harbour-reopens"))
            recheck_articles(config, due_only=True, now=NOW + timedelta(minutes=offset))
            if len(server.seen("/2024/05/harbour-reopens")) > before:
                fetched.append(offset)
    assert fetched == [30, 120, 360, 1440, 4320, 10080, 43200]
    assert rows(config, "SELECT next_check, checks FROM rechecks") == [(None, 7)]
    # conditional after the first: the page's ETag or date is sent back when it had one
    assert all("if-none-match" not in h for h in server.seen("/2024/05/harbour-reopens")[:1])


def test_a_step_that_keeps_finding_no_evidence_moves_on(
        watched: tuple[Config, FeedServer, str]) -> None:
    """At most three requests a step for an unreachable page: then the next step."""
    config, server, _ = watched
    server.answer[0] = Reply(503, b"busy")  # type: ignore[attr-defined]
    for minutes in (31, 92, 153):
        assert recheck_articles(config, now=NOW + timedelta(minutes=minutes)) == {"error": 1}
    assert rows(config, "SELECT step, next_check, errors, vanished_at FROM rechecks "
                        "JOIN articles ON articles.id = rechecks.article_id") == [
        (1, "2026-03-01T15:33:00Z", 0, None)]  # the 2 h step (already past: in an hour)
