"""Run the benchmarks and print one table: ``python -m bench [--feeds N]``."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import tempfile
import time
import zlib
from importlib.metadata import version
from pathlib import Path

import yaml

from bench.publishing import bench_publish
from bench.search import bench_search
from bench.serving import bench_serving
from bench.workload import rss_feed
from feedsvc.config import load_config
from feedsvc.pipeline import fetch_sources, publish_site


class FeedHost:
    """Serves generated feeds from a separate process, so its memory and CPU are not ours.

    An asyncio server with keep-alive; answers 304 when If-None-Match matches the ETag.
    """

    def __init__(self, feeds: int, entries: int) -> None:
        ready: multiprocessing.Queue[int] = multiprocessing.Queue()
        self.process = multiprocessing.Process(target=_serve, args=(feeds, entries, ready),
                                               daemon=True)
        self.process.start()
        self.port = ready.get(timeout=600)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


def _serve(feeds: int, entries: int, ready: multiprocessing.Queue[int]) -> None:
    async def main() -> None:
        bodies: dict[str, bytes] = {}

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    body = bodies.get(head.split(b" ", 2)[1].decode(), b"")
                    etag = f'"{zlib.crc32(body):x}"'.encode()
                    if b"if-none-match: " + etag in head.lower():
                        writer.write(b"HTTP/1.1 304 Not Modified\r\nETag: " + etag +
                                     b"\r\nContent-Length: 0\r\n\r\n")
                    else:
                        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml"
                                     b"\r\nETag: " + etag + b"\r\nContent-Length: " +
                                     str(len(body)).encode() + b"\r\n\r\n" + body)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port = server.sockets[0].getsockname()[1]
        rng = random.Random(7)
        for i in range(feeds):
            bodies[f"/f{i}.xml"] = rss_feed(i, entries, f"http://127.0.0.1:{port}", rng)
        ready.put(port)
        await server.serve_forever()

    asyncio.run(main())


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--peer", help="path to the feed-to-sqlite command (default: on PATH)")
    parser.add_argument("--only", choices=["fetch", "serve", "search", "publish"],
                        help="run one workload")
    parser.add_argument("--articles", type=int, default=100_000,
                        help="archive size for the search and publish workloads")
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    args = parser.parse_args()
    rows: list[tuple[str, str, str]] = []
    if args.only in (None, "fetch"):
        rows += bench_fetch(args)
    if args.only in (None, "serve"):
        with tempfile.TemporaryDirectory() as tmp:
            rows += bench_serving(Path(tmp), args.seconds)
    if args.only in (None, "publish"):
        with tempfile.TemporaryDirectory() as tmp:
            rows += bench_publish(Path(tmp), args.articles)
    if args.only in (None, "search"):
        with tempfile.TemporaryDirectory() as tmp:
            rows += bench_search(Path(tmp), args.articles)
    rows.append(("peak RSS", f"{peak_rss_mb():.0f} MB",
                 f"main process; largest worker, feed host or daemon "
                 f"{peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB"))
    print(f"machine: {platform.machine()} {platform.system()} Python {platform.python_version()}"
          f", {os.cpu_count()} cores; httpx {version('httpx')}, feedparser "
          f"{version('feedparser')}, bs4 {version('beautifulsoup4')}, nh3 {version('nh3')}, "
          f"uvicorn {version('uvicorn')}, starlette {version('starlette')}")
    width = max(len(r[0]) for r in rows)
    for name, figure, detail in rows:
        print(f"{name:<{width}}  {figure:>18}  {detail}")


def bench_fetch(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        host = FeedHost(args.feeds, args.entries)
        base = f"http://127.0.0.1:{host.port}"
        config_file = folder / "config.yaml"
        config_file.write_text(yaml.safe_dump({
            "database": "a.db", "inbox": "inbox", "public": {"dir": "public"},
            "sources": [{"name": f"Feed {i}", "url": f"{base}/f{i}.xml"}
                        for i in range(args.feeds)],
            "fetch": {"concurrency": 10, "per_host": 10},
        }))
        config = load_config(config_file)
        entries = args.feeds * args.entries
        start = time.perf_counter()
        reports = fetch_sources(config, force=True)
        fetched = time.perf_counter() - start
        new = sum(r.new for r in reports)
        start = time.perf_counter()
        publish_site(config)
        published = time.perf_counter() - start
        rows.append(("first fetch (archive + clean)", f"{new / fetched:,.0f} entries/s",
                     f"{new:,} of {entries:,} entries in {fetched:.1f} s"))
        rows.append(("first fetch incl. publish", f"{new / (fetched + published):,.0f} entries/s",
                     f"publish {published:.1f} s"))
        start = time.perf_counter()
        fetch_sources(config, force=True)
        rows.append(("steady state (a): all 304", f"{time.perf_counter() - start:.2f} s",
                     f"{args.feeds:,} feeds"))
        peer = args.peer or shutil.which("feed-to-sqlite")
        if peer:
            urls = [f"{base}/f{i}.xml" for i in range(args.feeds)]
            start = time.perf_counter()
            subprocess.run([peer, str(folder / "peer.db"), *urls], check=True,
                           stdout=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            with sqlite3.connect(folder / "peer.db") as conn:
                tables = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'feeds'")]
                stored = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                             for t in tables)
            rows.append(("peer: feed-to-sqlite, same feeds", f"{stored / elapsed:,.0f} entries/s",
                         f"{stored:,} rows in {elapsed:.1f} s; ours / peer = "
                         f"{(new / fetched) / (stored / elapsed):.2f}"))
        else:
            rows.append(("peer: feed-to-sqlite", "not run",
                         "pip install feed-to-sqlite (a separate venv is fine), pass --peer PATH"))
        host.stop()
    return rows


if __name__ == "__main__":
    main()
