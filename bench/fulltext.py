"""A first fetch of summary-only feeds (issue 18): every entry's article page is fetched,
extracted and archived. Each outlet is its own host (127.0.0.2, .3, ... are loopback too)
answering a page in ``LATENCY`` seconds, as a distant server would; with ``per_host``
requests at a time per host, politeness caps the rate at hosts x per_host / latency.
The target is to reach that cap: the time goes to waiting for outlets, not to our CPU.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sqlite3
import time
from html import escape
from pathlib import Path

import yaml

from bench.pages import LabelledPage, outlet_pages, sample_bodies
from bench.report import Row
from feedsvc.config import load_config
from feedsvc.pipeline import fetch_sources

LATENCY = 0.25  # seconds an outlet takes to answer a page (a distant server)
PER_HOST = 2  # fetch.per_host's default


def _feed(base: str, host: int, entries: int, pages: list[LabelledPage]) -> bytes:
    """Summary-only: each entry's text is the first line of its article, cut short."""
    items = "".join(
        f"<item><title>Story {host}.{n}</title><link>{base}/story/{n}.html</link>"
        f"<description>{escape(_page(pages, host, entries, n).gold[:60])}…</description>"
        "</item>" for n in range(entries))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Outlet {host}</title>'
            f"<link>{base}/</link>{items}</channel></rss>").encode()


def _page(pages: list[LabelledPage], host: int, entries: int, story: int) -> LabelledPage:
    return pages[(host * entries + story) % len(pages)]


def _serve(hosts: int, entries: int, ready: multiprocessing.Queue[int]) -> None:
    bodies = list(sample_bodies())
    pages = outlet_pages(bodies, [b.title for b in bodies])

    async def main() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    path = head.split(b" ", 2)[1].decode()
                    host = writer.get_extra_info("sockname")[0]
                    base = f"http://{host}:{port}"
                    number = int(host.rsplit(".", 1)[1])
                    if path == "/feed.xml":
                        body = _feed(base, number, entries, pages)
                        kind = b"application/rss+xml"
                    elif path.startswith("/story/"):
                        await asyncio.sleep(LATENCY)
                        story = int(path.split("/")[2].split(".")[0])
                        page = _page(pages, number, entries, story).html.encode()
                        # its own canonical URL: every story is its own article
                        body = page.replace(b'rel="canonical" href="',
                                            f'rel="canonical" href="{base}{path}#'.encode())
                        kind = b"text/html; charset=utf-8"
                    else:
                        body, kind = b"", b"text/plain"
                    status = b"200 OK" if body else b"404 Not Found"
                    writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + kind +
                                 b"\r\nContent-Length: " + str(len(body)).encode() +
                                 b"\r\n\r\n" + body)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        first = await asyncio.start_server(handle, "127.0.0.2", 0, backlog=1024)
        port = first.sockets[0].getsockname()[1]
        for number in range(3, hosts + 2):
            await asyncio.start_server(handle, f"127.0.0.{number}", port, backlog=1024)
        ready.put(port)
        await first.serve_forever()

    asyncio.run(main())


def bench_fulltext(folder: Path, hosts: int, entries: int) -> list[Row]:
    ready: multiprocessing.Queue[int] = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(hosts, entries, ready), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=600)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.yaml").write_text(yaml.safe_dump({
            "database": "a.db", "inbox": "inbox", "public": {"dir": "public"},
            "sources": [{"name": f"Outlet {n}", "url": f"http://127.0.0.{n}:{port}/feed.xml"}
                        for n in range(2, hosts + 2)],
            "fetch": {"concurrency": 10 * hosts, "per_host": PER_HOST},
        }))
        config = load_config(folder / "config.yaml")
        cpu_before = _cpu()
        started = time.perf_counter()
        reports = fetch_sources(config)
        wall = time.perf_counter() - started
        cpu = _cpu() - cpu_before
        with sqlite3.connect(folder / "a.db") as conn:
            whole = conn.execute("SELECT count(*) FROM articles WHERE text_origin = 'page'"
                                 ).fetchone()[0]
    finally:
        server.terminate()
        server.join(10)
    pages = sum(r.new for r in reports)
    cap = hosts * PER_HOST / LATENCY
    return [
        Row("first fetch of summary-only feeds, with their pages",
            f"{pages / wall:,.0f} pages/s", f"politeness cap {cap:,.0f}/s",
            f"{pages:,} articles ({whole:,} whole from their page) from {hosts} outlets x "
            f"{entries} entries in {wall:.1f} s; {pages / wall / cap:.0%} of the cap"),
        Row("CPU per page (fetch, extract, clean, store)", f"{cpu / max(pages, 1) * 1000:.1f} ms",
            "", f"{cpu:.1f} s of CPU (all processes) in {wall:.1f} s of wall time"),
    ]


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
