"""Text from HTML, the language it is in, and the form the search index holds."""

import pytest
from lxml import etree

from feedsvc.clean import drop_tag, drop_tree, parse_body, text_content
from feedsvc.fts import index_text
from feedsvc.text import detect_lang, html_texts, html_to_text

ENGLISH = ("The minister said on Monday that the talks with the union were going well and "
           "that a deal was in sight for the workers of the port. ")
CHINESE = "联合国秘书长古特雷斯昨天告诉中国，他期待中国政府允许联合国人权事务高级专员前往新疆进行可信的访问。"


@pytest.mark.parametrize(("text", "lang"), [
    (ENGLISH, "en"),
    (ENGLISH.upper(), "en"),  # common words are matched whatever their case
    (ENGLISH.replace(" the ", " the, "), "en"),  # and next to punctuation
    (CHINESE, "zh-Hans"),
    ("我們這個時說國會對為學與關發經過點還開當" * 3, "zh-Hant"),
    ("これはひらがなとカタカナのテキストです。" * 3, "ja"),
    ("한국어 텍스트입니다 서울에서 오늘 발표했습니다 " * 3, "ko"),
    (CHINESE + " Guterres UN ", "zh-Hans"),  # a few Latin words in Chinese text
    ("Le ministre a déclaré lundi que les négociations avec le syndicat avançaient bien. "
     * 2, None),  # Latin script, but not English
    ("short", None),
    ("", None),
])
def test_detect_lang(text: str, lang: str | None) -> None:
    assert detect_lang(text) == lang


@pytest.mark.parametrize(("text", "indexed"), [
    ("联", ["联"]),
    ("联合", ["联合"]),
    ("联合国秘书长", ["联合", "合国", "国秘", "秘书", "书长"]),
    ("a联b联合c", ["a", "联", "b", "联合", "c"]),
    ("𠀀𠀁𠀂", ["𠀀𠀁", "𠀁𠀂"]),  # beyond the BMP: one code unit each all the same
    ("ひらがな한국", ["ひら", "らが", "がな", "な한", "한국"]),
    ("ＡＢＣ　１２３联合", ["ABC", "123", "联合"]),  # full-width forms narrowed first
    ("", []),
])
def test_index_text(text: str, indexed: list[str]) -> None:
    assert index_text(text).split() == indexed


def test_index_text_keeps_other_text_as_it_was() -> None:
    assert index_text("Visits, 2022: ok") == "Visits, 2022: ok"


def test_text_of_blocks_media_and_documents() -> None:
    markup = ("<figure><img src='a.jpg' alt='A harbour'><figcaption>Boats</figcaption></figure>"
              "<p>First  paragraph, <a href='x'>still</a> first.</p><div>Second <b>one</b></div>")
    assert html_texts(markup) == (
        "A harbour\n\nBoats\n\nFirst paragraph, still first.\n\nSecond one",
        "First paragraph, still first.\n\nSecond one",
    )
    document = ("<!DOCTYPE html><html><head><title>Head title</title><style>p {}</style>"
                "</head><body><p>Body text</p></body></html>")
    assert html_to_text(document) == "Body text"
    # A broken document: a second body, and a block between the two. Nothing is lost.
    assert html_to_text("<html>Breaking</body><p>x</p><body>news") == "Breaking\n\nx\n\nnews"


def test_tree_helpers_keep_the_text_around_what_they_remove() -> None:
    body = parse_body("<p>a<span>b<i>c</i>d</span>e<em>gone</em>f</p>")
    paragraph = body[0]
    drop_tag(paragraph.find("span"))
    assert etree.tostring(paragraph, encoding=str) == "<p>ab<i>c</i>de<em>gone</em>f</p>"
    drop_tree(paragraph.find("em"))
    assert etree.tostring(paragraph, encoding=str) == "<p>ab<i>c</i>def</p>"
    assert text_content(paragraph) == "abcdef"


def test_word_counts_count_words_and_cjk_characters_case_folded() -> None:
    from feedsvc.text import word_counts

    assert word_counts("The harbour, the HARBOUR! 港口重开 2024") == {
        "the": 2, "harbour": 2, "港": 1, "口": 1, "重": 1, "开": 1, "2024": 1}
    assert word_counts("…  — ") == {}
