"""Stories: the copies of one story grouped, whatever their source, and related coverage
(the same event in other words or another language) linked between stories (issue 22).

Each article is placed once, in archive order (by id), against the articles before it:

1. **Copies.** The article's shingles (``shingles``) give a MinHash; its 48 band keys (32
   of the whole text, 16 of its opening) are looked up in ``story_bands`` (an LSH index
   kept in SQLite, so it costs no memory and no start-up, and grows by one article without
   touching the others). Each candidate published within ``stories.copies_window`` (14
   days) is measured exactly: it is a copy when the smaller text's shingles are at least
   60 % in the larger one (containment, so a trimmed copy still matches its original) and
   the smaller is at least a tenth of the larger. The article joins the story of its
   closest copy, or starts a story.
2. **Coverage.** The names the article mentions (``entities``: one vocabulary for English
   and Chinese) are compared with those of articles of other stories published within
   ``stories.coverage_window`` (3 days) that share its rarer names; a pair scoring at least
   ``COVERAGE_SCORE`` links the two stories in ``coverage``. A weaker tie: stories are never
   merged by it.

Placing an article never changes another article's story, so the stories of an archive
placed article by article are those of ``rebuild`` (which places every article again, in the
same order). Nothing is deleted or merged: every copy stays a row with its own URL.
An article whose date is only its arrival time (``published == first_seen``) has no known
time, and is compared with articles of any date.
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from feedsvc.archive import Archive, in_chunks
from feedsvc.dates import format_date, utc_now
from feedsvc.entities import names
from feedsvc.models import StoryConfig
from feedsvc.shingles import BANDS, band_keys, containment, shingle_list, shingle_set

log = logging.getLogger(__name__)

COPY_CONTAINMENT = 0.6
COPY_SIZE_RATIO = 0.1
MIN_SHINGLES = 12  # fewer: a stub or a caption, too short to call anything a copy of it
CANDIDATES = 25  # copies measured exactly per article, most shared bands first
MIN_OPENING_BANDS = 2  # opening bands shared by a candidate worth measuring
COVERAGE_SCORE = 0.35
COVERAGE_MIN_SHARED = 4  # names both articles mention
COVERAGE_PROBES = 8  # the article's rarest names, looked up for candidates
COVERAGE_CANDIDATES = 40
PROBE_MAX_ARTICLES = 300
BATCH = 1000  # articles per transaction: each commit rewrites the index pages it touched


@dataclass(slots=True)
class Placed:
    """What placing articles changed: the articles whose pages show it."""

    articles: int = 0
    new_stories: int = 0
    copies: int = 0
    links: int = 0
    touched: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Article:
    id: int
    title: str
    text: str
    at: float | None


def cluster_pending(db: Archive, config: StoryConfig | None = None,
                    limit: int | None = None) -> Placed:
    """Place every article that has no story yet, oldest first, in transactions of
    ``BATCH`` articles (an interrupted run resumes where it stopped)."""
    config = config or StoryConfig()
    placed = Placed()
    # The band and name indexes are read and written at random places: a larger page cache
    # for this connection (64 MB; SQLite's default is 2 MB) saves most of the disk reads.
    db.execute("PRAGMA cache_size = -64000")
    indexed = db.execute("SELECT count(*) FROM story_index").fetchone()[0]
    pending = db.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0]
    if pending > BATCH and limit is None:  # the first run on an archive: minutes, resumable
        log.info("placing %d articles in stories (about 2 ms each; an interrupted run "
                 "resumes where it stopped)", pending)
    while limit is None or placed.articles < limit:
        rows = db.execute(
            "SELECT id, title, content_text, published, first_seen FROM articles "
            "WHERE story_id IS NULL ORDER BY id LIMIT ?",
            [BATCH if limit is None else min(BATCH, limit - placed.articles)]).fetchall()
        if not rows:
            break
        with db.transaction():
            for row in rows:
                article = _Article(row[0], row[1] or "", row[2] or "", _time(row[3], row[4]))
                _place(db, article, config, indexed, placed)
                indexed += 1
    return placed


def rebuild(db: Archive, config: StoryConfig | None = None) -> Placed:
    """Forget every story and link, then place every article again."""
    with db.transaction():
        db.execute("UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL")
        for table in ("coverage", "stories", "story_index", "story_bands", "story_names",
                      "story_name_counts"):
            db.execute(f"DELETE FROM {table}")
    return cluster_pending(db, config)


def _time(published: str | None, first_seen: str | None) -> float | None:
    """Seconds since the epoch of the article's date; None when it has none of its own."""
    if not published or published == first_seen:
        return None
    try:
        return datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _place(db: Archive, article: _Article, config: StoryConfig, indexed: int,
           placed: Placed) -> None:
    ordered = shingle_list(article.text)
    shingles = frozenset(ordered)
    keys = band_keys(ordered) if len(shingles) >= MIN_SHINGLES else []
    copy_of = _closest_copy(db, article, shingles, keys, config.copies_window) \
        if keys else None
    if copy_of is None:
        story_id = _new_story(db, article.id)
        placed.new_stories += 1
    else:
        story_id = db.execute("SELECT story_id FROM articles WHERE id = ?",
                              [copy_of]).fetchone()[0]
        placed.copies += 1
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article.id])
    members = _refresh_story(db, story_id)
    if copy_of is not None:
        article = _dated_by_story(db, article, members)
    placed.articles += 1
    placed.touched.add(article.id)
    if copy_of is not None:
        placed.touched.update(members)
    mentioned = names(f"{article.title}\n{article.text}") if config.coverage else frozenset()
    db.execute("INSERT OR REPLACE INTO story_index (article_id, at, shingles, names) "
               "VALUES (?, ?, ?, ?)", [article.id, article.at, len(shingles),
                                       json.dumps(sorted(mentioned), ensure_ascii=False)])
    db.conn.executemany("INSERT OR IGNORE INTO story_bands (key, article_id) VALUES (?, ?)",
                        [(key, article.id) for key in keys])
    if mentioned:
        counts = _name_counts(db, mentioned)
        links = _link_coverage(db, article, story_id, mentioned, counts, indexed, config)
        placed.links += len(links)
        for related_story in links:
            placed.touched.update(members)
            placed.touched.update(_members(db, related_story))
        # a name already in more articles than a probe may be is never looked up: no
        # posting (the common names, "china", are most of the rows otherwise)
        db.conn.executemany("INSERT OR IGNORE INTO story_names (name, article_id) "
                            "VALUES (?, ?)", [(n, article.id) for n in mentioned
                                              if counts.get(n, 0) < PROBE_MAX_ARTICLES])
        db.conn.executemany(
            "INSERT INTO story_name_counts (name, articles) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET articles = articles + 1",
            [(n,) for n in mentioned])


