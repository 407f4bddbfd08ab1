"""Run the benchmarks and print one table: ``python -m bench`` (``--quick`` for a smoke run).

Each workload runs in a fresh process, so its peak memory is its own; the feed host and
the peer run beside it. Nothing leaves 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bench.extraction import extraction_rows
from bench.fetching import FeedHost, HostClient, bench_fetch, bench_fetch_real
from bench.fulltext import bench_fulltext
from bench.ingesting import bench_ingest
from bench.media import media_rows
from bench.parse_corpus import corpus_rows
from bench.publishing import bench_publish
from bench.report import Row, isolated, table
from bench.search import bench_search
from bench.serving import bench_serving
from bench.stories import stories_rows

WORKLOADS = ("ingest", "fetch", "fetch-real", "fulltext", "publish", "search", "serve")
# Only when asked for by --only: they need a download (feedparser's and newspaper4k's
# source distributions).
ON_REQUEST = ("parse-corpus", "extraction", "stories", "media")


@dataclass(frozen=True)
class Sizes:
    feeds: int = 1000
    entries: int = 50
    outlets: int = 10
    files: int = 5000
    articles: int = 100_000
    seconds: int = 10


QUICK = Sizes(feeds=20, entries=10, files=150, articles=1500, seconds=1, outlets=2)


def peer_row(peer: str | None, host: HostClient, folder: Path, ours: float | None) -> Row:
    if not peer:
        return Row("peer: feed-to-sqlite, same feeds", "not run", "",
                   "pip install feed-to-sqlite (a separate venv is fine), pass --peer PATH")
    database = folder / f"peer-{time.time_ns()}.db"  # one per run: two workloads use the peer
    started = time.perf_counter()
    subprocess.run([peer, str(database), *host.urls()], check=True, stdout=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    with sqlite3.connect(database) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'feeds'")]
        stored = sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    rate = stored / elapsed
    ratio = f"; ours / peer = {ours / rate:.2f} (archive), see first fetch rows" if ours else ""
    return Row("peer: feed-to-sqlite, same feeds", f"{rate:,.0f} entries/s", "",
               f"{stored:,} rows in {elapsed:.1f} s{ratio}")


def _rate(rows: list[Row], workload: str) -> float | None:
    for row in rows:
        if row.workload == workload and row.figure.endswith("entries/s"):
            return _number(row.figure)
    return None


def with_peer_ratios(rows: list[Row], peer: Row) -> list[Row]:
    """The first-fetch rows get ours / peer beside their target (``>= 2x peer: 2.34x``)."""
    if not peer.figure.endswith("entries/s"):
        return rows
    peer_rate = _number(peer.figure)
    return [row._replace(target=f"{row.target}: {_number(row.figure) / peer_rate:.2f}x")
            if row.workload.startswith("first fetch") and row.figure.endswith("entries/s")
            else row for row in rows]


def _number(figure: str) -> float:
    return float(figure.split()[0].replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: a smoke run of every workload (seconds, not minutes)")
    parser.add_argument("--only", choices=WORKLOADS + ON_REQUEST, action="append",
                        help="run this workload (repeatable; default: all)")
    parser.add_argument("--feeds", type=int, help="feeds for the fetch workloads (1000)")
    parser.add_argument("--entries", type=int, help="entries per feed (50)")
    parser.add_argument("--files", type=int, help="files for the ingest workload (5000)")
    parser.add_argument("--articles", type=int,
                        help="archive size for the search and publish workloads (100000)")
    parser.add_argument("--seconds", type=int, help="length of each serving load run (10)")
    parser.add_argument("--outlets", type=int, help="hosts for the fulltext workload (10)")
    parser.add_argument("--corpus", help="parse-corpus: a folder of feeds or feedparser's sdist "
                        "(default: downloaded from PyPI)")
    parser.add_argument("--verbose", action="store_true",
                        help="parse-corpus: list every differing document, crash and miss; "
                        "extraction: every page's F1 and time")
    parser.add_argument("--pages", help="extraction: where newspaper4k's source distribution "
                        "is (or goes: default a temporary folder)")
    parser.add_argument("--peer", help="path to the feed-to-sqlite command (default: on PATH)")
    args = parser.parse_args()
    base = QUICK if args.quick else Sizes()
    sizes = Sizes(**{f: getattr(args, f) if getattr(args, f) is not None else getattr(base, f)
                     for f in ("feeds", "entries", "files", "articles", "seconds", "outlets")})
    wanted = args.only or list(WORKLOADS)
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "ingest" in wanted:
            rows += isolated("file ingest", bench_ingest, folder / "ingest", sizes.files)
        if "fetch" in wanted:
            host = FeedHost(sizes.feeds, sizes.entries)
            try:
                fetched = isolated("fetch", bench_fetch, folder / "fetch", host.client,
                                   sizes.entries)
                peer = peer_row(args.peer or shutil.which("feed-to-sqlite"), host.client, folder,
                                _rate(fetched, "first fetch: archive, clean, index"))
            finally:
                host.stop()
            rows += [*with_peer_ratios(fetched, peer), peer]
        if "fetch-real" in wanted:
            host = FeedHost(sizes.feeds, sizes.entries, real=True)
            try:
                fetched = isolated("fetch (seed markup)", bench_fetch_real,
                                   folder / "fetch-real", host.client, sizes.entries)
                peer = peer_row(args.peer or shutil.which("feed-to-sqlite"), host.client, folder,
                                _rate(fetched, "first fetch (seed markup): archive, clean, index"))
            finally:
                host.stop()
            rows += [*with_peer_ratios(fetched, peer), peer._replace(
                workload="peer: feed-to-sqlite, seed-markup feeds")]
        if "fulltext" in wanted:
            rows += isolated("full text", bench_fulltext, folder / "fulltext", sizes.outlets,
                             min(sizes.entries * 2, 100))
        if "publish" in wanted:
            rows += isolated("publish", bench_publish, folder / "publish", sizes.articles)
        if "search" in wanted:
            rows += isolated("search", bench_search, folder / "search", sizes.articles)
        if "serve" in wanted:
            rows += isolated("serving", bench_serving, folder / "serve", sizes.seconds)
        if "parse-corpus" in wanted:
            rows += corpus_rows(args.corpus, args.verbose)
        if "extraction" in wanted:
            rows += extraction_rows(Path(args.pages) if args.pages else None, args.verbose)
        if "media" in wanted:
            rows += isolated("images", media_rows, folder / "media")
        if "stories" in wanted:
            rows += isolated("stories", stories_rows, folder / "stories", sizes.articles,
                             Path(args.pages) if args.pages else None)
    print(f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; " + ", ".join(
              f"{name} {version(name)}" for name in (
                  "httpx", "feedparser", "lxml", "nh3", "feedgen", "sqlite-utils",
                  "uvicorn", "starlette", "trafilatura")) + f"; SQLite {sqlite3.sqlite_version}")
    print(f"sizes: {sizes.feeds:,} feeds x {sizes.entries} entries, {sizes.files:,} files, "
          f"{sizes.articles:,} articles{' (--quick)' if args.quick else ''}; "
          f"ran {time.perf_counter() - started:.0f} s")
    print(table(rows))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
