"""The worker processes that parse, clean and render: one per core, bounded."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

MAX_WORKERS = 8  # processes that parse and clean fetched feeds


def _start_worker() -> None:
    """Workers leave Ctrl-C and SIGTERM to the main process, which shuts them down; and
    end when it is gone (killed with SIGKILL, it cannot): they would wait for work forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch_parent, name="parent-watch", daemon=True).start()


def worker_count(jobs: int) -> int:
    """Processes that parse and clean feeds: one per core (at most ``MAX_WORKERS``)."""
    return min(os.cpu_count() or 1, MAX_WORKERS, max(jobs, 1))


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, initializer=_start_worker)
