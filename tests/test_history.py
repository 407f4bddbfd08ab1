"""Republishing by the book: RFC 5005 feed history, provenance, language, JSON Feed, XSLT.

A source of several hundred entries is fetched from a real local server; the published
documents are read back as a reader would (feedparser), validated against RFC 4287's RELAX NG
schema, and walked link by link.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import unquote

import feedparser
import lxml.html
import pytest
from lxml import etree

from feedsvc import archive
from feedsvc.atom import entry_id
from feedsvc.history import archive_pages
from feedsvc.models import Config, FeedInfo, FeedPage
from feedsvc.pipeline import fetch_sources, ingest_paths, publish_site
from feedsvc.schedule import Selection

from .conftest import SAMPLE_FILES, copy_into, write_sources
from .feedserver import FeedServer, Reply

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ENTRIES = 333  # five full archive pages of 50, and 83 in the subscription document
XML = {"Content-Type": "application/rss+xml; charset=utf-8"}


def rss(count: int, edited: int | None = None) -> bytes:
    items = []
    for n in range(count):
        body = f"Report number {n} from the harbour, with enough words to be an article."
        if n == edited:
            body += " Corrected: the ferry left at noon."
        when = format_datetime(datetime(2025, 1, 1, tzinfo=UTC).replace(hour=n % 24,
                                                                         day=1 + n // 24))
        items.append(f"<item><title>Report {n}</title><link>https://wire.example.org/r/{n}"
                     f"?utm_source=rss</link><guid>r{n}</guid><pubDate>{when}</pubDate>"
                     f"<category>harbour</category><description>&lt;p&gt;{body}&lt;/p&gt;"
                     f"</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Harbour Wire</title><link>https://wire.example.org/</link>"
            f"<language>en_GB</language><lastBuildDate>Wed, 01 Jan 2025 00:00:00 GMT"
            f"</lastBuildDate>{''.join(items)}</channel></rss>").encode()


@pytest.fixture
def wire(project: Path, feed_server: FeedServer) -> tuple[Config, FeedServer]:
    body = {"rss": rss(ENTRIES)}
    feed_server.serve("/wire.rss", lambda _headers: Reply(200, body["rss"], XML))
    config = write_sources(project, [{"name": "Harbour Wire", "slug": "wire",
                                      "url": feed_server.base + "/wire.rss",
                                      "tags": ["ports"]}])
    (report,) = fetch_sources(config, now=NOW)
    assert (report.new, report.error) == (ENTRIES, None)
    publish_site(config)
    feed_server.body = body  # type: ignore[attr-defined]  # tests change what is served
    return config, feed_server


def local(config: Config, url: str) -> Path:
    """The file a published URL is served from."""
    assert url.startswith(config.public.base_url), url
    return Path(config.public.dir, unquote(url.removeprefix(config.public.base_url)))


def walk(config: Config, path: str) -> list[feedparser.FeedParserDict]:
    """Every document of a feed, from the subscription document along ``prev-archive``."""
    documents = []
    file: Path | None = Path(config.public.dir, path)
    while file is not None:
        parsed = feedparser.parse(file.read_bytes())
        assert not parsed.bozo, (file, parsed.get("bozo_exception"))
        documents.append(parsed)
        links = {link.rel: link.href for link in parsed.feed.links}
        assert local(config, links["self"]) == file
        assert local(config, links["current"]) == Path(config.public.dir, path)
        file = local(config, links["prev-archive"]) if "prev-archive" in links else None
    return documents


def archive_order(config: Config, where: str = "1") -> list[str]:
    with sqlite3.connect(config.database) as db:
        return [entry_id(uid) for (uid,) in
                db.execute(f"SELECT uid FROM articles WHERE {where} ORDER BY id DESC")]


@pytest.mark.parametrize("path", ["all.xml", "sources/wire.xml", "tags/ports.xml",
                                  "tags/harbour.xml"])
def test_walking_prev_archive_recovers_every_entry_once_in_order(
        wire: tuple[Config, FeedServer], path: str) -> None:
    config, _ = wire
    documents = walk(config, path)
    assert len(documents) == 1 + archive_pages(ENTRIES, 50) == 6
    ids = [entry.id for document in documents for entry in document.entries]
    assert ids == archive_order(config)  # every entry, once, newest first
    assert len(documents[0].entries) == ENTRIES - 5 * 50
    assert all(len(d.entries) == 50 for d in documents[1:])
    # The subscription document is not an archive; each archive page says it is one.
    raw = [Path(config.public.dir, path).read_bytes()]
    raw += [local(config, d.feed.links[0].href).read_bytes() for d in documents[1:]]
    assert b"<fh:archive/>" not in raw[0]
    assert all(b"<fh:archive/>" in page for page in raw[1:])


def test_next_archive_links_lead_back_and_the_newest_page_has_none(
        wire: tuple[Config, FeedServer]) -> None:
    config, _ = wire
    pages = [Path(config.public.dir, "all", f"{n}.xml") for n in range(1, 6)]
    for older, newer in itertools.pairwise(pages):
        links = {link.rel: link.href for link in feedparser.parse(older.read_bytes()).feed.links}
        assert local(config, links["next-archive"]) == newer
    newest = {link.rel for link in feedparser.parse(pages[-1].read_bytes()).feed.links}
    assert "next-archive" not in newest and "prev-archive" in newest
    oldest = {link.rel for link in feedparser.parse(pages[0].read_bytes()).feed.links}
    assert "prev-archive" not in oldest


def site_bytes(config: Config) -> dict[str, bytes]:
    root = Path(config.public.dir)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_archive_pages_are_byte_identical_across_publishes(
        wire: tuple[Config, FeedServer]) -> None:
    config, server = wire
    before = site_bytes(config)
    assert publish_site(config).written == []
    assert site_bytes(config) == before
    # A new entry goes to the subscription document; no archive page changes.
    server.body["rss"] = rss(ENTRIES + 1)  # type: ignore[attr-defined]
    (report,) = fetch_sources(config, selection=Selection.FORCE, now=NOW)
    assert report.new == 1
    written = publish_site(config).written
    assert "all.xml" in written and "all.json" in written
    after = site_bytes(config)
    archived = [name for name in before if name.split("/")[-1].split(".")[0].isdigit()]
    # four feeds and the stories feed (each report its own story), five pages, Atom, JSON
    # Feed and HTML
    assert len(archived) == 5 * 5 * 3
    assert all(after[name] == before[name] for name in archived)


def test_a_full_subscription_document_hands_a_page_to_the_archive(
        wire: tuple[Config, FeedServer]) -> None:
    config, server = wire
    before = site_bytes(config)
    server.body["rss"] = rss(350)  # type: ignore[attr-defined]
    fetch_sources(config, selection=Selection.FORCE, now=NOW)
    publish_site(config, changed=None)
    after = site_bytes(config)
    assert "all/6.xml" in after and "all/6.json" in after
    # Pages 1-4 stay as they were; page 5 only gained its next-archive link.
    assert all(after[f"all/{n}.xml"] == before[f"all/{n}.xml"] for n in range(1, 5))
    assert after["all/5.xml"] != before["all/5.xml"]
    assert len(feedparser.parse(after["all.xml"]).entries) == 50
    assert [e.id for p in walk(config, "all.xml") for e in p.entries] == archive_order(config)


def test_an_edited_entry_is_updated_on_its_own_page(wire: tuple[Config, FeedServer]) -> None:
    config, server = wire
    before = site_bytes(config)
    server.body["rss"] = rss(ENTRIES, edited=70)  # type: ignore[attr-defined]
    (report,) = fetch_sources(config, selection=Selection.FORCE, now=NOW.replace(day=2))
    assert report.updated == 1
    publish_site(config)
    after = site_bytes(config)
    changed = {name for name in after if after[name] != before.get(name)}
    # Report 70 is the 71st entry: the second page of every feed it is in.
    assert {"all/2.xml", "sources/wire/2.xml", "tags/ports/2.xml"} <= changed
    assert not any(name.endswith(("/1.xml", "/3.xml", "/4.xml", "/5.xml")) for name in changed)
    entry = next(e for e in feedparser.parse(after["all/2.xml"]).entries
                 if e.title == "Report 70")
    assert "Corrected" in entry.content[0].value
    assert entry.updated.startswith("2026-05-02")
    assert entry.published.startswith("2025-01-03")  # the original publication time stays


def test_incremental_publish_writes_what_a_full_publish_would(
        wire: tuple[Config, FeedServer]) -> None:
    config, server = wire
    server.body["rss"] = rss(351, edited=3)  # type: ignore[attr-defined]
    fetch_sources(config, selection=Selection.FORCE, now=NOW.replace(day=3))
    with sqlite3.connect(config.database) as db:
        changed = [row[0] for row in db.execute(
            "SELECT id FROM articles WHERE updated >= '2026-05-03' OR first_seen >= '2026-05-03'")]
    assert len(changed) == 19  # 18 new entries and one edit
    publish_site(config, changed=changed)
    incremental = site_bytes(config)
    assert publish_site(config).written == []  # a full publish finds nothing to change
    assert site_bytes(config) == incremental


def test_feeds_rendered_by_worker_processes_are_byte_identical(
        wire: tuple[Config, FeedServer]) -> None:
    config, _ = wire
    sequential = site_bytes(config)
    shutil.rmtree(config.public.dir)
    report = publish_site(config, workers=2)  # two processes, one read-only connection each
    assert site_bytes(config) == sequential
    assert len(report.written) == len(sequential)
    with archive.opened(config.database) as db:  # and incremental, in this process
        assert publish_site(config, db, changed=[1, 2, 3]).written == []


def test_entries_carry_provenance_and_language(wire: tuple[Config, FeedServer]) -> None:
    config, server = wire
    tree = etree.parse(str(Path(config.public.dir, "sources", "wire.xml")))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = tree.findall("a:entry", ns)
    assert entries
    for entry in entries:
        # en_GB in the feed is not a language tag; published as the well-formed en-GB.
        assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
        source = entry.find("a:source", ns)
        assert source is not None
        assert source.findtext("a:title", namespaces=ns) == "Harbour Wire"
        assert source.findtext("a:id", namespaces=ns) == server.base + "/wire.rss"
        assert source.findtext("a:updated", namespaces=ns) == "2025-01-01T00:00:00Z"
        links = {link.get("rel"): link.get("href") for link in source.findall("a:link", ns)}
        assert links == {"self": server.base + "/wire.rss",
                         "alternate": "https://wire.example.org/"}
        # alternate: the archived page; via: the original (issue 19)
        alternate = entry.find("a:link[@rel='alternate']", ns)
        assert alternate is not None and alternate.get("type") == "text/html"
        assert alternate.get("href").startswith(
            config.public.base_url + "articles/wire.example.org/")
        via = entry.find("a:link[@rel='via']", ns)
        assert via is not None and via.get("type") == "text/html"
        assert via.get("href").startswith("https://wire.example.org/r/")
        assert "utm_source" not in via.get("href")
    parsed = feedparser.parse(Path(config.public.dir, "sources", "wire.xml").read_bytes())
    assert parsed.entries[0].source.title == "Harbour Wire"


def test_configured_language_wins_and_files_get_a_detected_one(
        project: Path, inbox: Path, feed_server: FeedServer) -> None:
    url = feed_server.serve("/wire.rss", Reply(200, rss(3), XML))
    config = write_sources(project, [{"name": "Harbour Wire", "url": url, "lang": "en-US"}])
    fetch_sources(config, now=NOW)
    copy_into(inbox, *SAMPLE_FILES[:6])
    ingest_paths(config)
    publish_site(config)
    langs: dict[str, set[str | None]] = {}
    for entry in etree.parse(str(Path(config.public.dir, "all.xml"))).getroot():
        if entry.tag.endswith("entry"):
            has_source = entry.find("{http://www.w3.org/2005/Atom}source") is not None
            langs.setdefault("feed" if has_source else "file", set()).add(
                entry.get("{http://www.w3.org/XML/1998/namespace}lang"))
    assert langs["feed"] == {"en-US"}
    assert langs["file"] and langs["file"] <= {"zh-Hans", "zh-Hant", "en"}


def test_every_document_is_valid_atom(wire: tuple[Config, FeedServer], inbox: Path,
                                      atom_schema: etree.RelaxNG) -> None:
    config, _ = wire
    copy_into(inbox, *SAMPLE_FILES)
    ingest_paths(config)
    publish_site(config)
    documents = sorted(Path(config.public.dir).rglob("*.xml"))
    assert len(documents) > 40
    for file in documents:
        tree = etree.parse(str(file))
        assert atom_schema.validate(tree), (file, atom_schema.error_log.last_error)
        ids = [e.text for e in tree.iterfind("{http://www.w3.org/2005/Atom}entry/"
                                             "{http://www.w3.org/2005/Atom}id")]
        assert len(ids) == len(set(ids)), file
        assert not feedparser.parse(file.read_bytes()).bozo, file


def test_json_feed_pages_hold_the_same_entries(wire: tuple[Config, FeedServer]) -> None:
    config, _ = wire
    for stem in ("all", "sources/wire", "tags/ports"):
        ids, url = [], config.public.base_url + stem + ".json"
        while url:
            document = json.loads(local(config, url).read_text(encoding="utf-8"))
            assert_valid_json_feed(document)
            assert document["feed_url"] == url
            ids += [item["id"] for item in document["items"]]
            url = document.get("next_url")
        assert ids == archive_order(config)
    item = json.loads(Path(config.public.dir, "all.json").read_text())["items"][0]
    assert item["language"] == "en-GB"
    assert item["_feedsvc"]["source"]["title"] == "Harbour Wire"
    assert item["tags"] == ["ports", "harbour"]


def assert_valid_json_feed(document: dict[str, object]) -> None:
    """The fields JSON Feed 1.1 requires, and the types it gives the ones we send."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str) and document["title"]
    assert isinstance(document["items"], list)
    for key in ("home_page_url", "feed_url", "next_url"):
        if key in document:
            assert str(document[key]).startswith(("http://", "https://"))
    for item in document["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str) or isinstance(
            item.get("content_text"), str)
        for key in ("date_published", "date_modified"):
            datetime.fromisoformat(item[key].replace("Z", "+00:00"))
        assert all(isinstance(a["name"], str) for a in item.get("authors", []))
        assert all(isinstance(t, str) for t in item.get("tags", []))


