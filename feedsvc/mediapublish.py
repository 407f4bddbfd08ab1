"""Archived images in what we publish (issue 23). The article HTML in the database keeps the
original URLs; when pages and feeds are written, each image kept in the archive is pointed
at its copy under ``public/media/`` (``public.media: local``, the default) or left at its
original (``original``). Article pages use the archived copy whenever there is one: a page
cannot fall back from a dead original by itself (it runs no script). Alt text, captions and
``width``/``height`` are attributes the rewrite does not touch; an ``img`` that has neither
``width`` nor ``height`` gets the archived copy's, so the page does not jump as it loads.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from html import escape, unescape
from pathlib import Path

from feedsvc.archive import Archive, in_chunks
from feedsvc.errors import PublishError
from feedsvc.mediarefs import SRCSET_CANDIDATE
from feedsvc.mediastore import relative_path
from feedsvc.models import StoredArticle

MEDIA_DIR = "media"  # under public/, as under the archive folder
_ATTRIBUTE = re.compile(r'(\s(?:src|poster|srcset)=)"([^"]*)"')
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
# an attribute of a serialized tag: its name, and its quoted value if any
_TAG_ATTRIBUTE = re.compile(r'\s([^\s=/>"\']+)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>]+)))?')


@dataclass(frozen=True, slots=True)
class KeptImage:
    """An image kept in the archive, as pages and feeds point at it."""

    path: str  # under public/: media/ab/cdef….png
    width: int | None = None
    height: int | None = None


def kept_media(db: Archive, article_ids: Iterable[int]) -> dict[int, dict[str, KeptImage]]:
    """For each of these articles that has any: its image URLs kept in the archive -> the
    copy (its path under ``public/``, ``media/ab/cdef….png``, and its size)."""
    ids = sorted(set(article_ids))
    found: dict[int, dict[str, KeptImage]] = {}
    for chunk, marks in in_chunks(ids):
        for article_id, url, digest, extension, width, height in db.execute(
                f"SELECT am.article_id, m.url, m.digest, m.extension, m.width, m.height "
                f"FROM article_media am JOIN media m ON m.url = am.url "
                f"WHERE m.status = 'kept' AND am.article_id IN ({marks})", chunk):
            found.setdefault(article_id, {})[url] = KeptImage(
                f"{MEDIA_DIR}/{relative_path(digest, extension)}", width, height)
    return found


def with_copies(db: Archive, articles: list[StoredArticle],
                address: Callable[[StoredArticle, str], str]) -> list[StoredArticle]:
    """The articles with their kept images pointing at the archived copies, each at the
    ``address`` (article, ``media/…`` path) gives: relative for a page, absolute for a
    feed."""
    kept = kept_media(db, [a.id for a in articles])
    return [replace(a, content_html=localize(a.content_html, kept[a.id],
                                             partial(address, a)))
            if a.id in kept else a for a in articles]


def all_kept_paths(db: Archive) -> list[str]:
    """The ``media/…`` path of every image kept in the archive."""
    return [f"{MEDIA_DIR}/{relative_path(digest, extension)}" for digest, extension in
            db.execute("SELECT DISTINCT digest, extension FROM media WHERE status = 'kept'")]


def localize(content_html: str, kept: dict[str, KeptImage],
             address: Callable[[str], str]) -> str:
    """``content_html`` with every image URL of ``kept`` in ``src``, ``poster`` and
    ``srcset`` replaced by the ``address`` of its archived copy, and the copy's size given
    to each ``img`` that states none."""
    if not kept:
        return content_html
    targets = {url: address(image.path) for url, image in kept.items()}

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

    sized = _IMG.sub(lambda tag: _sized(tag.group(0), kept), content_html)
    return _ATTRIBUTE.sub(attribute, sized)


def _sized(tag: str, kept: dict[str, KeptImage]) -> str:
    """An ``<img>`` tag with its archived copy's ``width`` and ``height`` when it states
    neither: the browser then reserves the picture's place."""
    attributes = {m.group(1).lower(): unescape(m.group(2) or m.group(3) or m.group(4) or "")
                  for m in _TAG_ATTRIBUTE.finditer(tag, 4)}
    if "width" in attributes or "height" in attributes:
        return tag
    image = kept.get(attributes.get("src", "").strip())
    if image is None or not image.width or not image.height:
        return tag
    end = len(tag) - (2 if tag.endswith("/>") else 1)
    return f'{tag[:end].rstrip()} width="{image.width}" height="{image.height}"{tag[end:]}'


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


