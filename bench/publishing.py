"""Publishing at scale: a full publish of a 100,000-article archive, then the daemon's
incremental publish after one new article. Streams page by page, so memory stays flat."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Row
from bench.search import generate, load_config_for
from feedsvc import archive, store
from feedsvc.entities import chinese_dictionary
from feedsvc.models import Article
from feedsvc.pipeline import publish_site
from feedsvc.prepare import prepare_article

TAGS = ("china", "world", "economy")


def bench_publish(folder: Path, count: int = 100_000) -> list[Row]:
    database = folder / "publish.db"
    generate(database, count)
    with archive.opened(database) as db, db.transaction():
        # Realistic bodies (~3 KB of HTML) and three tags over a third of the archive each.
        db.execute("UPDATE articles SET content_html = '<p>' || content_text || '</p>', "
                   "summary = substr(content_text, 1, 200)")
        for tag_id, name in enumerate(TAGS, start=1):
            db.execute("INSERT INTO tags (id, name, slug) VALUES (?, ?, ?)",
                       [tag_id, name, name])
            db.execute("INSERT INTO article_tags (article_id, tag_id) SELECT id, ? FROM "
                       "articles WHERE id % 3 = ?", [tag_id, tag_id - 1])
    config = load_config_for(database)
    # Placed in stories beforehand, in a process of its own: that first run is `--only
    # stories`'s figure, and its memory (the dictionary, the page cache) is not publishing's.
    subprocess.run([sys.executable, "-c", "import sys; from feedsvc import archive, stories;"
                    "db = archive.open_archive(sys.argv[1]); stories.cluster_pending(db)",
                    str(database)], check=True)
    started = time.perf_counter()
    report = publish_site(config)
    full = time.perf_counter() - started
    with archive.opened(database) as db:
        article = prepare_article(Article(
            title="One more", content_html="<p>A new article arrives.</p>", source="Bench",
            url="https://bench.example/new", tags=["china"],
            published=datetime(2026, 1, 1, tzinfo=UTC)))
        with db.transaction():
            saved = store.save_article(db, article, datetime.now(UTC))
        chinese_dictionary()  # read by the daemon when it starts (feedsvc.daemon.run)
        started = time.perf_counter()
        incremental = publish_site(config, db, changed=[saved.article_id])
        took = time.perf_counter() - started
    return [
        Row(f"publish: full, {count:,} articles", f"{full:.1f} s", "≤ 120 s with pages",
            f"{len(report.written):,} files: all, one source, three tags, full history, "
            "Atom, JSON Feed and web pages, a page per article"),
        Row("publish: incremental, one new article", f"{took * 1000:.0f} ms", "< 1 s",
            f"{len(incremental.written)} files"),
    ]


if __name__ == "__main__":
    import sys
    import tempfile

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        for row in bench_publish(Path(tmp), size):
            print(" | ".join(row))
