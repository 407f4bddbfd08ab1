"""Source health for people (issue 21): ``sources.html`` (each source's state, last
success, last error in words, next fetch, entries per fetch, and its articles per day over
30 days as an inline SVG chart drawn when publishing) and ``sources-health.xml``, a feed of
the problems (failing, moved, gone or disabled, stale) an operator can subscribe to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from urllib.parse import quote

from feedsvc.archive import Archive
from feedsvc.atom import render_feed, timestamp
from feedsvc.dates import format_date
from feedsvc.models import FeedInfo, StoredArticle
from feedsvc.webpages import frame, when

DAYS = 30
STALE_FACTOR = 5  # no new article for five times the usual gap (and two days at least)


@dataclass(frozen=True, slots=True)
class Health:
    name: str
    slug: str
    url: str
    state: str  # ok | failing | moved | gone | disabled | stale
    since: str | None  # when the problem began
    words: str  # the state in words
    last_success: str | None
    last_error: str | None
    next_due: str | None
    entries: int | None
    per_day: list[int]  # oldest first, DAYS of them
    articles: int = 0


def source_health(db: Archive, today: datetime) -> list[Health]:
    """Every feed source's health, by name; ``today`` fixes the chart's window. Three
    grouped queries, whatever the number of sources (it runs on every publish)."""
    start = (today - timedelta(days=DAYS - 1)).date()
    rows = db.execute(
        "SELECT id, name, slug, url, config_url, last_success, last_error, next_due, "
        "disabled, failures, failing_since, last_entries FROM sources WHERE kind = 'feed' "
        "ORDER BY name").fetchall()
    per_day: dict[int, dict[str, int]] = {}
    for source_id, day, count in db.execute(
            # the last DAYS' arrivals only, read from the index that holds both columns
            "SELECT source_id, substr(first_seen, 1, 10), count(*) FROM articles "
            "INDEXED BY articles_first_seen_source WHERE first_seen >= ? GROUP BY 1, 2",
            [start.isoformat()]):
        per_day.setdefault(source_id, {})[day] = count
    # per source through the (source_id, published) index: no scan of every article
    totals = {source_id: (count, timestamp(first), timestamp(last))
              for source_id, count, first, last in db.execute(
                  "SELECT s.id, (SELECT count(*) FROM articles a WHERE a.source_id = s.id), "
                  "(SELECT min(published) FROM articles a WHERE a.source_id = s.id), "
                  "(SELECT max(published) FROM articles a WHERE a.source_id = s.id) "
                  "FROM sources s WHERE s.kind = 'feed'") if count}
    found = []
    for (source_id, name, slug, url, config_url, success, error, due, disabled, failures,
         failing, entries) in rows:
        counts = per_day.get(source_id, {})
        days = [counts.get((start + timedelta(days=n)).isoformat(), 0) for n in range(DAYS)]
        count, first, last = totals.get(source_id, (0, today, today))
        state, since, words = _state((count, first, last), url, config_url, disabled,
                                     failures, failing, error, today)
        found.append(Health(name, slug, url, state, since, words, success, error, due,
                            entries, days, count))
    return found


def _state(arrivals: tuple[int, datetime, datetime], url: str, config_url: str | None,
           disabled: str | None, failures: int, failing: str | None, error: str | None,
           today: datetime) -> tuple[str, str | None, str]:
    """(state, since when, in words); ``arrivals`` is (articles, first seen, last seen)."""
    if disabled:
        kind = "gone" if disabled.startswith("410") else "disabled"
        return kind, None, f"{kind}: {disabled}"
    if failures:
        problem = (error or "failed").split(": ", 1)[-1] if error and error.startswith(
            ("http://", "https://")) else (error or "failed")
        return ("failing", failing, f"failing since {(failing or '?')[:16].replace('T', ' ')}"
                f" UTC ({failures} in a row): {problem}")
    if config_url and url != config_url:
        return "moved", None, f"moved permanently to {url}"
    count, first, last = arrivals
    if count >= 5:  # the usual gap: the source's whole life over its articles
        usual = (last - first).total_seconds() / (count - 1)
        quiet = (today - last).total_seconds()
        if quiet > max(STALE_FACTOR * usual, 2 * 86400):
            return ("stale", format_date(last),
                    f"stale: no new article since {format_date(last)[:10]} "
                    f"(usually one every {_duration(usual)})")
    return "ok", None, "ok"


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{max(1, round(seconds / 60))} minutes"


def chart(per_day: list[int], label: str) -> str:
    """Articles per day as bars: a small inline SVG, no script, scaled to the busiest day."""
    top = max(per_day) or 1
    width, height = 3 * len(per_day), 24
    bars = "".join(
        f'<rect x="{3 * n}" y="{height - round(height * c / top)}" width="2" '
        f'height="{round(height * c / top)}"/>' for n, c in enumerate(per_day) if c)
    total = sum(per_day)
    return (f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width * 2}" '
            f'height="{height * 2}" aria-label="{escape(label)}: {total} articles in '
            f'{len(per_day)} days"><title>{total} articles in {len(per_day)} days, at most '
            f'{top} a day</title><rect class="base" x="0" y="{height - 1}" width="{width}" '
            f'height="1"/>{bars}</svg>')


def render_sources_page(health: list[Health], site_title: str, feed_base: str) -> bytes:
    path = "sources.html"
    rows = []
    for item in health:
        name = (f'<a href="{quote("sources/" + item.slug + ".html")}">{escape(item.name)}</a>'
                if item.articles else escape(item.name))
        rows.append(
            f'<tr class="{item.state}" id="{escape(item.slug)}"><td>{name}<br>'
            f'<small>{escape(item.url)}</small></td>'
            f'<td>{escape(item.words)}</td>'
            f'<td>{when(item.last_success, None) if item.last_success else "never"}</td>'
            f'<td>{when(item.next_due, None) if item.next_due else "now"}</td>'
            f'<td class="n">{item.entries if item.entries is not None else ""}</td>'
            f'<td>{chart(item.per_day, item.name)}</td></tr>')
    problems = sum(1 for item in health if item.state != "ok")
    head = ('<link rel="alternate" type="application/atom+xml" title="Source problems" '
            f'href="{escape(feed_base)}sources-health.xml">')
    body = f"""<h1>Sources</h1>
