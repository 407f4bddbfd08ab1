"""Serving: requests/s for 304 and 200 answers of a 50-entry feed, with wrk from a second process.

The daemon (``feedsvc run``) is started as users start it, on a generated archive; wrk
(Debian package ``wrk``) loads it over 127.0.0.1 for a bounded time.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from bench.report import Row
from bench.workload import article_file
from feedsvc.config import load_config
from feedsvc.pipeline import ingest_paths, publish_site


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> float:
    command = ["wrk", "-t1", "-c32", f"-d{seconds}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                            timeout=seconds + 30).stdout
    if "Non-2xx" in output and not headers.get("If-None-Match"):
        raise RuntimeError(f"wrk saw errors:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not match:
        raise RuntimeError(f"no figure in wrk's output:\n{output}")
    return float(match.group(1))


def bench_serving(folder: Path, seconds: int = 10) -> list[Row]:
    if not shutil.which("wrk"):
        return [Row("serving", "not run", ">= 2,000 req/s (304)",
                    "install wrk (apt-get install wrk)")]
    port = _free_port()
    (folder / "inbox").mkdir(parents=True)
    for number in range(50):
        name, text = article_file(number)
        (folder / "inbox" / name).write_text(text, encoding="utf-8")
    # The address served, as base_url: the daemon's start-up publish then writes the same
    # bytes, and the ETag taken below stays the one every poll sends.
    (folder / "config.yaml").write_text(yaml.safe_dump({
        "database": "a.db", "inbox": "inbox",
        "public": {"dir": "public", "base_url": f"http://127.0.0.1:{port}/"},
        "server": {"port": port}}))
    config = load_config(folder / "config.yaml")
    ingest_paths(config)
    publish_site(config)
    daemon = subprocess.Popen([sys.executable, "-m", "feedsvc", "-q", "--config",
                               str(folder / "config.yaml"), "run"])
    url = f"http://127.0.0.1:{port}/all.xml"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                first = httpx.get(url, timeout=2)
                if first.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the daemon did not start serving")
            time.sleep(0.2)
        size = len(first.content)
        etag = first.headers["etag"]
        if httpx.get(url, headers={"If-None-Match": etag}, timeout=2).status_code != 304:
            raise RuntimeError("a conditional poll was not answered 304: nothing to measure")
        conditional = _wrk(url, seconds, {"If-None-Match": etag})
        full = _wrk(url, seconds, {})
        zipped = _wrk(url, seconds, {"Accept-Encoding": "gzip"})
    finally:
        daemon.terminate()
        daemon.wait(15)
    detail = f"feedsvc run, 50-entry feed ({size / 1024:.0f} KB), wrk 1 thread 32 connections"
    return [
        Row("serving: conditional poll, 304", f"{conditional:,.0f} req/s", ">= 2,000 req/s",
            detail),
        Row("serving: full feed, 200", f"{full:,.0f} req/s", "", "identity"),
        Row("serving: full feed, 200 gzip", f"{zipped:,.0f} req/s", "", "Accept-Encoding: gzip"),
    ]
