"""Crashes: ``kill -9`` at random moments of an ingest, a fetch, a publish and the daemon;
and a full disk. Afterwards the archive passes ``PRAGMA integrity_check``, no article is lost
or duplicated, no published file is cut short, and the inbox holds every file not archived.

The moments are random but seeded (printed on failure), so a failing run can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import feedparser
import httpx
import pytest

from .conftest import CONFIG_TEXT, SEED_POST, free_port, wait_for, write_sources
from .feedserver import FeedServer, Reply

SEED = int(os.environ.get("FEEDSVC_CRASH_SEED", "20261121"))
BODY = SEED_POST.read_text(encoding="utf-8").split("---", 2)[2]  # a real article body


def feedsvc(project: Path, *args: str, **popen: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "feedsvc", "--config",
                             str(project / "config.yaml"), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=project,
                            **popen)  # type: ignore[call-overload]


def kill_after(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL after ``seconds`` unless it finished; True when it was killed. Its worker
    processes must not outlive it (they would wait for work forever)."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        workers = _children(proc.pid)
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 10
        while (left := [p for p in workers if _running(p)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"worker processes {left} outlived the killed feedsvc"
        return True


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for init, which may never reap)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def write_posts(inbox: Path, count: int) -> list[Path]:
    files = []
    for n in range(count):
        file = inbox / f"2024-01-{1 + n % 28:02d}-post-{n:04d}.md"
        file.write_text(f"---\ntitle: Crash test {n}\nurl: https://crash.example/{n}\n"
                        f"tags: [t{n % 5}]\ndate: 2024-01-{1 + n % 28:02d}\n---\n{BODY}",
                        encoding="utf-8")
        files.append(file)
    return files


def check_archive(database: Path, expected: int) -> None:
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        total, distinct = db.execute(
            "SELECT count(*), count(DISTINCT canonical_url) FROM articles").fetchone()
        assert total == distinct == expected
        assert db.execute("SELECT count(*) FROM article_revisions").fetchone()[0] == 0
        # The search index is consistent (an error is raised otherwise) and complete.
        db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        assert db.execute("SELECT count(*) FROM fts_pending").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH "
                          "'crash OR entry'").fetchone()[0] == expected


def check_published(public: Path) -> int:
    """Every published document parses whole; returns how many there are."""
    documents = 0
    for file in public.rglob("*"):
        if file.name.startswith(".") or not file.is_file():
            continue
        if file.suffix == ".xml":
            parsed = feedparser.parse(file.read_bytes())
            assert not parsed.bozo, (file, parsed.get("bozo_exception"))
            documents += 1
        elif file.suffix == ".json":
            json.loads(file.read_bytes())
            documents += 1
        elif file.suffix == ".html":
            assert file.read_bytes().rstrip().endswith(b"</html>"), file
    return documents


def test_kill_9_during_ingest_loses_and_duplicates_nothing(project: Path, inbox: Path) -> None:
    rng = random.Random(SEED)
    files = write_posts(inbox, 2000)
    kills = 0
    for attempt in range(4):
        delay = rng.uniform(0.6, 2.0)
        kills += kill_after(feedsvc(project, "ingest"), delay)
        with sqlite3.connect(project / "archive" / "archive.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", (SEED, attempt)
    assert kills >= 1, "ingest always finished before the kill: make it bigger"
    done = feedsvc(project, "ingest")
    assert done.wait(timeout=120) == 0, done.stderr.read() if done.stderr else ""
    check_archive(project / "archive" / "archive.db", len(files))
    assert all(file.exists() for file in files)  # `ingest` reads the inbox, never moves it


def test_kill_9_during_publish_leaves_only_whole_files(project: Path, inbox: Path) -> None:
    rng = random.Random(SEED + 1)
    # Pages of two entries: thousands of documents, so a publish lasts long enough to kill.
    (project / "config.yaml").write_text(CONFIG_TEXT.format(entries=2), encoding="utf-8")
    write_posts(inbox, 300)
    assert feedsvc(project, "ingest").wait(timeout=120) == 0
    public = project / "archive" / "public"
    kills = 0
    for attempt in range(10):
        if attempt % 2 == 0:  # half the time from scratch: every file is being written
            shutil.rmtree(public, ignore_errors=True)
        # A publish that ended before its kill (a fast machine) makes the next kill sooner.
        delay = rng.uniform(0.45, 1.2) / (1 + attempt - kills)
        kills += kill_after(feedsvc(project, "publish"), delay)
        check_published(public)
        if kills >= 2 and attempt >= 3:
            break
    assert kills >= 1
    for leftover in public.rglob(".*.tmp"):  # what a killed publish may leave: old ones go
        os.utime(leftover, (time.time() - 3600,) * 2)
    assert feedsvc(project, "publish").wait(timeout=120) == 0
    assert check_published(public) > 100
    assert list(public.rglob(".*.tmp")) == []


def test_kill_9_during_fetch(project: Path, feed_server: FeedServer) -> None:
    rng = random.Random(SEED + 2)
    sources = []
    for n in range(40):
        items = "".join(f"<item><title>Feed {n} entry {k}</title><link>https://f{n}.example/"
                        f"{k}</link><description>{BODY[:1500]}</description></item>"
                        for k in range(20))
        body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{n}</title>'
                f"{items}</channel></rss>").encode()
        sources.append({"name": f"Feed {n}", "url": feed_server.serve(
            f"/f{n}", Reply(200, body, {"Content-Type": "application/rss+xml"}, delay=0.05))})
    config = write_sources(project, sources, "fetch:\n  concurrency: 4\n")
    kills = 0
    for _ in range(3):
        kills += kill_after(feedsvc(project, "fetch", "--force"), rng.uniform(0.5, 2.0))
        with sqlite3.connect(config.database) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert kills >= 1
    assert feedsvc(project, "fetch", "--force").wait(timeout=120) == 0
    check_archive(Path(config.database), 40 * 20)


def test_kill_9_of_the_daemon_keeps_every_inbox_file(project: Path, inbox: Path) -> None:
    rng = random.Random(SEED + 3)
    port = free_port()
    (project / "config.yaml").write_text(
        CONFIG_TEXT.format(entries=50) + f"server:\n  port: {port}\n", encoding="utf-8")
    names = {f.name for f in write_posts(inbox, 300)}
    old = time.time() - 60
    for file in inbox.iterdir():
        os.utime(file, (old, old))  # settled: the daemon takes them at once
    for _ in range(3):
        kill_after(feedsvc(project, "run"), rng.uniform(1.5, 4.0))
        left = {f.name for f in inbox.glob("*.md")}
        done = {f.name for f in (inbox / "done").glob("*.md")} if (inbox / "done").exists() \
            else set()
        assert left | done == names and not left & done  # every file in exactly one place
        check_published(project / "archive" / "public")
    daemon = feedsvc(project, "run")
    try:
        wait_for(lambda: _answers(port), what="the daemon to answer")
        wait_for(lambda: not list(inbox.glob("*.md")), timeout=120, what="an empty inbox")
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=20) == 0
    assert {f.name for f in (inbox / "done").glob("*.md")} == names
    check_archive(project / "archive" / "archive.db", len(names))
    check_published(project / "archive" / "public")


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _limit_file_size(limit: int) -> None:
    """In the child: files cannot grow past ``limit`` (as on a full disk), and writing
    past it is an error (EFBIG), not a signal that kills the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
def test_a_full_disk_is_a_clear_error_and_recovery_follows(project: Path, inbox: Path) -> None:
    files = write_posts(inbox, 200)
    # room for a new archive (twelve migrations) and some of the posts, not all of them
    proc = feedsvc(project, "ingest", preexec_fn=lambda: _limit_file_size(900_000))
    _, stderr = proc.communicate(timeout=120)
    message = stderr.decode()
    assert proc.returncode != 0
    assert "disk" in message and "is the disk full" in message, message
    assert "cannot open" not in message  # the disk filled up while ingesting
    assert "Traceback" not in message
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Space returns: the same command finishes the job.
    assert feedsvc(project, "ingest").wait(timeout=120) == 0
    check_archive(project / "archive" / "archive.db", len(files))
