"""``feedsvc run`` as people run it: a real subprocess on a free port, a temporary config."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import httpx
import pytest

from .conftest import CONFIG_TEXT, DATA, SAMPLE_FILES, SEED_POST, SEED_WIRE, free_port, wait_for
from .feedserver import FeedServer, Reply

RSS = (Path(__file__).parent / "data" / "feeds" / "rss2.xml").read_bytes()


class Daemon:
    def __init__(self, project: Path, port: int, *args: str) -> None:
        self.project, self.port = project, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = project / "daemon.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"),
                 *args, "run"], stdout=log, stderr=subprocess.STDOUT, cwd=project)

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=headers, timeout=5)

    def healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.output()}")
        try:
            return self.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=10)


@pytest.fixture
def start_daemon(project: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(extra_config: str = "", *args: str) -> Daemon:
        port = free_port()
        text = CONFIG_TEXT.format(entries=50).replace("8080", str(port))
        (project / "config.yaml").write_text(
            text + f"server:\n  port: {port}\n" + extra_config, encoding="utf-8")
        daemon = Daemon(project, port, *args)
        started.append(daemon)
        wait_for(daemon.healthy, what="the daemon to answer /healthz")
        return daemon

    yield start
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait()


def feed_titles(daemon: Daemon, path: str = "/all.xml") -> set[str]:
    response = daemon.get(path)
    if response.status_code != 200:
        return set()
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    return {entry.title for entry in parsed.entries}


def test_start_up_ingests_the_inbox_and_serves_it(start_daemon: Callable[..., Daemon],
                                                  inbox: Path) -> None:
    shutil.copy(SEED_POST, inbox / SEED_POST.name)
    old = time.time() - 60  # a file that has been lying there
    os.utime(inbox / SEED_POST.name, (old, old))
    daemon = start_daemon()
    wait_for(lambda: feed_titles(daemon), what="the seed post in /all.xml")
    assert (inbox / "done" / SEED_POST.name).exists()
    assert not (inbox / SEED_POST.name).exists()
    index = daemon.get("/")
    assert index.status_code == 200 and 'type="application/atom+xml"' in index.text
    assert daemon.get("/feeds.opml").headers["content-type"].startswith("text/x-opml")


def test_dropped_file_is_served_and_failures_are_filed(start_daemon: Callable[..., Daemon],
                                                       inbox: Path) -> None:
    daemon = start_daemon()
    assert feed_titles(daemon) == set()
    # Written in two steps, like a slow copy: the first half must not be taken.
    text = SEED_WIRE.read_bytes()
    target = inbox / "wire.txt"
    target.write_bytes(text[: len(text) // 3])
    time.sleep(1.2)
    assert target.exists(), "a file still being written was taken"
    with target.open("ab") as handle:
        handle.write(text[len(text) // 3:])
    (inbox / "broken.md").write_bytes(b"\x00\x01\x02 binary \xff\xfe" * 50)
    titles = wait_for(lambda: feed_titles(daemon), what="the wire story in /all.xml")
    assert len(titles) == 1  # type: ignore[arg-type]
    (done,) = (inbox / "done").iterdir()
    assert done.read_bytes() == text  # archived whole, and kept
    wait_for(lambda: (inbox / "failed" / "broken.md.error").exists(), what="the .error file")
    assert "broken.md" in (inbox / "failed" / "broken.md.error").read_text(encoding="utf-8")
    assert (inbox / "failed" / "broken.md").exists()
    metrics = daemon.get("/metrics").text
    assert 'feedsvc_entries_archived_total{origin="inbox",status="new"} 1.0' in metrics
    assert "feedsvc_inbox_files_failed_total 1.0" in metrics
    assert daemon.stop() == 0
    log = daemon.output()
    assert log.count("broken.md: binary data") == 1  # reported once, not by every layer
    assert "ERROR" not in log and "Traceback" not in log


def test_a_stop_during_a_burst_is_clean(start_daemon: Callable[..., Daemon],
                                        inbox: Path) -> None:
    """A burst of files: passes longer than the poll interval are not 'skipped' with a
    warning, and SIGTERM in the middle of a batch logs no error and loses no file."""
    from bench.workload import inbox_files
    files = inbox_files(1200)
    old = time.time() - 60
    for name, text in files:
        (inbox / name).write_text(text, encoding="utf-8")
        os.utime(inbox / name, (old, old))  # settled: taken at the first look
    daemon = start_daemon()
    wait_for(lambda: "inbox: 200 new" in daemon.output(), what="the first batch")
    assert daemon.stop() == 0
    log = daemon.output()
    assert "ERROR" not in log and "Traceback" not in log and "CancelledError" not in log
    assert "maximum number of running instances" not in log
    assert "stopped" in log
    done = list((inbox / "done").iterdir())
    left = [p for p in inbox.iterdir() if p.is_file()]
    assert len(done) + len(left) == len(files)  # every file filed away or still waiting
    with sqlite3.connect(inbox.parent / "archive.db") as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] >= len(done)


def test_a_burst_is_published_once_and_readers_keep_working(
        start_daemon: Callable[..., Daemon], inbox: Path, project: Path, tmp_path: Path) -> None:
    daemon = start_daemon()
    wait_for(lambda: "published:" in daemon.output(), what="the start-up publish")
    staging = tmp_path / "staging"
    staging.mkdir()
    for path in SAMPLE_FILES:
        shutil.copy(path, staging / path.name)
    problems: list[str] = []
    stop = threading.Event()

    def read_while_writing() -> None:
        """A reader, a sqlite3 client and ``feedsvc search`` throughout: never an error or
        a torn file."""
        conn = sqlite3.connect(project / "archive" / "archive.db", timeout=10)
        while not stop.is_set():
            try:
                conn.execute("SELECT count(*), max(updated) FROM articles").fetchone()
                body = daemon.get("/all.xml").content
                if feedparser.parse(body).bozo:
                    problems.append(f"a published feed did not parse: {body[:80]!r}")
                search = subprocess.run(
                    [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"),
                     "search", "新疆", "--json"], capture_output=True, timeout=30)
                if search.returncode != 0:
                    problems.append(f"feedsvc search: {search.stderr.decode()[-200:]}")
            except (sqlite3.Error, httpx.HTTPError) as exc:
                problems.append(repr(exc))
        conn.close()

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    try:
        for path in staging.iterdir():
            os.replace(path, inbox / path.name)  # dropped at once, each file complete
        wait_for(lambda: len(list((inbox / "done").glob("*"))) + len(
            list((inbox / "failed").glob("*"))) >= len(SAMPLE_FILES), what="the samples filed")
        wait_for(lambda: len(feed_titles(daemon)) >= 38, what="the samples in /all.xml")
    finally:
        stop.set()
        reader.join()
    assert problems == []
    publishes = daemon.output().count("published:")
    assert publishes <= 3, daemon.output()  # start-up, the burst (maybe split by the max delay)


def test_source_is_polled_on_schedule(start_daemon: Callable[..., Daemon],
                                      feed_server: FeedServer) -> None:
    def rss(headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(304, b"", {"ETag": '"v1"'})
        return Reply(200, RSS, {"Content-Type": "application/rss+xml", "ETag": '"v1"'})

    url = feed_server.serve("/rss", rss)
    daemon = start_daemon(f"sources:\n  - name: Wire\n    url: {url}\n    every: 1s\n    full_text: never\n"
                          "fetch:\n  timeout: 2s\n")
    wait_for(lambda: len(feed_server.seen("/rss")) >= 4, what="four polls of the source")
    polls = feed_server.seen("/rss")
    assert polls[-1].get("if-none-match") == '"v1"'  # conditional after the first
    titles = wait_for(lambda: feed_titles(daemon, "/sources/wire.xml"), what="the source feed")
    assert "Harbour reopens after storm" in titles  # type: ignore[operator]
    health = daemon.get("/healthz").json()
    (source,) = health["sources"]
    assert health["scheduler"]["running"] and source["last_success"]
    metrics = daemon.get("/metrics").text
    assert 'feedsvc_fetches_total{result="200"} 1.0' in metrics
    assert 'feedsvc_fetches_total{result="304"}' in metrics


def test_conditional_poll_gets_304_and_traversal_gets_404(
        start_daemon: Callable[..., Daemon], inbox: Path, project: Path) -> None:
    shutil.copy(SEED_POST, inbox / SEED_POST.name)
    daemon = start_daemon()
    wait_for(lambda: feed_titles(daemon), what="the seed post")
    first = daemon.get("/all.xml")
    again = daemon.get("/all.xml", **{"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    since = daemon.get("/all.xml", **{"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    for raw in (b"/../config.yaml", b"/%2e%2e/config.yaml", b"/sources%2f..%2f..%2fconfig.yaml",
                b"/../../../../etc/passwd", b"/.all.xml.tmp", b"/..%5cconfig.yaml"):
        assert raw_get(daemon.port, raw).startswith(b"HTTP/1.1 404"), raw


def raw_get(port: int, path: bytes) -> bytes:
    """A request sent as written: HTTP clients would normalize the dot segments away."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return sock.recv(65536)


