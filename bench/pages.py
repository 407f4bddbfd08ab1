"""Article pages with a known body, for measuring extraction (issue 18).

Two kinds:

- real pages: newspaper4k's test pages with the article text its maintainers checked
  (``tests/data/html/NAME.html`` and ``tests/data/txt/NAME.txt`` in its source distribution,
  MIT licence), downloaded from PyPI when first needed;
- outlet pages: the project's own sample articles (real posts from the outlets our users
  follow, Chinese mostly) and English bodies, each put inside the page chrome of four common
  news-site layouts: navigation, breadcrumbs, cookie banner, share bars, inline ads and
  "read more" links, tags, related and most-read lists, comments, newsletter box, footer.
  Their body is known exactly: it is what the chrome surrounds.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

NEWSPAPER = "newspaper4k==0.9.6"
ENGLISH = ("cnn", "wired", "time", "fox", "cleveland", "article_with", "video")
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LabelledPage:
    name: str
    html: str
    url: str
    gold: str  # the article's text, as a person reads it
    kind: str  # "real" | "outlet"
    lang: str  # "en", "zh" or "other"
    # whether ``gold`` holds image alt text and captions: newspaper4k's texts do not,
    # feedsvc's own (the outlet pages') do
    media: bool = True


def newspaper_pages(cache: Path | None = None) -> list[LabelledPage]:
    folder = _newspaper_data(cache or Path(tempfile.gettempdir()) / "feedsvc-bench-pages")
    pages = []
    for gold in sorted((folder / "txt").glob("*.txt")):
        page = folder / "html" / f"{gold.stem}.html"
        if page.exists():
            pages.append(LabelledPage(
                f"newspaper4k/{gold.stem}", page.read_text("utf-8", "replace"),
                f"https://news.example.com/{gold.stem}.html", gold.read_text("utf-8"), "real",
                "zh" if gold.stem.startswith("chinese") else
                "en" if gold.stem.startswith(ENGLISH) else "other", media=False))
    return pages


def _newspaper_data(cache: Path) -> Path:
    found = sorted(cache.glob("newspaper4k-*/tests/data"))
    if found:
        return found[-1]
    cache.mkdir(parents=True, exist_ok=True)
    print(f"downloading {NEWSPAPER}'s source distribution (its labelled pages)...",
          file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--no-binary", ":all:", "--no-build-isolation", NEWSPAPER,
                    "-d", str(cache)], check=False)
    archives = sorted(cache.glob("newspaper4k-*.tar.gz"))
    if not archives:
        raise SystemExit(f"cannot download {NEWSPAPER}; pass --pages with its unpacked "
                         "source distribution")
    with tarfile.open(archives[-1]) as tar:
        members = [m for m in tar.getmembers() if "/tests/data/" in m.name]
        tar.extractall(cache, members=members, filter="data")
    return sorted(cache.glob("newspaper4k-*/tests/data"))[-1]


# --- outlet pages --------------------------------------------------------------------------

ZH_CHROME = {
    "nav": ["首页", "即时", "国际", "中国", "新加坡", "财经", "体育", "娱乐", "观点", "视频",
            "专题", "生活"],
    "cookie": "我们使用Cookie来改善您的浏览体验。继续浏览即表示您同意我们的Cookie政策。",
    "accept": "接受全部", "share": ["分享到微信", "分享到微博", "Facebook", "Twitter", "复制链接"],
    "related": "相关新闻", "most": "热门文章", "comments": "读者评论", "tags": "标签",
    "newsletter": "订阅我们的新闻简报，每天早上获取最新资讯。", "subscribe": "订阅",
    "ad": "广告", "more": "延伸阅读", "copyright": "版权所有 © 2022 新闻报业控股有限公司。"
                                              "未经许可，不得转载。",
    "comment": ["这篇报道很有价值，谢谢。", "希望能有更多后续跟进。",
                "不同意作者的看法，理由如下：数据来源不明确。"],
    "byline": "记者", "crumbs": ["首页", "国际"],
}
EN_CHROME = {
    "nav": ["Home", "World", "Politics", "Business", "Tech", "Science", "Health", "Sport",
            "Culture", "Opinion", "Video", "Podcasts"],
    "cookie": "We use cookies to improve your experience. By continuing you agree to our "
              "cookie policy.",
    "accept": "Accept all", "share": ["Share on Facebook", "Share on Twitter", "Email",
                                      "Copy link"],
    "related": "Related stories", "most": "Most read", "comments": "Comments", "tags": "Topics",
    "newsletter": "Sign up for our morning briefing, delivered to your inbox.",
    "subscribe": "Subscribe", "ad": "Advertisement", "more": "Read more",
    "copyright": "© 2023 The Daily Example. All rights reserved.",
    "comment": ["Great reporting, thank you.", "I would like to see a follow-up on this.",
                "This misses the point entirely; the numbers do not add up."],
    "byline": "By", "crumbs": ["Home", "World"],
}


@dataclass(frozen=True)
class Body:
    name: str
    title: str
    html: str  # the article's paragraphs, figures and lists
    gold: str
    lang: str


def outlet_pages(bodies: list[Body], others: list[str]) -> list[LabelledPage]:
    """Each body in each layout; ``others`` are headlines for the related and most-read
    lists (of other articles, as on a real page)."""
    pages = []
    for number, body in enumerate(bodies):
        rng = random.Random(number)
        for layout in LAYOUTS:
            chrome = ZH_CHROME if body.lang == "zh" else EN_CHROME
            headlines = rng.sample(others, min(8, len(others)))
            html = layout(body, chrome, headlines, rng)
            url = f"https://www.example-news.com/{layout.__name__}/{number}.html"
            pages.append(LabelledPage(f"outlet/{layout.__name__}/{body.name}", html, url,
                                      body.gold, "outlet", body.lang))
    return pages


def _head(body: Body, url_path: str) -> str:
    return (f'<!DOCTYPE html><html lang="{body.lang}"><head><meta charset="utf-8">'
            f"<title>{escape(body.title)} | Example News</title>"
            f'<meta property="og:title" content="{escape(body.title)}">'
            f'<link rel="canonical" href="https://www.example-news.com/{url_path}">'
            '<meta property="article:published_time" content="2022-02-06T08:33:00+08:00">'
            '<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}</script>'
            "<style>.nav{display:flex}</style></head>")


def _nav(chrome: dict[str, object]) -> str:
    items = "".join(f'<li><a href="/{i}">{escape(str(n))}</a></li>'
                    for i, n in enumerate(chrome["nav"]))  # type: ignore[arg-type]
    return f'<nav class="main-nav"><ul>{items}</ul></nav>'


def _cookie(chrome: dict[str, object]) -> str:
    return (f'<div id="cookie-consent" class="cookie-banner"><p>{chrome["cookie"]}</p>'
            f'<button>{chrome["accept"]}</button></div>')


def _share(chrome: dict[str, object]) -> str:
    links = "".join(f'<a href="#" class="share-{i}">{escape(s)}</a>'
                    for i, s in enumerate(chrome["share"]))  # type: ignore[arg-type]
    return f'<div class="share-bar social-share">{links}</div>'


def _list(title: object, headlines: list[str], css: str) -> str:
    items = "".join(f'<li><a href="/story/{i}">{escape(h)}</a></li>'
                    for i, h in enumerate(headlines))
    return f'<div class="{css}"><h3>{title}</h3><ul>{items}</ul></div>'


def _comments(chrome: dict[str, object]) -> str:
    items = "".join(f'<li class="comment"><div class="comment-author">user{i}</div>'
                    f'<div class="comment-body"><p>{escape(c)}</p></div></li>'
                    for i, c in enumerate(chrome["comment"]))  # type: ignore[arg-type]
    return f'<div id="comments" class="comments-area"><h3>{chrome["comments"]}</h3>' \
           f'<ol class="comment-list">{items}</ol></div>'


def _footer(chrome: dict[str, object]) -> str:
    return (f'<div class="newsletter"><p>{chrome["newsletter"]}</p><form><input type="email">'
            f'<button>{chrome["subscribe"]}</button></form></div>'
            f'<footer class="site-footer"><p>{chrome["copyright"]}</p>'
            '<a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>')


def wordpress(body: Body, chrome: dict[str, object], headlines: list[str],
              rng: random.Random) -> str:
    return (_head(body, "2022/02/06/post/") + "<body class='single-post'>" + _cookie(chrome)
            + '<div id="page" class="site"><header id="masthead" class="site-header">'
            '<div class="site-branding"><p class="site-title"><a href="/">Example News</a></p>'
            "</div>" + _nav(chrome) + '</header><div id="content" class="site-content">'
            '<div id="primary" class="content-area"><main id="main" class="site-main">'
            '<article class="post type-post"><header class="entry-header">'
            f'<h1 class="entry-title">{escape(body.title)}</h1><div class="entry-meta">'
            f'<span class="byline">{chrome["byline"]} Wang Lei</span> <time datetime='
            '"2022-02-06T08:33:00+08:00">2022-02-06</time></div></header>' + _share(chrome)
            + f'<div class="entry-content">{body.html}</div><footer class="entry-footer">'
            f'<span class="tags-links">{chrome["tags"]}: <a href="/tag/a" rel="tag">'
            f"{escape(headlines[0][:6])}</a></span></footer></article>"
            + _list(chrome["related"], headlines[:4], "related-posts") + _comments(chrome)
            + '</main></div><aside id="secondary" class="widget-area">'
            + _list(chrome["most"], headlines[4:], "widget popular-posts")
            + "</aside></div>" + _footer(chrome) + "</div></body></html>")


def portal(body: Body, chrome: dict[str, object], headlines: list[str],
           rng: random.Random) -> str:
    """No semantic elements at all: divs with layout classes, as many Chinese portals."""
    crumbs = " &gt; ".join(f'<a href="/">{c}</a>'
                           for c in chrome["crumbs"])  # type: ignore[attr-defined]
    return (_head(body, "news/story20220206-1.html") + "<body>" + _cookie(chrome)
            + '<div class="top-bar"><div class="logo"><a href="/">Example</a></div>'
            + _nav(chrome).replace("<nav", "<div").replace("</nav>", "</div>") + "</div>"
            + f'<div class="container"><div class="breadcrumb">{crumbs}</div><div class="row">'
            f'<div class="col-md-8 main-col"><div class="article-title"><h1>{escape(body.title)}'
            f'</h1></div><div class="article-info"><span class="source">来源：Example</span>'
            '<span class="date">2022-02-06 08:33</span></div>' + _share(chrome)
            + f'<div class="article-content-rawhtml">{body.html}</div>'
            f'<div class="ad-box"><span>{chrome["ad"]}</span></div>'
            + _list(chrome["related"], headlines[:4], "related-articles")
            + _comments(chrome) + '</div><div class="col-md-4 sidebar">'
            + _list(chrome["most"], headlines[4:], "hot-news") + "</div></div></div>"
            + _footer(chrome).replace("<footer", "<div").replace("</footer>", "</div>")
            + "</body></html>")


def blocks(body: Body, chrome: dict[str, object], headlines: list[str],
           rng: random.Random) -> str:
    """One block element per paragraph, related links inside the article element."""
    parts = body.html.replace("</p>", "</p>\x00").split("\x00")
    wrapped = "".join(f'<div data-component="text-block" class="block">{p}</div>'
                      for p in parts if p.strip())
    return (_head(body, "news/world-60279031") + "<body>" + _cookie(chrome)
            + '<header role="banner"><a href="/" class="brand">Example</a>' + _nav(chrome)
            + '</header><main id="main-content"><article><header>'
            f'<h1 id="main-heading">{escape(body.title)}</h1>'
            f'<div data-component="byline-block"><span>{chrome["byline"]} Jane Doe</span>'
            '<time datetime="2022-02-06T00:33:00Z">6 February</time></div></header>'
            + wrapped + '<div data-component="tag-list"><ul><li><a href="/topics/1">'
            f'{escape(headlines[0][:8])}</a></li></ul></div>'
            '<section data-component="links-block">'
            + _list(chrome["related"], headlines[:4], "links")
            + "</section></article>" + _share(chrome) + "</main>"
            + '<div class="most-read">' + _list(chrome["most"], headlines[4:], "ranked")
            + "</div>" + _footer(chrome) + "</body></html>")


def inline(body: Body, chrome: dict[str, object], headlines: list[str],
           rng: random.Random) -> str:
    """Ads and "read more" links between paragraphs of the article."""
    parts = [p for p in body.html.replace("</p>", "</p>\x00").split("\x00") if p.strip()]
    out = []
    for index, part in enumerate(parts):
        out.append(part)
        if index == 1:
            out.append(f'<div class="ad-container"><p class="ad-label">{chrome["ad"]}</p>'
                       '<div id="div-gpt-ad-1"></div></div>')
        if index == 3:
            out.append(f'<div class="read-more-inline"><strong>{chrome["more"]}</strong> '
                       f'<a href="/story/9">{escape(headlines[1])}</a></div>')
    return (_head(body, "2022/02/06/world/asia/story.html") + "<body>" + _cookie(chrome)
            + '<div id="app"><header class="masthead">' + _nav(chrome) + "</header>"
            f'<div class="story-header"><h1 itemprop="headline">{escape(body.title)}</h1>'
            f'<p class="byline">{chrome["byline"]} Li Ming</p></div>' + _share(chrome)
            + '<section name="articleBody" itemprop="articleBody">'
            + "".join(f'<div class="StoryBodyCompanionColumn">{p}</div>' for p in out)
            + "</section>" + _list(chrome["related"], headlines[:4], "related-coverage")
            + _comments(chrome) + _list(chrome["most"], headlines[4:], "trending")
            + _footer(chrome) + "</div></body></html>")


LAYOUTS = (wordpress, portal, blocks, inline)


def sample_bodies() -> Iterator[Body]:
    """The project's sample posts as feedsvc archives them from their files: the body the
    outlet published, checked by hand when the samples were assembled (issue 16)."""
    from feedsvc.files import read_article_file
    from feedsvc.prepare import prepare_article
    from feedsvc.text import detect_lang

    for path in sorted((ROOT / "tests" / "data" / "samples").glob("[0-9]*.md")):
        article = prepare_article(read_article_file(path))
        if len(article.content_text) < 200:
            continue  # a stub (a video, a one-line post): not an article page to test on
        lang = "zh" if (detect_lang(article.content_text) or "").startswith("zh") else "en"
        yield Body(path.stem, article.title, article.content_html, article.content_text, lang)


def english_bodies(pages: list[LabelledPage]) -> Iterator[Body]:
    """The English real pages' labelled texts, as paragraphs in a different page."""
    for page in pages:
        if page.lang != "en":
            continue
        paragraphs = [p.strip() for p in page.gold.split("\n") if p.strip()]
        html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        yield Body(page.name.split("/")[-1], paragraphs[0][:80], html, "\n\n".join(paragraphs),
                   "en")
