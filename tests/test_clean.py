"""The cleaner: repaired, de-junked, absolute, sanitized, and no article text lost."""

import re

import pytest
from bs4 import BeautifulSoup

from feedsvc.clean import clean_html
from feedsvc.files import read_article_file
from feedsvc.text import html_to_text

from .conftest import DATA, SAMPLES, SEED_POST

AD_MARKERS = ("dfp-ad", "innity-in-post", "cx_paywall_placeholder", 'id="imu"', "sph_cdp")


def seed_paragraphs() -> list[str]:
    """Every paragraph of the seed body, read independently of the cleaner (unescaped)."""
    raw = read_article_file(SEED_POST).content_html
    unescaped = raw.replace("&lt;", "<").replace("&gt;", ">")
    soup = BeautifulSoup(unescaped, "lxml")
    paragraphs = [p.get_text(strip=True) for p in soup.find_all("p")]
    paragraphs.append(soup.find("figcaption").get_text(strip=True))
    return [p for p in paragraphs if p]


def test_seed_is_repaired_and_dejunked_with_every_paragraph_kept() -> None:
    article = read_article_file(SEED_POST)
    cleaned = clean_html(article.content_html, article.url, article.title)
    assert "&lt;" not in cleaned and "&gt;" not in cleaned
    for marker in AD_MARKERS:
        assert marker not in cleaned
    text = html_to_text(cleaned)
    paragraphs = seed_paragraphs()
    assert len(paragraphs) == 10  # nine paragraphs and the figure caption
    for paragraph in paragraphs:
        assert paragraph in text
    assert cleaned.count("<p>") == 9


def test_seed_lazy_image_and_figure_caption() -> None:
    article = read_article_file(SEED_POST)
    soup = BeautifulSoup(clean_html(article.content_html, article.url), "lxml")
    image = soup.find("img")
    assert image["src"].startswith("https://static.zaobao.com/")
    assert "data-src" not in image.attrs and "class" not in image.attrs
    figure = image.find_parent("figure")
    assert figure is not None and figure.find("figcaption") is not None


@pytest.mark.parametrize(("markup", "expected"), [
    ('<img data-src="/a.jpg" src="data:image/gif;base64,R0lG">', 'src="https://example.com/a.jpg"'),
    ('<img data-original="b.jpg">', 'src="https://example.com/news/b.jpg"'),
    ('<a href="/x?utm_source=rss&amp;id=2">x</a>', 'href="https://example.com/x?id=2"'),
    ('<a href="../up">u</a>', 'href="https://example.com/up"'),
    ('<a href="//cdn.example.net/p">p</a>', 'href="https://cdn.example.net/p"'),
    ('<video poster="/p.jpg" src="/v.mp4" controls></video>', 'poster="https://example.com/p.jpg"'),
    ('<iframe data-src="//www.youtube.com/embed/ZPDkn2CcGzM?rel=0"></iframe>',
     'href="https://www.youtube.com/watch?v=ZPDkn2CcGzM"'),
    ('<div class="wp-caption"><img src="/c.jpg"><p class="wp-caption-text">Cap</p></div>',
     "<figcaption>Cap</figcaption>"),
    ("<p>a</p><p>&nbsp;</p><div><span> </span></div><p>b</p>", "<p>a</p><p>b</p>"),
    ("&amp;lt;p&amp;gt;double&amp;lt;/p&amp;gt;", "<p>double</p>"),
    ('<img src="/a.jpg" srcset="data:image/gif;base64,R0lG 1w"><noscript><img src="/a.jpg">'
     "</noscript><p>x</p>", '<img src="https://example.com/a.jpg"><p>x</p>'),
    ('<noscript><p>Enable JavaScript to see the chart.</p></noscript>',
     "<p>Enable JavaScript to see the chart.</p>"),
    ('<embed src="x.swf"><p>after embed</p>', "<p>after embed</p>"),
    ('<img width="2" src="/图/女人 1.jpg" alt="a">',
     '<img alt="a" src="https://example.com/图/女人 1.jpg" width="2">'),
    ("<p>x<br>&nbsp;</p>", "<p>x<br>&nbsp;</p>"),
], ids=["lazy-data-src", "data-original-relative", "tracking-link", "dotdot", "protocol-relative",
        "video-poster", "youtube-iframe", "wp-caption", "empty-wrappers", "double-escaped",
        "noscript-duplicate-image", "noscript-text-kept", "content-after-void-embed",
        "url-as-written-attributes-in-name-order", "nbsp-spacer-kept"])