def _dated_by_story(db: Archive, article: _Article, members: list[int]) -> _Article:
    """Copies of one story ran within days of each other: an undated copy (a wire file
    with no date line) takes the time of its story's first dated copy, and a dated copy
    gives its time to the undated ones before it. So time windows apply to them too."""
    marks = ", ".join("?" for _ in members)
    known = db.execute(f"SELECT min(at) FROM story_index WHERE article_id IN ({marks})",
                       members).fetchone()[0]
    if article.at is not None:
        db.execute(f"UPDATE story_index SET at = ? WHERE at IS NULL AND article_id IN "
                   f"({marks})", [article.at, *members])
        return article
    return article if known is None else _Article(article.id, article.title, article.text,
                                                  known)


def _window(column: str, at: float | None, seconds: float) -> tuple[str, list[object]]:
    if at is None:
        return "1", []
    return f"({column} IS NULL OR abs({column} - ?) <= ?)", [at, seconds]


def _closest_copy(db: Archive, article: _Article, shingles: frozenset[str],
                  keys: Sequence[int], window: float) -> int | None:
    """The earlier article this one is a copy of (the one sharing most), or None."""
    within, params = _window("i.at", article.at, window)
    marks = ", ".join("?" for _ in keys)
    rows = db.execute(
        f"SELECT b.article_id, b.key FROM story_bands b "
        f"JOIN story_index i ON i.article_id = b.article_id "
        f"WHERE b.key IN ({marks}) AND b.article_id < ? AND {within}",
        [*keys, article.id, *params]).fetchall()
    lead = set(keys[BANDS:])
    hits: dict[int, list[int]] = {}
    for candidate_id, key in rows:
        counted = hits.setdefault(candidate_id, [0, 0])
        counted[key in lead] += 1
    # Any band of the whole text is worth measuring (a copy edited throughout may share
    # only one); one band of the opening is what two articles opening with the same
    # sentence share, while a trimmed copy shares most of its original's.
    likely = sorted((c for c, (whole, opening) in hits.items()
                     if whole or opening >= MIN_OPENING_BANDS),
                    key=lambda c: (-sum(hits[c]), c))[:CANDIDATES]
    best: tuple[float, float, int] | None = None
    for candidate_id in likely:
        found = db.execute("SELECT content_text FROM articles WHERE id = ?",
                           [candidate_id]).fetchone()
        if found is None:
            continue
        other = shingle_set(found[0] or "")
        if not _is_copy(shingles, other):
            continue
        score = (containment(shingles, other), _jaccard(shingles, other), -candidate_id)
        if best is None or score > best:
            best = score
    return None if best is None else -best[2]


