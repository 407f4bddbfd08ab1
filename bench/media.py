"""Images (issue 23): a backfill of the sample archive with every image host served from
127.0.0.1, then a look at every ``<img>`` of every article page.

The samples' images live on the outlets' hosts (zaobao, CNA, weserv, blogspot...), which a
benchmark cannot reach. Each request keeps its URL, host and path, but travels to one local
HTTP server (a transport that changes only where the connection goes, as a hosts file
would), which answers every image path with a real PNG after ``DELAY`` seconds, as a distant
server would. The fetcher's politeness (``fetch.per_host`` 2, ``concurrency`` 10) then
bounds the rate at min(10, 2 × hosts) / DELAY images a second.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import html5lib
import httpx
from PIL import Image

from bench.report import Row
from feedsvc import archive
from feedsvc.config import load_config
from feedsvc.pipeline import backfill_media, ingest_paths, publish_site

ROOT = Path(__file__).resolve().parents[1]
DELAY = 0.2  # seconds each image takes to come, as from a distant server
HTML = "{http://www.w3.org/1999/xhtml}"


class ImageHost:
    """One HTTP server on 127.0.0.1 answering any path with a PNG of its own colour."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host.requests.append(self.headers.get("host", "") + self.path)
                time.sleep(DELAY)
                body = _png(self.headers.get("host", "") + self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        self.server.shutdown()


def _png(seed: str) -> bytes:
    colour = tuple(hashlib.sha256(seed.encode()).digest()[:3])
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "PNG")
    return out.getvalue()


class ToLoopback(httpx.AsyncBaseTransport):
    """Every request, http or https, goes to the local server over plain HTTP; its Host
    header still names the outlet's host (the fetcher's per-host limits see the outlet)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        request.url = original.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        request.headers["host"] = original.host
        response = await self.inner.handle_async_request(request)
        request.url = original
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def bench_media(folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "archive" / "library", folder / "library")
    (folder / "config.yaml").write_text(
        "database: archive.db\ninbox: inbox\nlibrary: library\npublic:\n  dir: public\n",
        encoding="utf-8")
    (folder / "inbox").mkdir()
    config = load_config(folder / "config.yaml")
    ingest_paths(config)
    host = ImageHost()
    try:
        started = time.perf_counter()
        cpu = time.process_time()
        report, _ = backfill_media(config, transport=ToLoopback(host.port))
        took, used = time.perf_counter() - started, time.process_time() - cpu
    finally:
        host.stop()
    publish_site(config)
    hosts = {r.split("/", 1)[0] for r in host.requests}
    total = resolved = 0
    public = Path(config.public.dir)
    for page in (public / "articles").rglob("*.html"):
        document = html5lib.parse(page.read_bytes())
        for image in document.iter(f"{HTML}img"):
            src = image.get("src", "")
            if src.startswith("data:"):
                continue
            total += 1
            resolved += (page.parent / src).resolve().is_file() and "/media/" in (
                page.parent / src).resolve().as_posix()
    with archive.opened(config.database) as db:
        files = db.execute("SELECT count(DISTINCT digest) FROM media "
                           "WHERE status = 'kept'").fetchone()[0]
    cap = min(10, 2 * len(hosts)) / DELAY
    # the least time politeness allows: every host's images two at a time, ten in all
    per_host = [sum(1 for r in host.requests if r.split("/", 1)[0] == h) for h in hosts]
    floor = max(max((-(-n // 2)) for n in per_host), -(-len(host.requests) // 10)) * DELAY
    return {"images": sum(report.outcomes.values()), "kept": report.outcomes.get("kept", 0),
            "requests": len(host.requests), "distinct_urls": len(set(host.requests)),
            "hosts": len(hosts), "seconds": took, "cpu_seconds": used,
            "rate": len(host.requests) / took, "cap": cap, "floor_seconds": floor,
            "files": files,
            "img_total": total, "img_resolved": resolved}


def media_rows(folder: Path) -> list[Row]:
    result = bench_media(folder)
    return [
        Row("images: backfill of the sample archive", f"{result['rate']:.1f} images/s",
            "limited by politeness",
            f"{result['requests']} images from {result['hosts']} hosts, each answered in "
            f"{DELAY} s; {result['seconds']:.1f} s wall against the {result['floor_seconds']:.1f}"
            f" s politeness allows at the least (two at a time per host, ten in all), "
            f"{result['cpu_seconds']:.2f} s CPU; {result['distinct_urls']} distinct URLs "
            f"(none fetched twice), {result['files']} files"),
        Row("images: <img> of article pages resolving to an archived copy",
            f"{result['img_resolved']} of {result['img_total']}", "all", ""),
    ]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(bench_media(Path(tmp)))
