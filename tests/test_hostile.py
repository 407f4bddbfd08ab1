"""Hostile markup: every XSS vector of the corpus, raw and escaped, in every field of a fetched
feed and of an inbox file. Nothing executable may reach any published document: Atom, JSON
Feed, OPML, the index, the search page and feed, or the browser view of a feed."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest
import yaml
from lxml import etree

from feedsvc.models import Config
from feedsvc.pipeline import fetch_sources, ingest_paths, publish_site

from .conftest import write_sources
from .feedserver import FeedServer, Reply
from .hostile import executable_parts, hostile_rss, xss_vectors

VECTORS = xss_vectors()


def test_the_corpus_is_large_and_the_check_catches_it() -> None:
    assert len(VECTORS) >= 100
    # The check is not vacuous: most raw vectors are flagged as they stand. (The rest are
    # only dangerous in a context we never produce, or once a sanitizer mangles them.)
    assert sum(1 for v in VECTORS if executable_parts(v)) >= 130
    assert executable_parts('<p>fine <a href="https://ok.example/">link</a></p>') == []


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Config:
    project = tmp_path_factory.mktemp("hostile")
    server = FeedServer().start()
    try:
        url = server.serve("/hostile.rss", Reply(200, hostile_rss(),
                                                 {"Content-Type": "application/rss+xml"}))
        config = write_sources(project, [{"name": VECTORS[1] + " source", "url": url}])
        (report,) = fetch_sources(config)
        assert report.error is None and report.new >= len(VECTORS)
    finally:
        server.stop()
    inbox = Path(config.inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    for n, vector in enumerate(VECTORS):
        front = yaml.safe_dump({"title": vector, "author": vector, "tags": [vector, "xss"],
                                "url": f"https://files.example/{n}"}, allow_unicode=True)
        (inbox / f"{n:03d}.md").write_text(f"---\n{front}---\nStory {n}.\n\n{vector}\n",
                                           encoding="utf-8")
    report = ingest_paths(config)
    assert report.failed == 0 and report.new == len(VECTORS)
    publish_site(config)
    return config


def documents(config: Config, pattern: str) -> list[Path]:
    found = sorted(Path(config.public.dir).rglob(pattern))
    assert found
    return found


def test_nothing_executable_in_any_atom_document(hostile_site: Config) -> None:
    checked = 0
    for file in documents(hostile_site, "*.xml"):
        # As a reader that trusts us sees it: feedparser with its own sanitizer off.
        parsed = feedparser.parse(file.read_bytes(), sanitize_html=False,
                                  resolve_relative_uris=False)
        assert not parsed.bozo, file
        assert executable_parts(parsed.feed.get("title", "")) == [], file
        for entry in parsed.entries:
            fields = [entry.get("title", ""), entry.get("summary", ""),
                      entry.get("author", ""),
                      *(c.value for c in entry.get("content", [])),
                      *(t.get("term") or "" for t in entry.get("tags", [])),
                      *(t.get("label") or "" for t in entry.get("tags", []))]
            for value in fields:
                assert executable_parts(value) == [], (file, entry.get("link"), value[:200])
            checked += 1
    assert checked >= 4 * len(VECTORS)


def test_nothing_executable_in_any_json_feed(hostile_site: Config) -> None:
    for file in documents(hostile_site, "*.json"):
        document = json.loads(file.read_text(encoding="utf-8"))
        assert executable_parts(document["title"]) == []
        for item in document["items"]:
            values = [item.get("title", ""), item.get("summary", ""), item["content_html"],
                      *(a["name"] for a in item.get("authors", [])), *item.get("tags", [])]
            for value in values:
                assert executable_parts(value) == [], (file, item.get("url"), value[:200])


def test_nothing_executable_in_the_index_opml_or_browser_view(hostile_site: Config) -> None:
    public = Path(hostile_site.public.dir)
    assert executable_parts((public / "index.html").read_text(encoding="utf-8"),
                            page=True) == []
    for outline in ET.parse(public / "feeds.opml").iter("outline"):
        assert executable_parts(outline.get("text", "")) == []
    transform = etree.XSLT(etree.parse(str(public / "feed.xsl")))
    for file in [public / "all.xml", *documents(hostile_site, "tags/*.xml")[:20]]:
        view = str(transform(etree.parse(str(file))))
        assert executable_parts(view, page=True) == [], file


def test_nothing_executable_in_search_results(hostile_site: Config) -> None:
    from starlette.testclient import TestClient

    from feedsvc.searchweb import search_site
    from feedsvc.server import create_app

    client = TestClient(create_app(hostile_site.public.dir, search=search_site(hostile_site)))
    for query in ("alert", "script", "onerror", "javascript", "Story"):
        page = client.get("/search", params={"q": query})
        assert page.status_code == 200 and "<li>" in page.text
        assert executable_parts(page.text, page=True) == [], query
        feed = feedparser.parse(client.get("/search.xml", params={"q": query}).content,
                                sanitize_html=False)
        assert feed.entries
        for entry in feed.entries:
            for value in (entry.title, entry.get("summary", ""),
                          *(c.value for c in entry.get("content", []))):
                assert executable_parts(value) == [], (query, value[:200])
