"""The archive as a website (issue 19): article pages, listing pages, the front page, feeds
that link to the pages and open as pages in a browser."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections import deque
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import html5lib
import lxml.html
import pytest

from feedsvc.models import Config
from feedsvc.pipeline import ingest_paths, publish_site
from feedsvc.text import html_to_text
from feedsvc.urls import ascii_url
from feedsvc.webpath import article_path

from .conftest import SAMPLE_FILES, SEED_POST, SEED_WIRE, copy_into, free_port, wait_for


@pytest.fixture
def site(config: Config, inbox: Path) -> Config:
    copy_into(inbox, SEED_POST, SEED_WIRE, *SAMPLE_FILES)
    ingest_paths(config)
    publish_site(config)
    return config


def articles(config: Config) -> list[tuple[str, str | None, str, str]]:
    with sqlite3.connect(config.database) as conn:
        rows = conn.execute("SELECT uid, coalesce(canonical_url, url), title, content_html "
                            "FROM articles").fetchall()
    # the words a reader reads (image alt text is in content_text for search, not on screen)
    return [(uid, url, title, html_to_text(html, media_text=False))
            for uid, url, title, html in rows]


def crawl(public: Path, start: str = "index.html") -> set[str]:
    """Every page reached from ``start`` by relative links, as a visitor would."""
    seen, queue = {start}, deque([start])
    while queue:
        page = queue.popleft()
        root = lxml.html.fromstring((public / page).read_bytes())
        for link in root.iter("a"):
            href = link.get("href") or ""
            if not href or urlsplit(href).scheme or href.startswith("#"):
                continue  # elsewhere, or the same page
            target = os.path.normpath(os.path.join(os.path.dirname(page), unquote(
                urlsplit(href).path)))
            if target.endswith(".html") and target not in seen and (public / target).is_file():
                seen.add(target)
                queue.append(target)
    return seen


def test_every_article_has_a_page_reachable_from_the_front_page(site: Config) -> None:
    public = Path(site.public.dir)
    reached = crawl(public)
    stored = articles(site)
    assert len(stored) == 39  # the seeds and samples, two of them the same article
    for uid, url, title, text in stored:
        path = article_path(uid, url)
        assert path in reached, (title, path)
        page = (public / path).read_text(encoding="utf-8")
        root = lxml.html.fromstring(page)
        assert "<script" not in page.lower()
        assert root.findtext(".//h1").strip() == title
        shown = "".join(root.find(".//div[@class='content']").text_content().split())
        for paragraph in text.split("\n\n"):  # every paragraph, spacing aside
            assert "".join(paragraph.split()) in shown, (title, paragraph)
        if url:
            assert ascii_url(url) in [a.get("href") for a in root.iter("a")]


def test_pages_are_well_formed_html5_with_a_strict_policy(site: Config) -> None:
    public = Path(site.public.dir)
    pages = sorted(public.rglob("*.html"))
    assert len(pages) > 41
    parser = html5lib.HTMLParser(strict=True)
    for page in pages:
        data = page.read_bytes()
        parser.parse(data)  # raises on the first parse error
        root = lxml.html.fromstring(data)
        policy = root.find(".//meta[@http-equiv='Content-Security-Policy']")
        assert policy is not None and "default-src 'none'" in policy.get("content"), page
        assert root.find(".//script") is None
        # no request elsewhere but the articles' own images
        for element in root.iter("link", "script", "iframe", "object", "embed"):
            href = element.get("href") or element.get("src") or ""
            assert not href.startswith(("http:", "https:", "//")) or element.get("rel") in (
                "alternate",), (page, href)


def test_pages_are_byte_identical_across_publishes(site: Config) -> None:
    public = Path(site.public.dir)
    before = {p: p.read_bytes() for p in public.rglob("*") if p.is_file()}
    assert publish_site(site).written == []
    assert {p: p.read_bytes() for p in public.rglob("*") if p.is_file()} == before


def test_article_page_in_the_readers_terms(site: Config) -> None:
    public = Path(site.public.dir)
    seed = next(a for a in articles(site) if "1239866" in (a[1] or ""))
    root = lxml.html.fromstring((public / article_path(seed[0], seed[1])).read_bytes())
    assert root.get("lang") == "zh-Hans"
    time = root.find(".//time")
    assert time.get("datetime") == "2022-02-06T00:33:00Z"
    assert time.text == "2022-02-06 08:33 UTC+8"
    links = {a.text: a.get("href") for a in root.iter("a")}
    assert links["联合早报"] == "../../sources/%E8%81%94%E5%90%88%E6%97%A9%E6%8A%A5.html"


def test_listing_pages_follow_the_feeds_pages(config: Config, inbox: Path) -> None:
    (Path(config.path).parent / "config.yaml").write_text(
        Path(config.path).read_text(encoding="utf-8").replace(
            "entries_per_feed: 50", "entries_per_feed: 5"), encoding="utf-8")
    from feedsvc.config import load_config

    config = load_config(config.path)
    copy_into(inbox, *SAMPLE_FILES[:23])
    ingest_paths(config)
    publish_site(config)
    public = Path(config.public.dir)
    # 23 articles, 5 a page: 3 archive pages and a subscription document of 8
    assert sorted(p.name for p in (public / "all").glob("*.html")) == ["1.html", "2.html",
                                                                      "3.html"]
    top = lxml.html.fromstring((public / "all.html").read_bytes())
    assert len(top.findall(".//ol/li")) == len(feedparser.parse(
        (public / "all.xml").read_bytes()).entries) == 8
    older = top.find(".//nav[@class='pager']/a[@rel='next']")
    assert older.get("href") == "all/3.html"
    first = lxml.html.fromstring((public / "all" / "1.html").read_bytes())
    assert first.find(".//nav[@class='pager']/a[@rel='next']") is None
    assert first.find(".//nav[@class='pager']/a[@rel='prev']").get("href") == "2.html"


def test_feeds_link_to_the_archived_pages_and_the_originals(site: Config) -> None:
    public = Path(site.public.dir)
    base = site.public.base_url
    feed = feedparser.parse((public / "all.xml").read_bytes())
    pages = {article_path(uid, url) for uid, url, _, _ in articles(site)}
    for entry in feed.entries:
        assert entry.link.startswith(base)
        assert unquote(entry.link.removeprefix(base)) in pages
    assert sum(1 for e in feed.entries for link in e.links if link.rel == "via") == sum(
        1 for a in articles(site) if a[1])
    import json

    items = json.loads((public / "all.json").read_text(encoding="utf-8"))["items"]
    assert all(unquote(item["url"].removeprefix(base)) in pages for item in items)
    assert {item.get("external_url") for item in items} - {None} == {
        e.links[1].href for e in feed.entries if len(e.links) > 1}


def test_a_browser_gets_a_page_and_a_reader_the_feed(site: Config) -> None:
    from starlette.testclient import TestClient

    from feedsvc.server import create_app

    client = TestClient(create_app(site.public.dir))
    feed = (Path(site.public.dir) / "all.xml").read_bytes()
    for headers in ({}, {"Accept": "application/atom+xml"}, {"User-Agent": "newsboat/2.30"},
                    {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9"}):
        answer = client.get("/all.xml", headers=headers)
        assert answer.status_code == 200 and answer.content == feed
    browser = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate",
               "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for path in ("/all.xml", "/all.json", "/sources/afp.xml"):
        answer = client.get(path, headers=browser, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == path.rsplit(".", 1)[0] + ".html"
    assert client.get("/sources/afp.xml", headers=browser).text.count("<li") >= 1


CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(n)), None)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (CI installs it: "
                                             "apt-get install chromium)")
def test_chromium_shows_a_feed_url_as_a_page_with_the_titles(site: Config) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "feedsvc", "--config", site.path, "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        import httpx

        wait_for(lambda: _up(httpx, port), what="feedsvc serve")
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
             f"http://127.0.0.1:{port}/all.xml"], capture_output=True, text=True, timeout=120,
            check=True).stdout
    finally:
        server.terminate()
        server.wait(10)
    root = lxml.html.fromstring(dom)
    shown = {" ".join(h.text_content().split()) for h in root.iter("h2")}
    titles = {" ".join(e.title.split()) for e in feedparser.parse(
        (Path(site.public.dir) / "all.xml").read_bytes()).entries}
    assert titles <= shown


def _up(httpx: object, port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200  # type: ignore[attr-defined]
    except Exception:
        return False


def test_search_results_link_to_the_archived_pages(site: Config) -> None:
    from starlette.testclient import TestClient

    from feedsvc.searchweb import search_site
    from feedsvc.server import create_app

    client = TestClient(create_app(site.public.dir, search=search_site(site)))
    pages = {article_path(uid, url) for uid, url, _, _ in articles(site)}
    root = lxml.html.fromstring(client.get("/search", params={"q": "新疆"}).content)
    linked = [unquote(h2.find("a").get("href")) for h2 in root.iter("h2")]
    assert linked and set(linked) <= pages
    feed = feedparser.parse(client.get("/search.xml", params={"q": "新疆"}).content)
    assert {unquote(e.link.removeprefix(site.public.base_url)) for e in feed.entries} == set(
        linked)
    browser = client.get("/search.xml", params={"q": "新疆"}, follow_redirects=False,
                         headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"})
    assert browser.status_code == 303 and browser.headers["location"].startswith("search?q=")
