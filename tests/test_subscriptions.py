"""Subscriptions as people manage them (issue 21): add by a site's URL, import OPML,
remove, and each source's health, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import lxml.html

from feedsvc.models import Config
from feedsvc.pipeline import publish_site

from .conftest import DATA
from .feedserver import FeedServer, Reply

XML = {"Content-Type": "application/atom+xml"}
RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def atom(title: str, entries: int = 2) -> bytes:
    items = "".join(f"<entry><id>urn:x:{title}:{n}</id><title>{title} {n}</title>"
                    f"<updated>2024-05-0{n + 1}T00:00:00Z</updated><link href='https://"
                    f"example.org/{title.replace(' ', '-')}/{n}'/><content type='html'>{'Words. ' * 80}</content></entry>"
                    for n in range(entries))
    return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{title}'
            f"</title><id>urn:x:{title}</id><updated>2024-05-01T00:00:00Z</updated>{items}"
            "</feed>").encode()


def rows(config: Config, sql: str) -> list[tuple]:
    with sqlite3.connect(config.database) as conn:
        return conn.execute(sql).fetchall()


def test_add_a_site_page_that_links_its_atom_feed(cli, config: Config,
                                                  feed_server: FeedServer) -> None:
    feed_server.serve("/blog/feed.atom", Reply(200, atom("Harbour Blog"), XML))
    page = feed_server.serve("/blog/2024/05/post.html", Reply(200, (
        b'<html><head><link rel="alternate" type="application/atom+xml" title="Blog" '
        b'href="../../feed.atom"></head><body><p>A post.</p></body></html>'), HTML))
    result = cli("add", page, "--tag", "harbour", "--full-text", "never")
    assert result.exit_code == 0, result.output
    assert "1. Harbour Blog (Atom, 2 entries)" in result.output
    assert f"added Harbour Blog: {feed_server.base}/blog/feed.atom" in result.output
    assert "Harbour Blog: 2 new" in result.output  # fetched right away
    assert rows(config, "SELECT name, url, tags FROM subscriptions") == [
        ("Harbour Blog", f"{feed_server.base}/blog/feed.atom", '["harbour"]')]
    again = cli("add", f"{feed_server.base}/blog/feed.atom")
    assert "already a source: Harbour Blog" in again.output
    assert rows(config, "SELECT count(*) FROM subscriptions") == [(1,)]
    listing = cli("sources")
    assert "Harbour Blog (harbour-blog, from archive)" in listing.output
    opml = cli("sources", "--opml").output
    assert f'xmlUrl="{feed_server.base}/blog/feed.atom"' in opml


def test_a_page_without_links_finds_the_usual_place(cli, feed_server: FeedServer) -> None:
    feed_server.serve("/feed", Reply(200, atom("Usual"), XML))
    page = feed_server.serve("/about", Reply(200, b"<html><body>About us</body></html>", HTML))
    result = cli("add", page, "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"1. Usual (Atom, 2 entries)\n   {feed_server.base}/feed" in result.output
    assert "added" not in result.output


def test_a_page_with_no_feed_is_a_one_line_error_naming_what_was_tried(
        cli, feed_server: FeedServer) -> None:
    page = feed_server.serve("/about", Reply(200, b"<html><body>About us</body></html>", HTML))
    result = cli("add", page)
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"feedsvc: error: {page}: no feed found (tried {page}: a web "
                           "page; ")
    for place in ("/feed: HTTP 404 Not Found", "/rss.xml: HTTP 404", "/feed.json: HTTP 404"):
        assert place in line
    assert "Traceback" not in result.output


def test_import_a_readers_opml_export(cli, config: Config, feed_server: FeedServer,
                                      tmp_path: Path) -> None:
    export = tmp_path / "export.opml"
    export.write_text((DATA / "opml" / "reader-export.opml").read_text(encoding="utf-8")
                      .replace("{base}", feed_server.base), encoding="utf-8")
    result = cli("import", str(export))
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "added: Harbour Courier [News]" in lines
    assert "added: 联合早报 · 中国 [News, China]" in lines
    assert "already present: Harbour Courier (as Harbour Courier)" in lines
    assert "invalid: A bookmark, not a feed: no xmlUrl: not a feed subscription" in lines
    assert "added: Wire [agencies, world]" in lines
    assert any(line.startswith("invalid: Gopher: xmlUrl 'gopher://") for line in lines)
    assert lines[-1] == "3 added, 1 already present, 2 invalid"
    again = cli("import", str(export))
    assert again.output.strip().splitlines()[-1] == "0 added, 4 already present, 2 invalid"


def test_remove_keeps_the_articles_and_purge_deletes_them(
        cli, config: Config, feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.atom", Reply(200, atom("Kept", 3), XML))
    assert cli("add", url, "--full-text", "never").exit_code == 0
    assert rows(config, "SELECT count(*) FROM articles") == [(3,)]
    result = cli("remove", "kept")  # by slug
    assert result.exit_code == 0 and "its articles stay in the archive" in result.output
    assert rows(config, "SELECT count(*) FROM subscriptions") == [(0,)]
    assert rows(config, "SELECT count(*) FROM articles") == [(3,)]
    publish_site(config)
    assert (Path(config.public.dir) / "sources" / "kept.xml").exists()  # still published
    before = len(feed_server.seen("/feed.atom"))
    cli("fetch", "--force")  # no longer fetched
    assert len(feed_server.seen("/feed.atom")) == before
    refused = cli("remove", "Kept", "--purge")  # asks; "no" on a closed stdin
    assert refused.exit_code == 1 and rows(config, "SELECT count(*) FROM articles") == [(3,)]
    assert cli("remove", "Kept", "--purge", "--yes").exit_code == 0
    assert rows(config, "SELECT count(*) FROM articles") == [(0,)]
    assert not (Path(config.public.dir) / "sources" / "kept.xml").exists()


def test_the_sources_page_shows_a_failing_source_and_its_chart(
        cli, config: Config, feed_server: FeedServer) -> None:
    good = feed_server.serve("/good.atom", Reply(200, atom("Good", 3), XML))
    assert cli("add", good, "--full-text", "never").exit_code == 0
    failing = feed_server.serve("/bad.atom", Reply(200, atom("Bad", 1), XML))
    assert cli("add", failing, "--full-text", "never").exit_code == 0
    feed_server.serve("/bad.atom", Reply(500, b"oops"))
    cli("fetch", "--force")
    publish_site(config)
    page = lxml.html.fromstring((Path(config.public.dir) / "sources.html").read_bytes())
    bad = page.get_element_by_id("bad")
    assert bad.get("class") == "failing"
    assert "failing since" in bad.text_content() and "HTTP 500 Internal Server Error" in \
        bad.text_content()
    good_row = page.get_element_by_id("good")
    svg = good_row.find(".//svg")
    assert svg is not None and "3 articles in 30 days" in svg.get("aria-label")
    assert len(svg.findall("rect")) == 2  # the base line and today's bar
    import feedparser

    health = feedparser.parse((Path(config.public.dir) / "sources-health.xml").read_bytes())
    assert [e.title for e in health.entries] == ["Bad: failing"]
    front = (Path(config.public.dir) / "index.html").read_text(encoding="utf-8")
    assert 'href="sources.html"' in front


def test_stale_is_silence_much_longer_than_usual() -> None:
    from datetime import UTC, datetime, timedelta

    from feedsvc.health import _state

    now = datetime(2026, 3, 10, tzinfo=UTC)
    last = now - timedelta(days=3)
    hourly = (10, last - timedelta(hours=9), last)  # ten hourly articles, then 3 quiet days
    state, since, words = _state(hourly, "u", "u", None, 0, None, None, now)
    assert state == "stale" and "usually one every 1.0 hours" in words
    assert since == "2026-03-07T00:00:00Z"
    assert _state(hourly, "u", "u", None, 0, None, None, now - timedelta(days=2, hours=12)
                  )[0] == "ok"  # quiet for 12 hours: not yet two days
    daily = (10, now - timedelta(days=10), now - timedelta(days=1))
    assert _state(daily, "u", "u", None, 0, None, None, now)[0] == "ok"
    assert _state(daily, "new", "old", None, 0, None, None, now)[0] == "moved"