def _is_copy(a: frozenset[str], b: frozenset[str]) -> bool:
    small, large = sorted((len(a), len(b)))
    return (large > 0 and small / large >= COPY_SIZE_RATIO
            and containment(a, b) >= COPY_CONTAINMENT)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _new_story(db: Archive, article_id: int) -> int:
    cursor = db.execute(
        "INSERT INTO stories (title, first_seen, last_seen, copies, sources, languages, "
        "article_id) VALUES ('', '', '', 0, '[]', '[]', ?)", [article_id])
    return int(cursor.lastrowid or 0)


def _members(db: Archive, story_id: int) -> list[int]:
    return [r[0] for r in db.execute("SELECT id FROM articles WHERE story_id = ?",
                                     [story_id])]


def _refresh_story(db: Archive, story_id: int) -> list[int]:
    """Recount a story from its copies; the fullest copy gives its title. Returns the
    copies' ids."""
    rows = db.execute(
        "SELECT a.id, a.title, a.published, a.source, a.lang, length(a.content_text), "
        "a.first_seen FROM articles a WHERE a.story_id = ? ORDER BY a.id",
        [story_id]).fetchall()
    fullest = max(rows, key=lambda r: (r[5] or 0, -r[0]))
    # an undated copy's date is its arrival: the dated copies say when the story ran
    dates = sorted(r[2] for r in rows if r[2] != r[6]) or sorted(r[2] for r in rows)
    sources = list(dict.fromkeys(r[3] for r in rows))
    languages = list(dict.fromkeys((r[4] or "und") for r in rows))
    db.execute("UPDATE stories SET title = ?, first_seen = ?, last_seen = ?, copies = ?, "
               "sources = ?, languages = ?, article_id = ? WHERE id = ?",
               [fullest[1], dates[0], dates[-1], len(rows),
                json.dumps(sources, ensure_ascii=False), json.dumps(languages), fullest[0],
                story_id])
    return [r[0] for r in rows]


def _link_coverage(db: Archive, article: _Article, story_id: int,
                   mentioned: frozenset[str], known: dict[str, int], indexed: int,
                   config: StoryConfig) -> list[int]:
    """Link the article's story to the stories of earlier articles reporting the same
    event; returns the stories newly linked (or linked closer). ``known``: how many
    earlier articles mention each of its names."""
    counts = dict(known)
    # The rarest names some earlier article mentions too are the probes (a name no other
    # article has finds nothing; one in hundreds of articles is no event's).
    probes = sorted((n for n in mentioned if 0 < counts.get(n, 0) <= PROBE_MAX_ARTICLES),
                    key=lambda n: (counts[n], n))[:COVERAGE_PROBES]
    if len(probes) < 2:
        return []
    within, params = _window("i.at", article.at, config.coverage_window)
    marks = ", ".join("?" for _ in probes)
    rows = db.execute(
        f"SELECT n.article_id, i.names, a.story_id FROM story_names n "
        f"JOIN story_index i ON i.article_id = n.article_id "
        f"JOIN articles a ON a.id = n.article_id "
        f"WHERE n.name IN ({marks}) AND n.article_id < ? AND a.story_id != ? AND {within} "
        f"GROUP BY n.article_id HAVING count(*) >= 2 "
        f"ORDER BY count(*) DESC, n.article_id LIMIT ?",
        [*probes, article.id, story_id, *params, COVERAGE_CANDIDATES]).fetchall()
    candidates = [(other_id, frozenset(json.loads(names_json)), other_story)
                  for other_id, names_json, other_story in rows]
    theirs_only = set().union(*(c[1] for c in candidates)) - mentioned if candidates else set()
    counts.update(_name_counts(db, theirs_only))
    weights = {n: math.log((indexed + 10) / (counts.get(n, 0) + 1))
               for n in mentioned | theirs_only}
    best: dict[int, tuple[float, int]] = {}
    for other_id, theirs, other_story in candidates:
        score = coverage_score(mentioned, theirs, weights)
        if score >= COVERAGE_SCORE and score > best.get(other_story, (0.0, 0))[0]:
            best[other_story] = (score, other_id)
    linked = []
    for other_story, (score, other_id) in sorted(best.items()):
        if _link(db, story_id, other_story, score, article.id, other_id):
            linked.append(other_story)
    return linked


