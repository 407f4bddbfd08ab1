import random
from urllib.parse import urljoin

import pytest
from feedparser.urls import _urljoin

from feedsvc.urls import ascii_url, canonical_url, is_http_url, joins_unchanged, strip_tracking

CASES = [
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?id=7&fbclid=XYZ&gclid=1", "https://example.com/a?id=7"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:8443/a", "https://example.com:8443/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com/%e4%b8%ad", "https://example.com/%E4%B8%AD"),
    ("https://example.com/中文?q=新疆", "https://example.com/%E4%B8%AD%E6%96%87?q=%E6%96%B0%E7%96%86"),
    ("https://例子.测试/", "https://xn--fsqu00a.xn--0zwm56d/"),
    ("https://example.com/a?b=1+2&utm_campaign=x", "https://example.com/a?b=1+2"),
]


@pytest.mark.parametrize(("url", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize("url", [c[0] for c in CASES])
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert once.isascii()


def test_tracking_decorated_equals_clean_form() -> None:
    clean = "https://www.zaobao.com/realtime/china/story20220206-1239866"
    decorated = clean + "?utm_source=twitter&utm_medium=social&fbclid=abc#top"
    assert canonical_url(decorated) == canonical_url(clean)


def test_strip_tracking_keeps_other_parameters_byte_for_byte() -> None:
    assert strip_tracking("https://x.org/s?q=a%20b&utm_term=z&page=2") == "https://x.org/s?q=a%20b&page=2"


def test_ascii_url_keeps_fragment_and_encodes_non_ascii() -> None:
    assert ascii_url("https://x.org/标签#段") == "https://x.org/%E6%A0%87%E7%AD%BE#%E6%AE%B5"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org/", "/rel", ""])
def test_only_http_urls_count(url: str) -> None:
    assert not is_http_url(url)


def test_the_urljoin_shortcut_changes_nothing() -> None:
    """``joins_unchanged`` skips urljoin only where urljoin would hand the URL back as it is
    (checked here on 20,000 random URLs and bases; on 1,000,000 when it was written)."""
    rng = random.Random(7)
    alphabet = "ab/?#;:.%&=-_~ \\@[]中AZ09\t"
    bases = ["http://127.0.0.1:1/f", "https://e.org/a/b?x=1", "http://x", "ftp://h/x",
             "http://[::1]/x"]
    taken = 0
    for _ in range(20_000):
        url = rng.choice(["http://", "https://", "HTTP://", "http:///", "https://e.org/", ""]) \
            + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        if joins_unchanged(url):
            taken += 1
            base = rng.choice(bases)
            assert urljoin(base, url) == url == _urljoin(base, url), (base, url)
    assert taken > 1000
