"""Search at scale: a generated archive of N articles (default 100,000; ~3 KB of mixed
Chinese and English text each), the FTS index built from scratch, then query latencies.

The text is real: sentences of the sample posts and seeds, shuffled into new articles, so
the vocabulary and word frequencies are those of the news the archive holds.
"""

from __future__ import annotations

import random
import re
import sqlite3
import statistics
import time
from pathlib import Path

from bench.report import Row
from feedsvc import archive
from feedsvc.archive import Archive
from feedsvc.config import load_config
from feedsvc.files import read_article_file
from feedsvc.models import Config
from feedsvc.pipeline import reindex
from feedsvc.query import search_articles
from feedsvc.text import html_to_text

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
_SENTENCE = re.compile(r"[^。！？.!?]+[。！？.!?]?")


def sentences() -> list[str]:
    pool: list[str] = []
    for path in sorted([*DATA.joinpath("samples").glob("[0-9]*"),
                        *DATA.joinpath("seeds").glob("*")]):
        text = html_to_text(read_article_file(path).content_html, media_text=False)
        pool += [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) > 8]
    return pool


def generate(db_path: Path, count: int, seed: int = 5) -> tuple[int, list[str]]:
    """Insert ``count`` articles; returns (bytes of indexed text, the sentence pool)."""
    rng = random.Random(seed)
    pool = sentences()
    db = archive.open_archive(db_path)
    db.execute("INSERT INTO sources (slug, name, kind, created) VALUES "
               "('bench', 'Bench', 'inbox', '2026-01-01T00:00:00Z')")
    text_bytes = 0
    batch = []
    for n in range(count):
        body, size = [], 0
        while size < 3000:
            sentence = rng.choice(pool)
            body.append(sentence)
            size += len(sentence.encode())
        text = " ".join(body)
        title = rng.choice(pool)[:80]
        text_bytes += len(text.encode()) + len(title.encode())
        day = f"20{10 + n % 16:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}T00:00:00Z"
        batch.append((f"bench:{n}", title, 1, "Bench", text, day, day, day, day, f"h{n}"))
        if len(batch) == 5000:
            _insert(db, batch)
            batch = []
    if batch:
        _insert(db, batch)
    db.execute("DELETE FROM fts_pending")  # measured below: the index built from scratch
    db.conn.commit()
    db.close()
    return text_bytes, pool


def _insert(db: Archive, rows: list[tuple[object, ...]]) -> None:
    db.conn.executemany(
        "INSERT INTO articles (uid, title, source_id, source, content_text, published, "
        "updated, first_seen, last_seen, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows)
    db.conn.commit()


def load_config_for(database: Path) -> Config:
    config_file = database.parent / "config.yaml"
    config_file.write_text(f"database: {database.name}\n", encoding="utf-8")
    return load_config(config_file)


def _file_size(path: Path) -> int:
    """Bytes of the database file, compacted and with its write-ahead log folded in."""
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path.stat().st_size


def bench_search(folder: Path, count: int = 100_000, repeats: int = 60) -> list[Row]:
    path = folder / "search.db"
    start = time.perf_counter()
    text_bytes, pool = generate(path, count)
    generated = time.perf_counter() - start
    with sqlite3.connect(path) as conn:  # the size without the index, for the index's size
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
    without = _file_size(path)
    config = load_config_for(path)
    start = time.perf_counter()
    reindex(config)  # as `feedsvc reindex` does it
    built = time.perf_counter() - start
    index_bytes = _file_size(path) - without
    rng = random.Random(11)
    english = [w for s in pool for w in re.findall(r"\b[a-z]{5,}\b", s)]
    chinese = [m for s in pool for m in re.findall(r"[\u4e00-\u9fff]{2}", s)]
    phrases = [" ".join(s.split()[:2]) for s in pool if re.match(r"[A-Za-z]+ [A-Za-z]+", s)]
    cases = {
        "one English word": [rng.choice(english) for _ in range(repeats)],
        "two-character Chinese word": [rng.choice(chinese) for _ in range(repeats)],
        "phrase": [f'"{rng.choice(phrases)}"' for _ in range(repeats)],
    }
    rows: list[Row] = [
        Row("search: archive", f"{count:,} articles", "", f"{text_bytes / count / 1024:.1f} KB "
            f"of text each, generated in {generated:.0f} s"),
        Row("search: build index from scratch", f"{built:.1f} s", "< 60 s", "feedsvc reindex"),
        Row("search: index size / text size", f"{index_bytes / text_bytes:.2f}", "<= 1",
            f"{index_bytes / 2**20:,.0f} MB index, {text_bytes / 2**20:,.0f} MB text"),
    ]
    with archive.opened(path) as db:
        for name, queries in cases.items():
            search_articles(db, queries[0], limit=20)  # warm the page cache
            times, hits = [], 0
            for q in queries:
                started = time.perf_counter()
                hits += len(search_articles(db, q, limit=20))
                times.append((time.perf_counter() - started) * 1000)
            p95 = statistics.quantiles(times, n=20)[-1]
            rows.append(Row(f"search: {name}", f"p50 {statistics.median(times):.1f} ms",
                            "p50 < 20 ms", f"top 20, {hits / len(queries):.0f} hits avg"))
            rows.append(Row(f"search: {name}", f"p95 {p95:.1f} ms", "p95 < 50 ms"))
    return rows
