"""The daemon's inbox: find files that are completely written, file them away when archived.

A file is taken once its size and times have held still for ``settle`` seconds,
so a file still being copied in is not read half-way. Hidden files and the usual partial
download names are left alone until they are renamed. Handled files are moved, never
deleted: to ``done/``, or to ``failed/`` with a ``.error`` file beside them saying why.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from feedsvc.errors import StoreError
from feedsvc.models import FileResult, SaveStatus
from feedsvc.pipeline import FILED_DIRS

PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".swp", "~")


class InboxWatcher:
    """The inbox (files moved out once archived) or, with ``keep``, a library folder (files
    archived where they are, read again only when they change)."""

    def __init__(self, inbox: str | Path, settle: float = 2.0, keep: bool = False) -> None:
        self.inbox = Path(inbox)
        self.settle = settle
        self.keep = keep
        self._seen: dict[Path, tuple[int, int]] = {}  # path -> (size, mtime_ns) last scan
        self._kept: dict[Path, tuple[int, int]] = {}  # library files as last archived

    def ready(self, now: float | None = None, settle: float | None = None) -> list[Path]:
        """Files that have not changed for ``settle`` seconds (default: the watcher's) and
        since the last scan, oldest first."""
        now = time.time() if now is None else now
        settle = self.settle if settle is None else settle
        found: dict[Path, tuple[int, int]] = {}
        ready: list[tuple[int, Path]] = []
        for path in self._scan():
            try:
                info = path.stat()
            except OSError:
                continue  # gone between listing and stat
            shape = (info.st_size, info.st_mtime_ns)
            found[path] = shape
            if self._kept.get(path) == shape:
                continue  # a library file archived as it is
            # ctime too: a copy that keeps an old mtime (cp -p) still changes the ctime.
            age = now - max(info.st_mtime, info.st_ctime)
            before = self._seen.get(path)
            still = before == shape if before is not None else age >= self.settle
            if still and age >= settle:
                ready.append((info.st_mtime_ns, path))
        self._seen = found
        return [path for _, path in sorted(ready)]

    def _scan(self) -> list[Path]:
        if not self.inbox.is_dir():
            return []
        files = []
        for folder, dirs, names in os.walk(self.inbox):
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not (here == self.inbox and d in FILED_DIRS and not self.keep))
            files += [here / name for name in sorted(names)
                      if not name.startswith(".") and not name.endswith(PARTIAL_SUFFIXES)]
        return files

    def file_away(self, result: FileResult) -> Path:
        """Move an ingested file to ``done/`` or ``failed/`` (with its ``.error``); a library
        file stays where it is, remembered until it changes."""
        if self.keep:
            try:
                info = result.path.stat()
                self._kept[result.path] = (info.st_size, info.st_mtime_ns)
            except OSError:
                self._kept.pop(result.path, None)
            return result.path
        failed = result.status is SaveStatus.FAILED
        relative = result.path.relative_to(self.inbox)
        target = _free_name(self.inbox / ("failed" if failed else "done") / relative)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(result.path, target)
            if failed:
                target.with_name(target.name + ".error").write_text(
                    f"{relative}: {result.reason}\n", encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"{result.path}: cannot move out of the inbox: "
                             f"{exc.strerror or exc}") from exc
        self._seen.pop(result.path, None)
        return target


def _free_name(path: Path) -> Path:
    """``path``, or ``name.1.ext``, ``name.2.ext``... when a file of that name is there."""
    if not path.exists():
        return path
    for number in range(1, 100_000):
        candidate = path.with_name(f"{path.stem}.{number}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise StoreError(f"{path}: too many files of this name already filed away")
