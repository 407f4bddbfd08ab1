"""Hostile and broken input: XML bombs and external entities, compression bombs, huge inputs,
bad encodings, dates, URLs and names. Each gives a clear error naming the input, or a clean
result; nothing else is harmed and every published document stays valid."""

from __future__ import annotations

import gzip
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from feedsvc.defaults import MAX_ENTRIES, MAX_TITLE
from feedsvc.models import Config
from feedsvc.parse import parse_feed
from feedsvc.pipeline import fetch_sources, ingest_paths, publish_site
from feedsvc.text import xml_safe

from .conftest import write_sources
from .feedserver import FeedServer, Reply

XML = {"Content-Type": "application/rss+xml; charset=utf-8"}
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GOOD = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title><item>'
        b"<title>Harbour reopens</title><link>https://good.example/1</link>"
        b"<description>The harbour reopened on Friday after the storm.</description>"
        b"</item></channel></rss>")


def rss(items: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
            f"<title>Hostile</title><link>https://bad.example/</link>{items}"
            f"</channel></rss>").encode()


def rows(config: Config, sql: str) -> list[tuple]:
    with sqlite3.connect(config.database) as conn:
        return conn.execute(sql).fetchall()


def published_documents_are_valid(config: Config) -> None:
    publish_site(config)
    for file in Path(config.public.dir).rglob("*.xml"):
        parsed = feedparser.parse(file.read_bytes())
        assert not parsed.bozo, (file, parsed.get("bozo_exception"))
        assert xml_safe(file.read_text(encoding="utf-8")) == file.read_text(encoding="utf-8")


LAUGHS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
BOMBS = {
    "billion-laughs": rss("<item><title>&lol9;</title><link>https://bad.example/1</link>"
                          "<description>&lol9;</description></item>",
                          f'<!DOCTYPE rss [<!ENTITY lol0 "lol">{LAUGHS}]>'),
    "quadratic": rss("<item><title>q</title><link>https://bad.example/2</link><description>"
                     + "&a;" * 100_000 + "</description></item>",
                     '<!DOCTYPE rss [<!ENTITY a "' + "A" * 50_000 + '">]>'),
    "xxe-file": rss("<item><title>x&x;</title><link>https://bad.example/3</link>"
                    "<description>before &x; after</description></item>",
                    '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'),
    "xxe-parameter": rss("<item><title>p</title><link>https://bad.example/4</link>"
                         "<description>text</description></item>",
                         '<!DOCTYPE rss [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'),
}


def test_xml_bombs_and_external_entities_stay_bounded_and_read_nothing(
        project: Path, feed_server: FeedServer) -> None:
    secret = feed_server.serve("/secret", Reply(200, b"TOP-SECRET", {}))
    BOMBS["xxe-url"] = rss("<item><title>u&u;</title><link>https://bad.example/5</link>"
                           "<description>&u;</description></item>",
                           f'<!DOCTYPE rss [<!ENTITY u SYSTEM "{secret}">]>')
    sources = [{"name": name, "url": feed_server.serve(f"/{name}", Reply(200, body, XML))}
               for name, body in BOMBS.items()]
    sources.append({"name": "Good", "url": feed_server.serve("/good", Reply(200, GOOD, XML))})
    config = write_sources(project, sources)
    started = time.monotonic()
    reports = {r.source: r for r in fetch_sources(config, now=NOW)}
    elapsed = time.monotonic() - started
    assert reports["Good"].new == 1
    assert feed_server.seen("/secret") == []  # no external entity was ever fetched
    stored = " ".join(str(v) for row in rows(config, "SELECT title, content_html, summary, "
                                                     "content_text FROM articles") for v in row)
    assert "root:" not in stored and "TOP-SECRET" not in stored
    assert "lollollol" not in stored and "A" * 1000 not in stored  # never expanded
    for name in BOMBS:  # entities left unexpanded: each entry archived harmlessly
        assert (reports[name].error, reports[name].new) == (None, 1), name
    assert elapsed < 120  # a sanity bound for a hang, not a speed claim
    published_documents_are_valid(config)


