"""Stories (issue 22): how well copies are grouped and coverage linked on a labelled set,
and what placing one article costs in a large archive.

The labelled set, all of it ingested through the inbox like a user's files:

- real articles: the seeds, the 39 samples (Chinese mostly) and newspaper4k's 28 article
  texts (many languages), each a story of its own, except the seed's known copies;
- wire copies: each real article republished by two or three other outlets with the edits
  outlets make (a new first line or dateline, a trimmed ending, a footer, "Advertisement"
  slots, British spelling, a dropped paragraph; Chinese ones in Traditional characters,
  with full-width digits, a 中央社 dateline or an editor's line);
- ``tests/data/stories``: hand-written wire stories (three edited copies of the AFP seed,
  a Traditional copy of the zaobao seed) and three other Xinjiang stories of the same days,
  which share background paragraphs and names with the seed but are other events, with
  their coverage in other words (Reuters) or in Chinese.

Copies are scored by pairs: precision is the share of pairs placed in one story that are
copies of one article, recall the share of such pairs placed in one story. Coverage is
scored by story pairs linked: precision is the share of links between reports of one
event (``EVENTS``).
"""

from __future__ import annotations

import json
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import combinations
from pathlib import Path

import opencc

from bench.pages import newspaper_pages
from bench.report import Row
from feedsvc import archive, stories
from feedsvc.files import read_article_file
from feedsvc.models import Config, PublicConfig
from feedsvc.pipeline import ingest_paths
from feedsvc.text import html_to_text

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
# file stem (or prefix) -> the article it is a copy of
KNOWN_COPIES = {
    "afp-guterres-": "003_ba20f4baf1de7ff2", "singtao-guterres-hant": "000_6390ca9886dbf2be",
    "35_nodenews_seed1_zaobao": "000_6390ca9886dbf2be",
    "36_nodenews_seed1_twin": "000_6390ca9886dbf2be",
    # newspaper4k's two pages of one article (found by the clustering, checked by eye)
    "newspaper4k_video_article_01": "newspaper4k_cleveland.com1",
}
# reports of one event, in other words or languages: linked as coverage, never as copies
EVENTS = [
    {"003_ba20f4baf1de7ff2", "000_6390ca9886dbf2be", "reuters-guterres-xi"},
    {"afp-xinjiang-cotton", "cna-xinjiang-cotton"},
    {"afp-xinjiang-skier", "zaobao-skier"},
]
OUTLETS_EN = ["France 24", "Barron's", "The Star", "Yahoo News", "Straits Times", "RFI"]
OUTLETS_ZH = ["中央社", "星岛日报", "明报", "东方日报", "世界日报", "多维新闻"]


def labelled_inbox(folder: Path, newspaper_cache: Path | None) -> dict[str, str]:
    """Write the labelled set into ``folder``; returns each file's name -> its story key."""
    rng = random.Random(22)
    truth: dict[str, str] = {}
    for path in [*sorted((DATA / "seeds").iterdir()), *sorted((DATA / "samples").glob("*")),
                 *sorted((DATA / "stories").glob("*.md"))]:
        if path.name == "README.md":
            continue
        (folder / path.name).write_bytes(path.read_bytes())
        truth[path.name] = _original(path.stem)
    bases = [(p.stem, *_body_and_date(p)) for p in [*sorted((DATA / "seeds").iterdir()),
                                                      *sorted((DATA / "samples").glob("*.md"))]]
    bases += [(page.name.replace("/", "_"), page.gold, datetime(2022, 2, 6, tzinfo=UTC))
              for page in newspaper_pages(newspaper_cache)]
    for key, body, date in bases:
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", body) if p.strip()]
        if sum(len(p) for p in paragraphs) < 200:
            continue  # a stub: nothing to copy
        for number in range(rng.choice((2, 3))):
            chinese = bool(re.search(r"[\u4e00-\u9fff]", body[:500]))
            text = _edited(paragraphs, chinese, rng)
            outlet = rng.choice(OUTLETS_ZH if chinese else OUTLETS_EN)
            name = f"copy-{key}-{number}.md"
            (folder / name).write_text(
                f"---\ntitle: \"{key} ({outlet})\"\n"
                f"date: {(date + timedelta(hours=rng.uniform(1, 30))).isoformat()}\n"
                f"from: https://copy{number}.example.com/{key}\ntags: [ {outlet} ]\n---\n"
                + "\n\n".join(text) + "\n", "utf-8")
            truth[name] = _original(key)
    return truth


