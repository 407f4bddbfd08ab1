"""Fetching sources from a real HTTP server on 127.0.0.1, through the whole pipeline."""

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from feedsvc.config import load_config
from feedsvc.fetch import parse_retry_after
from feedsvc.models import Config
from feedsvc.pipeline import fetch_sources, publish_site
from feedsvc.schedule import Selection, backoff_seconds

from .conftest import DATA, write_sources
from .feedserver import FeedServer, Reply

FEEDS = DATA / "feeds"
RSS = (FEEDS / "rss2.xml").read_bytes()
ATOM = (FEEDS / "atom.xml").read_bytes()
JSON = (FEEDS / "feed.json").read_bytes()
XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAST = "fetch:\n  timeout: 1s\n"


def one_source(project: Path, url: str, fetch: str = FAST, **extra: object) -> Config:
    return write_sources(project, [{"name": "Test Source", "url": url, **extra}], fetch)


def rows(config: Config, sql: str) -> list[tuple]:
    with sqlite3.connect(config.database) as conn:
        return conn.execute(sql).fetchall()


def test_rss2_entries_are_archived_clean(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve("/rss", Reply(200, RSS, XML)), tags=["wire"])
    (report,) = fetch_sources(config, now=NOW)
    assert (report.new, report.error) == (3, None)
    articles = dict(rows(config, "SELECT title, canonical_url FROM articles"))
    assert articles["Harbour reopens after storm"] == "https://wire.example.org/2024/harbour"
    # A relative link resolves against the feed's own URL (its base), like feedparser does.
    assert articles["Ferry timetable changes"] == feed_server.base + "/2024/ferry"
    assert articles["Notice without a link"] is None
    ((html, tags, author, published, source),) = rows(
        config, "SELECT content_html, tags, author, published, source FROM articles "
        "WHERE title LIKE 'Harbour%'")
    assert "<script" not in html and "Ad</div>" not in html
    assert 'src="https://wire.example.org/img/boats.jpg"' in html
    assert tags == '["wire", "weather", "ports"]'
    assert (author, published, source) == ("Jane Reporter", "2024-05-03T06:15:00Z", "Test Source")
    ((ferry,),) = rows(config, "SELECT content_html FROM articles WHERE title LIKE 'Ferry%'")
    assert f'href="{feed_server.base}/timetable"' in ferry  # against the entry link
    ((undated,),) = rows(config, "SELECT published FROM articles WHERE title LIKE 'Notice%'")
    assert undated == "2026-03-01T12:00:00Z"  # no date in the feed: the fetch time


def test_refetch_is_unchanged_and_guid_identity_holds(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve("/rss", Reply(200, RSS, XML)))
    fetch_sources(config, now=NOW)
    (again,) = fetch_sources(config, selection=Selection.FORCE, now=NOW + timedelta(hours=1))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert rows(config, "SELECT uid FROM articles WHERE url IS NULL") == [
        ("guid:test-source:notice-42",)]


def test_entries_a_feed_repeats_are_not_prepared_again(project: Path,
                                                       feed_server: FeedServer) -> None:
    """The server ignores conditional requests: the same entries come back. They are known
    by their fingerprint and only marked as seen; a new entry or a changed source setting
    is prepared and stored as usual."""
    url = feed_server.serve("/rss", Reply(200, RSS, XML))
    config = one_source(project, url)
    fetch_sources(config, now=NOW)
    # The archive's copy differs from what preparing the entry would give: if the entry were
    # prepared again, this would turn into an edit (a new revision). It stays as it is.
    with sqlite3.connect(config.database) as conn:
        conn.execute("UPDATE articles SET content_html = '<p>kept</p>' "
                     "WHERE title LIKE 'Harbour%'")
    later = NOW + timedelta(hours=1)
    (again,) = fetch_sources(config, selection=Selection.FORCE, now=later)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert rows(config, "SELECT count(*) FROM articles WHERE last_seen = "
                        "'2026-03-01T13:00:00Z'") == [(3,)]
    assert rows(config, "SELECT content_html FROM articles WHERE title LIKE 'Harbour%'") == [
        ("<p>kept</p>",)]
    extra = (b"<item><title>Fresh story</title><link>https://wire.example.org/fresh</link>"
             b"<description>New.</description></item></channel>")
    feed_server.serve("/rss", Reply(200, RSS.replace(b"</channel>", extra), XML))
    (third,) = fetch_sources(config, selection=Selection.FORCE, now=later)
    assert (third.new, third.updated, third.unchanged) == (1, 0, 3)
    config = one_source(project, url, tags=["wire"])  # new source tags: every entry changes
    (fourth,) = fetch_sources(config, selection=Selection.FORCE, now=later)
    assert (fourth.new, fourth.updated, fourth.unchanged) == (0, 4, 0)
    assert {t for (t,) in rows(config, "SELECT tags FROM articles")} >= {'["wire"]'}