def _name_counts(db: Archive, wanted: Iterable[str]) -> dict[str, int]:
    """How many indexed articles mention each of these names."""
    counts: dict[str, int] = {}
    for chunk, marks in in_chunks(wanted):
        counts.update(db.execute(f"SELECT name, articles FROM story_name_counts "
                                 f"WHERE name IN ({marks})", chunk).fetchall())
    return counts


def coverage_score(ours: frozenset[str], theirs: frozenset[str],
                   weights: dict[str, float]) -> float:
    """How much of the two articles' names they share, rarer names weighing more (Dice
    over inverse document frequencies); 0 when they share fewer than
    ``COVERAGE_MIN_SHARED``."""
    shared = ours & theirs
    if len(shared) < COVERAGE_MIN_SHARED:
        return 0.0
    total = sum(weights[n] for n in ours) + sum(weights[n] for n in theirs)
    return 2 * sum(weights[n] for n in shared) / total if total else 0.0


def _link(db: Archive, story_a: int, story_b: int, score: float, article_a: int,
          article_b: int) -> bool:
    """Record the link both ways (each story lists the other); True when it is new or
    closer than before."""
    known = db.execute("SELECT score FROM coverage WHERE story_id = ? AND "
                       "related_story_id = ?", [story_a, story_b]).fetchone()
    if known is not None and known[0] >= score:
        return False
    linked = format_date(utc_now())
    for mine, theirs, my_article, their_article in ((story_a, story_b, article_a, article_b),
                                                     (story_b, story_a, article_b, article_a)):
        db.execute("INSERT OR REPLACE INTO coverage (story_id, related_story_id, score, "
                   "article_id, related_article_id, linked) VALUES (?, ?, ?, ?, ?, ?)",
                   [mine, theirs, round(score, 4), my_article, their_article, linked])
    return True


def forget_articles(db: Archive, article_ids: Sequence[int]) -> None:
    """Take articles about to be deleted out of the story index, their names out of the
    name counts (which weigh the names for coverage); their stories are recounted by
    ``recount_stories`` once the rows are gone."""
    for chunk, marks in in_chunks(article_ids):
        lowered: Counter[str] = Counter()
        for (mentioned,) in db.execute(
                f"SELECT names FROM story_index WHERE article_id IN ({marks})", chunk):
            lowered.update(json.loads(mentioned))
        db.conn.executemany("UPDATE story_name_counts SET articles = articles - ? "
                            "WHERE name = ?", [(n, name) for name, n in lowered.items()])
        db.execute("DELETE FROM story_name_counts WHERE articles <= 0")
        for table in ("story_index", "story_bands", "story_names"):
            db.execute(f"DELETE FROM {table} WHERE article_id IN ({marks})", chunk)
        db.execute(f"UPDATE articles SET story_id = NULL WHERE id IN ({marks})", chunk)


def recount_stories(db: Archive, story_ids: Iterable[int]) -> None:
    """After deletions: a story left without copies goes (with its links), the others are
    recounted."""
    for story_id in story_ids:
        if _members(db, story_id):
            _refresh_story(db, story_id)
        else:
            db.execute("DELETE FROM coverage WHERE story_id = ? OR related_story_id = ?",
                       [story_id, story_id])
            db.execute("DELETE FROM stories WHERE id = ?", [story_id])
