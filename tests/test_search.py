"""Full-text search over the real archive: Chinese words of any length, English inflection,
phrases, filters, sync on update and delete, export."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result

from feedsvc import schema
from feedsvc.archive import opened
from feedsvc.errors import QueryError
from feedsvc.fts import index_text, parse_query
from feedsvc.models import Config
from feedsvc.pipeline import ingest_paths
from feedsvc.query import Filters, search_articles

from .conftest import SAMPLE_FILES, SEED_POST, SEED_WIRE, copy_into

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SEED_TITLE = "联合国秘书长期待中国允许人权专员赴疆展开可信访问"


def post(n: int, title: str, body: str, date: str = "2024-01-01", tags: str = "world",
         source: str = "Desk") -> str:
    return (f'---\ntitle: "{title}"\ndate: {date}T00:00:00Z\nauthor: {source}\n'
            f"from: https://news.example.org/{n}\ntags: [{tags}]\n---\n\n<p>{body}</p>\n")


@pytest.fixture
def archive(config: Config, inbox: Path) -> Config:
    """A few hand-written posts beside the seeds: each test knows exactly what should match."""
    posts = {
        1: post(1, "联合国人权专员访问新疆", "联合国人权事务高级专员办事处证实正就访疆事宜展开谈判。",
                "2022-01-10", "china"),
        2: post(2, "Guterres visits Beijing", "The Secretary-General visited leaders and "
                "discussed human rights.", "2022-02-01", "world"),
        3: post(3, "疆域与边界", "这是关于地理的文章，与人权无关。", "2021-05-01", "geo"),
        4: post(4, "Weather report", "Rain is expected; no visit planned. Human rights "
                "groups were not mentioned.", "2023-03-03", "weather"),
        5: post(5, "新年", "人们庆祝新年，市场繁忙。", "2023-01-22", "china"),
    }
    for n, text in posts.items():
        (inbox / f"{n}.md").write_text(text, encoding="utf-8")
    copy_into(inbox, SEED_POST, SEED_WIRE)
    assert ingest_paths(config, now=NOW).failed == 0
    return config


def titles(config: Config, query: str, **filters: str) -> list[str]:
    with opened(config.database) as db:
        return [h.article.title for h in search_articles(db, query, Filters(**filters), 50)]


def test_two_character_chinese_words(archive: Config) -> None:
    assert "联合国人权专员访问新疆" in titles(archive, "新疆")
    assert "联合国人权专员访问新疆" in titles(archive, "人权")
    assert "疆域与边界" in titles(archive, "人权")  # in its body: 与人权无关
    # 新疆 is not 疆域: bigrams do not match across word boundaries that are not there.
    assert "疆域与边界" not in titles(archive, "新疆")
    assert titles(archive, "新年") == ["新年"]


def test_longer_chinese_words_and_phrases(archive: Config) -> None:
    assert set(titles(archive, "人权事务高级专员")) == {"联合国人权专员访问新疆", SEED_TITLE}
    assert titles(archive, "联合国人权专员访问新疆") == ["联合国人权专员访问新疆"]
    # Every character is in the body of post 1, but not in this order.
    assert titles(archive, "专员高级") == []


def test_single_chinese_character(archive: Config) -> None:
    found = titles(archive, "疆")
    assert "疆域与边界" in found and "联合国人权专员访问新疆" in found


def test_english_is_case_blind_and_finds_inflections(archive: Config) -> None:
    assert "Guterres visits Beijing" in titles(archive, "visit")
    assert "Guterres visits Beijing" in titles(archive, "VISITING")
    assert "Weather report" in titles(archive, "visit")
    assert titles(archive, "beijing")[0] == "Guterres visits Beijing"  # in the title: first


def test_phrases_in_quotes(archive: Config) -> None:
    found = titles(archive, '"human rights"')
    assert "Guterres visits Beijing" in found and "Weather report" in found
    assert titles(archive, '"rights human"') == []
    assert titles(archive, '"discussed human rights" Guterres') == ["Guterres visits Beijing"]


def test_or_and_exclusion(archive: Config) -> None:
    assert set(titles(archive, "新年 OR 疆域")) == {"新年", "疆域与边界"}
    found = titles(archive, "visit -rain")
    assert "Guterres visits Beijing" in found and "Weather report" not in found


def test_title_matches_rank_first_newest_first_among_equals(archive: Config) -> None:
    found = titles(archive, "visit")
    assert found.index("Guterres visits Beijing") < found.index("Weather report")


def test_filters(archive: Config) -> None:
    assert titles(archive, "人权", tag="china") == ["联合国人权专员访问新疆"]
    assert titles(archive, "人权", since="2022-01-05T00:00:00Z",
                  until="2022-01-20T00:00:00Z") == ["联合国人权专员访问新疆"]
    assert titles(archive, "人权", until="2021-12-31T23:59:59Z") == ["疆域与边界"]
    assert titles(archive, "visit", source="world", until="2022-12-31T23:59:59Z") == \
        ["Guterres visits Beijing"]  # the first tag of a post is its outlet


@pytest.mark.parametrize(("query", "message"), [
    ('"unbalanced', "unbalanced double quote"),
    ("OR 新疆", "OR needs a term"),
    ("新疆 OR", "OR needs a term"),
    ("-新疆", "nothing to find"),
    ("   ", "nothing to find"),
])
def test_malformed_queries_are_one_line_errors(archive: Config, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        titles(archive, query)


def test_fts_syntax_is_taken_literally(archive: Config) -> None:
    for query in ("NEAR(qq zz)", "title:qq", "qq AND", "^qq", "(", "*", "qq:zz:ww", "qq*"):
        assert titles(archive, query) == [], query  # no match, and no error


def test_update_replaces_the_indexed_text(archive: Config, inbox: Path) -> None:
    (inbox / "2.md").write_text(post(2, "Guterres flies home", "The trip ended."),
                                encoding="utf-8")
    assert ingest_paths(archive, [inbox / "2.md"], now=NOW).updated == 1
    assert titles(archive, "discussed") == []  # the old text no longer matches
    assert "Guterres visits Beijing" not in titles(archive, "Beijing")
    assert titles(archive, "trip") == ["Guterres flies home"]


def test_rows_changed_by_other_programs_are_synced(archive: Config) -> None:
    with sqlite3.connect(archive.database) as conn:  # a sqlite3 shell, Datasette, sqlite-utils
        conn.execute("DELETE FROM article_tags WHERE article_id IN "
                     "(SELECT id FROM articles WHERE title = '新年')")
        conn.execute("DELETE FROM articles WHERE title = '新年'")
        conn.execute("UPDATE articles SET content_text = 'Snow is expected.' "
                     "WHERE title = 'Weather report'")
    assert titles(archive, "新年") == []
    assert titles(archive, "snow") == ["Weather report"]
    assert "Weather report" not in titles(archive, "rain")
    with sqlite3.connect(archive.database) as conn:
        assert conn.execute("SELECT count(*) FROM fts_pending").fetchone() == (0,)
        # FTS5's own check of the index structure raises on a corrupt index (rank 0: with
        # 1 it compares the index with the raw content, which holds unsplit Chinese).
        conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 0)")
        # The index holds exactly the rows of articles, in their indexed (bigram) form.
        indexed = {row[0] for row in conn.execute("SELECT rowid FROM articles_fts")}
        assert indexed == {row[0] for row in conn.execute("SELECT id FROM articles")}
        assert conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH "
                            "'\"新年\"'").fetchone() == (0,)


def test_reindex_rebuilds_the_same_results(archive: Config, cli: Callable[..., Result]) -> None:
    before = {q: titles(archive, q) for q in ("新疆", "visit", '"human rights"', "疆")}
    result = cli("reindex")
    assert result.exit_code == 0 and "reindexed 7 articles" in result.output
    assert {q: titles(archive, q) for q in before} == before


def test_index_text_splits_cjk_runs_only() -> None:
    assert index_text("联合国秘书长Guterres说，2022年") .split() == \
        ["联合", "合国", "国秘", "秘书", "书长", "Guterres", "说", ",2022", "年"]
    assert parse_query('新疆 "human rights" -西藏').terms == ("新疆", "human rights")


def test_cli_search_formats(archive: Config, cli: Callable[..., Result]) -> None:
    table = cli("search", "新疆")
    assert table.exit_code == 0 and "[新疆]" in table.output
    hits = json.loads(cli("search", "visit", "--json").output)
    assert hits[0]["title"] == "Guterres visits Beijing" and "[visited]" in hits[0]["snippet"]
    rows = list(csv.DictReader(io.StringIO(cli("search", "人权", "--csv").output)))
    assert {r["title"] for r in rows} >= {"联合国人权专员访问新疆", "疆域与边界"}
    assert set(rows[0]) >= {"published", "source", "title", "url", "snippet"}
    dated = json.loads(cli("search", "人权", "--since", "2022-01-01", "--until", "2022-01-10",
                           "--json").output)
    assert [h["title"] for h in dated] == ["联合国人权专员访问新疆"]  # --until a day: that day
    bad = cli("search", "x", "--since", "last tuesday-ish")
    assert bad.exit_code == 2 and "is not a date" in bad.output
    broken = cli("search", '"unbalanced')
    assert broken.exit_code == 1 and "Traceback" not in broken.output
    assert "unbalanced double quote" in broken.output


def test_export_streams_more_than_one_batch(config: Config, inbox: Path,
                                            cli: Callable[..., Result], tmp_path: Path) -> None:
    for n in range(1203):  # more than two batches of 500
        (inbox / f"{n}.md").write_text(post(n, f"Story {n}", f"Body {n} 新闻", tags=f"t{n % 3}"),
                                       encoding="utf-8")
    assert ingest_paths(config, now=NOW).new == 1203
    lines = cli("export").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 1203 and len({r["id"] for r in records}) == 1203
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    story = next(r for r in records if r["title"] == "Story 7")
    assert story["content_text"] == "Body 7 新闻" and story["tags"] == ["t1"]
    out = tmp_path / "t1.csv"
    result = cli("export", "--format", "csv", "--tag", "t1", "-o", str(out))
    assert result.exit_code == 0 and "exported 401 articles" in result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 401 and all(r["tags"] == "t1" for r in rows)


def test_views_answer_common_questions(archive: Config) -> None:
    with sqlite3.connect(archive.database) as conn:
        row = conn.execute("SELECT source, tag_names, title FROM articles_with_tags "
                           "WHERE title = '新年'").fetchone()
        assert row == ("china", "china", "新年")
        days = conn.execute("SELECT source, day, articles FROM articles_per_source_per_day "
                            "WHERE source = 'china' ORDER BY day").fetchall()
        assert days == [("china", "2022-01-10", 1), ("china", "2023-01-22", 1)]


def test_existing_archive_is_indexed_by_the_migration(config: Config, inbox: Path) -> None:
    copy_into(inbox, *SAMPLE_FILES[:5])
    ingest_paths(config, now=NOW)
    with sqlite3.connect(config.database) as conn:  # back to a version-2 archive
        conn.executescript("DROP TABLE articles_fts; DROP TABLE fts_pending; "
                           "DROP VIEW articles_with_tags; DROP VIEW articles_per_source_per_day;"
                           "DROP TRIGGER IF EXISTS articles_fts_insert;"
                           "DROP TRIGGER IF EXISTS articles_fts_update;"
                           "DROP TRIGGER IF EXISTS articles_fts_delete;"
                           "ALTER TABLE articles DROP COLUMN source_feed;"  # and version 4
                           "ALTER TABLE articles DROP COLUMN raw_hash;"  # and version 5
                           "DROP TABLE source_aliases;"  # and version 6
                           "ALTER TABLE sources DROP COLUMN merged_into;"
                           "DROP TABLE pages;"  # and version 7
                           "ALTER TABLE articles DROP COLUMN text_origin;"
                           "ALTER TABLE article_revisions DROP COLUMN text_origin;"
                           "ALTER TABLE sources DROP COLUMN full_text;"
                           "ALTER TABLE sources DROP COLUMN robots;"
                           "DROP TABLE changes; DROP TABLE rechecks;"  # and version 8
                           "DROP INDEX articles_source_updated;"  # and version 12
                           "DROP INDEX articles_id_updated;"
                           "DROP INDEX articles_first_seen_source;"
                           "DROP TABLE media; DROP TABLE article_media;"  # and v11
                           "DROP TABLE media_scanned;"
                           "ALTER TABLE subscriptions DROP COLUMN media;"
                           "DROP TABLE stories; DROP TABLE coverage;"  # and version 10
                           "DROP TABLE story_index; DROP TABLE story_bands;"
                           "DROP TABLE story_names; DROP TABLE story_name_counts;"
                           "DROP INDEX articles_story;"
                           "ALTER TABLE articles DROP COLUMN story_id;"
                           "DROP TABLE subscriptions;"  # and version 9
                           "ALTER TABLE sources DROP COLUMN last_entries;"
                           "ALTER TABLE sources DROP COLUMN failing_since;"
                           "ALTER TABLE articles DROP COLUMN vanished_at;"
                           "ALTER TABLE articles DROP COLUMN vanished_reason;"
                           "DROP INDEX idx_articles_source_id; PRAGMA user_version = 2;")
        count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    with opened(config.database) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
        indexed = db.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
    assert indexed == count > 0


@pytest.fixture
def web(archive: Config):
    from starlette.testclient import TestClient

    from feedsvc.pipeline import publish_site
    from feedsvc.searchweb import search_site
    from feedsvc.server import create_app

    publish_site(archive)
    return TestClient(create_app(archive.public.dir, search=search_site(archive)))


def test_search_feed_is_valid_atom_of_the_newest_matches(web, archive: Config) -> None:
    import feedparser

    response = web.get("/search.xml", params={"q": "人权", "limit": "2"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert "人权" in parsed.feed.title
    self_link = next(link.href for link in parsed.feed.links if link.rel == "self")
    assert self_link == archive.public.base_url + "search.xml?q=%E4%BA%BA%E6%9D%83&limit=2"
    published = [entry.published for entry in parsed.entries]
    assert len(published) == 2 and published == sorted(published, reverse=True)
    tagged = feedparser.parse(web.get("/search.xml", params={"q": "人权", "tag": "geo"}).content)
    assert [e.title for e in tagged.entries] == ["疆域与边界"]
    again = web.get("/search.xml", params={"q": "人权", "limit": "2"},
                    headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304


def test_search_page_highlights_and_escapes(web) -> None:
    page = web.get("/search", params={"q": "新疆"})
    assert page.status_code == 200 and "<mark>新疆</mark>" in page.text
    assert 'href="search.xml?q=%E6%96%B0%E7%96%86"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    hostile = web.get("/search", params={"q": '<script>alert(1)</script> "x'})
    assert hostile.status_code == 400 and "<script>alert" not in hostile.text
    assert "&lt;script&gt;" in hostile.text and "unbalanced double quote" in hostile.text
    assert web.get("/search").status_code == 200  # the empty form
    assert 'action="search"' in web.get("/").text  # linked from index.html


@pytest.mark.parametrize("params", [{"q": '"open'}, {"q": "x", "since": "someday"},
                                    {"q": "x", "limit": "lots"}, {}])
def test_bad_search_urls_are_400(web, params: dict[str, str]) -> None:
    response = web.get("/search.xml", params=params)
    assert response.status_code == 400 and response.text.strip()


def test_search_without_an_archive_is_503(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from feedsvc.searchweb import SearchSite
    from feedsvc.server import create_app

    site = SearchSite(str(tmp_path / "none.db"), "http://127.0.0.1:8080/", "t")
    client = TestClient(create_app(tmp_path / "public", search=site))
    response = client.get("/search.xml", params={"q": "x"})
    assert response.status_code == 503 and "no archive yet" in response.text
    assert not (tmp_path / "none.db").exists()  # a reader never creates the archive
