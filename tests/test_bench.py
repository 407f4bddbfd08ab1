"""The benchmark suite runs (``python -m bench --quick``): every workload, one table.

Figures are not checked here (speed is measured, not asserted); that each workload ran,
printed its rows with units and targets, and failed nowhere is.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_prints_every_workload() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("machine: ") and "feedparser" in lines[0]
    rows = {line.split("  ")[0].strip(): line for line in lines[2:]}
    for workload, unit in [
        ("file ingest", "articles/s"),
        ("first fetch: archive, clean, index", "entries/s"),
        ("first fetch: ... and publish", "entries/s"),
        ("steady state (a): every feed 304", " s"),
        ("steady state (b): same body again", " s"),
        ("steady state (c): one new entry each", " s"),
        ("publish: full, 1,500 articles", " s"),
        ("publish: incremental, one new article", " ms"),
        ("search: one English word", " ms"),
        ("search: two-character Chinese word", " ms"),
        ("search: phrase", " ms"),
        ("first fetch of summary-only feeds, with their pages", "pages/s"),
    ]:
        assert workload in rows, (workload, done.stdout)
        assert unit in rows[workload]
    for name in ("file ingest", "fetch", "publish", "search", "serving"):
        assert f"memory: {name}" in rows and "< 300 MB" in rows[f"memory: {name}"]
    assert " failed " not in done.stdout, done.stdout
    assert "(b): same body again" in done.stdout and "entries unchanged, 0 new" in done.stdout