def test_sigterm_exits_cleanly_and_a_second_run_is_refused(
        start_daemon: Callable[..., Daemon], inbox: Path, project: Path) -> None:
    for path in SAMPLE_FILES[:10]:
        shutil.copy(path, inbox / path.name)
    daemon = start_daemon()
    second = subprocess.run(
        [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"), "run",
         "--port", str(free_port())], capture_output=True, text=True, timeout=30)
    assert second.returncode == 1
    assert "another feedsvc run" in second.stderr and str(daemon.proc.pid) in second.stderr
    wait_for(lambda: (inbox / "done").exists(), what="ingest to begin")
    started = time.monotonic()
    assert daemon.stop() == 0, daemon.output()
    assert time.monotonic() - started < 10
    assert "stopped" in daemon.output()
    with sqlite3.connect(project / "archive" / "archive.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        archived = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    # Every file is either archived and in done/, or still in the inbox: none lost.
    left = [p for p in inbox.iterdir() if p.is_file()]
    assert len(list((inbox / "done").iterdir())) + len(left) == 10
    assert archived >= len(list((inbox / "done").iterdir())) - 1  # one sample is a duplicate


def test_run_once_does_one_cycle_and_exits(project: Path, inbox: Path,
                                           feed_server: FeedServer) -> None:
    url = feed_server.serve("/rss", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    (project / "config.yaml").write_text(
        CONFIG_TEXT.format(entries=50).replace("sources: []\n", "")
        + f"sources:\n  - name: Wire\n    url: {url}\n    full_text: never\n", encoding="utf-8")
    shutil.copy(SEED_POST, inbox / "post.md")
    result = subprocess.run(
        [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"), "--log-json",
         "run", "--once"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(feed_server.seen("/rss")) == 1
    assert (inbox / "done" / "post.md").exists()
    public = project / "archive" / "public"
    parsed = feedparser.parse((public / "all.xml").read_bytes())
    assert len(parsed.entries) == 4  # the post and the feed's three entries
    import json
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert {e["event"] for e in events} >= {"ingest", "fetch", "publish"}
    assert all(e["level"] in {"info", "warning"} for e in events)


def test_serve_alone_serves_public(project: Path) -> None:
    public = project / "archive" / "public"
    public.mkdir(parents=True)
    (public / "all.xml").write_bytes(RSS)
    port = free_port()
    with (project / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"),
             "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        def answer() -> httpx.Response | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/all.xml", timeout=2)
            except httpx.TransportError:
                return None

        response = wait_for(answer, what="feedsvc serve")
        assert response.content == RSS  # type: ignore[union-attr]
        health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert health["status"] == "ok" and health["scheduler"] is None
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_busy_port_is_a_clear_error(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"),
             "serve", "--port", str(port)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_failing_source_waits_out_its_backoff_across_restarts(
        start_daemon: Callable[..., Daemon], feed_server: FeedServer) -> None:
    url = feed_server.serve("/busy", Reply(429, b"slow down", {"Retry-After": "3600"}))
    config = f"sources:\n  - name: Busy\n    url: {url}\n    every: 1s\n    full_text: never\nfetch:\n  timeout: 2s\n"
    daemon = start_daemon(config)
    wait_for(lambda: feed_server.seen("/busy"), what="the first poll")
    time.sleep(3)  # three intervals: a source without backoff would be polled again
    assert len(feed_server.seen("/busy")) == 1
    (source,) = daemon.get("/healthz").json()["sources"]
    assert source["failures"] == 1 and source["last_status"] == "error"
    assert source["last_error"] == "HTTP 429 Too Many Requests"
    assert daemon.stop() == 0
    again = start_daemon(config)
    time.sleep(3)
    assert len(feed_server.seen("/busy")) == 1  # the backoff is in the archive, not in memory
    assert "Retry-After" in daemon.output()
    assert again.stop() == 0


REPO = Path(__file__).resolve().parents[1]


def test_run_once_on_a_fresh_clone_leaves_git_status_clean(tmp_path: Path) -> None:
    """The shipped config and samples, as a clone has them: the daemon archives the sample
    library in place, so nothing tracked moves (issue 16)."""
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(REPO / "config.yaml", clone)
    shutil.copy(REPO / ".gitignore", clone)
    shutil.copytree(REPO / "archive" / "library", clone / "archive" / "library")
    shutil.copytree(REPO / "archive" / "inbox", clone / "archive" / "inbox")
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], check=True)
    (clone / "config.yaml").write_text((clone / "config.yaml").read_text(encoding="utf-8")
                                       .replace("port: 8080", f"port: {free_port()}")
                                       + "media: link\n")  # no network but loopback
    subprocess.run([*git, "commit", "-qam", "port"], check=True)
    result = subprocess.run([sys.executable, "-m", "feedsvc", "run", "--once"], cwd=clone,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "inbox: 49 new" in result.stderr  # the samples were archived...
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True,
                            check=True).stdout
    assert status == ""  # ...and nothing tracked moved or changed
    again = subprocess.run([sys.executable, "-m", "feedsvc", "run", "--once"], cwd=clone,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "0 new, 0 updated, 51 unchanged" in again.stderr


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8080/", "https://news.example.org/"],
                         ids=["default", "explicit"])
def test_served_links_follow_the_port_unless_the_base_url_was_chosen(
        project: Path, inbox: Path, base_url: str) -> None:
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "http://127.0.0.1:8080/", base_url), encoding="utf-8")
    shutil.copy(SEED_POST, inbox / "post.md")
    for command in ("ingest", "publish"):
        subprocess.run([sys.executable, "-m", "feedsvc", "--config", str(config), command],
                       check=True, capture_output=True)
    port = free_port()
    with (project / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedsvc", "--config", str(config), "serve", "--port",
             str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        def opml() -> str | None:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/feeds.opml", timeout=2).text
            except httpx.TransportError:
                return None

        text = str(wait_for(opml, what="feedsvc serve"))
        index = httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    output = (project / "serve.log").read_text(encoding="utf-8")
    if base_url.startswith("http://127.0.0.1:8080"):
        assert f"http://127.0.0.1:{port}/all.xml" in text and ":8080/" not in text
        assert f"http://127.0.0.1:{port}/" in index
        assert "links in the site point to" not in output
    else:
        assert "https://news.example.org/all.xml" in text
        assert output.count(f"links in the site point to public.base_url {base_url}, not to "
                            f"http://127.0.0.1:{port}/ where it is served") == 1


def test_sighup_reloads_the_sources(start_daemon: Callable[..., Daemon], project: Path,
                                    feed_server: FeedServer) -> None:
    """Issue 17: SIGHUP re-reads config.yaml; a source added is fetched within seconds, one
    removed no longer is; a broken config is one logged line and the running one stays."""
    daemon = start_daemon()
    config = project / "config.yaml"
    running = config.read_text(encoding="utf-8")
    url = feed_server.serve("/new", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    config.write_text(running.replace("sources: []\n", f"sources:\n  - name: New\n"
                                      f"    url: {url}\n    every: 1h\n    full_text: never\n"),
                      encoding="utf-8")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: feed_server.seen("/new"), what="the added source to be fetched")
    wait_for(lambda: "reloaded" in daemon.output() and "added: new" in daemon.output(),
             what="the reload logged")
    config.write_text("sources: [broken\n", encoding="utf-8")
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "the running configuration is kept" in daemon.output(),
             what="the broken config reported")
    assert daemon.healthy()
    (source,) = daemon.get("/healthz").json()["sources"]
    assert source["name"] == "New"
    config.write_text(running, encoding="utf-8")  # the source removed again
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "removed: new" in daemon.output(), what="the removal logged")
    assert daemon.get("/healthz").json()["sources"] == []
    assert daemon.stop() == 0
    assert "Traceback" not in daemon.output()


