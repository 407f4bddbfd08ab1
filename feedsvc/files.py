"""Article files: find them, sniff their format by content, read them into ``Article``s."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from feedsvc.decode import decode_text
from feedsvc.defaults import MAX_FILE_BYTES
from feedsvc.errors import ParseError
from feedsvc.formats.jekyll import looks_like_post, read_post
from feedsvc.formats.page import looks_like_page, read_page
from feedsvc.formats.wire import read_wire
from feedsvc.models import Article


def sniff_format(text: str) -> str:
    """``post`` (Jekyll), ``page`` (HTML) or ``wire`` (plain text); the extension is ignored."""
    if looks_like_post(text):
        return "post"
    if looks_like_page(text):
        return "page"
    return "wire"


READERS = {"post": read_post, "page": read_page, "wire": read_wire}


def iter_article_files(paths: Iterable[str | Path],
                       skip: Collection[Path] = ()) -> Iterator[Path]:
    """Every file under ``paths`` (folders recursively, sorted), hidden ones and those
    under the folders in ``skip`` left out."""
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
            yield from (p for p in found
                        if not any(part.startswith(".") for part in p.relative_to(path).parts)
                        and not any(folder in p.parents for folder in skip))
        else:
            yield path


def read_article_file(path: str | Path) -> Article:
    """Read one file; ``ParseError`` says which file and why when it holds no article."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ParseError(f"{path}: {size:,} bytes is larger than the {MAX_FILE_BYTES:,} "
                             "bytes an article file may have")
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return read_article_text(decode_text(data, str(path)), str(path))


def read_article_text(text: str, origin: str) -> Article:
    if not text.strip():
        raise ParseError(f"{origin}: empty file")
    article = READERS[sniff_format(text)](text, origin)
    if not article.title.strip() and not article.content_html.strip():
        raise ParseError(f"{origin}: no title and no text found")
    return article
