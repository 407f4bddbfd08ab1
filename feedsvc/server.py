"""Serve ``public/`` over HTTP: the ASGI app that ``feedsvc run`` and ``feedsvc serve`` mount.

Feed readers poll often, so an unchanged feed must cost next to nothing: every file carries a
content ``ETag`` and ``Last-Modified``, conditional requests get ``304``, and each file's bytes
(and their gzip form) are read once and kept until the file is replaced. No path outside
``public/`` can be read: dot segments, encoded slashes, hidden files and symlinks leading out
all answer 404.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from feedsvc.metrics import Metrics
from feedsvc.publish import REDIRECTS
from feedsvc.searchweb import SearchSite, search_routes
from feedsvc.site import HTML_POLICY, content_etag, etag_matches, is_browser_navigation

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CONTENT_TYPES = {
    ".xml": "application/atom+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".xsl": "application/xslt+xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    # archived images (issue 23): only these types are ever kept
    ".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp",
    ".avif": "image/avif",
}
# Archived images never change (their name is their content's hash), and are sandboxed:
# even a file that got past the checks could run nothing.
MEDIA_PREFIX = "/media/"
MEDIA_HEADERS = [(b"cache-control", b"public, max-age=31536000, immutable"),
                 (b"content-security-policy", b"sandbox; default-src 'none'")]
GZIP_MIN = 1024  # smaller bodies gain nothing from compression
CACHE_BYTES = 64 * 1024 * 1024  # bodies kept in memory (plain + gzip), least recently used out
CACHE_FILE_MAX = 8 * 1024 * 1024  # larger files are read per request, never cached


@dataclass(slots=True, frozen=True)
class CachedFile:
    key: tuple[int, int, int]  # inode, size, mtime: a replaced file gets a new key
    body: bytes
    gzipped: bytes | None
    etag: str
    last_modified: str
    mtime: int
    content_type: str

    @property
    def weight(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


def _not_found() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return 404, [(b"content-type", b"text/plain; charset=utf-8")], b"not found\n"


class PublicFiles:
    """ASGI app: GET/HEAD of the files under ``root``, cached and conditional."""

    def __init__(self, root: str | Path, max_age: int = 60, metrics: Metrics | None = None):
        Path(root).mkdir(parents=True, exist_ok=True)
        self.root = os.path.realpath(root)
        self.max_age = max_age
        self.metrics = metrics
        self._cache: OrderedDict[str, CachedFile] = OrderedDict()
        self._redirects: tuple[object, dict[str, str]] = (None, {})
        self._redirects_checked = float("-inf")
        self._cached_bytes = 0

    def redirects(self) -> dict[str, str]:
        """``redirects.json`` as publish last wrote it (looked at once a second at most: a
        stat per request would cost the hot path)."""
        now = time.monotonic()
        if now - self._redirects_checked < 1.0:
            return self._redirects[1]
        self._redirects_checked = now
        try:
            info = os.stat(os.path.join(self.root, REDIRECTS))
        except OSError:
            self._redirects = (None, {})  # gone: nothing redirects any more
            return {}
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        if self._redirects[0] != key:
            try:
                with open(os.path.join(self.root, REDIRECTS), "rb") as handle:
                    loaded = json.loads(handle.read())
            except (OSError, ValueError):
                loaded = {}
            table = {unquote(k): v for k, v in loaded.items()
                     if isinstance(k, str) and isinstance(v, str) and v.startswith("/")} \
                if isinstance(loaded, dict) else {}
            self._redirects = (key, table)
        return self._redirects[1]

    def resolve(self, path: str, raw_path: bytes | None = None) -> str | None:
        """The real file for a request path, or None when it is missing or not allowed."""
        if raw_path is not None and any(bad in raw_path.lower()
                                        for bad in (b"%2f", b"%5c", b"%00")):
            return None
        parts = [part for part in path.split("/") if part]
        if any(part.startswith(".") or "\\" in part or "\x00" in part for part in parts):
            return None  # "..", ".", and hidden files (our own temporary files among them)
        candidate = os.path.join(self.root, *parts)
        if path.endswith("/") or not parts or os.path.isdir(candidate):
            candidate = os.path.join(candidate, "index.html")
        real = os.path.realpath(candidate)
        if not real.startswith(self.root + os.sep) or not os.path.isfile(real):
            return None  # a symlink out of public/, or nothing there
        return real

    def load(self, real: str) -> CachedFile | None:
        try:
            info = os.stat(real)
        except OSError:
            return None
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._cache.get(real)
        if cached is not None and cached.key == key:
            self._cache.move_to_end(real)
            return cached
        try:
            with open(real, "rb") as handle:
                body = handle.read()
        except OSError:
            return None
        content_type = CONTENT_TYPES.get(os.path.splitext(real)[1].lower(),
                                         "application/octet-stream")
        gzipped = None
        if len(body) >= GZIP_MIN and not content_type.startswith(("application/octet",
                                                                    "image/")):
            gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        entry = CachedFile(
            key=key, body=body, gzipped=gzipped,
            etag=content_etag(body),
            last_modified=formatdate(int(info.st_mtime), usegmt=True),
            mtime=int(info.st_mtime), content_type=content_type,
        )
        if entry.weight <= CACHE_FILE_MAX:
            self._remember(real, entry)
        return entry

    def _remember(self, real: str, entry: CachedFile) -> None:
        old = self._cache.pop(real, None)
        if old is not None:
            self._cached_bytes -= old.weight
        self._cache[real] = entry
        self._cached_bytes += entry.weight
        while self._cached_bytes > CACHE_BYTES and len(self._cache) > 1:
            _, evicted = self._cache.popitem(last=False)
            self._cached_bytes -= evicted.weight

    def respond(self, method: str, path: str, raw_path: bytes | None,
                headers: dict[bytes, bytes]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """(status, headers, body) for one request; pure apart from reading the file."""
        if method not in ("GET", "HEAD"):
            return 405, [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain")], \
                b"method not allowed\n"
        moved = self.redirects().get(path)
        if moved is not None:  # a merged source's old feed (publish.REDIRECTS)
            return 301, [(b"location", moved.encode()), (b"content-type", b"text/plain"),
                         (b"cache-control", f"public, max-age={self.max_age}".encode())], \
                b"" if method == "HEAD" else f"moved to {moved}\n".encode()
        real = self.resolve(path, raw_path)
        if real and is_browser_navigation(headers) and real.endswith((".xml", ".json")):
            # A person opened a feed: the same articles as a page. Readers never send
            # Sec-Fetch-* (they are not browsers), so they get the feed as ever.
            page = real.rsplit(".", 1)[0] + ".html"
            if os.path.isfile(page):
                target = path.rsplit(".", 1)[0] + ".html"
                return 303, [(b"location", quote(target).encode()),
                             (b"content-type", b"text/plain; charset=utf-8"),
                             (b"cache-control", b"no-store"), (b"vary", b"sec-fetch-dest")], \
                    b"" if method == "HEAD" else b"this feed as a page: " + quote(
                        target).encode() + b"\n"
        entry = self.load(real) if real else None
        if entry is None:
            return _not_found()
        use_gzip = entry.gzipped is not None and _accepts_gzip(headers.get(b"accept-encoding"))
        etag = entry.etag[:-1] + '-gz"' if use_gzip else entry.etag
        media = path.startswith(MEDIA_PREFIX)
        common = [
            (b"etag", etag.encode()),
            (b"last-modified", entry.last_modified.encode()),
            MEDIA_HEADERS[0] if media else
            (b"cache-control", f"public, max-age={self.max_age}".encode()),
            (b"vary", b"accept-encoding"),
        ]
        if _not_modified(headers, entry):
            return 304, common, b""
        body = entry.gzipped if use_gzip and entry.gzipped is not None else entry.body
        out = [*common, (b"content-type", entry.content_type.encode()),
               (b"content-length", str(len(body)).encode()),
               (b"x-content-type-options", b"nosniff")]
        if use_gzip:
            out.append((b"content-encoding", b"gzip"))
        if entry.content_type.startswith("text/html"):
            out.append((b"content-security-policy", HTML_POLICY.encode()))
        elif media:
            out.append(MEDIA_HEADERS[1])
        return 200, out, b"" if method == "HEAD" else body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        status, out, body = self.respond(scope["method"], scope["path"], scope.get("raw_path"),
                                         headers)
        if self.metrics is not None:
            self.metrics.request(status)
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})


def _accepts_gzip(value: bytes | None) -> bool:
    if not value:
        return False
    for item in value.decode("latin-1").lower().split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _not_modified(headers: dict[bytes, bytes], entry: CachedFile) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:
        return etag_matches(if_none_match.decode("latin-1"), entry.etag)
    since = headers.get(b"if-modified-since")
    if since is None:
        return False
    try:
        return entry.mtime <= parsedate_to_datetime(since.decode("latin-1")).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False


HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


def create_app(public_dir: str | Path, max_age: int = 60, metrics: Metrics | None = None,
               health: HealthCheck | None = None, search: SearchSite | None = None
               ) -> Starlette:
    """The whole site: ``/healthz``, ``/metrics``, ``/search`` and ``/search.xml`` (with
    ``search``), and ``public/`` for every other path."""
    metrics = metrics or Metrics()

    async def healthz(request: Request) -> Response:
        healthy, details = health() if health else (True, {"scheduler": None})
        body = {"status": "ok" if healthy else "unhealthy", **details}
        return JSONResponse(body, status_code=200 if healthy else 503,
                            headers={"cache-control": "no-store"})

    async def metrics_page(request: Request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type,
                        headers={"cache-control": "no-store"})

    routes = [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics_page, methods=["GET", "HEAD"]),
        *(search_routes(search) if search else []),
        Mount("/", app=PublicFiles(public_dir, max_age, metrics)),
    ]
    return Starlette(routes=routes)
