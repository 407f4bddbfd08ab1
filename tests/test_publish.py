"""Feeds as a reader sees them: fetched over HTTP from 127.0.0.1 and parsed by feedparser."""

import functools
import sqlite3
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree as ET

import feedparser
import pytest
from bs4 import BeautifulSoup

from feedsvc.atom import entry_id
from feedsvc.models import Config
from feedsvc.pipeline import ingest_paths, publish_site

from .conftest import SAMPLE_FILES, SEED_POST, SEED_WIRE, copy_into


@pytest.fixture
def published(config: Config, inbox: Path) -> Config:
    copy_into(inbox, SEED_POST, SEED_WIRE, *SAMPLE_FILES[:12])
    ingest_paths(config)
    publish_site(config)
    return config


@pytest.fixture
def server(published: Config) -> Iterator[str]:
    """The public folder served by a real HTTP server on 127.0.0.1."""
    handler = functools.partial(QuietHandler, directory=published.public.dir)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def served_path(config: Config, file: Path) -> str:
    return "/".join(quote(part) for part in file.relative_to(config.public.dir).parts)


def feed_files(config: Config) -> list[Path]:
    """The feeds of articles (not sources-health.xml, the operator's feed of problems,
    empty while every source is well: tests/test_subscriptions.py reads it)."""
    return sorted(p for p in Path(config.public.dir).rglob("*.xml")
                  if p.name != "sources-health.xml")


def test_every_feed_parses_without_bozo_over_http(published: Config, server: str) -> None:
    files = feed_files(published)
    assert len(files) > 3
    for file in files:
        url = server + served_path(published, file)
        parsed = feedparser.parse(url)
        assert parsed.get("status") == 200, url
        assert not parsed.bozo, (file, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
        assert parsed.entries


def test_all_feed_holds_every_article_with_its_fields(published: Config) -> None:
    parsed = feedparser.parse(Path(published.public.dir, "all.xml").read_bytes())
    assert len(parsed.entries) == 14  # 2 seeds + 12 samples, all distinct URLs
    titles = {e.title for e in parsed.entries}
    assert "联合国秘书长期待中国允许人权专员赴疆展开可信访问" in titles
    seed = next(e for e in parsed.entries if e.title.startswith("联合国秘书长期待"))
    # a reader opens the archived page; the original is the via link (issue 19)
    assert seed.link == published.public.base_url + \
        "articles/zaobao.com/story20220206-1239866-8e27852565.html"
    assert [link.href for link in seed.links if link.rel == "via"] == [
        "https://www.zaobao.com/realtime/china/story20220206-1239866"]
    assert seed.author == "联合早报"
    assert [t.term for t in seed.tags] == ["联合早报"]
    assert seed.published.startswith("2022-02-06T00:33:00")
    content = seed.content[0]
    assert content.type == "text/html"
    assert "<p>联合国秘书长古特雷斯昨天" in content.value
    assert "dfp-ad" not in content.value and "&lt;p&gt;" not in content.value
    # Archive order, newest arrival first: the order the feed's history pages are cut in.
    with sqlite3.connect(published.database) as db:
        uids = [row[0] for row in db.execute("SELECT uid FROM articles ORDER BY id DESC")]
    assert [e.id for e in parsed.entries] == [entry_id(uid) for uid in uids]


def test_ids_and_links_are_ascii_and_self_links_match(published: Config) -> None:
    for file in feed_files(published):
        parsed = feedparser.parse(file.read_bytes())
        self_link = next(link.href for link in parsed.feed.links if link.rel == "self")
        assert self_link.isascii()
        relative = unquote(urlsplit(self_link).path).lstrip("/")
        assert Path(published.public.dir, relative) == file
        assert parsed.feed.id.isascii()
        for entry in parsed.entries:
            assert entry.id.isascii() and entry.id.startswith("urn:uuid:")
            if "link" in entry:
                assert entry.link.isascii()


def test_entry_ids_are_stable_across_republish_and_reingest(published: Config) -> None:
    def ids() -> dict[str, str]:
        parsed = feedparser.parse(Path(published.public.dir, "all.xml").read_bytes())
        return {e.title: e.id for e in parsed.entries}

    before = ids()
    Path(published.database).unlink()  # even a rebuilt archive gives the same ids
    for suffix in ("-wal", "-shm"):
        Path(published.database + suffix).unlink(missing_ok=True)
    ingest_paths(published)
    publish_site(published)
    assert ids() == before


def test_unchanged_feeds_are_not_rewritten(published: Config, inbox: Path) -> None:
    stamps = {f: f.stat().st_mtime_ns for f in feed_files(published)}
    report = publish_site(published)
    assert report.written == []
    assert {f: f.stat().st_mtime_ns for f in feed_files(published)} == stamps
    # One new article of a new source: only the feeds it is in change.
    copy_into(inbox, SAMPLE_FILES[20])
    ingest_paths(published)
    report = publish_site(published)
    assert "all.xml" in report.written
    # Atom, JSON Feed, the web page
    assert len([p for p in report.written if p.startswith("sources/")]) == 3
    assert not any(Path(published.public.dir, ".").glob(".*.tmp"))


def test_opml_lists_every_feed(published: Config) -> None:
    opml = ET.parse(Path(published.public.dir, "feeds.opml"))
    urls = {o.get("xmlUrl") for o in opml.iter("outline") if o.get("xmlUrl")}
    expected = {published.public.base_url + served_path(published, f)
                for f in feed_files(published)}
    assert urls == expected
    assert all(o.get("title") for o in opml.iter("outline") if o.get("xmlUrl"))


def test_index_has_autodiscovery_for_each_feed(published: Config) -> None:
    soup = BeautifulSoup(Path(published.public.dir, "index.html").read_bytes(), "lxml")
    links = soup.find_all("link", rel="alternate", type="application/atom+xml")
    assert len(links) == len(feed_files(published))
    assert all(link["href"].isascii() and link.get("title") for link in links)
    assert soup.find("a", href="feeds.opml") is not None
