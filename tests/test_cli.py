"""The commands as a user runs them: ingest, publish, search, stats, and their errors."""

import json
from pathlib import Path

from click.testing import CliRunner

from feedsvc.cli import main

from .conftest import SAMPLE_FILES, SEED_POST, SEED_WIRE, copy_into


def test_ingest_publish_search_stats(cli, inbox: Path, project: Path) -> None:
    copy_into(inbox, SEED_POST, SEED_WIRE, *SAMPLE_FILES[:10])
    result = cli("ingest")
    assert result.exit_code == 0, result.output
    assert "12 new, 0 updated, 0 unchanged, 0 failed" in result.output
    result = cli("publish")
    assert result.exit_code == 0 and "files written" in result.output
    assert (project / "archive" / "public" / "all.xml").exists()
    result = cli("stats")
    assert result.exit_code == 0
    assert "articles:  12" in result.output and "联合早报" in result.output


def test_search_chinese_and_english(cli, inbox: Path) -> None:
    copy_into(inbox, SEED_POST, SEED_WIRE, *SAMPLE_FILES[:10])
    cli("ingest")
    result = cli("search", "新疆", "--json")
    hits = json.loads(result.output)
    assert result.exit_code == 0
    urls = {h["url"] for h in hits}
    assert "https://www.zaobao.com/realtime/china/story20220206-1239866" in urls
    for hit in hits:
        assert {"url", "title", "source", "published", "tags"} <= set(hit)
        assert "新疆" in hit["title"] + hit["snippet"]
    english = json.loads(cli("search", "XINJIANG", "--json").output)
    assert [h["source"] for h in english] == ["AFP"]
    phrase = json.loads(cli("search", '"credible visit"', "--json").output)
    assert len(phrase) == 1
    assert json.loads(cli("search", '"visit credible"', "--json").output) == []


def test_search_filters_and_limit(cli, inbox: Path) -> None:
    copy_into(inbox, SEED_POST, SEED_WIRE, *SAMPLE_FILES[:10])
    cli("ingest")
    all_china = json.loads(cli("search", "中国", "--json").output)
    assert len(all_china) > 2
    zaobao = json.loads(cli("search", "中国", "--source", "联合早报", "--json").output)
    assert zaobao and all(h["source"] == "联合早报" for h in zaobao)
    tagged = json.loads(cli("search", "中国", "--tag", "路透", "--json").output)
    assert tagged and all("路透" in h["tags"] for h in tagged)
    assert len(json.loads(cli("search", "中国", "--limit", "2", "--json").output)) == 2
    table = cli("search", "新疆")
    assert table.exit_code == 0 and "[新疆]" in table.output


def test_a_source_or_tag_that_names_nothing_is_an_error(cli, inbox: Path) -> None:
    copy_into(inbox, SEED_POST, SEED_WIRE)
    cli("ingest")
    for command in (["search", "中国"], ["export"]):
        for option, value, what in (("--source", "联合晚报", "source"), ("--tag", "nope", "tag")):
            result = cli(*command, option, value)
            assert result.exit_code == 1, (command, option)
            assert f"{option} '{value}': no such {what} in the archive" in result.output
            assert "Traceback" not in result.output
    named = cli("export", "--source", "AFP", "-o", str(inbox.parent / "afp.jsonl"))
    assert named.exit_code == 0 and "exported 1 article to" in named.output  # not "1 articles"


def test_malformed_query_is_one_line(cli, inbox: Path) -> None:
    copy_into(inbox, SEED_POST)
    cli("ingest")
    result = cli("search", '"unbalanced')
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "unbalanced double quote" in result.output


def test_failed_file_makes_exit_code_non_zero(cli, inbox: Path) -> None:
    copy_into(inbox, SEED_POST)
    (inbox / "broken.md").write_bytes(b"\x00\x01\x02" * 100)
    result = cli("ingest")
    assert result.exit_code == 1
    assert f"failed: {inbox / 'broken.md'}: binary data, not an article" in result.output
    assert "1 new, 0 updated, 0 unchanged, 1 failed" in result.output


def test_ingest_explicit_paths(cli, project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "drop" / "nested"
    elsewhere.mkdir(parents=True)
    copy_into(elsewhere, SEED_WIRE)
    result = cli("ingest", str(tmp_path / "drop"))
    assert result.exit_code == 0 and "1 new" in result.output


def test_bad_config_is_one_line_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("public:\n  entries_per_feed: lots\n")
    result = CliRunner().invoke(main, ["--config", str(path), "stats"])
    assert result.exit_code == 1
    assert result.output == (f"feedsvc: error: {path}: public.entries_per_feed: expected an "
                             "integer >= 1, got 'lots'\n")
    assert "Traceback" not in result.output


def test_config_from_environment(project: Path, inbox: Path, monkeypatch) -> None:
    copy_into(inbox, SEED_POST)
    monkeypatch.setenv("FEEDSVC_CONFIG", str(project / "config.yaml"))
    result = CliRunner().invoke(main, ["ingest"])
    assert result.exit_code == 0 and "1 new" in result.output


def test_missing_default_config(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FEEDSVC_CONFIG", raising=False)
    result = CliRunner().invoke(main, ["stats"])
    assert result.exit_code == 1
    assert "config.yaml: no such configuration file" in result.output
    assert f"looked for {tmp_path / 'config.yaml'}" in result.output


def test_fetch_and_sources_commands(cli, project: Path, feed_server) -> None:
    from .conftest import DATA, write_sources
    from .feedserver import Reply

    rss = (DATA / "feeds" / "rss2.xml").read_bytes()
    write_sources(project, [
        {"name": "联合早报 · 中国", "slug": "zaobao-china",
         "url": feed_server.serve("/rss", Reply(200, rss, {"ETag": '"a"'}))},
        {"name": "Broken", "url": feed_server.serve("/500", Reply(500))},
    ])
    result = cli("fetch", "--publish")
    assert result.exit_code == 1  # one source failed
    assert "联合早报 · 中国: 3 new, 0 updated, 0 unchanged" in result.output
    assert "Broken: error: " in result.output and "HTTP 500" in result.output
    assert (project / "archive" / "public" / "sources" / "zaobao-china.xml").exists()
    listing = cli("sources")
    assert listing.exit_code == 0
    assert "联合早报 · 中国 (zaobao-china, from config)" in listing.output
    assert "status 200, etag yes, 3 articles" in listing.output
    assert "fetched 2 sources: 3 new, 0 updated, 0 unchanged entries, 1 source failed" in result.output
    assert "1 consecutive failure" in listing.output and "1 consecutive failures" not in listing.output
    assert "status error: HTTP 500 Internal Server Error," in listing.output  # not just "error"
    states = json.loads(cli("sources", "--json").output)
    assert {s["name"]: s["failures"] for s in states} == {"联合早报 · 中国": 0, "Broken": 1}
    assert {s["name"]: s["problem"] for s in states} == {
        "联合早报 · 中国": None, "Broken": "HTTP 500 Internal Server Error"}
    assert next(s["last_error"] for s in states if s["name"] == "Broken").endswith(
        "/500: HTTP 500 Internal Server Error")
    again = cli("fetch")  # right after: every source not waiting out a failure, again
    assert "Broken: skipped, waiting until" in again.output
    assert "联合早报 · 中国: 0 new, 0 updated, 3 unchanged" in again.output
    due = cli("fetch", "--due")  # only those whose time has come: none
    assert "联合早报 · 中国: skipped, not due until" in due.output
    assert cli("fetch", "--due", "--force").exit_code == 2  # a usage error
