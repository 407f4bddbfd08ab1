"""Bytes of an article file to text: UTF-8 (with or without BOM) or a legacy encoding."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from feedsvc.errors import ParseError

_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Chinese legacy encodings first: most non-UTF-8 inputs here are GB18030 or Big5.
_CANDIDATES = ["gb18030", "big5", "big5hkscs", "shift_jis", "euc_kr", "cp1252", "latin_1"]
# GB2312 and GBK are subsets of GB18030: decoding with the superset loses nothing.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


def _declared_encoding(data: bytes) -> str | None:
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    name = (match.group(1) or match.group(2)).decode("ascii").lower()
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def looks_binary(data: bytes) -> bool:
    """Many NUL or control bytes in the first block mean this is not text. (A stray NUL or
    two, left by a broken CMS, does not: they are dropped later like other controls.)"""
    head = data[:8192]
    if head.count(b"\x00") > max(8, len(head) // 100) and not head.startswith(
            (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > max(8, len(head) // 20)


def decode_text(data: bytes, name: str = "input") -> str:
    """Decode ``data``; raises ``ParseError`` naming ``name`` when it is not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if looks_binary(data):
        raise ParseError(f"{name}: binary data, not an article")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_encoding(data)
    if declared:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass
    return _guess(data)


def _strictly(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _guess(data: bytes) -> str:
    # Most legacy inputs here are Chinese: decide between GB18030 and Big5 first, since a
    # general detector confuses short Chinese texts with Korean or Japanese.
    chinese = [enc for enc in ("gb18030", "big5hkscs") if _strictly(data, enc)]
    if len(chinese) == 1:
        return data.decode(chinese[0])
    best = from_bytes(data, cp_isolation=chinese or _CANDIDATES).best()
    if best is not None:
        encoding = _SUPERSETS.get(best.encoding, best.encoding)
        return data.decode(encoding, errors="replace")
    return data.decode("utf-8", errors="replace")