def test_index_lists_counts_updates_and_both_formats(wire: tuple[Config, FeedServer]) -> None:
    config, _ = wire
    page = Path(config.public.dir, "index.html").read_text(encoding="utf-8")
    assert f'<td class="n">{ENTRIES}</td>' in page  # the source's count
    base = config.public.base_url
    assert page.count('rel="alternate" type="application/atom+xml"') == 5  # with stories
    for stem in ("all", "sources/wire", "tags/ports", "stories"):
        assert f'href="{base}{stem}.json"' in page
        assert f'href="{base}{stem}.xml"' in page
    assert page.count('type="application/feed+json"') == 5


def test_feeds_render_in_a_browser_through_the_stylesheet(wire: tuple[Config, FeedServer],
                                                          inbox: Path) -> None:
    config, _ = wire
    hostile = inbox / "hostile.md"
    hostile.write_text("---\ntitle: <script>alert(1)</script>Bold claim\n"
                       "url: https://evil.example/x\n---\n<p>Text "
                       "<img src=x onerror=alert(2)></p>\n", encoding="utf-8")
    ingest_paths(config)
    publish_site(config)
    public = Path(config.public.dir)
    assert b'<?xml-stylesheet type="text/xsl" href="feed.xsl"?>' in (public / "all.xml").read_bytes()
    page = public / "sources" / "wire" / "1.xml"
    assert b'href="../../feed.xsl"' in page.read_bytes()
    transform = etree.XSLT(etree.parse(str(public / "feed.xsl")))
    for file in (public / "all.xml", page):
        html = str(transform(etree.parse(str(file))))
        assert "copy this URL into" in html and "your feed reader" in html
        titles = [e.title for e in feedparser.parse(file.read_bytes()).entries]
        assert all(title in html for title in titles if title.startswith("Report"))
        # As a browser parses the page: no script element, no event handler attribute (the
        # hostile markup may show as text, escaped: that is harmless and not checked away).
        document = lxml.html.fromstring(html)
        assert document.xpath("//script") == []
        assert [(e.tag, name) for e in document.iter() if isinstance(e.tag, str)
                for name in e.attrib if name.lower().startswith("on")] == []
    html = str(transform(etree.parse(str(public / "all.xml"))))
    assert "Bold claim" in html and "<img" not in html
    assert "Older entries" in html


def test_page_arithmetic() -> None:
    assert [archive_pages(n, 50) for n in (0, 49, 50, 99, 100, 149, 150)] == [0, 0, 0, 0, 1, 1, 2]
    top = FeedPage(FeedInfo("tag", "Ports", "ports", 333, None), 0, 5)
    assert top.path() == "tags/ports.xml" and top.path("json") == "tags/ports.json"
    assert top.older == top.page(5) and top.newer is None
    assert top.page(5).newer is None and top.page(5).older == top.page(4)
    assert top.page(1).older is None and top.page(1).newer == top.page(2)
    assert top.page(3).path() == "tags/ports/3.xml"