def test_the_daemon_archives_whole_articles_of_a_summary_feed(
        start_daemon: Callable[..., Daemon], feed_server: FeedServer, project: Path) -> None:
    page = (DATA / "pages" / "fulltext_en.html").read_bytes()
    link = feed_server.serve("/2024/05/harbour-reopens", Reply(
        200, page, {"Content-Type": "text/html; charset=utf-8"}))
    summary = "The harbour reopened on Friday morning after three days of closure…"
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Courier</title>'
            f"<item><title>Harbour reopens after three-day storm</title><link>{link}</link>"
            f"<description>{summary}</description></item></channel></rss>").encode()
    url = feed_server.serve("/rss", Reply(200, feed, {"Content-Type": "application/rss+xml"}))
    daemon = start_daemon(f"sources:\n  - name: Courier\n    url: {url}\n    every: 1h\n")
    wait_for(lambda: feed_server.seen("/2024/05/harbour-reopens"), what="the article page")

    def archived() -> list[tuple[str, str]]:
        with sqlite3.connect(project / "archive" / "archive.db") as conn:
            return conn.execute("SELECT text_origin, content_text FROM articles").fetchall()

    ((origin, text),) = wait_for(archived, what="the article archived")  # type: ignore[misc]
    assert origin == "page" and "divers had checked the breakwater" in text
    # and published whole: readers get the article, not the summary
    wait_for(lambda: "divers had checked the breakwater" in daemon.get("/all.xml").text,
             what="the whole article in the published feed")


