"""Safe, stable path segments for source and tag names (which may be Chinese)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_SLUG = 60
_NOT_WORD = re.compile(r"[^\w]+")  # \w is Unicode-aware: CJK letters stay


def name_hash(name: str, length: int = 8) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def slugify(name: str) -> str:
    """A file-name-safe slug: no "/", "..", control characters or spaces; never empty.

    Callers that need distinct slugs for distinct names (``store``) add ``name_hash`` on
    collision, since "News" and "news" share a slug here.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    slug = _NOT_WORD.sub("-", text).strip("-_")[:MAX_SLUG].strip("-_")
    return slug or f"x-{name_hash(name)}"


# Anything an HTML parser would take for the start of a tag, comment or declaration.
_TAG = re.compile(r"<[A-Za-z!?/][^<>]*>?")


def strip_markup(text: str) -> str:
    """Titles, authors and tags are plain text, but some readers render them as HTML: no
    tag (complete or cut off) survives. ``a < b`` stays."""
    previous = None
    while previous != text:  # <scr<script>ipt> leaves a new tag behind once
        previous, text = text, _TAG.sub("", text)
    return text


def clean_name(name: str) -> str:
    """A display name: no markup or control characters, whitespace collapsed, NFC."""
    text = strip_markup(unicodedata.normalize("NFC", name))
    if not text.isprintable():  # printable: no control or format character (the usual case)
        # Format characters (zero-width space, bidi marks) go; other controls become spaces.
        text = "".join(
            "" if cat == "Cf" else " " if cat[0] == "C" else ch
            for ch, cat in ((ch, unicodedata.category(ch)) for ch in text)
        )
    return " ".join(text.split())
