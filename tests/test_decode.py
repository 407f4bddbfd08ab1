import codecs

import pytest

from feedsvc.decode import decode_text
from feedsvc.errors import ParseError

SIMPLIFIED = "联合国秘书长古特雷斯昨天告诉中国，他期待中国政府允许人权专员前往新疆进行可信的访问。"
TRADITIONAL = "拼多多員工之死引爆輿論，央視：奮鬥非拿命換錢。總統府發表聲明，國會議員表示關切。"


@pytest.mark.parametrize(("text", "encoding"), [
    (SIMPLIFIED, "utf-8"), (SIMPLIFIED, "gb18030"), (SIMPLIFIED, "gbk"),
    (TRADITIONAL, "big5"), (TRADITIONAL, "utf-8"),
], ids=["utf8", "gb18030", "gbk", "big5", "utf8-traditional"])
def test_decodes_chinese_in_every_encoding(text: str, encoding: str) -> None:
    assert decode_text(text.encode(encoding)) == text


def test_short_gb18030_text_is_not_mistaken_for_korean() -> None:
    assert decode_text("联合国秘书长".encode("gb18030")) == "联合国秘书长"


def test_utf8_bom_is_dropped() -> None:
    assert decode_text(codecs.BOM_UTF8 + SIMPLIFIED.encode()) == SIMPLIFIED


@pytest.mark.parametrize(("text", "charset"), [("中文", "gb2312"), ("香港", "gbk"),
                                              ("新聞", "shift_jis")], ids=["gb2312", "gbk", "sjis"])
def test_declared_charset_wins_for_html(text: str, charset: str) -> None:
    """Short texts the detector alone reads wrong (中文 in GBK bytes comes out as 笢恅): only
    the page's own declaration gets them right."""
    body = f"<body>{text}</body></html>".encode(charset)
    declared = f'<html><head><meta charset="{charset}"></head>'.encode() + body
    assert text in decode_text(declared)
    assert text not in decode_text(b"<html><head></head>" + body)  # why the meta matters


def test_binary_is_refused_with_the_name() -> None:
    with pytest.raises(ParseError, match=r"photo\.jpg: binary data"):
        decode_text(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" * 20, "photo.jpg")
