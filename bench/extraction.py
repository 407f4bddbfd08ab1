"""Extraction quality and speed (issue 18): token F1 of the text feedsvc archives from an
article page against the page's labelled body, and the time to extract one page. Like is
compared with like: where the labelled text leaves out image alt text and captions
(newspaper4k's), so does ours.

Tokens are words for Latin script and single characters for Chinese, Japanese and Korean
(the unit the published benchmarks use for each), counted as a bag, case-folded.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.pages import (
    LabelledPage,
    english_bodies,
    newspaper_pages,
    outlet_pages,
    sample_bodies,
)
from bench.report import Row
from feedsvc.text import word_counts


def token_f1(found: str, gold: str) -> float:
    found_tokens, gold_tokens = word_counts(found), word_counts(gold)
    common = sum((found_tokens & gold_tokens).values())
    if not common:
        return 0.0
    precision = common / sum(found_tokens.values())
    recall = common / sum(gold_tokens.values())
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Scored:
    page: LabelledPage
    f1: float
    seconds: float  # extracting the page (``extract_page``)
    text: str


def archived_text(page: LabelledPage) -> tuple[str, float]:
    """The text feedsvc archives from the page, and the time extraction took."""
    from feedsvc.extract import extract_page
    from feedsvc.models import Article
    from feedsvc.prepare import prepare_article
    from feedsvc.text import html_to_text

    started = time.perf_counter()
    found = extract_page(page.html, page.url)
    seconds = time.perf_counter() - started
    article = prepare_article(Article(title=found.title, content_html=found.body_html,
                                      source="bench", url=found.url or page.url))
    if page.media:
        return article.content_text, seconds
    return html_to_text(article.content_html, media_text=False), seconds


def labelled_pages(cache: Path | None) -> list[LabelledPage]:
    real = newspaper_pages(cache)
    bodies = [*sample_bodies(), *english_bodies(real)]
    return real + outlet_pages(bodies, [b.title for b in bodies])


def trafilatura_text(page: LabelledPage) -> tuple[str, float]:
    """The peer: trafilatura alone, as its documentation recommends for precision."""
    import trafilatura

    started = time.perf_counter()
    text = trafilatura.extract(page.html, url=page.url, favor_precision=True) or ""
    return text, time.perf_counter() - started


def score(pages: list[LabelledPage],
          extract: Callable[[LabelledPage], tuple[str, float]] = archived_text) -> list[Scored]:
    results = []
    for page in pages:
        text, seconds = extract(page)
        results.append(Scored(page, token_f1(text, page.gold), seconds, text))
    return results


GROUPS: dict[str, Callable[[LabelledPage], bool]] = {
    "all pages": lambda page: True,
    "Chinese pages": lambda page: page.lang == "zh",
    "English pages": lambda page: page.lang == "en",
    "real pages, English": lambda page: page.kind == "real" and page.lang == "en",
    "real pages, Chinese": lambda page: page.kind == "real" and page.lang == "zh",
    "real pages, other languages": lambda page: page.kind == "real" and page.lang == "other",
    "outlet layouts": lambda page: page.kind == "outlet",
}


def extraction_rows(cache: Path | None = None, verbose: bool = False) -> list[Row]:
    pages = labelled_pages(cache)
    results = score(pages)
    peer = {r.page.name: r.f1 for r in score(pages, trafilatura_text)}
    if verbose:
        for item in sorted(results, key=lambda r: r.f1):
            print(f"{item.f1:.3f} (trafilatura alone {peer[item.page.name]:.3f}) "
                  f"{item.seconds * 1000:6.1f} ms  {item.page.name}")
    rows = []
    for name, belongs in GROUPS.items():
        group = [r for r in results if belongs(r.page)]
        if not group:
            continue
        target = "≥ 0.90" if "Chinese" in name else "≥ 0.95"
        alone = statistics.mean(peer[r.page.name] for r in group)
        rows.append(Row(f"extraction F1, {name}", f"{statistics.mean(r.f1 for r in group):.3f}",
                        target, f"{len(group)} pages; trafilatura alone {alone:.3f}"))
    times = sorted(r.seconds * 1000 for r in results)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    rows.append(Row("extraction time per page, one core",
                    f"median {statistics.median(times):.1f} ms", f"p95 {p95:.1f} ms",
                    "target median ≤ 50 ms, p95 ≤ 150 ms"))
    return rows
