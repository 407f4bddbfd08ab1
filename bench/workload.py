"""Generated, realistic inputs: ~4-5 KB HTML bodies, mixed Chinese and English, lazy images,
ad slots, escaped markup and tracking parameters."""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

ZH = ("联合国秘书长古特雷斯昨天告诉中国，他期待中国政府允许联合国人权事务高级专员前往新疆进行"
      "可信的访问。"
      "路透社早前报道，办事处证实正就可能访疆事宜与中国展开谈判。")
EN = ("UN Secretary-General Antonio Guterres told leaders in Beijing he expects them to allow "
      "the human rights chief to make a credible visit to China, his spokesman said Saturday. ")


def article_html(rng: random.Random, n: int) -> str:
    paragraphs = []
    for i in range(9):
        text = ZH * 2 if (n + i) % 2 else EN * 2
        paragraphs.append(f"<p>{text} ({n}.{i})</p>")
    figure = (f'<div class="figure-media"><img class="lazyload" data-src="/img/{n}.jpg" '
              f'src="data:image/gif;base64,R0lGOD"></div><figcaption>图 {n}</figcaption>')
    ads = '<section id="imu"><div id="dfp-ad-imu1"></div></section><div class="adslot_x"></div>'
    escaped = escape(paragraphs[3] + '<div class="cx_paywall_placeholder"></div>')
    link = f'<p><a href="https://example.org/ref/{n}?utm_source=rss&amp;id={n}">ref</a></p>'
    return figure + "".join(paragraphs[:3]) + ads + escaped + "".join(paragraphs[4:]) + link


_DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


@functools.cache
def real_bodies() -> tuple[str, ...]:
    """The markup of the seed post and the 39 sample posts, front matter cut off: real and
    escaped HTML mixed, lazy images, ad slots, embeds, about 4 KB each (issue 15)."""
    bodies = []
    for path in sorted([*(_DATA / "seeds").glob("*.txt"), *(_DATA / "samples").glob("*.md")]):
        text = path.read_text(encoding="utf-8", errors="replace")
        end = text.find("\n---\n", 3) if text.startswith("---\n") else -1
        text = text[end + 5:] if end >= 0 else text
        if "<" in text:
            bodies.append(text)
    return tuple(bodies)


def real_html(rng: random.Random, n: int) -> str:
    """A seed or sample body, varied: numbered so no two entries are the same text."""
    body = rng.choice(real_bodies())
    return body.replace("</p>", f" ({n})</p>", 1) if "</p>" in body else f"<p>({n})</p>{body}"


def rss_feed(feed: int, entries: int, base: str, rng: random.Random, extra: int = 0,
             real: bool = False) -> bytes:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    items = []
    for k in range(entries + extra):
        n = feed * 1000 + k
        when = format_datetime(now - timedelta(minutes=n % 10_000))
        items.append(
            f"<item><title>Story {n} 新闻 {n}</title>"
            f"<link>{base}/story/{n}?utm_medium=rss</link><guid>{base}/story/{n}</guid>"
            f"<pubDate>{when}</pubDate><category>tag{n % 7}</category>"
            f"<description>{escape((real_html if real else article_html)(rng, n))}"
            "</description></item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {feed}</title><link>{base}/</link>{''.join(items)}</channel></rss>"
            ).encode()


def article_file(n: int, rng: random.Random | None = None) -> tuple[str, str]:
    """(file name, text) of a Jekyll post like the samples: front matter, then HTML."""
    rng = rng or random.Random(n)
    when = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(minutes=n)
    front = (f"---\nlayout: post\ntitle: \"Story {n} 新闻 {n}\"\n"
             f"date: {when:%Y-%m-%d %H:%M:%S} +0000\nauthor: Desk {n % 13}\n"
             f"from: https://news.example.org/story/{n}?utm_source=feed\n"
             f"tags: [tag{n % 7}, world]\n---\n")
    return f"{when:%Y-%m-%d}-story-{n}.md", front + article_html(rng, n) + "\n"


def wire_file(n: int) -> tuple[str, str]:
    """(file name, text) of plain-text wire copy: a headline, a dateline, a paragraph a line."""
    paragraphs = [("BEIJING (Reuters) - " if n % 2 else "（中央社台北6日電）") + EN.strip()]
    paragraphs += [(ZH if (n + i) % 2 else EN).strip() + f" ({n}.{i})" for i in range(1, 9)]
    return f"wire-{n}.txt", f"Wire story {n} 新闻 {n}\n\n" + "\n\n".join(paragraphs) + "\n"


def page_file(n: int, rng: random.Random | None = None) -> tuple[str, str]:
    """(file name, text) of a saved HTML page: metadata in the head, chrome around the body."""
    rng = rng or random.Random(n)
    when = datetime(2026, 1, 1, tzinfo=UTC) - timedelta(minutes=n)
    return f"page-{n}.html", (
        f'<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">'
        f"<title>Page {n} | News</title>"
        f'<meta property="og:title" content="Page story {n} 新闻 {n}">'
        f'<meta property="og:site_name" content="Example News">'
        f'<meta property="article:published_time" content="{when:%Y-%m-%dT%H:%M:%SZ}">'
        f'<link rel="canonical" href="https://pages.example.org/story/{n}?utm_source=x">'
        f'</head><body><nav><a href="/">Home</a></nav><article><h1>Page story {n}</h1>'
        f"{article_html(rng, n)}</article><footer>© Example News</footer>"
        f'<script>track({n})</script></body></html>')


def inbox_files(count: int) -> list[tuple[str, str]]:
    """A mixed inbox: Jekyll posts, wire copy and HTML pages in equal parts."""
    makers = (article_file, wire_file, page_file)
    return [makers[n % 3](n) for n in range(count)]
