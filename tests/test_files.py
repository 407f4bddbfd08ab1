"""Each input format, detected by content, read into an Article."""

import json
from pathlib import Path

import pytest

from feedsvc.errors import ParseError
from feedsvc.files import read_article_file, sniff_format
from feedsvc.formats.frontmatter import parse_front_matter, split_front_matter
from feedsvc.prepare import prepare_article

from .conftest import DATA, SAMPLES, SEED_POST, SEED_WIRE


def test_seed_post_fields() -> None:
    article = read_article_file(SEED_POST)
    assert article.title == "联合国秘书长期待中国允许人权专员赴疆展开可信访问"
    assert article.url == "https://www.zaobao.com/realtime/china/story20220206-1239866"
    assert article.author == "联合早报"
    assert article.source == "联合早报"
    assert article.tags == ["联合早报"]
    assert article.published is not None
    assert article.published.isoformat() == "2022-02-06T00:33:00+00:00"
    # The [title](url) line and its ------ underline are not part of the body.
    assert "](https://" not in article.content_html
    assert "------" not in article.content_html
    assert "<!--1644107580000-->" not in article.content_html


def test_seed_wire_copy() -> None:
    text = SEED_WIRE.read_text(encoding="utf-8")
    article = read_article_file(SEED_WIRE)
    assert sniff_format(text) == "wire"
    assert article.source == "AFP"
    assert article.title == ""  # no headline: derived when prepared, never taken from the body
    title = prepare_article(article).title
    assert title.startswith("UN Secretary-General Antonio Guterres told leaders in Beijing")
    assert len(title) <= 101
    assert article.url is None
    lines = [line for line in text.splitlines() if line.strip()]
    assert article.content_html.count("<p>") == len(lines)


@pytest.mark.parametrize(("dateline", "agency"), [
    ("WASHINGTON (Reuters) - The U.S. said", "Reuters"),
    ("United Nations (United States) (AFP) - UN chief", "AFP"),
    ("(AP) — A storm hit", "AP"),
    ("BEIJING, Feb 6 (Reuters) -- Chinese officials", "Reuters"),
])
def test_wire_agency_from_dateline(tmp_path: Path, dateline: str, agency: str) -> None:
    path = tmp_path / "wire.txt"
    path.write_text(f"{dateline} on Saturday that things happened.\nSecond paragraph here.\n")
    assert read_article_file(path).source == agency


def test_wire_headline_line_becomes_title(tmp_path: Path) -> None:
    path = tmp_path / "wire"
    path.write_text("Storm closes harbour\nLONDON (Reuters) - A storm closed the harbour.\n")
    article = read_article_file(path)
    assert article.title == "Storm closes harbour"
    assert article.source == "Reuters"


def test_html_page_metadata_and_body() -> None:
    article = read_article_file(DATA / "pages" / "article_page.html")
    assert article.title == "Harbour reopens after storm"
    assert article.url == "https://news.example.org/2024/05/harbour-reopens?utm_source=rss"
    assert article.source == "The Coast Courier"
    assert article.author == "Jane Reporter"
    assert article.published is not None
    assert article.published.isoformat() == "2024-05-03T06:15:00+00:00"
    assert article.lang == "en"
    for chrome in ("Home", "Privacy", "The Coast Courier</h1>", "Related"):
        assert chrome not in article.content_html
    assert "Fishing crews were the first to leave" in article.content_html


def test_rendered_jekyll_page_finds_original_link_and_epoch() -> None:
    article = read_article_file(SAMPLES / "39_rendered_jekyll_html_solidot_ghpages.html")
    assert article.url == "https://www.solidot.org/story?sid=66717"
    assert article.title == "Twitter 封禁中国驻美使馆账号"
    assert article.published is not None and article.published.year == 2021
    assert "Social Share" not in article.content_html
    assert "#Solidot 的其它文章" not in article.content_html


def test_format_is_sniffed_not_taken_from_the_extension(tmp_path: Path) -> None:
    post = tmp_path / "post.html"
    post.write_bytes(SEED_POST.read_bytes())
    page = tmp_path / "page.txt"
    page.write_bytes((DATA / "pages" / "article_page.html").read_bytes())
    assert read_article_file(post).url.startswith("https://www.zaobao.com/")
    assert read_article_file(page).source == "The Coast Courier"


@pytest.mark.parametrize(("name", "title", "url_end"), [
    ("32_yaml_broken_title_newline.md", "美四大科技巨头国会听证 提及中国", "/a-54378429"),
    ("33_yaml_broken_unescaped_quotes.md", '中国自研大型水陆两栖飞机"鲲龙"AG600海上首飞成功',
     "story20200726-1072090"),
    ("34_yaml_broken_backslash_title.md", "城寨新聞25 April 2022 究竟係語文水平\\智力\\定中共問題",
     "watch?v=BhQAf8HYPHs"),
])
def test_broken_front_matter_recovers_known_keys(name: str, title: str, url_end: str) -> None:
    article = read_article_file(SAMPLES / name)
    assert article.title.startswith(title)
    assert article.url is not None and article.url.endswith(url_end)
    assert " " not in article.url and "\n" not in article.url
    assert article.published is not None


def test_nan_epoch_keeps_front_matter_date() -> None:
    article = read_article_file(SAMPLES / "27_nan_epoch.md")
    assert article.published is not None and article.published.isoformat().startswith("2021-07-27")


def test_date_only_value() -> None:
    article = read_article_file(SAMPLES / "26_yanjing_dateonly.md")
    assert article.published is not None
    assert article.published.isoformat() == "2020-08-25T00:00:00+00:00"


def test_post_without_front_matter_uses_epoch_and_link_line() -> None:
    article = read_article_file(SAMPLES / "24_ft_no_frontmatter_oads.md")
    assert article.title == "FT社评：科技巨头处于东西方脱钩的前沿"
    assert article.url == "https://cn.ft.com/story/001088493?full=y"
    assert article.published is not None
    assert article.published.timestamp() == 1594374716


def test_riqi_date_line() -> None:
    article = read_article_file(SAMPLES / "16_cdt_no_frontmatter_riqi.md")
    assert article.published is not None
    assert article.published.isoformat() == "2020-06-22T21:50:03+00:00"
    assert "日期：" not in article.content_html


def test_yaml_alias_bomb_is_bounded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8)
    ) + "title: hello\n"
    values, _ = parse_front_matter(bomb)
    assert values["title"] == "hello"
    assert all(len(str(v)) < 10_000 for v in values.values())


def test_front_matter_needs_a_closing_fence() -> None:
    block, body = split_front_matter("---\ntitle: x\nno closing fence\n")
    assert block is None and body.startswith("---")


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"  \n\n\t ", "empty file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary data"),
], ids=["empty", "blank", "binary"])
def test_unreadable_files_name_file_and_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(ParseError) as caught:
        read_article_file(path)
    assert str(caught.value) == f"{path}: {reason}" or str(caught.value).startswith(
        f"{path}: {reason}")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="cannot read"):
        read_article_file(tmp_path / "gone.md")


def test_legacy_encoded_post(tmp_path: Path) -> None:
    path = tmp_path / "big5.md"
    text = SEED_POST.read_text(encoding="utf-8").replace("联合早报", "聯合早報")
    path.write_bytes(text.encode("gb18030"))
    article = read_article_file(path)
    assert article.title == "联合国秘书长期待中国允许人权专员赴疆展开可信访问"
    assert article.source == "聯合早報"


WIRE = DATA / "wire"  # each case: NAME.txt and NAME.expect.json ("what" says what it exercises)


@pytest.mark.parametrize("name", sorted(p.stem for p in WIRE.glob("*.txt")))
def test_wire_copy_keeps_its_lede_and_names_its_agency(name: str) -> None:
    expected = json.loads((WIRE / f"{name}.expect.json").read_text(encoding="utf-8"))
    raw = read_article_file(WIRE / f"{name}.txt")
    article = prepare_article(raw)
    assert (raw.source or None) == expected["agency"], expected["what"]
    assert article.title == expected["title"], expected["what"]
    assert article.content_text.split("\n\n")[0] == expected["first_paragraph"]


@pytest.mark.parametrize(("line", "key", "value"), [
    ('title: "unclosed', "title", "unclosed"),
    ("title: 'unclosed", "title", "unclosed"),
    ('author: Jane Roe"', "author", "Jane Roe"),
    ('from: "https://e.org/a', "from", "https://e.org/a"),
    ("summary: it's kept", "summary", "it's kept"),
    ('tags: ["one", "two', "tags", ["one", "two"]),
], ids=["title-open-double", "title-open-single", "author-close", "from", "apostrophe", "tags"])
def test_recovered_front_matter_has_no_stray_quotes(line: str, key: str, value: object) -> None:
    # A broken line (an unclosed quote) sends the whole block to line-by-line recovery.
    values, recovered = parse_front_matter(f'{line}\ndate: 2022-02-06\nlayout: "post\n')
    assert recovered
    assert values[key] == value
    assert values["layout"] == "post"
