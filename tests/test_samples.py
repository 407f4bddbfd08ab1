"""Every real sample ingests and republishes sensibly (samples/README.md says what each shows)."""

import re
from pathlib import Path

import feedparser
import pytest

from feedsvc.files import read_article_file
from feedsvc.models import Config
from feedsvc.pipeline import ingest_paths, publish_site
from feedsvc.prepare import prepare_article

from .conftest import SAMPLE_FILES, SEED_POST, SEED_WIRE, copy_into

DISALLOWED = re.compile(r"<\s*(script|style|iframe|object|embed|form)\b|\bon[a-z]+=|javascript:",
                        re.IGNORECASE)
# Bodies that are legitimately empty or a list of links in the original.
NO_BODY = {"34_yaml_broken_backslash_title.md"}


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=[p.name[:40] for p in SAMPLE_FILES])
def test_sample_prepares_sensibly(path: Path) -> None:
    article = prepare_article(read_article_file(path))
    assert article.title and article.title == article.title.strip()
    assert "\n" not in article.title
    assert article.url and article.url.startswith("http")
    assert article.canonical_url and article.canonical_url.isascii()
    assert article.source
    assert article.published is not None
    assert article.lang in {"zh-Hans", "zh-Hant", "en"}
    assert not DISALLOWED.search(article.content_html)
    assert "&lt;p&gt;" not in article.content_html and "&lt;div" not in article.content_html
    if path.name not in NO_BODY:
        assert len(article.content_text) > 20
        assert article.summary


def test_whole_corpus_ingests_and_republishes(config: Config, inbox: Path) -> None:
    copy_into(inbox, SEED_POST, SEED_WIRE, *SAMPLE_FILES)
    report = ingest_paths(config)
    assert report.failures == []
    # 35 is the seed re-serialized, 36 its re-titled twin: one article with one revision.
    assert report.new == len(SAMPLE_FILES) + 2 - 2
    publish_site(config)
    parsed = feedparser.parse(Path(config.public.dir, "all.xml").read_bytes())
    assert not parsed.bozo
    assert len(parsed.entries) == report.new
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)
