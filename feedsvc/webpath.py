"""Where things are on the site: an article's page, and relative links between pages.
Imports nothing of ours: feeds, pages and search all ask it."""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit

_UNSAFE = re.compile(r"[\W_]+")  # a slug keeps letters of any script: 新疆 stays 新疆
_HOST_UNSAFE = re.compile(r"[^a-z0-9.-]+")


def article_path(uid: str, url: str | None = None) -> str:
    """Where an article's page lives under ``public/``. Derived from the article's identity
    only (its dedup key), so it never moves, even in an archive rebuilt from scratch:
    ``articles/<host>/<last part of its URL>-<10 hex of the key>.html``, the part in the
    letters it was written in (a Chinese URL's slug stays Chinese)."""
    digest = hashlib.sha256(uid.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    address = url if url and url.startswith(("http://", "https://")) else (
        uid if uid.startswith(("http://", "https://")) else None)
    if address is None:
        return f"articles/_/{digest}.html"
    parts = urlsplit(address)
    host = _HOST_UNSAFE.sub("-", (parts.hostname or "_").lower().removeprefix("www.")).strip("-.")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    name = segments[-1] if segments else ""
    name = re.sub(r"\.(s?html?|php|aspx?|jsp)$", "", name.lower())
    if name in ("", "index", "default", "article", "story", "news") and len(segments) > 1:
        name = segments[-2].lower()
    slug = _UNSAFE.sub("-", unicodedata.normalize("NFKC", name)).strip("-_")[:60].strip("-_")
    return f"articles/{host or '_'}/{slug + '-' if slug else ''}{digest}.html"


def href(from_path: str, to_path: str) -> str:
    """The relative link from the page at ``from_path`` to ``to_path`` (both under
    ``public/``), percent-encoded."""
    relative = posixpath.relpath(to_path, posixpath.dirname(from_path) or ".")
    return quote(relative)
