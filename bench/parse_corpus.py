"""The two feed parsers side by side on a corpus of real-world feeds (issue 15).

``python -m bench --only parse-corpus [--corpus PATH]`` reads every document of a corpus
(by default feedparser's own test suite, from its source distribution on PyPI: over 2,000
documents, each with an ``Expect:`` line), our own regression documents and 20,000 random
documents built from the pieces of real feeds (``bench/feedmix.py``), parses each through
the feedparser path and, where it is taken, the fast path, prepares every entry as the
archive would, and counts:
documents, entries, entries that differ per field, entries lost, crashes; and how many of
the ``Expect:`` lines about fields we keep hold for feedparser and for feedsvc.

Not in the unit suite: the corpus is a download. The interesting documents it found are
regression tests in ``tests/data/feeds/corpus/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import feedparser

from bench.feedmix import mixed_documents
from bench.report import Row
from feedsvc.errors import FeedsvcError
from feedsvc.models import Article, PreparedArticle
from feedsvc.parse import ParsedFeed, _recode, cap_entries, parse_fast, parse_feed, parse_robust
from feedsvc.prepare import prepare_article

GENERATED = 20_000  # random documents from the pieces real feeds are made of (bench/feedmix)
NOW = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)  # "arrival time": the corpus is older
FIELDS = ("title", "url", "guid", "author", "tags", "published", "content_html", "summary",
          "lang")
_HEADER = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.MULTILINE)
_EXPECT = re.compile(rb"Description:\s*(.*?)\s*Expect:\s*(.*)\s*-->")
_SKIP = re.compile(rb"SkipUnless:\s*(.*?)\n")
# Our own regression documents (issue 15's cases), read beside the downloaded corpus.
OWN_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "feeds" / "corpus"
_BASE = "http://127.0.0.1:8097/"  # where feedparser's own suite serves the corpus
# The entry and feed keys feedsvc keeps; an Expect: line about only these is counted.
KEPT = {"feed", "entries", "title", "link", "id", "author", "summary", "content", "value",
        "tags", "term", "published_parsed", "updated_parsed", "language"}
FEED_KEPT = {"title", "link", "id", "updated_parsed"}


@dataclass
class Document:
    name: str
    body: bytes
    url: str
    content_type: str
    expect: str | None


@dataclass
class Tally:
    documents: int = 0
    fast_documents: int = 0
    entries: int = 0
    fast_entries: int = 0
    field_diffs: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    crashes: list[str] = field(default_factory=list)
    differing: dict[str, list[str]] = field(default_factory=dict)  # document -> fields
    expect_total: int = 0
    expect_feedparser: int = 0
    expect_feedsvc: int = 0
    expect_misses: list[str] = field(default_factory=list)
    miss_fields: Counter[str] = field(default_factory=Counter)  # of the misses, by key


def corpus_root(path: str | None, scratch: Path) -> Path:
    """The folder holding the corpus: PATH itself, an sdist it names, or a fresh download."""
    if path and Path(path).is_dir():
        return Path(path)
    if not path:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-binary",
                        ":all:", "--no-deps", f"feedparser=={version('feedparser')}", "-d",
                        str(scratch)], check=True)
        path = str(next(scratch.glob("feedparser-*.tar.gz")))
    with tarfile.open(path) as archive:
        archive.extractall(scratch, filter="data")
    return next(scratch.glob("feedparser-*/tests"))


def read_documents(root: Path) -> list[Document]:
    documents = []
    for file in sorted(root.rglob("*.xml")):
        body = file.read_bytes()
        headers = {k.decode().strip().lower(): v.decode().strip()
                   for k, v in _HEADER.findall(body)}
        relative = file.relative_to(root.parent).as_posix()
        expect = _EXPECT.search(body)
        skip = _SKIP.search(body)
        documents.append(Document(
            relative, body, headers.get("content-location") or _BASE + relative,
            headers.get("content-type", "application/xml"),
            expect.group(2).decode("utf-8", "replace") if expect and not skip else None))
    return documents


def _prepared(articles: list[Article]) -> list[PreparedArticle | None]:
    out: list[PreparedArticle | None] = []
    for article in articles:
        try:
            out.append(prepare_article(_copy(article), NOW))
        except FeedsvcError:
            out.append(None)
    return out


def _copy(article: Article) -> Article:
    return replace(article, tags=list(article.tags))


def compare(document: Document, tally: Tally) -> None:
    body, content_type = _recode(document.body, document.content_type)
    body, found = cap_entries(body)
    robust = parse_robust(body, document.url, content_type, found)
    fast = parse_fast(body, document.url, content_type, found)
    tally.entries += len(robust.articles)
    if fast is None:
        return
    tally.fast_documents += 1
    tally.fast_entries += len(fast.articles)
    fields = {"feed " + f for f in ("title", "link", "feed_id", "updated", "format")
              if getattr(robust, f) != getattr(fast, f)}
    for one, two in zip(robust.articles, fast.articles, strict=False):
        fields |= {"as read: " + f for f in FIELDS if getattr(one, f) != getattr(two, f)}
    tally.field_diffs.update(fields)
    kept_robust = _prepared(robust.articles)
    kept_fast = _prepared(fast.articles)
    lost = max(0, len(robust.articles) - len(fast.articles))
    for one, two in zip(kept_robust, kept_fast, strict=False):
        if one is None or two is None:
            lost += int(one is not None and two is None)
            continue
        differ = {f for f in FIELDS if getattr(one, f) != getattr(two, f)}
        fields |= differ
        tally.field_diffs.update(differ)
    uids = {a.uid for a in kept_robust if a}
    lost += max(0, len(uids) - len({a.uid for a in kept_fast if a}))
    tally.lost += lost
    if lost:
        fields.add(f"{lost} lost")
    if fields:
        tally.differing[document.name] = sorted(fields)


def _parsed_date(when: datetime | None) -> Any:
    return time.gmtime(when.timestamp()) if when else None


def feedsvc_envs(parsed: ParsedFeed) -> list[dict[str, Any]]:
    """What feedsvc keeps, under feedparser's names, as read (before cleaning) and as
    archived (cleaned): the ``Expect:`` lines' environments."""
    envs = []
    for cleaned in (False, True):
        entries = []
        for raw, kept in zip(parsed.articles, _prepared(parsed.articles), strict=True):
            article = kept if cleaned and kept else raw
            body = article.content_html
            entries.append(feedparser.FeedParserDict({
                "title": article.title, "link": raw.url, "id": raw.guid,
                "author": article.author, "summary": article.summary or body,
                "content": [{"value": body, "language": article.lang}],
                "tags": [{"term": t} for t in raw.tags],
                "published_parsed": _parsed_date(raw.published),
                "updated_parsed": _parsed_date(raw.published), "language": article.lang}))
        feed = feedparser.FeedParserDict({"title": parsed.title, "link": parsed.link,
                                          "id": parsed.feed_id,
                                          "updated_parsed": _parsed_date(parsed.updated)})
        envs.append({"feed": feed, "entries": entries, "bozo": 0})
    return envs