def test_an_entry_the_archive_refuses_costs_only_that_entry(project: Path,
                                                             feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve("/rss", Reply(200, RSS, XML)))
    fetch_sources(config, names=["nothing"], now=NOW)  # creates the archive, fetches nothing
    with sqlite3.connect(config.database) as conn:  # a real constraint, in the real database
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN new.title LIKE "
                     "'Ferry%' BEGIN SELECT RAISE(ABORT, 'refused by a local rule'); END")
    (report,) = fetch_sources(config, now=NOW)
    assert (report.new, report.error) == (2, None)
    assert any("entry not stored" in n and "refused by a local rule" in n for n in report.notes)
    titles = {t for (t,) in rows(config, "SELECT title FROM articles")}
    assert titles == {"Harbour reopens after storm", "Notice without a link"}
    with sqlite3.connect(config.database) as conn:
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")


def test_atom_with_xml_base(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve(
        "/atom", Reply(200, ATOM, {"Content-Type": "application/atom+xml"})))
    (report,) = fetch_sources(config, now=NOW)
    assert report.new == 1
    ((url, lang, html, published),) = rows(
        config, "SELECT url, lang, content_html, published FROM articles")
    assert url == "https://blog.example.net/posts/1"
    assert lang == "zh-Hans"
    assert "第二段全文内容" in html  # the fullest body (content, not the summary)
    assert 'href="https://blog.example.net/about"' in html
    assert published == "2024-05-04T02:00:00Z"


def test_json_feed(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve(
        "/feed.json", Reply(200, JSON, {"Content-Type": "application/feed+json"})))
    (report,) = fetch_sources(config, now=NOW)
    assert report.new == 2
    got = dict(rows(config, "SELECT title, content_html FROM articles"))
    assert "<iframe" not in got["First JSON item"]
    assert got["Text only, no URL"] == "<p>Plain text paragraph one.</p><p>Paragraph two.</p>"


def test_gbk_feed_comes_out_as_correct_text(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve(
        "/gbk", Reply(200, (FEEDS / "gbk.xml").read_bytes(),
                      {"Content-Type": "text/xml; charset=GBK"})))
    (report,) = fetch_sources(config, now=NOW)
    assert report.new == 1
    ((title, text),) = rows(config, "SELECT title, content_text FROM articles")
    assert title == "古特雷斯期待中国允许人权专员赴疆访问"
    assert "他期待人权专员访问新疆。镕" in text


def test_conditional_get_answers_304(project: Path, feed_server: FeedServer) -> None:
    def route(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, RSS, {**XML, "ETag": '"v1"', "Last-Modified": "Fri, 03 May 2024 08:00:00 GMT"})

    config = one_source(project, feed_server.serve("/rss", route))
    fetch_sources(config, now=NOW)
    (second,) = fetch_sources(config, selection=Selection.FORCE, now=NOW + timedelta(hours=1))
    first_headers, second_headers = feed_server.seen("/rss")
    assert "if-none-match" not in first_headers
    assert second_headers["if-none-match"] == '"v1"'
    assert second_headers["if-modified-since"] == "Fri, 03 May 2024 08:00:00 GMT"
    assert second_headers["user-agent"].startswith("feedsvc/")
    assert (second.status, second.new, second.unchanged) == ("304", 0, 0)
    assert rows(config, "SELECT max(last_seen) FROM articles") == [("2026-03-01T12:00:00Z",)]


