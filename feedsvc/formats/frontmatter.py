"""YAML front matter of Jekyll-style posts, recovered line by line when the YAML is broken.

Real posts carry unescaped inner quotes, raw newlines inside quoted values and backslashes
that are invalid YAML escapes; the known keys are still recoverable from such text.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import yaml

MAX_FRONT_MATTER = 64 * 1024
KNOWN_KEYS = ("title", "date", "author", "from", "tags", "categories", "layout", "comments",
              "description", "summary", "lang", "url", "link", "source", "image")
_OPEN = re.compile(r"\A\ufeff?[ \t]*---[ \t]*\r?\n")
_CLOSE = re.compile(r"^---[ \t]*$", re.MULTILINE)
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+|$)(.*)$")

Scalar = str | int | float | bool | date | datetime


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Return (front matter text or None, body). Only a leading ``---`` block counts."""
    opening = _OPEN.match(text)
    if not opening:
        return None, text
    closing = _CLOSE.search(text, opening.end())
    if not closing or closing.start() - opening.end() > MAX_FRONT_MATTER:
        return None, text
    return text[opening.end():closing.start()], text[closing.end():].lstrip("\r\n")


def parse_front_matter(block: str) -> tuple[dict[str, object], bool]:
    """Parse a front matter block into plain values; (values, recovered_from_broken_yaml)."""
    try:
        loaded = yaml.safe_load(block)
    except yaml.YAMLError:
        loaded = None
    if isinstance(loaded, dict):
        return {str(k): _plain(v) for k, v in loaded.items() if _plain(v) is not None}, False
    return recover_front_matter(block), True


def _plain(value: object) -> Scalar | list[str] | None:
    """Only scalars and flat lists survive: YAML aliases can nest without bound."""
    if isinstance(value, Scalar):
        return value
    if isinstance(value, list):
        return [str(item) for item in value[:200] if isinstance(item, Scalar)]
    return None


def recover_front_matter(block: str) -> dict[str, object]:
    """Line-based recovery: ``key: value`` lines, continuation lines appended to the value."""
    values: dict[str, str] = {}
    current: str | None = None
    for line in block.splitlines():
        match = _KEY_LINE.match(line)
        if match and match.group(1) in KNOWN_KEYS:
            current = match.group(1)
            values[current] = match.group(2)
        elif current is not None:
            # A raw newline inside a value: joined without a space, as in URLs.
            values[current] += line
    return {key: _recover_value(raw) for key, raw in values.items()}


def _recover_value(raw: str) -> str | list[str]:
    raw = raw.strip()
    if raw.startswith("["):  # a flow list, closed or not
        items = raw[1:].removesuffix("]").split(",")
        return [_unquote(item) for item in items if _unquote(item)]
    return _unquote(raw)


def _unquote(raw: str) -> str:
    """A recovered value without its quotes, also when one of the pair is missing (the YAML
    broke on it): ``"unclosed`` is ``unclosed`` (issue 16)."""
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1].strip()
    if raw[:1] in ("\"", "'"):
        raw = raw[1:]
    elif raw[-1:] in ("\"", "'") and raw.count(raw[-1]) == 1:
        raw = raw[:-1]
    return raw.strip()