def test_a_compression_bomb_is_cut_off_while_decoding(project: Path,
                                                      feed_server: FeedServer) -> None:
    bomb = GOOD.replace(b"<channel>", b"<channel><!--" + b" " * 200_000_000 + b"-->")
    compressed = gzip.compress(bomb, compresslevel=9)
    assert len(compressed) < 300_000  # 200 MB in a few hundred KB
    config = write_sources(project, [
        {"name": "Bomb", "url": feed_server.serve("/bomb", Reply(200, compressed, {
            **XML, "Content-Encoding": "gzip"}))},
        {"name": "Good", "url": feed_server.serve("/good", Reply(200, GOOD, XML))},
    ], "fetch:\n  max_bytes: 5MB\n")
    reports = {r.source: r for r in fetch_sources(config, now=NOW)}
    assert "larger than max_bytes" in (reports["Bomb"].error or "")
    assert reports["Good"].new == 1


def test_a_feed_of_100000_entries_is_read_up_to_the_cap() -> None:
    items = "".join(f"<item><title>T{n}</title><link>https://many.example/{n}</link></item>"
                    for n in range(100_000))
    parsed = parse_feed(rss(items), "https://many.example/feed")
    assert len(parsed.articles) == MAX_ENTRIES
    assert parsed.entries_found == 100_000
    assert parsed.articles[0].url == "https://many.example/0"  # the first (newest) are kept


def test_a_huge_title_is_cut_and_the_entry_kept(project: Path, feed_server: FeedServer) -> None:
    body = rss(f"<item><title>{'Long ' * 2_000_000}</title><link>https://big.example/1</link>"
               "<description>Body text of the article.</description></item>")
    config = write_sources(project, [{"name": "Big", "url": feed_server.serve(
        "/big", Reply(200, body, XML))}])
    (report,) = fetch_sources(config, now=NOW)
    assert report.new == 1
    ((title,),) = rows(config, "SELECT title FROM articles")
    assert len(title) <= MAX_TITLE and title.endswith("…")
    published_documents_are_valid(config)


def test_a_50mb_file_is_refused_by_name_and_the_rest_ingested(config: Config,
                                                              inbox: Path) -> None:
    big = inbox / "huge.html"
    with big.open("wb") as handle:
        handle.write(b"<html><head><title>Huge</title></head><body>")
        handle.write(b"<p>" + b"x" * 1000 + b"</p>" * 1 + b"\n")
        handle.truncate(50 * 1024 * 1024)
    (inbox / "fine.md").write_text("---\ntitle: Fine\n---\nA fine article body.\n")
    report = ingest_paths(config)
    assert report.new == 1
    ((path, reason),) = [(str(path), error) for path, error in report.failures]
    assert path.endswith("huge.html") and "larger than" in reason


def test_broken_encodings_and_illegal_characters_never_reach_a_feed(config: Config,
                                                                    inbox: Path) -> None:
    (inbox / "invalid-utf8.md").write_bytes(
        b"---\ntitle: Caf\xe9 \xff\xfe broken\n---\nBody with \xc3\x28 bad bytes and caf\xc3\xa9.\n")
    (inbox / "nul.md").write_bytes(b"---\ntitle: Nul\x00 title\n---\nText\x00 with NUL"
                                   b" and \x07bell \x1b[31mescape\x0b\x0c chars.\n")
    (inbox / "mixed.txt").write_bytes("北京讯 新闻正文。\n".encode() + "台北訊 繁體內容。\n"
                                      .encode("big5") + b"\nEnd of wire copy.\n")
    (inbox / "gbk.md").write_bytes("---\ntitle: 中文标题\n---\n正文内容，关于港口的报道。\n"
                                   .encode("gbk"))
    report = ingest_paths(config)
    assert report.failed == 0 and report.new == 4
    titles = {t for (t,) in rows(config, "SELECT title FROM articles")}
    assert "中文标题" in titles and "Nul title" in titles
    for (text,) in rows(config, "SELECT title || content_html || content_text FROM articles"):
        assert xml_safe(text) == text and "\x00" not in text
    published_documents_are_valid(config)