def test_a_second_fetch_is_conditional_and_skips_only_sources_in_backoff(
        project: Path, feed_server: FeedServer) -> None:
    """Issue 17: ``fetch`` right after ``fetch`` sends conditional requests (it does not
    wait for the interval: that is ``--due``); a source waiting out a failure or a
    Retry-After is skipped unless forced; a source removed from the config is not fetched."""
    def route(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, RSS, {**XML, "ETag": '"v1"'})

    config = write_sources(project, [
        {"name": "Fine", "url": feed_server.serve("/fine", route)},
        {"name": "Busy", "url": feed_server.serve("/busy", Reply(429, b"", {"Retry-After": "600"}))},
        {"name": "Gone soon", "url": feed_server.serve("/gone", Reply(200, ATOM, XML))},
    ])
    fetch_sources(config, now=NOW)
    later = NOW + timedelta(minutes=1)
    again = {r.source: r for r in fetch_sources(config, now=later)}
    assert again["Fine"].status == "304"
    assert feed_server.seen("/fine")[-1]["if-none-match"] == '"v1"'
    assert again["Busy"].status == "skipped" and len(feed_server.seen("/busy")) == 1
    due = {r.source: r for r in fetch_sources(config, selection=Selection.DUE, now=later)}
    assert due["Fine"].status == "skipped" and len(feed_server.seen("/fine")) == 2
    forced = {r.source: r for r in fetch_sources(config, selection=Selection.FORCE, now=later)}
    assert forced["Busy"].status == "error" and len(feed_server.seen("/busy")) == 2
    # Removed from the config: no longer fetched, its articles and feed stay.
    gone = len(feed_server.seen("/gone"))
    config = write_sources(project, [{"name": "Fine", "url": feed_server.serve("/fine", route)}])
    reports = fetch_sources(config, selection=Selection.FORCE, now=later)
    assert [r.source for r in reports] == ["Fine"] and len(feed_server.seen("/gone")) == gone
    assert rows(config, "SELECT count(*) FROM articles WHERE source = 'Gone soon'")[0][0] > 0
    publish_site(config)
    assert (project / "archive" / "public" / "sources" / "gone-soon.xml").exists()


def test_permanent_redirect_updates_the_feed_url(project: Path, feed_server: FeedServer) -> None:
    new_url = feed_server.serve("/new", Reply(200, RSS, XML))
    config = one_source(project, feed_server.serve("/old", Reply(301, b"", {"Location": new_url})))
    (report,) = fetch_sources(config, now=NOW)
    assert report.new == 3
    assert any("moved permanently" in note for note in report.notes)
    assert rows(config, "SELECT url FROM sources") == [(new_url,)]
    fetch_sources(config, selection=Selection.FORCE, now=NOW)
    assert len(feed_server.seen("/old")) == 1 and len(feed_server.seen("/new")) == 2


def test_temporary_redirect_keeps_the_url(project: Path, feed_server: FeedServer) -> None:
    target = feed_server.serve("/target", Reply(200, RSS, XML))
    url = feed_server.serve("/temp", Reply(302, b"", {"Location": target}))
    config = one_source(project, url)
    fetch_sources(config, now=NOW)
    assert rows(config, "SELECT url FROM sources") == [(url,)]


def test_410_disables_the_source(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve("/gone", Reply(410, b"gone")))
    (report,) = fetch_sources(config, now=NOW)
    assert "410 Gone" in (report.error or "")
    (skipped,) = fetch_sources(config, now=NOW + timedelta(days=1))
    assert skipped.status == "skipped" and "disabled" in skipped.notes[0]
    assert len(feed_server.seen("/gone")) == 1


def test_429_honours_retry_after(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve(
        "/busy", Reply(429, b"slow down", {"Retry-After": "7200"})))
    (report,) = fetch_sources(config, now=NOW)
    assert report.error and "HTTP 429" in report.error
    assert rows(config, "SELECT next_due, failures FROM sources") == [("2026-03-01T14:00:00Z", 1)]
    (skipped,) = fetch_sources(config, now=NOW + timedelta(hours=1))
    assert skipped.status == "skipped"
    assert len(feed_server.seen("/busy")) == 1


def test_failures_back_off_and_survive_a_restart(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve("/broken", Reply(500, b"oops")), every="10m")
    fetch_sources(config, now=NOW)
    fetch_sources(config, selection=Selection.FORCE, now=NOW)
    # A new process reads the backoff from the database.
    config = load_config(project / "config.yaml")
    ((failures, next_due),) = rows(config, "SELECT failures, next_due FROM sources")
    assert failures == 2
    wait = datetime.fromisoformat(next_due.replace("Z", "+00:00")) - NOW
    assert timedelta(minutes=15) <= wait <= timedelta(minutes=25)  # 2 x 10 min, +-25 %


@pytest.mark.parametrize("spread", [0.0, 0.5, 1.0], ids=["low", "middle", "high"])
def test_backoff_grows_and_is_capped(spread: float) -> None:
    """Doubling from the interval per consecutive failure, +-25 %, capped at a day: each
    wait within its band (a constant, a linear or an uncapped backoff fails this)."""
    rng = random.Random()
    rng.uniform = lambda low, high: low + (high - low) * spread  # type: ignore[method-assign]
    for failures in range(1, 14):
        expected = min(600 * 2 ** (failures - 1), 86400) * (0.75 + 0.5 * spread)
        assert backoff_seconds(failures, 600, rng) == pytest.approx(expected), failures
    assert backoff_seconds(1, 600, rng) < backoff_seconds(2, 600, rng) < \
        backoff_seconds(3, 600, rng)