def test_cleaning_rules(markup: str, expected: str) -> None:
    assert expected in clean_html(markup, "https://example.com/news/item")


def test_pre_keeps_escaped_markup_as_text() -> None:
    cleaned = clean_html("<pre><code>&lt;p&gt;hello&lt;/p&gt;</code></pre>")
    assert "&lt;p&gt;hello" in cleaned


def test_leading_title_repeat_goes() -> None:
    cleaned = clean_html("<h1>Same Title</h1><p>Body text.</p>", None, "Same  title")
    assert "<h1>" not in cleaned and "Body text." in cleaned


HOSTILE = (DATA / "hostile.html").read_text(encoding="utf-8")
FORBIDDEN = re.compile(
    r"<\s*(script|style|iframe|object|embed|form|input|svg|math|meta|base|body)\b"
    r"|\bon[a-z]+\s*=|javascript:|data:text|&lt;script|alert\(",
    re.IGNORECASE,
)


def test_hostile_markup_is_neutralised_and_text_kept() -> None:
    cleaned = clean_html(HOSTILE, "https://example.com/a")
    assert not FORBIDDEN.search(cleaned), FORBIDDEN.search(cleaned)
    for text in ("Visible paragraph one.", "Visible paragraph two.", "Visible paragraph three.",
                 "bad link", "styled text"):
        assert text in cleaned
    assert "style=" not in cleaned


@pytest.mark.parametrize("vector", [
    "<script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<img src=x onerror="alert(1)">',
    "&lt;img src=x onerror=alert(1)&gt;",
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<svg><script>alert(1)</script></svg>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<div onmouseover="alert(1)">x</div>',
    '<object data="javascript:alert(1)"></object>',
    '<style>@import "javascript:alert(1)";</style>',
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    '<form><button formaction="javascript:alert(1)">x</button></form>',
    '<details open ontoggle="alert(1)">',
])
def test_xss_vectors(vector: str) -> None:
    cleaned = clean_html(f"<p>before</p>{vector}<p>after</p>", "https://example.com/")
    assert not FORBIDDEN.search(cleaned), cleaned
    assert "before" in cleaned and "after" in cleaned


def test_outlet_junk_in_samples_goes() -> None:
    junk = {
        "04_cna_adslots_infogram.md": ("adslot", "bottomArticleBanner"),
        "06_rfi_interstitial_selfpromo.md": ("m-interstitial", "o-self-promo", "获取更多RSS"),
        "12_bbc_css_classes_dotcom_ad.md": ("dotcom-mpu",),
        "20_nyt_cn_taboola.md": ("tbl-feed", "trc_"),
        "24_ft_no_frontmatter_oads.md": ("o-ads",),
        "25_iyouport_scraped_no_epoch.md": ("sharedaddy", "jp-relatedposts"),
    }
    for name, markers in junk.items():
        article = read_article_file(SAMPLES / name)
        cleaned = clean_html(article.content_html, article.url, article.title)
        for marker in markers:
            assert marker not in cleaned, (name, marker)


@pytest.mark.parametrize("garbage", [
    "", "<", "<<<>>>", "<p" * 1000, "\x00\x01<b>x", "&#xD800;", "<a href='\ud800'>",
    "</p></div></body></html>", "</BODY >", "<![CDATA[", "<?php ?>"],
    ids=["empty", "lt", "brackets", "open-p", "controls", "surrogate-ref", "surrogate-href",
         "closers", "closer-upper", "cdata", "php"])
def test_cleaner_never_raises_on_garbage_and_keeps_the_words_after_it(garbage: str) -> None:
    cleaned = clean_html(f"<p>before</p>{garbage}<p>survivor words</p>", "not a url")
    assert "before" in cleaned and "survivor words" in cleaned, cleaned