def _original(key: str) -> str:
    return next((original for prefix, original in KNOWN_COPIES.items()
                 if key.startswith(prefix)), key)


def _body_and_date(path: Path) -> tuple[str, datetime]:
    """The article's text as our parser reads it (copies are made of what readers see),
    and its date (its copies come out within the next day or so)."""
    article = read_article_file(path)
    return (html_to_text(article.content_html),
            article.published or datetime(2022, 2, 6, tzinfo=UTC))


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def _edited(paragraphs: list[str], chinese: bool, rng: random.Random) -> list[str]:
    """A copy as another outlet publishes it: two or three of the usual edits."""
    text = list(paragraphs)
    edits = rng.sample(["lead", "trim", "footer", "ads", "spelling", "drop"], rng.choice((2, 3)))
    if chinese and rng.random() < 0.6:
        converter = _converter(rng.choice(("s2hk", "s2tw", "s2twp")))
        text = [converter.convert(p) for p in text]
    if chinese and rng.random() < 0.3:
        text = [p.translate(str.maketrans("0123456789", "０１２３４５６７８９")) for p in text]
    for edit in edits:
        if edit == "lead":
            text.insert(0, "（中央社台北6日綜合外電報導）" if chinese else
                        rng.choice(["By AFP staff", "Issued on: 06/02/2022 - 09:12",
                                    "WASHINGTON (AFP) -"]))
        elif edit == "trim" and len(text) > 3:
            text = text[:max(2, round(len(text) * rng.uniform(0.6, 0.9)))]
        elif edit == "footer":
            text.append("（編輯：陳正健）1110206" if chinese else
                        "This story has been published from a wire agency feed without "
                        "modifications to the text. Only the headline has been changed.")
        elif edit == "ads" and len(text) > 2:
            for _ in range(2):
                text.insert(rng.randrange(1, len(text)), "广告" if chinese else "Advertisement")
        elif edit == "spelling":
            text = [p.replace("labor", "labour").replace("ize", "ise").replace("color",
                    "colour") for p in text]
        elif edit == "drop" and len(text) > 5:
            del text[rng.randrange(1, len(text) - 1)]
    return text


def score_set(database: Path, truth: dict[str, str]) -> dict[str, float]:
    with archive.opened(database) as db:
        rows = db.execute("SELECT id, origin, story_id FROM articles").fetchall()
        links = db.execute("SELECT story_id, related_story_id FROM coverage "
                           "WHERE story_id < related_story_id").fetchall()
    key_of = {r[0]: truth[Path(r[1]).name] for r in rows}
    story_of = {r[0]: r[2] for r in rows}
    pairs = list(combinations(sorted(key_of), 2))
    same_story = {(a, b) for a, b in pairs if story_of[a] == story_of[b]}
    copies = {(a, b) for a, b in pairs if key_of[a] == key_of[b]}
    members: dict[int, set[str]] = defaultdict(set)
    for article, story in story_of.items():
        members[story].add(key_of[article])
    # a link between two stories holding copies of one article is right too (copies the
    # copy test missed, linked as coverage)
    event_of = {key: n for n, event in enumerate(EVENTS) for key in event}
    good = sum(1 for a, b in links
               if any(event_of.get(x, x) == event_of.get(y, y)
                      for x in members[a] for y in members[b]))
    wanted = sum(len(e) * (len(e) - 1) // 2 for e in EVENTS)
    return {
        "articles": len(rows),
        "copy_pairs": len(copies),
        "copies_precision": len(same_story & copies) / len(same_story) if same_story else 1.0,
        "copies_recall": len(same_story & copies) / len(copies) if copies else 1.0,
        "links": len(links),
        "coverage_precision": good / len(links) if links else 1.0,
        "coverage_recall": min(1.0, good / wanted),
    }


def bench_labelled(newspaper_cache: Path | None = None, verbose: bool = False
                   ) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="feedsvc-stories-") as tmp:
        folder = Path(tmp) / "inbox"
        folder.mkdir()
        truth = labelled_inbox(folder, newspaper_cache)
        database = Path(tmp) / "archive.db"
        config = Config(path="bench", database=str(database), inbox=str(folder),
                        public=PublicConfig(dir=str(Path(tmp) / "public"),
                                            base_url="http://localhost/"))
        ingest_paths(config)
        started = time.perf_counter()
        with archive.opened(database) as db:
            placed = stories.cluster_pending(db)
        result = score_set(database, truth)
        result["ms_per_article"] = (time.perf_counter() - started) * 1000 / max(1, placed.articles)
        if verbose:
            _explain(database, truth)
        return result


