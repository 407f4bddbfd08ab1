"""Full-text search text and queries: Chinese by overlapping bigrams, English by porter stems.

SQLite's built-in tokenizers cannot find two-character Chinese words: ``unicode61`` makes a
whole run of Han characters one token, and ``trigram`` needs three characters. So the text
indexed in ``articles_fts`` is rewritten first: every run of CJK characters becomes its
overlapping bigrams (``联合国秘书长`` -> ``联合 合国 国秘 秘书 书长``), while other text
passes through to ``porter unicode61`` (case-blind, ``visit`` finds ``visits``). A query is
rewritten the same way, as FTS5 phrases: a Chinese word of two or more characters is the
phrase of its bigrams (exact), a single character the prefix query ``"X" *``, which finds it
wherever another CJK character follows it. (Indexing every run's last character too would
find the rest, at 10 % more index and 30 % more build time: measured, not worth it.)
"""

from __future__ import annotations

import re
import sys
from array import array
from dataclasses import dataclass

from feedsvc.errors import QueryError

TOKENIZER = "porter unicode61 remove_diacritics 2"
_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
    "\U00020000-\U0002fa1f]+")


# Full-width ASCII (ＡＢＣ１２３) and the ideographic space, as their narrow forms: what NFKC
# would do for search, at a tenth of its cost (NFKC was 40 % of indexing time).
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_NARROW = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {"\u3000": " "}


def narrow(text: str) -> str:
    # Only the matches are looked up: str.translate looks up every character (8x slower).
    return _WIDE.sub(lambda m: _NARROW[m[0]], text)


# One UTF-32 code unit per character (in this machine's byte order, as arrays hold them):
# a run's bigrams are laid out by slice assignment.
_UNIT = next(code for code in "IL" if array(code).itemsize == 4)
_UTF32 = f"utf-32-{sys.byteorder[0]}e"
_SPACE = array(_UNIT, [ord(" ")])


def _bigrams(run: str) -> str:
    """`` AB BC CD `` for the run ``ABCD``. A long run is laid out in C from its code units
    (a third faster than joining two-character strings); a short one, most runs between
    punctuation, is joined directly, cheaper than the encoding round trip."""
    length = len(run)
    if length <= 2:
        return f" {run} "
    if length == 3:
        return f" {run[:2]} {run[1:]} "
    if length < 8:
        return " " + " ".join([run[i:i + 2] for i in range(length - 1)]) + " "
    units = array(_UNIT, run.encode(_UTF32))
    laid_out = _SPACE * (3 * length - 2)  # " AB BC … YZ ": a space, then 3 per bigram
    laid_out[1:-1:3] = units[:-1]
    laid_out[2::3] = units[1:]
    return laid_out.tobytes().decode(_UTF32)


def _run_bigrams(match: re.Match[str]) -> str:
    return _bigrams(match[0])


_CJK_AT_END = re.compile(_CJK.pattern + r"\Z")
_CJK_RUNS = re.compile(f"({_CJK.pattern})")  # split keeps the runs at odd positions


def index_text(text: str | None) -> str:
    """The form of ``text`` that goes into the index."""
    if not text:
        return ""
    pieces = _CJK_RUNS.split(narrow(text))
    pieces[1::2] = [_bigrams(run) for run in pieces[1::2]]
    return "".join(pieces)


def index_rows(rows: list[tuple[int, str | None, str | None]]
               ) -> list[tuple[int, str, str]]:
    """``(id, title, text)`` rows in their indexed form: a batch for a worker process."""
    return [(row_id, index_text(title), index_text(text)) for row_id, title, text in rows]


def _phrase(term: str) -> str:
    """One user term (a word or a quoted phrase) as an FTS5 expression."""
    term = narrow(term)
    # A single character at the end: a prefix, to find it inside longer words too.
    ending = _CJK_AT_END.search(term)
    prefix = ending is not None and len(ending[0]) == 1
    words = " ".join(_CJK.sub(_run_bigrams, term).split())  # the indexed form, as a phrase
    quoted = '"' + words.replace('"', '""') + '"'
    return quoted + " *" if prefix else quoted


@dataclass(slots=True, frozen=True)
class ParsedQuery:
    """A user's query: what FTS5 matches, and the terms to highlight."""

    expression: str
    terms: tuple[str, ...]


_TOKEN = re.compile(r'"([^"]*)"|(\S+)')


def parse_query(query: str) -> ParsedQuery:
    """Words and "quoted phrases" must all match; ``a OR b`` either; ``-word`` must not.

    Everything else is taken literally (FTS5 syntax characters are quoted away), so the
    only malformed queries are unbalanced quotes, a dangling OR and nothing to find.
    """
    if query.count('"') % 2:
        raise QueryError(f"search query {query!r}: unbalanced double quote")
    groups: list[list[str]] = []
    excluded: list[str] = []
    terms: list[str] = []
    pending_or = False
    for match in _TOKEN.finditer(query):
        quoted, word = match.group(1), match.group(2)
        if word == "OR":
            if not groups or pending_or:
                raise QueryError(f"search query {query!r}: OR needs a term on each side")
            pending_or = True
            continue
        negative = word is not None and word.startswith("-") and len(word) > 1
        text = " ".join((quoted if quoted is not None else word.lstrip("-") if negative
                         else word).split())
        if not text:
            continue
        if negative:
            excluded.append(_phrase(text))
            continue
        terms.append(text)
        if pending_or:
            groups[-1].append(_phrase(text))
        else:
            groups.append([_phrase(text)])
        pending_or = False
    if pending_or:
        raise QueryError(f"search query {query!r}: OR needs a term on each side")
    if not groups:
        raise QueryError("search query has nothing to find: give at least one word"
                         + (" that is not excluded" if excluded else ""))
    expression = " AND ".join("(" + " OR ".join(group) + ")" for group in groups)
    for phrase in excluded:
        expression = f"({expression}) NOT {phrase}"
    return ParsedQuery(expression, tuple(terms))
