"""Full text (issue 18): summary-only feeds whose entries link to article pages on a real
HTTP server on 127.0.0.1, fetched through the whole pipeline and the command line."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

import pytest

from feedsvc.extract import extract_page
from feedsvc.fulltext import not_an_article, page_is_better, summary_reason
from feedsvc.models import Config
from feedsvc.pipeline import backfill_pages, fetch_sources

from .conftest import DATA, wait_for, write_sources
from .feedserver import FeedServer, Reply

PAGES = DATA / "pages"
HTML = {"Content-Type": "text/html; charset=utf-8"}
XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rss(*items: tuple[str, str, str]) -> bytes:
    """A feed of (title, link, summary) entries."""
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<guid>{escape(link)}</guid><description>{escape(summary)}</description>"
        "<pubDate>Fri, 03 May 2024 06:15:00 GMT</pubDate></item>"
        for title, link, summary in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Courier</title><link>http://127.0.0.1/</link>{entries}</channel></rss>"
            ).encode()


def page(name: str) -> Reply:
    return Reply(200, (PAGES / name).read_bytes(), HTML)


def rows(config: Config, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    with sqlite3.connect(config.database) as conn:
        return conn.execute(sql, params).fetchall()


def sources(project: Path, *feeds: tuple[str, str], fetch: str = "", **extra: object) -> Config:
    return write_sources(project, [{"name": name, "url": url, "full_text": "auto", **extra}
                                   for name, url in feeds], fetch)


EN_SUMMARY = "The harbour reopened on Friday morning after three days of closure…"
ZH_SUMMARY = "联合国秘书长古特雷斯期待中国允许巴切莱特访问新疆。"


def test_summary_only_feed_archives_the_whole_articles(project: Path,
                                                       feed_server: FeedServer) -> None:
    en = feed_server.serve("/2024/05/harbour-reopens", page("fulltext_en.html"))
    zh = feed_server.serve("/world/guterres.html", page("fulltext_zh.html"))
    feed = feed_server.serve("/feed", Reply(200, rss(
        ("Harbour reopens after three-day storm", en, EN_SUMMARY),
        ("古特雷斯期待中国允许巴切莱特访问新疆", zh, ZH_SUMMARY)), XML))
    config = sources(project, ("Courier", feed))
    (report,) = fetch_sources(config, now=NOW)
    assert (report.new, report.error) == (2, None)
    assert "article pages: 2 text used" in report.notes
    by_title = {title: (html, text, origin, url) for title, html, text, origin, url in rows(
        config, "SELECT title, content_html, content_text, text_origin, canonical_url "
        "FROM articles")}
    html, text, origin, url = by_title["Harbour reopens after three-day storm"]
    assert origin == "page"
    for words in ("divers had checked the breakwater", "twenty years",
                  "cleared.", "Fishing boats leaving the harbour on Friday morning."):
        assert words in text  # every paragraph, and the caption
    for chrome in ("cookies", "Share on", "Related stories", "Storm warning", "Glad the ferry",
                   "Most read", "morning briefing", "Privacy", "Advertisement", "Home"):
        assert chrome not in text
    assert f'src="{feed_server.base}/images/harbour.jpg"' in html  # lazy image made real
    assert "<script" not in html and "onclick" not in html
    assert url == f"{feed_server.base}/2024/05/harbour-reopens"  # the page's canonical
    html, text, origin, url = by_title["古特雷斯期待中国允许巴切莱特访问新疆"]
    assert origin == "page"
    assert "不受阻碍的" in text and "职业技能教育培训中心" in text
    for chrome in ("Cookie", "分享到", "相关新闻", "读者评论", "热门文章", "版权所有", "首页"):
        assert chrome not in text
    # og:url, tracking parameter removed: what dedup keys on
    assert url == "https://news.example.cn/world/20220206/guterres.html"


def test_search_json_and_export_say_where_the_text_came_from(
        project: Path, feed_server: FeedServer, cli) -> None:
    en = feed_server.serve("/a", page("fulltext_en.html"))
    config = sources(project, ("Courier", feed_server.serve("/feed", Reply(200, rss(
        ("Harbour reopens after three-day storm", en, EN_SUMMARY)), XML))))
    fetch_sources(config, now=NOW)
    import json
    result = cli("search", "breakwater", "--json")
    assert [hit["text_origin"] for hit in json.loads(result.output)] == ["page"]
    result = cli("export")
    assert json.loads(result.output.splitlines()[0])["text_origin"] == "page"
    result = cli("stats", "--json")
    assert json.loads(result.output)["from_pages"] == 1


def test_a_paywalled_page_keeps_the_feed_text(project: Path, feed_server: FeedServer) -> None:
    summary = ("The port authority has drawn up a plan to double the cargo terminal's capacity "
               "by 2030, according to documents seen by the Courier.")
    link = feed_server.serve("/2024/05/cargo-plan", page("paywall.html"))
    config = sources(project, ("Courier", feed_server.serve("/feed", Reply(200, rss(
        ("Inside the port's new cargo plan", link, summary)), XML))))
    (report,) = fetch_sources(config, now=NOW)
    assert report.new == 1
    ((text, origin),) = rows(config, "SELECT content_text, text_origin FROM articles")
    assert (text, origin) == (summary, "feed")
    ((status, reason),) = rows(config, "SELECT status, reason FROM pages")
    assert status == "kept_feed" and "paywall" in reason


def test_robots_disallow_keeps_the_feed_text_and_ignore_opts_out(
        project: Path, feed_server: FeedServer) -> None:
    feed_server.serve("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /private/\n",
                                           {"Content-Type": "text/plain"}))
    link = feed_server.serve("/private/harbour", page("fulltext_en.html"))
    feed = feed_server.serve("/feed", Reply(200, rss(("Harbour", link, EN_SUMMARY)), XML))
    config = sources(project, ("Courier", feed))
    fetch_sources(config, now=NOW)
    assert feed_server.seen("/private/harbour") == []
    assert rows(config, "SELECT text_origin FROM articles") == [("feed",)]
    assert rows(config, "SELECT status FROM pages") == [("disallowed",)]

    # robots: ignore, for a site the user may mirror: a second source, same feed, same page
    config = write_sources(project, [{"name": "Mine", "url": feed + "?again",
                                      "full_text": "auto", "robots": "ignore"}])
    feed_server.serve("/feed?again", Reply(200, rss(("Harbour", link, EN_SUMMARY)), XML))
    fetch_sources(config, now=NOW + timedelta(hours=1))
    assert len(feed_server.seen("/private/harbour")) == 1
    assert rows(config, "SELECT text_origin FROM articles") == [("page",)]


def test_a_missing_page_is_retried_with_backoff_then_given_up(
        project: Path, feed_server: FeedServer) -> None:
    link = feed_server.base + "/gone"  # nothing served: 404
    feed = feed_server.serve("/feed", Reply(200, rss(("Harbour", link, EN_SUMMARY)), XML))
    config = sources(project, ("Courier", feed))
    fetch_sources(config, now=NOW)
    assert rows(config, "SELECT text_origin, content_text FROM articles") == [
        ("feed", EN_SUMMARY)]  # kept, with the feed's text
    ((status, attempts, next_try, reason),) = rows(
        config, "SELECT status, attempts, next_try, reason FROM pages")
    assert (status, attempts, next_try) == ("retry", 1, "2026-03-01T12:15:00Z")
    assert "404 Not Found" in reason
    fetch_sources(config, now=NOW + timedelta(minutes=5))  # not yet due
    assert len(feed_server.seen("/gone")) == 1
    when = NOW
    for delay in (timedelta(minutes=16), timedelta(hours=2), timedelta(hours=7),
                  timedelta(hours=25), timedelta(days=3)):
        when += delay
        fetch_sources(config, now=when)
    assert len(feed_server.seen("/gone")) == 4  # a few times, then no more
    assert rows(config, "SELECT status, attempts FROM pages") == [("failed", 4)]
    assert rows(config, "SELECT text_origin FROM articles") == [("feed",)]


def test_an_unchanged_entry_never_fetches_its_page_again(project: Path,
                                                         feed_server: FeedServer) -> None:
    link = feed_server.serve("/a", page("fulltext_en.html"))
    feed = feed_server.serve("/feed", Reply(200, rss(("Harbour", link, EN_SUMMARY)), XML))
    config = sources(project, ("Courier", feed))
    for hours in range(3):
        fetch_sources(config, now=NOW + timedelta(hours=hours))
    assert len(feed_server.seen("/a")) == 1


def test_the_per_host_limit_holds_with_many_entries_of_one_site(
        project: Path, feed_server: FeedServer) -> None:
    active, most = 0, 0
    lock = threading.Lock()
    body = (PAGES / "fulltext_en.html").read_bytes()

    def slow_page(_headers: dict[str, str]) -> Reply:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.1)
        with lock:
            active -= 1
        return Reply(200, body, HTML)

    links = [feed_server.serve(f"/story/{n}", slow_page) for n in range(12)]
    feed = feed_server.serve("/feed", Reply(200, rss(
        *((f"Story {n}", link, f"Summary {n}.") for n, link in enumerate(links))), XML))
    config = sources(project, ("Courier", feed),
                     fetch="fetch:\n  per_host: 2\n  concurrency: 16\n")
    (report,) = fetch_sources(config, now=NOW)
    assert sum(len(feed_server.seen(f"/story/{n}")) for n in range(12)) == 12
    assert most == 2  # all 12 wanted at once; never more than two at the host
    assert len(feed_server.seen("/robots.txt")) == 1  # asked once, not once per page
    assert report.error is None


def test_a_tracking_redirect_to_a_canonical_page_dedups_across_feeds(
        project: Path, feed_server: FeedServer) -> None:
    story = feed_server.serve("/2024/05/harbour-reopens", page("fulltext_en.html"))
    tracked = feed_server.serve("/r?id=81&utm_source=feed", Reply(
        302, b"", {"Location": "/2024/05/harbour-reopens?utm_campaign=x"}))
    feed_server.serve("/2024/05/harbour-reopens?utm_campaign=x", page("fulltext_en.html"))
    direct = feed_server.serve("/direct", Reply(200, rss(("Harbour reopens", story,
                                                          EN_SUMMARY)), XML))
    tracking = feed_server.serve("/tracking", Reply(200, rss(("Harbour reopens", tracked,
                                                              EN_SUMMARY)), XML))
    config = sources(project, ("Direct", direct), ("Aggregator", tracking))
    fetch_sources(config, now=NOW)
    assert rows(config, "SELECT count(*), min(canonical_url) FROM articles") == [
        (1, story)]


def test_full_text_never_and_always(project: Path, feed_server: FeedServer) -> None:
    link = feed_server.serve("/a", page("fulltext_en.html"))
    long_text = "A complete article in the feed, about something else. " * 7  # not a summary
    feed = feed_server.serve("/feed", Reply(200, rss(("Harbour", link, long_text)), XML))
    config = sources(project, ("Courier", feed), full_text="never")
    fetch_sources(config, now=NOW)
    assert feed_server.seen("/a") == []
    other = feed_server.serve("/feed2", Reply(200, rss(("Harbour", link, long_text)), XML))
    config = write_sources(project, [{"name": "Always", "url": other, "full_text": "always"}])
    fetch_sources(config, now=NOW)
    # fetched, but the page's text does not hold the feed's: the feed's stays
    assert len(feed_server.seen("/a")) == 1
    assert rows(config, "SELECT text_origin FROM articles") == [("feed",)]  # one article
    ((status, reason),) = rows(config, "SELECT status, reason FROM pages")
    assert status == "kept_feed" and "holds only" in reason


def story_page(n: int) -> bytes:
    """The English article page, as story ``n`` (its own canonical URL)."""
    body = (PAGES / "fulltext_en.html").read_bytes()
    return body.replace(b"/2024/05/harbour-reopens", f"/story/{n}".encode())


def test_backfill_resumes_after_being_killed(project: Path, feed_server: FeedServer) -> None:
    links = [feed_server.serve(f"/story/{n}", Reply(200, story_page(n), HTML, delay=0.3))
             for n in range(8)]
    feed = feed_server.serve("/feed", Reply(200, rss(
        *((f"Story {n}", link, EN_SUMMARY) for n, link in enumerate(links))), XML))
    config = sources(project, ("Courier", feed), full_text="never",
                     fetch="fetch:\n  per_host: 1\n")
    fetch_sources(config, now=NOW)  # summaries archived, no page fetched
    assert rows(config, "SELECT count(*) FROM articles WHERE text_origin = 'feed'") == [(8,)]
    sources(project, ("Courier", feed), fetch="fetch:\n  per_host: 1\n")  # now: auto
    command = [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"),
               "backfill"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for(lambda: rows(config, "SELECT count(*) FROM pages")[0][0] >= 2,
                 what="two pages stored")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = rows(config, "SELECT count(*) FROM articles WHERE text_origin = 'page'")[0][0]
    assert 2 <= done < 8
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert f"{8 - done} pages: {8 - done} whole articles kept" in result.stdout
    assert rows(config, "SELECT count(*) FROM articles WHERE text_origin = 'page'") == [(8,)]
    fetched = sum(len(feed_server.seen(f"/story/{n}")) for n in range(8))
    assert fetched <= 8 + 1  # at most the page in flight when killed is fetched again
    again = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "no archived summaries left" in again.stdout


def test_backfill_report_counts(project: Path, feed_server: FeedServer) -> None:
    link = feed_server.serve("/a", page("fulltext_en.html"))
    feed = feed_server.serve("/feed", Reply(200, rss(("Harbour", link, EN_SUMMARY)), XML))
    config = sources(project, ("Courier", feed), full_text="never")
    fetch_sources(config, now=NOW)
    config = sources(project, ("Courier", feed))
    report = backfill_pages(config, ["Courier", "Nope"], now=NOW)
    assert (report.wanted, report.outcomes["used"], report.articles.updated) == (1, 1, 1)
    assert report.unknown == ["Nope"]


@pytest.mark.parametrize(("text", "usual", "expected"), [
    ("Short lede.", None, "short"),
    ("联合国秘书长古特雷斯期待中国允许人权高专访问新疆。", None, "short"),
    ("A long enough paragraph about the harbour. " * 10, None, None),
    ("A long enough paragraph about the harbour. " * 10 + "Read more", None, "truncation"),
    ("A long enough paragraph about the harbour. " * 10 + "[…]", None, "truncation"),
    ("联合国秘书长古特雷斯期待中国允许人权高专访问新疆。" * 5 + "阅读全文", None, "truncation"),
    ("A long enough paragraph about the harbour. " * 10, 8000, "much shorter"),
    ("A long enough paragraph about the harbour. " * 10, 600, None),
], ids=["short-latin", "short-cjk", "long", "read-more", "bracketed", "cjk-read-all",
        "shorter-than-usual", "usual"])
def test_what_counts_as_a_summary(text: str, usual: int | None, expected: str | None) -> None:
    reason = summary_reason(text, usual)
    assert (reason is None) if expected is None else (expected in (reason or ""))


@pytest.mark.parametrize(("title", "text", "free", "expected"), [
    ("Harbour reopens", "The harbour reopened. " * 100, True, None),
    ("Harbour reopens", "The harbour reopened. Subscribe to continue reading.", True, "paywall"),
    ("Harbour reopens", "The harbour reopened on Friday.", False, "paywall"),
    ("Before you continue", "We use cookies and data to deliver our services.", True, "cookie"),
    ("Sign in", "Please log in to continue.", True, "login"),
    ("404", "Sorry, the page you requested cannot be found.", True, "error"),
    ("页面不存在", "您访问的页面不存在。", True, "error"),
    ("港口重开", "订阅后阅读全文。", True, "paywall"),
    # an article that talks about subscriptions is still an article
    ("Why paywalls fail", "Readers who subscribe to continue reading... " + "x " * 1000, True,
     None),
], ids=["article", "paywall-text", "not-free", "consent", "login", "error", "error-zh",
        "paywall-zh", "long-article"])
def test_pages_that_are_not_the_article(title: str, text: str, free: bool,
                                        expected: str | None) -> None:
    found = extract_page(f"<html><head><title>{title}</title></head><body><p>x</p></body>")
    found.free = free
    reason = not_an_article(found, text)
    assert (reason is None) if expected is None else expected in (reason or "")


def test_the_fuller_text_wins_only_when_it_holds_the_feeds() -> None:
    feed = "The harbour reopened on Friday after three days of closure…"
    page = "The harbour reopened on Friday after three days of closure, officials said. " * 5
    assert page_is_better(feed, page) is None
    assert "not longer" in (page_is_better(page, feed) or "")
    unrelated = "A story about something else entirely, at length. " * 10
    assert "holds only" in (page_is_better(feed, unrelated) or "")


def test_a_busy_host_does_not_hold_up_another(feed_server: FeedServer) -> None:
    """Requests waiting for their host's slot hold no global slot meanwhile."""
    import asyncio

    from feedsvc.fetch import Fetcher
    from feedsvc.models import FetchConfig

    other = FeedServer("127.0.0.2").start()
    try:
        slow = [feed_server.serve(f"/slow/{n}", Reply(200, b"x", delay=0.3)) for n in range(5)]
        quick = other.serve("/quick", Reply(200, b"y"))
        finished: dict[str, float] = {}

        async def run() -> None:
            async with Fetcher(FetchConfig(concurrency=2, per_host=1)) as fetcher:
                async def one(url: str) -> None:
                    await fetcher.fetch(url)
                    finished[url] = time.monotonic()
                await asyncio.gather(*(one(url) for url in [*slow, quick]))

        asyncio.run(run())
    finally:
        other.stop()
    assert finished[quick] < min(finished[url] for url in slow)


def test_an_article_from_its_page_is_never_replaced_by_a_summary(
        project: Path, feed_server: FeedServer) -> None:
    """The entry changes, the page is refetched and is now behind a wall (or gone): the
    whole article stays."""
    answers = [page("fulltext_en.html"), page("paywall.html"), Reply(404, b"")]
    link = feed_server.serve("/a", lambda _headers: answers[0])
    feed = feed_server.serve("/feed", lambda _headers: Reply(200, rss(
        ("Harbour reopens", link, EN_SUMMARY + f" ({len(answers)})")), XML))
    config = sources(project, ("Courier", feed))
    fetch_sources(config, now=NOW)
    ((whole,),) = rows(config, "SELECT content_text FROM articles")
    assert "breakwater" in whole
    for hours in (1, 2):
        answers.pop(0)  # the entry's text changes each time: its page is fetched again
        fetch_sources(config, now=NOW + timedelta(hours=hours))
        assert rows(config, "SELECT content_text, text_origin FROM articles") == [
            (whole, "page")]
    assert len(feed_server.seen("/a")) == 3