def test_a_running_daemon_fetches_a_source_added_by_add_within_seconds(
        start_daemon: Callable[..., Daemon], feed_server: FeedServer, project: Path) -> None:
    daemon = start_daemon()
    url = feed_server.serve("/added", Reply(200, RSS, {"Content-Type": "application/rss+xml"}))
    added = subprocess.run(
        [sys.executable, "-m", "feedsvc", "--config", str(project / "config.yaml"), "add", url,
         "--name", "Added", "--no-fetch", "--full-text", "never"],
        capture_output=True, text=True, timeout=60)
    assert added.returncode == 0, added.stderr
    assert feed_server.seen("/added") and len(feed_server.seen("/added")) == 1  # discovery
    started = time.monotonic()
    wait_for(lambda: len(feed_server.seen("/added")) >= 2, timeout=15,
             what="the daemon to fetch the added source")
    assert time.monotonic() - started < 10
    wait_for(lambda: "Harbour reopens after storm" in feed_titles(daemon, "/sources/added.xml"),
             what="its entries published")
    wait_for(lambda: "subscriptions changed" in daemon.output(), what="the change logged")


def test_the_daemon_keeps_the_images_of_what_it_archives_and_serves_them(
        start_daemon: Callable[..., Daemon], feed_server: FeedServer, project: Path) -> None:
    """Images follow their articles within seconds (not at the next minute's round); an
    unreachable image host is recorded for a later try, quietly; the feeds the daemon serves
    point at the archived copy, served immutable and sandboxed."""
    from .test_media import png

    picture = feed_server.serve("/img/harbour.png", Reply(200, png((48, 32)), {
        "Content-Type": "image/png"}))
    unreachable = f"http://127.0.0.1:{free_port()}/img/lost.png"  # nothing listens there
    feed = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Courier</title>'
            f"<item><title>Harbour reopens</title><link>http://news.example/harbour</link>"
            f"<description>&lt;p&gt;The harbour reopened.&lt;/p&gt;&lt;img src='{picture}' "
            f"alt='The harbour'&gt;&lt;img src='{unreachable}' alt='Lost'&gt;</description>"
            f"</item></channel></rss>").encode()
    url = feed_server.serve("/rss", Reply(200, feed, {"Content-Type": "application/rss+xml"}))
    started = time.monotonic()
    daemon = start_daemon(f"sources:\n  - name: Courier\n    url: {url}\n    every: 1h\n"
                          "    full_text: never\n    media: keep\n")

    def statuses() -> dict[str, str]:
        with sqlite3.connect(project / "archive" / "archive.db") as conn:
            return dict(conn.execute("SELECT url, status FROM media").fetchall())

    wait_for(lambda: statuses().get(picture) == "kept", timeout=30, what="the picture kept")
    assert time.monotonic() - started < 30  # not a minute later
    assert statuses()[unreachable] == "retry"
    wait_for(lambda: "/media/" in daemon.get("/all.xml").text, what="the feed republished")
    content = feedparser.parse(daemon.get("/all.xml").content).entries[0].content[0].value
    assert picture not in content and unreachable in content  # what is not kept stays linked
    local = content.split('src="')[1].split('"')[0]
    assert local.startswith(daemon.url + "/media/")
    served = httpx.get(local, timeout=5)
    assert served.status_code == 200 and served.content == png((48, 32))
    assert "immutable" in served.headers["cache-control"]
    assert served.headers["x-content-type-options"] == "nosniff"
    assert len(feed_server.seen("/img/harbour.png")) == 1
    assert daemon.stop() == 0
    log = daemon.output()
    assert "Traceback" not in log and "lost.png" not in log  # quietly
    assert "WARNING" not in log and "skipped" not in log, log