def _keys_kept(expression: str) -> bool:
    keys = re.findall(r"\[\s*['\"](\w+)['\"]\s*\]", expression)
    feed_keys = re.findall(r"feed\[\s*['\"](\w+)['\"]\s*\]", expression)
    if not set(feed_keys) <= FEED_KEPT:
        return False
    names = re.findall(r"\b(feed|entries|bozo\w*|encoding|version|namespaces|headers|status)\b",
                       expression)
    return bool(keys) and set(keys) <= KEPT and set(names) <= {"feed", "entries", "bozo"}


def _holds(expression: str, env: dict[str, Any]) -> bool:
    try:
        return bool(eval(expression, {"__builtins__": __builtins__}, env))
    except Exception:  # a missing key is a miss, whatever it raises
        return False


def check_expect(document: Document, tally: Tally) -> None:
    expression = (document.expect or "").replace("not bozo and ", "").replace(
        "bozo and ", "")
    if not expression or not _keys_kept(expression):
        return
    tally.expect_total += 1
    reference = feedparser.parse(
        document.body, response_headers={"content-type": document.content_type,
                                         "content-location": document.url})
    tally.expect_feedparser += _holds(expression, dict(reference))
    try:
        ours = parse_feed(document.body, document.url, document.content_type)
    except FeedsvcError:
        ours = ParsedFeed()
    holds = any(_holds(expression, env) for env in feedsvc_envs(ours))
    tally.expect_feedsvc += holds
    if not holds and _holds(expression, dict(reference)):
        tally.expect_misses.append(f"{document.name}: {expression}")
        keys = set(re.findall(r"\[\s*['\"](\w+)['\"]\s*\]", expression)) - {
            "feed", "entries", "value"}
        tally.miss_fields["/".join(sorted(keys))] += 1


def run_corpus(path: str | None, verbose: bool = False,
               generated: int = GENERATED) -> tuple[Tally, float]:
    tally = Tally()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        documents = read_documents(corpus_root(path, Path(scratch)))
    if OWN_CORPUS.is_dir():
        documents += read_documents(OWN_CORPUS)
    documents += [Document(name, body, _BASE + name, "application/xml", None)
                  for name, body in mixed_documents(generated)]
    for document in documents:
        tally.documents += 1
        try:
            compare(document, tally)
            parse_feed(document.body, document.url, document.content_type)
        except FeedsvcError:
            pass
        except Exception:
            tally.crashes.append(f"{document.name}: {traceback.format_exc(limit=3)}")
        check_expect(document, tally)
    if verbose:
        for name, fields in sorted(tally.differing.items()):
            print(f"differs: {name}: {', '.join(fields)}")
        for crash in tally.crashes:
            print(f"crash: {crash}")
        for miss in tally.expect_misses:
            print(f"expect holds for feedparser, not feedsvc: {miss}")
    return tally, time.perf_counter() - started


def corpus_rows(path: str | None, verbose: bool = False) -> list[Row]:
    tally, elapsed = run_corpus(path, verbose)
    diffs = ", ".join(f"{k} {v}" for k, v in tally.field_diffs.most_common()) or "none"
    return [
        Row("parse corpus: documents", f"{tally.documents:,} documents", "",
            f"{tally.fast_documents:,} take the fast path; {tally.entries:,} entries "
            f"({tally.fast_entries:,} on the fast path); {elapsed:.0f} s"),
        Row("parse corpus: fast vs feedparser path", f"{len(tally.differing)} documents differ",
            "0", f"fields differing: {diffs}"),
        Row("parse corpus: entries lost on the fast path", f"{tally.lost} entries", "0", ""),
        Row("parse corpus: crashes", f"{len(tally.crashes)} documents", "0",
            "an exception other than a ParseError"),
        Row("parse corpus: Expect lines about kept fields",
            f"{tally.expect_feedsvc:,} of {tally.expect_total:,} hold for feedsvc", "",
            f"{tally.expect_feedparser:,} hold for feedparser itself; "
            f"{len(tally.expect_misses)} hold for feedparser only, by key: " + ", ".join(
                f"{k} {v}" for k, v in tally.miss_fields.most_common())),
    ]
