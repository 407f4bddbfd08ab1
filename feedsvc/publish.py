"""Write the public site: a feed per source, per tag and for everything, OPML and index.

Every write is atomic (a temporary file renamed over the old one), and a file whose bytes
would not change is not rewritten, so caches and readers see a stable file.
"""

from __future__ import annotations

import contextlib
import json
import time
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote

from feedsvc.atomicfile import replace_file
from feedsvc.errors import PublishError
from feedsvc.models import FeedInfo, StoredArticle
from feedsvc.site import render_opml
from feedsvc.webpages import STYLESHEET as PAGES_STYLESHEET
from feedsvc.webpages import Slugs, render_front

STYLESHEET = "feed.xsl"  # renders the Atom feeds for people who open them in a browser


def feed_url(base_url: str, path: str) -> str:
    """Where the document at ``path`` (under ``public/``) is served: ASCII only, the
    non-ASCII slug percent-encoded."""
    return base_url + quote(path)


def remove_stale_temporaries(public_dir: str, older_than: float = 60.0) -> int:
    """Temporary files a killed publish left behind (``.<name>.<random>.tmp``); only old
    ones, so a publish running at the same time keeps its own."""
    removed = 0
    cutoff = time.time() - older_than
    for leftover in Path(public_dir).rglob(".*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
                removed += 1
    return removed


def write_file(path: Path, data: bytes) -> bool:
    """Atomically replace ``path`` with ``data``; False (and no write) when identical."""
    try:
        if path.exists() and path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
        replace_file(path, data)
    except OSError as exc:
        raise PublishError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    return True


def publish_directory(public_dir: str, base_url: str, site_title: str, feeds: list[FeedInfo],
                      latest: list[StoredArticle], slugs: Slugs) -> list[str]:
    """Write ``feeds.opml``, ``index.html`` (the front page), the feeds' XSLT and the
    pages' stylesheet; returns the names of the files that changed."""
    listed = [(feed, feed_url(base_url, feed.path)) for feed in feeds]
    static = files("feedsvc").joinpath("static")
    changed = []
    for name, data in (("feeds.opml", render_opml(listed, site_title, base_url)),
                       ("index.html", render_front(feeds, latest, slugs, site_title, base_url)),
                       (STYLESHEET, static.joinpath(STYLESHEET).read_bytes()),
                       (PAGES_STYLESHEET, static.joinpath(PAGES_STYLESHEET).read_bytes())):
        if write_file(Path(public_dir) / name, data):
            changed.append(name)
    return changed


REDIRECTS = "redirects.json"  # {"/old path": "/new path"}: the server answers 301 from it


def publish_redirects(public_dir: str, moved: list[tuple[str, str]]) -> list[str]:
    """The feeds of merged sources (``(old slug, new slug)``) do not vanish: the old paths
    get a copy of the merged feed (a static host serves that), ``redirects.json`` lets our
    server answer 301, and ``_redirects`` does the same on hosts that read it (Netlify,
    Cloudflare Pages). Returns the names of the files that changed."""
    root = Path(public_dir)
    paths: dict[str, str] = {}
    changed = []
    for old, new in moved:
        for suffix in (".xml", ".json"):
            source, target = f"sources/{new}{suffix}", f"sources/{old}{suffix}"
            if not (root / source).is_file():
                continue
            paths["/" + quote(target)] = "/" + quote(source)
            if write_file(root / target, (root / source).read_bytes()):
                changed.append(target)
    listing = json.dumps(paths, ensure_ascii=False, indent=1, sort_keys=True).encode()
    rules = "".join(f"{old} {new} 301\n" for old, new in sorted(paths.items())).encode()
    for name, data in ((REDIRECTS, listing), ("_redirects", rules)):
        if (paths or (root / name).exists()) and write_file(root / name, data):
            changed.append(name)
    return changed
