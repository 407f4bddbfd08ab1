"""Archived images in what we publish (issue 23). The article HTML in the database keeps the
original URLs; when pages and feeds are written, each image kept in the archive is pointed
at its copy under ``public/media/`` (``public.media: local``, the default) or left at its
original (``original``). Article pages use the archived copy whenever there is one: a page
cannot fall back from a dead original by itself (it runs no script). Alt text, captions and
``width``/``height`` are attributes the rewrite does not touch.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable
from html import escape, unescape
from pathlib import Path

from feedsvc.archive import Archive
from feedsvc.errors import PublishError
from feedsvc.mediarefs import SRCSET_CANDIDATE
from feedsvc.mediastore import relative_path

MEDIA_DIR = "media"  # under public/, as under the archive folder
_ATTRIBUTE = re.compile(r'(\s(?:src|poster|srcset)=)"([^"]*)"')


def kept_media(db: Archive, article_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """For each of these articles that has any: its image URLs kept in the archive -> the
    copy's path under ``public/`` (``media/ab/cdef….png``)."""
    ids = sorted(set(article_ids))
    found: dict[int, dict[str, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for article_id, url, digest, extension in db.execute(
                f"SELECT am.article_id, m.url, m.digest, m.extension FROM article_media am "
                f"JOIN media m ON m.url = am.url WHERE m.status = 'kept' "
                f"AND am.article_id IN ({marks})", chunk):
            found.setdefault(article_id, {})[url] = \
                f"{MEDIA_DIR}/{relative_path(digest, extension)}"
    return found


def all_kept_paths(db: Archive) -> list[str]:
    """The ``media/…`` path of every image kept in the archive."""
    return [f"{MEDIA_DIR}/{relative_path(digest, extension)}" for digest, extension in
            db.execute("SELECT DISTINCT digest, extension FROM media WHERE status = 'kept'")]


def localize(content_html: str, targets: dict[str, str]) -> str:
    """``content_html`` with every image URL of ``targets`` (original -> new address) in
    ``src``, ``poster`` and ``srcset`` replaced."""
    if not targets:
        return content_html

    def one(url: str) -> str:
        return targets.get(unescape(url), url)

    def attribute(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if "srcset" not in name:
            new = one(value)
            return f'{name}"{escape(new) if new != value else value}"'
        parts = []
        for candidate in SRCSET_CANDIDATE.finditer(value):
            url, size, unit = candidate.groups()
            if url:
                replaced = one(url.rstrip(","))
                shown = escape(replaced) if replaced != url.rstrip(",") else url.rstrip(",")
                parts.append(f"{shown} {size}{unit}" if size else shown)
        return f'{name}"{", ".join(parts)}"'

    return _ATTRIBUTE.sub(attribute, content_html)


def copy_media(public_dir: str, media_root: Path, paths: Iterable[str]) -> list[str]:
    """Put the archived files at these ``media/…`` paths into ``public/`` (a hard link where
    the file system allows, else a copy); returns the paths written. Files already there are
    left: a path is its content's hash."""
    written = []
    for path in sorted(set(paths)):
        target = Path(public_dir) / path
        if target.exists():
            continue
        source = media_root / path.removeprefix(f"{MEDIA_DIR}/")
        if not source.is_file():
            continue  # evicted or not yet downloaded: the page keeps the original URL
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(source, target)
        except OSError as exc:
            raise PublishError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        written.append(path)
    return written


def _link_or_copy(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.part")
    try:
        os.link(source, temporary)
    except OSError:
        shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def rewritten(targets_of: dict[int, dict[str, str]],
              address: Callable[[str], str]) -> dict[int, dict[str, str]]:
    """The same maps with each ``media/…`` path turned into an address (absolute for
    feeds, relative to the page for pages)."""
    return {article: {url: address(path) for url, path in targets.items()}
            for article, targets in targets_of.items()}
