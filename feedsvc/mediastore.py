"""Images kept once, by content (issue 23): ``<root>/ab/cdef….webp``, where ``abcdef…`` is
the SHA-256 of the bytes. Every article using the same picture shares one file; storing
costs one hash and, for bytes not seen before, one write (``atomicfile``: a crash leaves no
half file under a real name).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from feedsvc.atomicfile import replace_file
from feedsvc.errors import StoreError
from feedsvc.mediatype import ImageInfo


@dataclass(frozen=True, slots=True)
class StoredMedia:
    digest: str  # SHA-256 of the bytes, hex
    path: Path
    new: bool  # False: the same bytes were kept already


def media_path(root: Path, digest: str, extension: str) -> Path:
    return root / digest[:2] / f"{digest[2:]}.{extension}"


def relative_path(digest: str, extension: str) -> str:
    """Where the file lives under the media folder, as a URL path (``ab/cdef….webp``)."""
    return f"{digest[:2]}/{digest[2:]}.{extension}"


def store_media(root: Path, data: bytes, info: ImageInfo) -> StoredMedia:
    """Keep ``data`` (already identified as ``info``) under ``root``, once."""
    digest = hashlib.sha256(data).hexdigest()
    path = media_path(root, digest, info.extension)
    if path.exists():
        return StoredMedia(digest, path, new=False)
    try:
        replace_file(path, data)  # readable by all: publish links it into public/
    except OSError as exc:
        raise StoreError(f"{path}: cannot keep the image: {exc.strerror or exc}") from exc
    return StoredMedia(digest, path, new=True)
