"""File ingest: a mixed inbox of Jekyll posts, wire copy and HTML pages into the archive."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from bench.report import Row
from bench.workload import inbox_files
from feedsvc.config import load_config
from feedsvc.pipeline import ingest_paths


def bench_ingest(folder: Path, count: int = 5000) -> list[Row]:
    inbox = folder / "inbox"
    inbox.mkdir(parents=True)
    for name, text in inbox_files(count):
        (inbox / name).write_text(text, encoding="utf-8")
    (folder / "config.yaml").write_text(yaml.safe_dump({
        "database": "a.db", "inbox": "inbox", "public": {"dir": "public"}}))
    config = load_config(folder / "config.yaml")
    started = time.perf_counter()
    report = ingest_paths(config)
    took = time.perf_counter() - started
    if report.new != count:
        raise RuntimeError(f"file ingest archived {report.new} of {count} files: "
                           f"{report.failures[:3]}")
    return [Row("file ingest", f"{count / took:,.0f} articles/s", ">= 500 articles/s",
                f"{count:,} files (Jekyll posts, wire copy, HTML pages) in {took:.1f} s")]