def test_timeout_is_an_error_and_others_still_fetch(project: Path, feed_server: FeedServer) -> None:
    slow = feed_server.serve("/slow", Reply(200, RSS, XML, delay=2.5))
    fine = feed_server.serve("/fine", Reply(200, ATOM, {"Content-Type": "application/atom+xml"}))
    config = write_sources(project, [{"name": "Slow", "url": slow}, {"name": "Fine", "url": fine}],
                           FAST)
    reports = {r.source: r for r in fetch_sources(config, now=NOW)}
    assert "timed out after 1 s" in (reports["Slow"].error or "")
    assert reports["Fine"].new == 1


def test_oversized_body_is_refused(project: Path, feed_server: FeedServer) -> None:
    config = one_source(project, feed_server.serve("/big", Reply(200, RSS * 20, XML)),
                        fetch="fetch:\n  max_bytes: 10KB\n")
    (report,) = fetch_sources(config, now=NOW)
    assert "larger than max_bytes" in (report.error or "")
    assert rows(config, "SELECT count(*) FROM articles") == [(0,)]


def test_gzip_body_and_limit_after_decoding(project: Path, feed_server: FeedServer) -> None:
    padded = RSS.replace(b"<channel>", b"<channel><!--" + b" " * 200_000 + b"-->")
    config = write_sources(project, [
        {"name": "Zipped", "url": feed_server.serve("/z", Reply(200, RSS, XML, gzip=True))},
        {"name": "Bomb", "url": feed_server.serve("/bomb", Reply(200, padded, XML, gzip=True))},
    ], "fetch:\n  max_bytes: 100KB\n")
    reports = {r.source: r for r in fetch_sources(config, now=NOW)}
    assert reports["Zipped"].new == 3
    assert "larger than max_bytes" in (reports["Bomb"].error or "")
    assert len(padded) > 100 * 1024 > len(__import__("gzip").compress(padded))


def test_malformed_feed_is_reported_and_harms_nothing(project: Path, feed_server: FeedServer) -> None:
    config = write_sources(project, [
        {"name": "Good", "url": feed_server.serve("/good", Reply(200, RSS, XML))},
        {"name": "Junk", "url": feed_server.serve("/junk", Reply(200, b"<html><p>not a feed", XML))},
    ], FAST)
    fetch_sources(config, now=NOW)
    reports = {r.source: r for r in fetch_sources(config, selection=Selection.FORCE, now=NOW)}
    assert "not a feed" in (reports["Junk"].error or "")
    assert reports["Good"].unchanged == 3
    assert rows(config, "SELECT count(*) FROM articles") == [(3,)]


def test_dead_server_is_an_error(project: Path) -> None:
    config = one_source(project, "http://127.0.0.1:9/feed")
    (report,) = fetch_sources(config, now=NOW)
    assert report.error and "cannot connect" in report.error and "Error" not in report.error


def test_hostile_entry_is_sanitized_in_the_published_feed(project: Path,
                                                          feed_server: FeedServer) -> None:
    hostile = RSS.replace(b"<p>The harbour reopened on Friday.</p>",
                          b"<p onclick=\"alert(1)\">The harbour reopened on Friday.</p>"
                          b"<img src=x onerror=alert(2)><a href=\"javascript:alert(3)\">x</a>")
    config = one_source(project, feed_server.serve("/rss", Reply(200, hostile, XML)))
    fetch_sources(config, now=NOW)
    publish_site(config)
    parsed = feedparser.parse(Path(config.public.dir, "sources", "test-source.xml").read_bytes())
    assert not parsed.bozo
    content = next(e for e in parsed.entries if e.title.startswith("Harbour")).content[0].value
    assert "The harbour reopened on Friday." in content
    for bad in ("onclick", "onerror", "javascript:", "<script"):
        assert bad not in content


def test_named_sources_and_unknown_names(project: Path, feed_server: FeedServer) -> None:
    config = write_sources(project, [
        {"name": "One", "url": feed_server.serve("/1", Reply(200, RSS, XML))},
        {"name": "Two", "url": feed_server.serve("/2", Reply(200, ATOM, XML))},
    ])
    reports = fetch_sources(config, ["Two", "Three"], now=NOW)
    assert sorted((r.source, r.status) for r in reports) == [("Three", "error"), ("Two", "200")]
    assert feed_server.seen("/1") == []


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), ("Sun, 01 Mar 2026 13:00:00 GMT", 3600.0), ("soon", None), (None, None)])
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds
