"""One row of the benchmark table, and the table."""

from __future__ import annotations

import multiprocessing
import queue
import resource
from collections.abc import Callable
from typing import Any, NamedTuple

MEMORY_TARGET = "< 300 MB"


class Row(NamedTuple):
    workload: str
    figure: str  # with its unit
    target: str = ""  # the target, "" where there is none
    detail: str = ""


def table(rows: list[Row]) -> str:
    """Plain text, one line per figure: workload, figure, target, detail."""
    header = Row("workload", "figure", "target", "detail")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = []
    for row in [header, *rows]:
        lines.append(f"{row.workload:<{widths[0]}}  {row.figure:>{widths[1]}}  "
                     f"{row.target:<{widths[2]}}  {row.detail}".rstrip())
    lines.insert(1, "-" * min(120, sum(widths) + 6 + 10))
    return "\n".join(lines)


def _measured(results: Any, work: Callable[..., list[Row]], args: tuple[Any, ...]) -> None:
    """In the workload's own process: its rows, then its peak RSS and its children's."""
    try:
        rows = work(*args)
    except Exception as exc:  # reported in the table; the other workloads still run
        rows = [Row(getattr(work, "__name__", "workload"), "failed", "", repr(exc)[:300])]
    results.put((rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                 resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))


def isolated(name: str, work: Callable[..., list[Row]], *args: Any) -> list[Row]:
    """Run ``work`` in a new process; its rows plus one for its peak memory."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_measured, args=(results, work, args))
    process.start()
    while True:
        try:
            rows, own, children = results.get(timeout=1)
            break
        except queue.Empty:
            if not process.is_alive():
                return [Row(name, "failed", "", f"its process ended with {process.exitcode}")]
    process.join(60)
    return [*rows, Row(f"memory: {name}", f"{own:.0f} MB", MEMORY_TARGET,
                       f"peak RSS of the workload's process; largest child process "
                       f"(workers, daemon) {children:.0f} MB")]