def _explain(database: Path, truth: dict[str, str]) -> None:
    """Print the mistakes: stories mixing articles, copies split, links between events."""
    with archive.opened(database) as db:
        rows = db.execute("SELECT id, origin, story_id FROM articles").fetchall()
        links = db.execute("SELECT story_id, related_story_id, score FROM coverage "
                           "WHERE story_id < related_story_id").fetchall()
    by_story: dict[int, list[str]] = defaultdict(list)
    by_key: dict[str, set[int]] = defaultdict(set)
    for _, origin, story in rows:
        by_story[story].append(Path(origin).name)
        by_key[truth[Path(origin).name]].add(story)
    for story, files in by_story.items():
        if len({truth[f] for f in files}) > 1:
            print("mixed story", story, files)
    for key, found in by_key.items():
        if len(found) > 1:
            print("split", key, {s: by_story[s] for s in found})
    for a, b, score in links:
        print("link", score, by_story[a][:2], by_story[b][:2])


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, it does not carry the
    parent's peak across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024




def bench_scale(folder: Path, count: int = 100_000, new: int = 1000) -> dict[str, float]:
    """Place ``count`` generated articles (the first run on an existing archive), then
    ``new`` more, a tenth of them edited copies of recent ones: the cost of one new article
    with ``count`` in the index, and the memory and disk the index takes. The archive is
    generated here; the placing runs in a fresh process, so its peak memory is its own."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "stories.db"
    _generate(database, count + new)
    out = subprocess.run([sys.executable, "-m", "bench.stories", "place", str(database),
                          str(count)], check=True, capture_output=True, text=True,
                         cwd=ROOT).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _place(database: Path, count: int) -> dict[str, float]:
    """In a fresh process: the first ``count`` articles, then the rest, timed apart."""
    start_rss = peak_mb()
    with archive.opened(database) as db:
        started = time.perf_counter()
        first = stories.cluster_pending(db, limit=count)
        first_run = time.perf_counter() - started
        started = time.perf_counter()
        placed = stories.cluster_pending(db)
        took = time.perf_counter() - started
        pages = {name: db.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?",
                                  [name]).fetchone()[0]
                 for name in ("story_bands", "story_names", "story_index",
                              "story_name_counts", "stories", "coverage")}
    return {
        "archive": count, "first_run_s": first_run, "first_run_placed": first.articles,
        "new": placed.articles, "new_copies": placed.copies, "new_links": placed.links,
        "ms_per_new_article": took * 1000 / max(1, placed.articles),
        "peak_rss_mb": peak_mb(), "rss_at_start_mb": start_rss,
        "index_disk_mb": sum(v or 0 for v in pages.values()) / 1e6,
        **{f"disk_mb_{name}": (size or 0) / 1e6 for name, size in pages.items()},
        "archive_disk_mb": database.stat().st_size / 1e6,
    }


def _generate(database: Path, total: int) -> None:
    """``total`` articles of ~3 KB, English and Chinese, over three years: real sentences
    (bench.search's pool) with a quarter of their words replaced, so that each text is its
    own; six names each from a Zipf-distributed list of 20,000 (what makes coverage
    candidates); one in ten a copy of an article of the days before, edited."""
    from bench.search import sentences

    rng = random.Random(11)
    pool = sentences()
    vocabulary = sorted({w for s in pool for w in s.split() if w.isalpha()})
    names = [f"Nom{n:05d}" for n in range(20_000)]
    weights = [1 / (rank + 1) for rank in range(len(names))]
    archive.open_archive(database).close()  # created and migrated
    start = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
    rows: list[tuple[object, ...]] = []
    texts: list[str] = []
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO sources (slug, name, kind, created) VALUES "
                   "('bench', 'Bench', 'inbox', '2026-01-01T00:00:00Z')")
        for n in range(total):
            when = start + n * (3 * 365 * 86400 / total)
            if n > 100 and rng.random() < 0.1:
                original = texts[rng.randrange(max(0, n - 100), n)].split(". ")
                text = ". ".join(["By AFP staff", *original[:max(3, len(original) * 4 // 5)],
                                  "This story was published from a wire agency feed."])
            else:
                body, size = [], 0
                mentioned = rng.choices(names, weights, k=6)
                while size < 3000:
                    words = rng.choice(pool).split(" ")
                    words = [rng.choice(vocabulary) if rng.random() < 0.25 else w
                             for w in words]
                    if rng.random() < 0.3:
                        words.insert(rng.randrange(len(words)) + 1, rng.choice(mentioned))
                    sentence = " ".join(words)
                    body.append(sentence)
                    size += len(sentence.encode())
                text = " ".join(body)
            texts.append(text)
            day = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.append((f"bench:{n}", text[:60], 1, "Bench", text, day, day,
                         "2026-01-01T00:00:00Z", day, f"h{n}"))
            if len(rows) == 5000:
                _insert_rows(db, rows)
                rows = []
        _insert_rows(db, rows)
        db.execute("DELETE FROM fts_pending")  # the search index is not this benchmark's


def _insert_rows(db: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    db.executemany(
        "INSERT INTO articles (uid, title, source_id, source, content_text, published, "
        "updated, first_seen, last_seen, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows)


def stories_rows(folder: Path, articles: int, pages: Path | None) -> list[Row]:
    """The table's rows: the labelled set, then the cost at ``articles``."""
    labelled = bench_labelled(pages)
    scale = bench_scale(folder, articles)
    return [
        Row("stories: copies precision", f"{labelled['copies_precision']:.3f}", "≥ 0.98",
            f"{labelled['articles']:.0f} labelled articles, {labelled['copy_pairs']:.0f} "
            "pairs of copies"),
        Row("stories: copies recall", f"{labelled['copies_recall']:.3f}", "≥ 0.95", ""),
        Row("stories: coverage precision", f"{labelled['coverage_precision']:.3f}", "≥ 0.85",
            f"{labelled['links']:.0f} links; recall {labelled['coverage_recall']:.2f} of the "
            "same-event pairs"),
        Row(f"stories: placing one new article, {articles:,} in the index",
            f"{scale['ms_per_new_article']:.2f} ms", "≤ 2 ms",
            f"1,000 new, {scale['new_copies']:.0f} copies found; the first run over "
            f"{articles:,}: {scale['first_run_s']:.0f} s"),
        Row("stories: memory while placing", f"{scale['peak_rss_mb']:.0f} MB", "index ≤ 200 MB",
            f"the whole process (feedsvc's imports: {scale['rss_at_start_mb']:.0f} MB); the "
            f"index is on disk: {scale['index_disk_mb']:.0f} MB of a "
            f"{scale['archive_disk_mb']:.0f} MB archive"),
    ]


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["place"]:
        print(json.dumps(_place(Path(sys.argv[2]), int(sys.argv[3]))))
    elif sys.argv[1:2] == ["scale"]:
        with tempfile.TemporaryDirectory() as tmp:
            print(bench_scale(Path(tmp), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000))
    else:
        print(bench_labelled(Path(sys.argv[1]) if len(sys.argv) > 1 else None, verbose=True))
