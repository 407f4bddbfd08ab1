"""Images kept once, by content (issue 23): ``<root>/ab/cdef….webp``, where ``abcdef…`` is
the SHA-256 of the bytes. Every article using the same picture shares one file; storing
costs one hash and, for bytes not seen before, one write (to a temporary file renamed into
place, so a crash leaves no half file under a real name).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

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
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StoreError(f"{path}: cannot keep the image: {exc.strerror or exc}") from exc
    return StoredMedia(digest, path, new=True)
