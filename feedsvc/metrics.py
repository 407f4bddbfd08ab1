"""Counters for ``/metrics`` (Prometheus text format), one registry per process.

A private registry rather than prometheus_client's global one, so tests and a second app
in the same process never collide.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from feedsvc.models import FetchReport, IngestReport

# The *_created series double the output and nobody reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.fetches = Counter("feedsvc_fetches", "Feed fetches by outcome "
                               "(HTTP status, error, skipped).", ["result"], registry=r)
        self.fetch_failures = Counter("feedsvc_fetch_failures",
                                      "Fetches that failed (network, HTTP or parse error).",
                                      registry=r)
        self.entries = Counter("feedsvc_entries_archived", "Articles archived, by what the "
                               "archive did with them.", ["status", "origin"], registry=r)
        self.files_failed = Counter("feedsvc_inbox_files_failed",
                                    "Inbox files moved to inbox/failed.", registry=r)
        self.publish_seconds = Histogram(
            "feedsvc_publish_duration_seconds", "Time to (re)generate the published site.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120), registry=r)
        self.files_written = Counter("feedsvc_published_files_written",
                                     "Published files that changed and were rewritten.",
                                     registry=r)
        self.last_success = Gauge("feedsvc_source_last_success_timestamp_seconds",
                                  "When each source was last fetched successfully (Unix time).",
                                  ["source"], registry=r)
        self.scheduler_up = Gauge("feedsvc_scheduler_running",
                                  "1 while the scheduler is running.", registry=r)
        self.http = Counter("feedsvc_http_responses", "Responses for published files "
                            "by status code.", ["code"], registry=r)
        self._http_codes: dict[int, Counter] = {}
        self.rechecks = Counter("feedsvc_rechecks", "Re-checks of articles at their outlet, "
                                "by source and what was found (unchanged, edited, gone, "
                                "redirected away, withdrawn, error).", ["source", "outcome"],
                                registry=r)

    def request(self, status: int) -> None:
        child = self._http_codes.get(status)
        if child is None:
            child = self._http_codes[status] = self.http.labels(str(status))
        child.inc()

    def recheck(self, source: str, outcome: str) -> None:
        self.rechecks.labels(source, outcome).inc()

    def fetched(self, report: FetchReport, success_time: float | None) -> None:
        self.fetches.labels(report.status or "unknown").inc()
        if report.error:
            self.fetch_failures.inc()
        if success_time is not None:
            self.last_success.labels(report.source).set(success_time)
        self._entries(report.new, report.updated, report.unchanged, "feed")

    def ingested(self, report: IngestReport) -> None:
        self._entries(report.new, report.updated, report.unchanged, "inbox")
        self.files_failed.inc(report.failed)

    def _entries(self, new: int, updated: int, unchanged: int, origin: str) -> None:
        for status, count in (("new", new), ("updated", updated), ("unchanged", unchanged)):
            if count:
                self.entries.labels(status, origin).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