@pytest.mark.parametrize(("date", "expect"), [
    (None, "2026-03-01"),  # missing: the time it arrived
    ("the day after tomorrow", "2026-03-01"),  # unparseable: the same
    ("1969-07-20T20:17:40Z", "1969-07-20T20:17:40Z"),  # before 1970 is a real date
    ("1900-01-01", "1900-01-01T00:00:00Z"),
    ("9999-12-31T23:59:59Z", "2026-03-01"),  # far future: clamped to the arrival time
    ("2024-05-03 06:15:00", "2024-05-03T06:15:00Z"),  # no time zone: UTC
])
def test_dates_of_every_kind(config: Config, inbox: Path, date: str | None,
                             expect: str) -> None:
    front = f"date: {date}\n" if date else ""
    (inbox / "post.md").write_text(f"---\ntitle: Dated\n{front}---\nA dated body.\n")
    assert ingest_paths(config, now=NOW).new == 1
    ((published, updated),) = rows(config, "SELECT published, updated FROM articles")
    assert published.startswith(expect)
    assert updated <= "2026-03-01T12:00:00Z"
    published_documents_are_valid(config)


def test_hostile_and_odd_urls(config: Config, inbox: Path) -> None:
    cases = {
        "js": "javascript:alert(1)", "data": "data:text/html,<script>alert(1)</script>",
        "relative": "/news/2024/story.html", "idn": "https://bücher.example/straße?q=ü",
        "long": "https://long.example/a?" + "&".join(f"k{n}=v{n}" for n in range(2000)),
        "vbscript": "vbscript:msgbox(1)", "spaces": " https://ok.example/with space ",
    }
    for name, url in cases.items():
        (inbox / f"{name}.md").write_text(f"---\ntitle: URL {name}\nurl: '{url}'\n---\n"
                                          f"Body of {name}.\n")
    assert ingest_paths(config).new == len(cases)
    urls = dict(rows(config, "SELECT title, url FROM articles"))
    for name in ("js", "data", "relative", "vbscript"):
        assert urls[f"URL {name}"] is None  # not a web address: kept, without a link
    assert urls["URL idn"].startswith("https://bücher.example/")
    publish_site(config)
    parsed = feedparser.parse(Path(config.public.dir, "all.xml").read_bytes())
    # the original is the via link (the alternate one is the archived page: issue 19)
    links = {e.title: next((link.href for link in e.get("links", []) if link.rel == "via"),
                           None) for e in parsed.entries}
    assert all(e.link.isascii() for e in parsed.entries)
    assert links["URL idn"].startswith("https://xn--bcher-kva.example/stra%C3%9Fe")
    assert links["URL long"].startswith("https://long.example/a?k0=v0&k1=v1")
    bad = {t: link for t, link in links.items()
           if link is not None and not link.startswith("urn:uuid:")  # feedparser: id as link
           and not (link.isascii() and link.startswith("http"))}
    assert bad == {}
    published_documents_are_valid(config)


NAMES = ["a/b", "../../etc", "..", "nul\x00name", "x" * 500, "!!!", "???", "News", "news",
         "NEWS", "café", "cafe\u0301", "ｆｕｌｌ", "full", "CON", ".hidden", "a\\b", "中文/标签"]


def test_tag_and_source_names_become_safe_stable_distinct_paths(
        project: Path, feed_server: FeedServer) -> None:
    config = write_sources(project, [
        {"name": name.replace("\x00", "") + " src", "tags": [name],
         "url": feed_server.serve(f"/{n}", Reply(200, GOOD.replace(
             b"good.example/1", f"good.example/{n}".encode()), XML))}
        for n, name in enumerate(NAMES)])
    fetch_sources(config, now=NOW)
    publish_site(config)
    public = Path(config.public.dir).resolve()
    tag_files = sorted((public / "tags").glob("*.xml"))
    for file in public.rglob("*"):
        assert file.resolve().is_relative_to(public)
        assert not file.name.startswith(".") and len(file.name.encode()) < 255
    # Every distinct tag name got its own feed; café and its decomposed twin are one name.
    with sqlite3.connect(config.database) as db:
        tags = dict(db.execute("SELECT name, slug FROM tags"))
    assert len(set(tags.values())) == len(tags)
    assert len(tag_files) == len(tags)
    assert "cafe\u0301" not in tags  # normalized to NFC on the way in
    first = {f.name for f in tag_files}
    publish_site(config)
    assert {f.name for f in sorted((public / "tags").glob("*.xml"))} == first  # stable
    published_documents_are_valid(config)
