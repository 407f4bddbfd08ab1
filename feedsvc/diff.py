"""What changed between two versions of an article, for people (issue 20).

Paragraphs are matched first; a changed paragraph is diffed word by word for Latin-script
text and character by character for Chinese, Japanese and Korean (where there are no
spaces between words). Python's ``difflib`` does the matching: part of the standard
library, maintained with CPython, and ``SequenceMatcher`` with its junk heuristic off gives
the minimal-looking diffs people expect on texts of article size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from html import escape

from feedsvc.text import CJK_LETTERS

# CJK letters, and CJK and full-width punctuation: each its own token
_CJK = CJK_LETTERS + "\u3000-\u303f\uff00-\uffef"
# A CJK character (or punctuation), a word, another single character, or a space run.
_TOKEN = re.compile(rf"[{_CJK}]|\w+|[^\w\s]|\s+")


@dataclass(slots=True)
class Part:
    """One piece of a changed paragraph: kept, inserted or deleted text."""

    kind: str  # "same" | "ins" | "del"
    text: str


@dataclass(slots=True)
class Block:
    """A paragraph kept as it was (``same``, with how many), or changed (its parts)."""

    kind: str  # "same" | "changed"
    parts: list[Part] = field(default_factory=list)
    unchanged: int = 0  # for "same": how many paragraphs are collapsed here


@dataclass(slots=True)
class Diff:
    title: list[Part] | None  # None when the title did not change
    author: list[Part] | None
    blocks: list[Block]

    @property
    def changed(self) -> bool:
        return bool(self.title or self.author or any(b.kind == "changed" for b in self.blocks))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def diff_line(old: str, new: str) -> list[Part]:
    """Word (Latin) or character (CJK) diff of one paragraph."""
    before, after = _tokens(old), _tokens(new)
    parts: list[Part] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, before, after,
                                             autojunk=False).get_opcodes():
        if op == "equal":
            _add(parts, "same", "".join(before[i1:i2]))
            continue
        if op in ("delete", "replace"):
            _add(parts, "del", "".join(before[i1:i2]))
        if op in ("insert", "replace"):
            _add(parts, "ins", "".join(after[j1:j2]))
    return parts


def _add(parts: list[Part], kind: str, text: str) -> None:
    if not text:
        return
    if parts and parts[-1].kind == kind:
        parts[-1].text += text
    else:
        parts.append(Part(kind, text))


def diff_texts(old: str, new: str) -> list[Block]:
    """Paragraph blocks (paragraphs are separated by blank lines, as ``content_text``
    holds them); unchanged runs collapse into one ``same`` block."""
    before = [p for p in old.split("\n\n") if p.strip()]
    after = [p for p in new.split("\n\n") if p.strip()]
    blocks: list[Block] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            blocks.append(Block("same", unchanged=i2 - i1))
            continue
        olds, news = before[i1:i2], after[j1:j2]
        # paired paragraphs diffed inline; the rest wholly deleted or inserted
        for k in range(max(len(olds), len(news))):
            old_p = olds[k] if k < len(olds) else ""
            new_p = news[k] if k < len(news) else ""
            blocks.append(Block("changed", diff_line(old_p, new_p)))
    return blocks


def diff_versions(old: tuple[str, str | None, str], new: tuple[str, str | None, str]) -> Diff:
    """(title, author, text) before and after."""
    title = diff_line(old[0], new[0]) if old[0] != new[0] else None
    author = diff_line(old[1] or "", new[1] or "") if (old[1] or "") != (new[1] or "") else None
    return Diff(title, author, diff_texts(old[2], new[2]))


def parts_html(parts: list[Part]) -> str:
    return "".join(f"<{p.kind}>{escape(p.text)}</{p.kind}>" if p.kind != "same"
                   else escape(p.text) for p in parts)


def _lines(diff: Diff, parts: Callable[[list[Part]], str],
           same: Callable[[int], str]) -> list[str]:
    """The diff's lines, however parts and collapsed paragraphs are written."""
    out = []
    if diff.title:
        out.append(f"Title: {parts(diff.title)}")
    if diff.author:
        out.append(f"Author: {parts(diff.author)}")
    out += [same(block.unchanged) if block.kind == "same" else parts(block.parts)
            for block in diff.blocks]
    return out


def _unchanged(count: int) -> str:
    return f"… {count} unchanged paragraph{'' if count == 1 else 's'} …"


def diff_html(diff: Diff) -> str:
    """The diff as HTML: ``<ins>``/``<del>``, unchanged paragraphs collapsed."""
    return "\n".join(f"<p>{line}</p>" for line in _lines(
        diff, parts_html, lambda count: f'<span class="diff-same">{_unchanged(count)}</span>'))


_COLOURS = {"ins": "\x1b[32;4m", "del": "\x1b[31;9m"}


def diff_terminal(diff: Diff, colour: bool) -> str:
    """For ``feedsvc history``: colour on a terminal, ``[-deleted-]{+inserted+}`` without."""
    def line(parts: list[Part]) -> str:
        if colour:
            return "".join(f"{_COLOURS[p.kind]}{p.text}\x1b[0m" if p.kind != "same" else p.text
                           for p in parts)
        return "".join(f"[-{p.text}-]" if p.kind == "del" else f"{{+{p.text}+}}"
                       if p.kind == "ins" else p.text for p in parts)

    return "\n".join(_lines(diff, line, lambda count: "  " + _unchanged(count)))


def diff_json(diff: Diff) -> dict[str, object]:
    def parts(items: list[Part] | None) -> list[dict[str, str]] | None:
        return None if items is None else [{"kind": p.kind, "text": p.text} for p in items]

    return {"title": parts(diff.title), "author": parts(diff.author),
            "blocks": [{"unchanged": b.unchanged} if b.kind == "same"
                       else {"changed": parts(b.parts)} for b in diff.blocks]}
