"""What two copies of one story have in common: shingles of their text, and MinHash band
keys that find the copies of an article without comparing it with every other (issue 22).

Text is folded first, so that what differs only in writing system does not count:
full-width letters, digits and punctuation become ASCII ones, case, and Traditional Chinese to
Simplified (OpenCC's phrase tables, character by character where no phrase applies).
Shingles are fit for each script: three words in a row for spaced scripts, four characters
in a row for Chinese and Japanese (which have no spaces, and where a word is two characters
or so). A text mixing both is cut into runs, each shingled in its own way.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

from feedsvc.text import CJK_LETTERS

WORDS_PER_SHINGLE = 3
CHARACTERS_PER_SHINGLE = 4
PERMUTATIONS = 128
# 32 bands of 4 values: two texts become candidates with probability 1 - (1 - J^4)^32, so
# 0.9 at a Jaccard similarity of 0.4 and 0.15 at 0.15 (candidates are then measured exactly).
BANDS = 32
ROWS = PERMUTATIONS // BANDS
LEAD = 60  # shingles: a paragraph or two
LEAD_BANDS = 16
SEED = 22  # fixed: band keys are stored, and must come out the same in every process

_CJK_RUN = re.compile(f"[{CJK_LETTERS}]+")
_CJK_SPLIT = re.compile(f"([{CJK_LETTERS}]+)")  # the runs, kept by re.split
_WORD = re.compile(rf"[^\s\W{CJK_LETTERS}]+")


@cache
def _to_simplified() -> object | None:
    try:
        import opencc
    except ImportError:  # a declared dependency; without it Traditional copies are missed
        return None
    return opencc.OpenCC("t2s")


# Full-width ASCII (ＡＢＣ１２３！) and the ideographic space, to their ASCII forms: what NFKC
# does to the text of news, at a sixth of its cost (a table lookup per character).
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold(text: str) -> str:
    """``text`` as it is compared: full-width forms folded, case-folded, Chinese in
    Simplified characters."""
    if not text.isascii():  # (a check in C: most English text has nothing to fold)
        text = text.translate(_FULL_WIDTH)
    text = text.casefold()
    converter = _to_simplified()
    if converter is not None and _CJK_RUN.search(text):
        text = converter.convert(text)  # type: ignore[attr-defined]
    return text


def shingle_set(text: str) -> frozenset[str]:
    """The shingles of ``text`` (folded here), as a set."""
    return frozenset(shingle_list(text))


def shingle_list(text: str) -> list[str]:
    """The shingles of ``text`` (folded here) in the order they first occur. A run of
    Chinese or Japanese characters gives its 4-character windows; the words between them
    give their 3-word windows. A run shorter than its window gives itself whole, so a short
    text still has one shingle."""
    shingles: dict[str, None] = {}  # ordered: the text's opening is indexed on its own
    words: list[str] = []
    size = CHARACTERS_PER_SHINGLE
    # cut at the runs of characters: the words between them are found by one C-level scan
    for index, part in enumerate(_CJK_SPLIT.split(fold(text))):
        if not index % 2:  # between runs
            if part:
                words.extend(_WORD.findall(part))
            continue
        if words:
            _add_word_windows(shingles, words)
            words = []
        # a run of characters (inline: Chinese text is many short runs between punctuation)
        if len(part) <= size:
            shingles[part] = None
        else:
            shingles.update(dict.fromkeys([part[i:i + size]
                                           for i in range(len(part) - size + 1)]))
    if words:
        _add_word_windows(shingles, words)
    return list(shingles)


def _add_word_windows(into: dict[str, None], words: list[str]) -> None:
    size = WORDS_PER_SHINGLE
    if len(words) <= size:
        into[" ".join(words)] = None
    else:
        into.update(dict.fromkeys([" ".join(words[i:i + size])
                                   for i in range(len(words) - size + 1)]))


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """How much of the smaller set the larger holds: 1.0 for a trimmed copy of a text."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def signature(shingles: Iterable[str]) -> MinHash:
    """The MinHash of a set of shingles (datasketch, fixed seed). Each shingle is hashed
    with CRC-32 (C, stable across processes) rather than datasketch's default SHA-1 in
    Python: a third of the time, and candidates are measured exactly anyway."""
    from datasketch import MinHash  # imported when first needed: it brings SciPy (0.3 s)

    template = _template()
    minhash = MinHash(num_perm=PERMUTATIONS, seed=SEED, hashfunc=zlib.crc32,
                      permutations=template.permutations, scheme=template.scheme)
    minhash.update_batch([s.encode("utf-8", "surrogatepass") for s in shingles])
    return minhash


@cache
def _template() -> MinHash:
    """The seeded permutations, drawn once per process (a quarter of a millisecond each)."""
    from datasketch import MinHash

    return MinHash(num_perm=PERMUTATIONS, seed=SEED, hashfunc=zlib.crc32)


def band_keys(shingles: list[str]) -> list[int]:
    """The article's keys in the LSH index: 32 bands of its whole text's MinHash, then 16
    of its opening's (its first ``LEAD`` shingles). Whole texts find the copies with edits
    throughout; openings find trimmed copies, whose Jaccard similarity to their original is
    low when much was cut, while their openings are the same."""
    whole = signature(shingles)
    lead = signature(shingles[:LEAD])
    return _keys(whole, BANDS, 0) + _keys(lead, LEAD_BANDS, BANDS)


def _keys(minhash: MinHash, bands: int, first: int) -> list[int]:
    """One 63-bit key per band: the band's number and values, hashed. Two texts sharing a
    key are candidates. Signed, so that SQLite stores each as one INTEGER."""
    values = np.asarray(minhash.hashvalues, dtype=np.uint64)
    keys = []
    for band in range(bands):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        salt = (first + band).to_bytes(16, "little")
        digest = hashlib.blake2b(chunk, digest_size=8, person=salt)
        keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return keys