<p class="subscribe">{len(health)} sources, {problems} with a problem. \
<a href="sources-health.xml">Subscribe to problems</a> (failures, moves, removals, silence).</p>
<table class="health">
<thead><tr><th scope="col">Source</th><th scope="col">State</th><th scope="col">Last success</th>
<th scope="col">Next fetch</th><th scope="col">Entries per fetch</th>
<th scope="col">New articles a day, last {DAYS} days</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>"""
    return frame(path, f"Sources · {site_title}", body, head, "en", site_title)


def render_health_feed(health: list[Health], site_title: str, feed_base: str) -> bytes:
    """One entry per current problem; a new problem is a new entry (its id names when it
    began), so a reader shows it once."""
    problems = [item for item in health if item.state != "ok"]
    entries = []
    for number, item in enumerate(problems):
        moment = item.since or item.last_success or "1970-01-01T00:00:00Z"
        entries.append(StoredArticle(
            id=number, uid=f"feedsvc:health:{item.slug}:{item.state}:{moment}",
            url=f"{feed_base}sources.html#{quote(item.slug)}", title=f"{item.name}: {item.state}",
            author=None, source=item.name, tags=(), published=moment, updated=moment,
            summary=None, content_html=f"<p>{escape(item.words)}</p><p>Feed: "
                                       f"{escape(item.url)}</p>", lang="en"))
    feed = FeedInfo("changes", "Source problems", "health", len(entries),
                    max((e.updated for e in entries), default=None))
    return render_feed(feed, entries, feed_base + "sources-health.xml",
                       feed_base + "sources.html", site_title)
