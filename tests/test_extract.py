"""Article pages to an article: metadata and body (``extract.extract_page``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feedsvc.extract import extract_page

from .conftest import DATA

PAGES = DATA / "pages"


def test_metadata_of_an_article_page() -> None:
    page = extract_page((PAGES / "fulltext_en.html").read_text(encoding="utf-8"),
                        "https://courier.example/r?id=81")
    assert page.url == "https://courier.example/2024/05/harbour-reopens"  # relative canonical
    assert page.title == "Harbour reopens after three-day storm"
    assert page.published == datetime(2024, 5, 3, 6, 15, tzinfo=UTC)
    assert (page.author, page.site, page.lang, page.free) == (
        "Jane Reporter", "The Coast Courier", "en", True)
    assert "Fishing boats leaving the harbour" in page.body_html  # the caption kept
    assert "Related stories" not in page.body_html and "Glad the ferry" not in page.body_html


def test_og_image_comes_first_when_the_body_has_none() -> None:
    html = ("<html><head><meta property='og:image' content='/img/lead.jpg'>"
            "<title>T</title></head><body><article>"
            + "<p>A paragraph of the article, long enough to be one.</p>" * 8
            + "</article></body></html>")
    page = extract_page(html, "https://site.example/a/b.html")
    assert page.body_html.startswith('<figure><img src="https://site.example/img/lead.jpg"')
    with_image = html.replace("<article>", "<article><img src='/img/own.jpg'>")
    assert "lead.jpg" not in extract_page(with_image, "https://site.example/a/b.html").body_html


def test_a_page_marked_not_free() -> None:
    page = extract_page((PAGES / "paywall.html").read_text(encoding="utf-8"),
                        "https://courier.example/x")
    assert page.free is False
    assert page.url == "https://courier.example/2024/05/cargo-plan"


@pytest.mark.parametrize("markup", ["", "<", "\x00\x01", "<html><body></body></html>",
                                    "<p>" * 5000, "<html>" + "<div>" * 3000 + "x"],
                         ids=["empty", "lt", "binary", "empty-body", "deep-p", "deep-div"])
def test_broken_pages_never_raise(markup: str) -> None:
    page = extract_page(markup, "https://site.example/")
    assert isinstance(page.body_html, str)
