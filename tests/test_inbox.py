"""The daemon's inbox watcher: only settled files are taken; handled files are moved, never lost."""

from __future__ import annotations

import os
import time
from pathlib import Path

from feedsvc.inbox import InboxWatcher
from feedsvc.models import FileResult, SaveStatus


def age(path: Path, seconds: float) -> None:
    when = time.time() - seconds
    os.utime(path, (when, when))


def test_settled_files_are_ready_growing_ones_wait(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path, settle=2.0)
    done = tmp_path / "a.md"
    done.write_text("complete", encoding="utf-8")
    growing = tmp_path / "b.md"
    growing.write_text("half", encoding="utf-8")
    now = time.time() + 5  # both look old enough by their times...
    assert watcher.ready(now) == [done, growing]
    with growing.open("a", encoding="utf-8") as handle:
        handle.write(" and more")  # ...but b changed since the last scan
    assert watcher.ready(now) == [done]
    assert watcher.ready(now) == [done, growing]  # held still for a whole scan


def test_fresh_files_wait_for_settle(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path, settle=2.0)
    fresh = tmp_path / "new.txt"
    fresh.write_text("just written", encoding="utf-8")
    assert watcher.ready() == []
    assert watcher.ready(time.time() + 3) == [fresh]


def test_hidden_partial_and_filed_away_files_are_ignored(tmp_path: Path) -> None:
    for name in (".hidden.md", "download.part", "copy.tmp", "edit.md~",
                 "done/old.md", "failed/bad.md", "failed/bad.md.error", ".git/x", "sub/real.md"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    assert InboxWatcher(tmp_path, settle=0).ready(time.time() + 1) == [tmp_path / "sub/real.md"]


def test_file_away_keeps_folders_and_never_overwrites(tmp_path: Path) -> None:
    watcher = InboxWatcher(tmp_path)
    (tmp_path / "sub").mkdir()
    for round_ in range(2):
        post = tmp_path / "sub" / "post.md"
        post.write_text(f"round {round_}", encoding="utf-8")
        watcher.file_away(FileResult(post, SaveStatus.NEW))
    assert (tmp_path / "done/sub/post.md").read_text(encoding="utf-8") == "round 0"
    assert (tmp_path / "done/sub/post.1.md").read_text(encoding="utf-8") == "round 1"
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01")
    target = watcher.file_away(FileResult(bad, SaveStatus.FAILED, "binary data, not an article"))
    assert target == tmp_path / "failed/bad.txt" and target.read_bytes() == b"\x00\x01"
    error = (tmp_path / "failed/bad.txt.error").read_text(encoding="utf-8")
    assert error == "bad.txt: binary data, not an article\n"
    assert not bad.exists()
