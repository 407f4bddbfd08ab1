"""One outlet, one source (issue 16): names and hosts of an outlet are one source; an alias
that joins later keeps its old feed URL answering."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from feedsvc.config import load_config
from feedsvc.pipeline import ingest_paths, publish_site
from feedsvc.server import PublicFiles

from .conftest import SAMPLE_FILES, copy_into


def post(folder: Path, name: str, url: str, author: str | None, title: str) -> Path:
    path = folder / name
    by = f"author: {author}\n" if author else ""
    path.write_text(f"---\ntitle: {title}\ndate: 2020-08-15T06:00:00Z\n{by}from: {url}\n---\n"
                    f"<p>{title}: the body of the story, long enough to be an article.</p>\n",
                    encoding="utf-8")
    return path


def sources(project: Path) -> dict[str, tuple[int, int | None]]:
    """name -> (articles, merged_into)"""
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        return {name: (count, merged) for name, count, merged in db.execute(
            "SELECT s.name, (SELECT count(*) FROM articles a WHERE a.source_id = s.id), "
            "s.merged_into FROM sources s")}


@pytest.mark.parametrize("named_first", [True, False], ids=["named-first", "nameless-first"])
def test_a_name_and_its_host_are_one_source(project: Path, inbox: Path,
                                            named_first: bool) -> None:
    config = load_config(project / "config.yaml")
    named = post(inbox, "named.md", "https://www.solidot.org/story?sid=1", "Solidot", "One")
    nameless = post(inbox, "nameless.md", "https://solidot.org/story?sid=2", None, "Two")
    for path in ([named, nameless] if named_first else [nameless, named]):
        ingest_paths(config, [path])
    found = sources(project)
    assert found["Solidot"][0] == 2  # both articles, whichever came first
    assert {name for name, (count, _) in found.items() if count} == {"Solidot"}
    publish_site(config)
    public = project / "archive" / "public"
    assert (public / "sources" / "solidot.xml").exists()
    if named_first:
        assert "solidot.org" not in found  # never made: nothing to redirect
        return
    # The host's source came first and had a feed: it keeps answering, with the merged one.
    with sqlite3.connect(project / "archive" / "archive.db") as db:
        (solidot,) = db.execute("SELECT id FROM sources WHERE name = 'Solidot'").fetchone()
    assert found["solidot.org"] == (0, solidot)  # kept, as a redirect
    old = public / "sources" / "solidot-org.xml"
    assert old.read_bytes() == (public / "sources" / "solidot.xml").read_bytes()
    assert json.loads((public / "redirects.json").read_text(encoding="utf-8")) == {
        "/sources/solidot-org.json": "/sources/solidot.json",
        "/sources/solidot-org.xml": "/sources/solidot.xml"}
    assert "/sources/solidot-org.xml /sources/solidot.xml 301" in \
        (public / "_redirects").read_text(encoding="utf-8")
    status, headers, _ = PublicFiles(public).respond("GET", "/sources/solidot-org.xml", None, {})
    assert status == 301 and dict(headers)[b"location"] == b"/sources/solidot.xml"
    # The old slug stays taken: a new source of that name does not take over the old URL.
    post(inbox, "again.md", "https://solidot.org/story?sid=3", None, "Three")
    ingest_paths(config, [inbox / "again.md"])
    assert sources(project)["Solidot"][0] == 3


def test_a_host_with_two_names_is_no_ones_alias(project: Path, inbox: Path) -> None:
    config = load_config(project / "config.yaml")
    post(inbox, "a.md", "https://mp.weixin.qq.com/s/a", "Outlet A", "A")
    post(inbox, "b.md", "https://mp.weixin.qq.com/s/b", "Outlet B", "B")
    post(inbox, "c.md", "https://mp.weixin.qq.com/s/c", None, "C")
    ingest_paths(config)
    found = sources(project)
    assert found["Outlet A"][0] == found["Outlet B"][0] == 1
    assert found["mp.weixin.qq.com"][0] == 1  # a platform: the nameless post is its own


def test_the_config_names_aliases(project: Path, inbox: Path) -> None:
    (project / "config.yaml").write_text(
        (project / "config.yaml").read_text(encoding="utf-8")
        + "aliases:\n  Solidot: [奇客, solidot.org]\n", encoding="utf-8")
    config = load_config(project / "config.yaml")
    post(inbox, "a.md", "https://example.net/a", "奇客", "A")
    post(inbox, "b.md", "https://solidot.org/story?sid=9", None, "B")
    ingest_paths(config)
    assert {n: c for n, (c, _) in sources(project).items() if c} == {"Solidot": 2}


def test_the_samples_have_one_source_per_outlet(project: Path, inbox: Path) -> None:
    copy_into(inbox, *SAMPLE_FILES)
    ingest_paths(load_config(project / "config.yaml"))
    names = {name for name, (count, _) in sources(project).items() if count}
    for host, name in (("solidot.org", "Solidot"), ("rfi.fr", "法广"),
                       ("chinadigitaltimes.net", "中国数字时代")):
        assert name in names and host not in names, (host, sorted(names))
