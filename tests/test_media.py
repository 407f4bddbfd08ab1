"""Images kept with their articles (issue 23): ``feedsvc media`` downloads the images of
archived articles from a real server on 127.0.0.1, keeps each once by content, refuses what
is not a safe raster image, and records what it could not reach for later."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from click.testing import Result
from PIL import Image

from .conftest import CONFIG_TEXT, free_port
from .feedserver import FeedServer, Reply
from .test_mediatype import png_header

Cli = Callable[..., Result]


def keep_media(project: Path, settings: str = "") -> None:
    """The project's config with media kept (the tests' default links them: no network)."""
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "media: link\n", "media:\n  inbox: keep\n" + settings), encoding="utf-8")


def png(size: tuple[int, int] = (40, 30), colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def post(inbox: Path, name: str, source: str, images: list[str], sized: bool = True) -> None:
    size = ' width="40" height="30"' if sized else ""
    figures = "\n".join(f'<figure><img src="{url}" alt="picture {n}"{size}>'
                        f"<figcaption>Caption {n}</figcaption></figure>"
                        for n, url in enumerate(images))
    (inbox / f"{name}.md").write_text(
        f'---\ntitle: "{name}"\ndate: 2026-11-01T08:00:00Z\nfrom: https://news.example/{name}\n'
        f"tags: [ {source} ]\n---\n<p>The words of {name}.</p>\n{figures}\n", "utf-8")


def media_rows(project: Path) -> dict[str, tuple[str, str | None, str | None]]:
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        return {url: (status, reason, digest) for url, status, reason, digest in
                db.execute("SELECT url, status, reason, digest FROM media")}


def kept_files(project: Path) -> list[Path]:
    return sorted(p for p in (project / "archive" / "media").rglob("*")
                  if p.is_file() and not p.name.startswith("."))


def test_images_are_kept_once_and_shared(project: Path, inbox: Path, cli: Cli,
                                         feed_server: FeedServer) -> None:
    keep_media(project)
    shared = feed_server.serve("/img/shared.png", Reply(body=png(), headers={
        "Content-Type": "image/png"}))
    own = feed_server.serve("/img/own.jpg", Reply(body=png((20, 20)), headers={
        "Content-Type": "image/jpeg"}))  # a PNG served as JPEG: the bytes decide
    post(inbox, "first", "Outlet", [shared, own])
    post(inbox, "second", "Outlet", [shared])
    assert cli("ingest").exit_code == 0
    result = cli("media")
    assert result.exit_code == 0, result.output
    assert "2 images: 2 kept; 2 new files" in result.output
    assert len(feed_server.seen("/img/shared.png")) == 1  # shared: downloaded once
    rows = media_rows(project)
    assert {status for status, _, _ in rows.values()} == {"kept"}
    files = kept_files(project)
    assert len(files) == 2 and {f.suffix for f in files} == {".png"}
    assert all(f.stat().st_mode & 0o777 == 0o644 for f in files)  # a web server reads them
    digest = rows[shared][2]
    assert digest and files[[f.parent.name + f.stem for f in files].index(digest)]
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        assert db.execute("SELECT count(*) FROM article_media WHERE url = ?",
                          [shared]).fetchone()[0] == 2
        html = db.execute("SELECT content_html FROM articles WHERE title = 'first'").fetchone()[0]
    assert shared in html  # the article keeps its original URLs
    again = cli("media")
    assert again.exit_code == 0 and "no images left to download" in again.output
    assert len(feed_server.seen("/img/shared.png")) == 1
    stats = cli("stats")
    assert "images:    2 files kept" in stats.output


def test_unsafe_files_are_refused_with_a_reason_and_the_article_stays(
        project: Path, inbox: Path, cli: Cli, feed_server: FeedServer) -> None:
    keep_media(project, "  max_bytes: 4KB\n")
    evil = feed_server.serve("/img/evil.svg", Reply(body=(
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        b"<script>alert(document.cookie)</script></svg>"),
        headers={"Content-Type": "image/svg+xml"}))
    fake = feed_server.serve("/img/fake.png", Reply(
        body=b"<!DOCTYPE html><html><body>Sign in</body></html>",
        headers={"Content-Type": "image/png"}))
    bomb = feed_server.serve("/img/bomb.png", Reply(body=png_header(50_000, 50_000),
                                                    headers={"Content-Type": "image/png"}))
    noise = Image.effect_noise((200, 200), 90).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    big = feed_server.serve("/img/big.png", Reply(body=out.getvalue(),
                                                  headers={"Content-Type": "image/png"}))
    good = feed_server.serve("/img/good.png", Reply(body=png(),
                                                    headers={"Content-Type": "image/png"}))
    post(inbox, "hostile", "Outlet", [evil, fake, bomb, big, good])
    assert cli("ingest").exit_code == 0
    result = cli("media")
    assert result.exit_code == 0, result.output
    rows = media_rows(project)
    assert rows[good][0] == "kept"
    for url, reason in ((evil, "SVG"), (fake, "markup"), (bomb, "image bomb"),
                        (big, "over the limit")):
        status, said, digest = rows[url]
        assert status == "refused" and said and reason in said, (url, said)
        assert digest is None
    assert len(kept_files(project)) == 1
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        text = db.execute("SELECT content_text FROM articles").fetchone()[0]
    assert "The words of hostile." in text


def test_missing_and_unreachable_images_are_recorded_and_tried_later(
        project: Path, inbox: Path, cli: Cli, feed_server: FeedServer) -> None:
    keep_media(project)
    gone = feed_server.serve("/img/gone.png", Reply(404, b"not found"))
    busy = feed_server.serve("/img/busy.png", Reply(503, b"busy"))
    closed = f"http://127.0.0.1:{free_port()}/img/nobody.png"  # nothing listens there
    post(inbox, "unlucky", "Outlet", [gone, busy, closed])
    assert cli("ingest").exit_code == 0
    result = cli("media")
    assert result.exit_code == 0, result.output  # quietly: nothing is wrong with the archive
    assert "Traceback" not in result.output
    rows = media_rows(project)
    assert rows[gone][:2] == ("gone", "HTTP 404 Not Found")
    assert rows[busy][0] == "retry" and rows[closed][0] == "retry"
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        tries = dict(db.execute("SELECT url, next_try FROM media WHERE status = 'retry'"))
    assert all(tries.values())
    assert "2 images to try again from " in result.output, result.output
    assert "cannot connect" in result.output or "HTTP 503" in result.output
    again = cli("media")  # not due yet: nothing is requested again
    assert "no images left to download" in again.output
    assert "2 images to try again from " in again.output  # and says when they will be
    assert len(feed_server.seen("/img/busy.png")) == 1


def test_a_source_that_links_media_downloads_none(project: Path, inbox: Path, cli: Cli,
                                                  feed_server: FeedServer) -> None:
    assert "media: link" in (project / "config.yaml").read_text(encoding="utf-8")
    image = feed_server.serve("/img/a.png", Reply(body=png()))
    post(inbox, "linked", "Outlet", [image])
    assert cli("ingest").exit_code == 0
    result = cli("media")
    assert result.exit_code == 0 and "no images left to download" in result.output
    assert feed_server.seen("/img/a.png") == []


def test_a_killed_backfill_loses_and_duplicates_nothing(project: Path, inbox: Path,
                                                        cli: Cli,
                                                        feed_server: FeedServer) -> None:
    import signal
    import subprocess
    import sys
    import time

    (project / "config.yaml").write_text(
        CONFIG_TEXT.format(entries=50) + "fetch:\n  concurrency: 2\n  per_host: 2\n",
        encoding="utf-8")
    keep_media(project)
    urls = [feed_server.serve(f"/img/{n}.png", Reply(body=png(colour=(n, 0, 0)), delay=0.3,
                                                     headers={"Content-Type": "image/png"}))
            for n in range(16)]
    for n in range(8):
        post(inbox, f"story{n}", "Outlet", urls[2 * n:2 * n + 2])
    assert cli("ingest").exit_code == 0
    proc = subprocess.Popen([sys.executable, "-m", "feedsvc", "--config",
                             str(project / "config.yaml"), "media"], cwd=project,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.6)  # 2 at a time, 0.3 s each: a few are done, the rest not
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    done = [url for url, (status, _, _) in media_rows(project).items() if status == "kept"]
    assert 0 < len(done) < 16
    result = cli("media")
    assert result.exit_code == 0, result.output
    rows = media_rows(project)
    assert {status for status, _, _ in rows.values()} == {"kept"}
    assert len(kept_files(project)) == 16  # one file each, none twice
    for url in done:  # what was kept before the kill was not downloaded again
        assert len(feed_server.seen(urlsplit(url).path)) == 1
    for n in range(16):  # and nothing was downloaded more than twice
        assert 1 <= len(feed_server.seen(f"/img/{n}.png")) <= 2


def published_page(project: Path, name: str) -> tuple[Path, str]:
    from feedsvc.webpath import article_path

    with sqlite3.connect(project / "archive" / "archive.db") as db:
        uid, url = db.execute("SELECT uid, url FROM articles WHERE title = ?",
                              [name]).fetchone()
    path = project / "archive" / "public" / article_path(uid, url)
    return path, path.read_text(encoding="utf-8")


def test_pages_and_feeds_point_at_the_archived_copies(project: Path, inbox: Path, cli: Cli,
                                                      feed_server: FeedServer) -> None:
    import feedparser
    import html5lib

    keep_media(project)
    image = feed_server.serve("/img/photo.png", Reply(body=png(), headers={
        "Content-Type": "image/png"}))
    post(inbox, "pictured", "Outlet", [image])
    assert cli("ingest").exit_code == 0 and cli("media").exit_code == 0
    assert cli("publish").exit_code == 0
    page, text = published_page(project, "pictured")
    document = html5lib.parse(text)
    images = [img for img in document.iter("{http://www.w3.org/1999/xhtml}img")]
    assert len(images) == 1
    local = page.parent / images[0].get("src")
    assert local.resolve().is_file()  # the page's image is the archived copy
    assert local.read_bytes() == png()
    assert images[0].get("alt") == "picture 0" and images[0].get("width") == "40"
    assert "Caption 0" in text and image not in text  # the caption stays, the URL is ours
    public = project / "archive" / "public"
    for feed_file in ("all.xml", "stories.xml"):  # the stories feed's entries too
        feed = feedparser.parse((public / feed_file).read_bytes())
        content = feed.entries[0].content[0].value
        assert "http://127.0.0.1:8080/media/" in content and image not in content, feed_file
    # The outlet deletes the image: the page is still complete.
    feed_server.serve("/img/photo.png", Reply(404, b"gone"))
    assert cli("publish").exit_code == 0
    assert (page.parent / images[0].get("src")).resolve().is_file()


def test_public_media_original_keeps_feeds_on_the_originals(project: Path, inbox: Path,
                                                            cli: Cli,
                                                            feed_server: FeedServer) -> None:
    import feedparser

    keep_media(project)
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  entries_per_feed: 50\n", "  entries_per_feed: 50\n  media: original\n"),
        encoding="utf-8")
    image = feed_server.serve("/img/photo.png", Reply(body=png()))
    post(inbox, "pictured", "Outlet", [image])
    assert cli("ingest").exit_code == 0 and cli("media").exit_code == 0
    assert cli("publish").exit_code == 0
    feed = feedparser.parse((project / "archive" / "public" / "all.xml").read_bytes())
    assert image in feed.entries[0].content[0].value
    _, text = published_page(project, "pictured")
    assert "../../media/" in text  # pages use the archived copy whenever there is one


def test_archived_images_are_served_sandboxed_and_immutable(project: Path, inbox: Path,
                                                            cli: Cli,
                                                            feed_server: FeedServer) -> None:
    from starlette.testclient import TestClient

    from feedsvc.server import create_app

    keep_media(project)
    image = feed_server.serve("/img/photo.png", Reply(body=png()))
    post(inbox, "pictured", "Outlet", [image])
    assert cli("ingest").exit_code == 0 and cli("media").exit_code == 0
    assert cli("publish").exit_code == 0
    public = project / "archive" / "public"
    (file,) = [p for p in (public / "media").rglob("*.png")]
    client = TestClient(create_app(public))
    response = client.get("/" + file.relative_to(public).as_posix())
    assert response.status_code == 200 and response.content == png()
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")
    assert "immutable" in response.headers["cache-control"]
    assert "content-encoding" not in response.headers


def test_run_once_keeps_the_images_of_what_it_archived(project: Path, inbox: Path, cli: Cli,
                                                       feed_server: FeedServer) -> None:
    keep_media(project)
    image = feed_server.serve("/img/photo.png", Reply(body=png()))
    missing = feed_server.serve("/img/missing.png", Reply(404, b"no"))
    post(inbox, "daily", "Outlet", [image, missing])
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    rows = media_rows(project)
    assert rows[image][0] == "kept" and rows[missing][0] == "gone"
    _, text = published_page(project, "daily")
    assert "../../media/" in text  # the cycle published after keeping it
    assert missing in text  # what could not be kept stays linked to its original
    again = cli("run", "--once")
    assert again.exit_code == 0
    assert len(feed_server.seen("/img/photo.png")) == 1


def test_over_the_budget_the_oldest_unused_files_go_never_the_articles(
        project: Path, inbox: Path, cli: Cli, feed_server: FeedServer) -> None:
    old = feed_server.serve("/img/old.png", Reply(body=png((60, 60), (1, 2, 3))))
    new = feed_server.serve("/img/new.png", Reply(body=png((60, 60), (3, 2, 1))))
    keep_media(project)
    post(inbox, "long-ago", "Outlet", [old])
    post(inbox, "today", "Outlet", [new])
    assert cli("ingest").exit_code == 0 and cli("media").exit_code == 0
    assert len(kept_files(project)) == 2
    with sqlite3.connect(project / "archive" / "archive.db") as db:  # a year goes by
        db.execute("UPDATE articles SET first_seen = '2025-01-01T00:00:00Z' "
                   "WHERE title = 'long-ago'")
        db.execute("UPDATE media SET first_used = '2025-01-01T00:00:00Z', "
                   "last_used = '2025-01-01T00:00:00Z' WHERE url = ?", [old])
        size = db.execute("SELECT bytes FROM media WHERE url = ?", [new]).fetchone()[0]
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  inbox: keep\n", f"  inbox: keep\n  max_total: {size + 10}\n"), encoding="utf-8")
    post(inbox, "another", "Outlet", [new])  # something to do, so the budget is checked
    assert cli("ingest").exit_code == 0
    result = cli("media")
    assert result.exit_code == 0, result.output
    assert "removed to stay within media.max_total" in result.output
    rows = media_rows(project)
    assert rows[old][0] == "evicted" and rows[new][0] == "kept"
    assert len(kept_files(project)) == 1
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    # A new article shows the removed picture again: it is downloaded again, and recent.
    post(inbox, "revival", "Outlet", [old])
    assert cli("ingest").exit_code == 0 and cli("media").exit_code == 0
    assert media_rows(project)[old][0] == "kept" and len(kept_files(project)) == 2
    assert len(feed_server.seen("/img/old.png")) == 2


def test_articles_archived_before_the_upgrade_wait_for_feedsvc_media(
        project: Path, inbox: Path, cli: Cli, feed_server: FeedServer) -> None:
    from feedsvc.archive import opened
    from feedsvc.media import scan_new_articles
    from feedsvc.models import Config

    image = feed_server.serve("/img/old.png", Reply(body=png()))
    post(inbox, "before", "Outlet", [image])
    assert cli("ingest").exit_code == 0
    database = project / "archive" / "archive.db"
    with sqlite3.connect(database) as db:  # back to an archive from before version 11
        db.executescript("DROP TABLE media; DROP TABLE article_media; "
                         "DROP TABLE media_scanned; ALTER TABLE subscriptions DROP COLUMN "
                         "media; PRAGMA user_version = 10;")
    keep_media(project)
    from feedsvc.config import load_config
    config: Config = load_config(project / "config.yaml")
    with opened(database) as db:
        assert scan_new_articles(db, config) == 0  # not downloaded behind the user's back
    result = cli("media")
    assert "1 image: 1 kept" in result.output


def test_feedsvc_add_chooses_whether_a_subscription_keeps_media(
        project: Path, cli: Cli, feed_server: FeedServer) -> None:
    def feed(name: str) -> str:
        image = feed_server.serve(f"/img/{name}.png", Reply(body=png(colour=(len(name), 9, 9)),
                                                           headers={"Content-Type": "image/png"}))
        body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>'
                f"<link>{feed_server.base}/</link><item><title>{name} story</title>"
                f"<link>{feed_server.base}/{name}/1</link><guid>{name}-1</guid>"
                f"<description>&lt;p&gt;Words enough to be an article about {name}, and "
                f"more words still.&lt;/p&gt;&lt;img src=&quot;{image}&quot;&gt;</description>"
                f"</item></channel></rss>").encode()
        return feed_server.serve(f"/{name}.xml", Reply(body=body, headers={
            "Content-Type": "application/rss+xml"}))

    linked, kept = feed("linked"), feed("kept")
    assert cli("add", linked, "--media", "link", "--full-text", "never").exit_code == 0
    assert cli("add", kept, "--full-text", "never").exit_code == 0  # keep: the default
    result = cli("media")
    assert result.exit_code == 0, result.output
    assert "1 image: 1 kept" in result.output
    assert feed_server.seen("/img/linked.png") == []
    assert len(feed_server.seen("/img/kept.png")) == 1


def test_a_new_version_with_a_new_picture_gets_it_kept(project: Path, inbox: Path, cli: Cli,
                                                       feed_server: FeedServer) -> None:
    keep_media(project)
    first = feed_server.serve("/img/first.png", Reply(body=png(colour=(1, 1, 1))))
    second = feed_server.serve("/img/second.png", Reply(body=png(colour=(2, 2, 2))))
    post(inbox, "evolving", "Outlet", [first])
    assert cli("run", "--once").exit_code == 0
    post(inbox, "evolving", "Outlet", [first, second])  # the outlet adds a picture
    result = cli("run", "--once")
    assert result.exit_code == 0, result.output
    rows = media_rows(project)
    assert rows[first][0] == "kept" and rows[second][0] == "kept"
    assert len(feed_server.seen("/img/first.png")) == 1


def test_an_image_without_a_size_gets_the_archived_copys(project: Path, inbox: Path, cli: Cli,
                                                          feed_server: FeedServer) -> None:
    """No layout jump: an ``img`` stating no size gets its archived copy's; one stating a
    size keeps it."""
    import html5lib

    keep_media(project)
    wide = feed_server.serve("/img/wide.png", Reply(body=png((120, 50)), headers={
        "Content-Type": "image/png"}))
    post(inbox, "unsized", "Outlet", [wide], sized=False)
    post(inbox, "sized", "Outlet", [wide])
    assert cli("ingest").exit_code == 0 and cli("media").exit_code == 0
    assert cli("publish").exit_code == 0
    for name, size in (("unsized", ("120", "50")), ("sized", ("40", "30"))):
        _, text = published_page(project, name)
        [img] = html5lib.parse(text).iter("{http://www.w3.org/1999/xhtml}img")
        assert (img.get("width"), img.get("height")) == size, name
        assert img.get("alt") == "picture 0" and img.get("src").endswith(".png")


def test_media_downloads_only_the_sources_asked_and_at_most_the_limit(
        project: Path, inbox: Path, cli: Cli, feed_server: FeedServer) -> None:
    keep_media(project)
    images = [feed_server.serve(f"/img/{n}.png", Reply(body=png((20 + n, 20))))
              for n in range(5)]
    post(inbox, "first", "Outlet", images[:2])
    post(inbox, "second", "Other", images[2:])
    assert cli("ingest").exit_code == 0
    result = cli("media", "--limit", "1")  # every article looked at, one image downloaded
    assert result.exit_code == 0 and "1 image: 1 kept" in result.output, result.output
    statuses = {url: row[0] for url, row in media_rows(project).items()}
    assert sorted(statuses.values()) == ["kept"] + ["wanted"] * 4
    result = cli("media", "Outlet")
    assert result.exit_code == 0, result.output
    after = {url: row[0] for url, row in media_rows(project).items()}
    assert [after[u] for u in images[:2]] == ["kept"] * 2
    assert [after[u] for u in images[2:]] == [statuses[u] for u in images[2:]]  # not asked
    assert cli("media").exit_code == 0
    assert {row[0] for row in media_rows(project).values()} == {"kept"}
    assert all(len(feed_server.seen(urlsplit(u).path)) == 1 for u in images)


def test_a_feed_entrys_own_picture_is_kept_when_its_body_has_none(
        project: Path, cli: Cli, feed_server: FeedServer) -> None:
    """A summary-only entry whose feed names its picture (``media:content``): the picture
    opens the archived body, is kept, and its page shows the archived copy."""
    from .conftest import write_sources

    lead = feed_server.serve("/img/lead.png", Reply(body=png((64, 48))))
    thumb = feed_server.serve("/img/thumb.png", Reply(body=png((16, 12))))
    feed = feed_server.serve("/feed.xml", Reply(body=(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Wire</title>'
        "<link>http://news.example/</link><item><title>Pictured</title>"
        "<link>http://news.example/pictured</link><guid>http://news.example/pictured</guid>"
        "<pubDate>Sun, 01 Nov 2026 08:00:00 GMT</pubDate>"
        "<description>Only a summary, as many feeds give.</description>"
        f"<media:content url='{lead}' medium='image' width='64' height='48'/>"
        f"<media:thumbnail url='{thumb}' width='16' height='12'/>"
        "</item></channel></rss>").encode(), headers={"Content-Type": "application/rss+xml"}))
    write_sources(project, [{"name": "Wire", "url": feed, "media": "keep"}])
    assert cli("fetch").exit_code == 0
    assert cli("media").exit_code == 0
    assert media_rows(project)[lead][0] == "kept" and thumb not in media_rows(project)
    assert cli("publish").exit_code == 0
    page, text = published_page(project, "Pictured")
    import html5lib

    [img] = html5lib.parse(text).iter("{http://www.w3.org/1999/xhtml}img")
    assert (page.parent / img.get("src")).resolve().read_bytes() == png((64, 48))
    assert (img.get("width"), img.get("height")) == ("64", "48")
    with sqlite3.connect(project / "archive" / "archive.db") as db:  # the URL, as the feed said
        assert lead in db.execute("SELECT content_html FROM articles").fetchone()[0]


def test_purging_a_source_drops_its_articles_image_links(project: Path, inbox: Path, cli: Cli,
                                                         feed_server: FeedServer) -> None:
    keep_media(project)
    shared = feed_server.serve("/img/shared.png", Reply(body=png()))
    post(inbox, "gone-soon", "Outlet", [shared])
    post(inbox, "stays", "Other", [shared])
    assert cli("run", "--once").exit_code == 0  # archived, looked at, images kept
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        assert db.execute("SELECT count(*) FROM media_scanned").fetchone()[0] == 2
    result = cli("remove", "Outlet", "--purge", "--yes")
    assert result.exit_code == 0, result.output
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        ids = {r[0] for r in db.execute("SELECT id FROM articles")}
        assert len(ids) == 1
        for table in ("article_media", "media_scanned"):
            assert {r[0] for r in db.execute(f"SELECT article_id FROM {table}")} == ids
    assert media_rows(project)[shared][0] == "kept" and len(kept_files(project)) == 1
    assert cli("publish").exit_code == 0
    _, text = published_page(project, "stays")
    assert "../../media/" in text


def test_over_the_budget_images_no_article_shows_go_first(project: Path, inbox: Path,
                                                          cli: Cli,
                                                          feed_server: FeedServer) -> None:
    keep_media(project)
    orphan = feed_server.serve("/img/orphan.png", Reply(body=png((50, 50), (9, 9, 9))))
    shown = feed_server.serve("/img/shown.png", Reply(body=png((50, 50), (8, 8, 8))))
    post(inbox, "purged", "Outlet", [orphan])
    post(inbox, "kept", "Other", [shown])
    assert cli("ingest").exit_code == 0 and cli("media").exit_code == 0
    assert cli("remove", "Outlet", "--purge", "--yes").exit_code == 0
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        size = db.execute("SELECT bytes FROM media WHERE url = ?", [shown]).fetchone()[0]
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  inbox: keep\n", f"  inbox: keep\n  max_total: {size + 10}\n"), encoding="utf-8")
    result = cli("media")  # both are recent: only the one no article shows may go
    assert result.exit_code == 0 and "1 old file removed" in result.output, result.output
    rows = media_rows(project)
    assert rows[orphan][0] == "evicted" and rows[shown][0] == "kept"
