"""What a downloaded image is, from its bytes alone, and whether it may be kept (issue 23).

The type comes from the bytes, never from the Content-Type header or the extension: only
raster images Pillow identifies as JPEG, PNG, GIF, WebP or AVIF are kept. SVG (which can
carry scripts), HTML served as ``image/png``, and everything else are refused with a
reason. Dimensions are read from the file's header, before anything is decoded, so an image
bomb (50,000 × 50,000 pixels in a few kilobytes) is refused without allocating its pixels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from feedsvc.errors import FeedsvcError

# Pillow's format name -> (media type, file extension)
RASTER = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
    "AVIF": ("image/avif", "avif"),
}
MAX_PIXELS = 50_000_000  # a 50-megapixel photograph is kept; more is a bomb, not a picture
MAX_SIDE = 30_000
_MARKUP = (b"<svg", b"<?xml", b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<")


class MediaRefusedError(FeedsvcError):
    """A file that is not kept, with the reason in words."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    media_type: str  # image/jpeg...
    extension: str  # jpg, png, gif, webp, avif
    width: int
    height: int


def identify(data: bytes, max_bytes: int) -> ImageInfo:
    """The image ``data`` holds, or ``MediaRefusedError`` saying why it is not kept."""
    if len(data) > max_bytes:
        raise MediaRefusedError(f"{len(data):,} bytes, over the limit of {max_bytes:,}")
    if not data:
        raise MediaRefusedError("empty")
    opening = data[:256].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if opening.startswith(_MARKUP):
        kind = "SVG" if b"<svg" in data[:4096].lower() else "markup (HTML or XML)"
        raise MediaRefusedError(f"{kind}, not a raster image")
    with warnings.catch_warnings():
        # Pillow warns (and past twice its limit, raises) about bombs; we decide below
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(RASTER)) as image:
                name = image.format or ""
                width, height = image.size
                _check_size(width, height)
                image.verify()  # the file's structure, without decoding its pixels
        except MediaRefusedError:
            raise
        except Image.DecompressionBombError as exc:
            raise MediaRefusedError(f"an image bomb: {exc}") from exc
        except UnidentifiedImageError as exc:
            raise MediaRefusedError("not a JPEG, PNG, GIF, WebP or AVIF image") from exc
        except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt
            raise MediaRefusedError(f"a damaged image: {exc}") from exc
    if name not in RASTER:
        raise MediaRefusedError(f"{name or 'unknown'} images are not kept")
    media_type, extension = RASTER[name]
    return ImageInfo(media_type, extension, width, height)


def _check_size(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise MediaRefusedError(f"no size ({width} × {height})")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise MediaRefusedError(f"an image bomb: {width:,} × {height:,} pixels "
                           f"(at most {MAX_PIXELS:,} pixels, {MAX_SIDE:,} a side)")
