"""Images identified from their bytes and kept once by content (issue 23, the foundation:
nothing downloads images yet). Real files made with Pillow; hostile ones built by hand."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from feedsvc.mediastore import media_path, store_media
from feedsvc.mediatype import MediaRefusedError, identify

LIMIT = 10 * 1024 * 1024


def picture(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "media_type", "extension"), [
    ("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("GIF", "image/gif", "gif"),
    ("WEBP", "image/webp", "webp"), ("AVIF", "image/avif", "avif")])
def test_raster_images_are_identified_from_their_bytes(fmt: str, media_type: str,
                                                       extension: str) -> None:
    info = identify(picture(fmt), LIMIT)
    assert (info.media_type, info.extension, info.width, info.height) == (
        media_type, extension, 64, 48)


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header says ``width`` × ``height``, with a few bytes of pixel data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "reason"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
    (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "markup"),  # "image/png"
    (b"\x00\x01binary junk that is no image at all" * 10, "not a JPEG, PNG"),
    (png_header(50_000, 50_000), "image bomb"),
    (png_header(40_000, 10), "image bomb"),  # one side too long
    (picture("PNG")[:60], "damaged"),  # truncated
    (b"", "empty"),
])
def test_what_is_not_a_safe_raster_image_is_refused_with_a_reason(data: bytes,
                                                                   reason: str) -> None:
    with pytest.raises(MediaRefusedError, match=reason):
        identify(data, LIMIT)


def test_an_image_bomb_is_refused_from_its_header_only() -> None:
    bomb = png_header(50_000, 50_000)
    assert len(bomb) < 200  # a few bytes claiming 2.5 billion pixels
    with pytest.raises(MediaRefusedError, match=r"image bomb.*2,?500,?000,?000 pixels"):
        identify(bomb, LIMIT)  # Pillow's own guard speaks first, past 179 million pixels


def test_an_oversized_file_is_refused_before_it_is_read() -> None:
    data = picture("PNG", (300, 300))
    with pytest.raises(MediaRefusedError, match="over the limit"):
        identify(data, len(data) - 1)
    assert identify(data, len(data)).width == 300


def test_the_same_bytes_are_kept_once_by_their_hash(tmp_path: Path) -> None:
    data = picture("WEBP")
    info = identify(data, LIMIT)
    first = store_media(tmp_path, data, info)
    again = store_media(tmp_path, data, info)
    assert first.new and not again.new and first.path == again.path
    assert first.path == media_path(tmp_path, first.digest, "webp")
    assert first.path.parent.name == first.digest[:2]
    assert first.path.name == f"{first.digest[2:]}.webp"
    assert first.path.read_bytes() == data
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [first.path.name]
    other = store_media(tmp_path, picture("WEBP", (10, 10)), info)
    assert other.new and other.path != first.path


def test_the_images_of_an_article_are_found_in_order_once() -> None:
    from feedsvc.mediarefs import chosen_candidate, image_urls

    content = """<p>Text</p>
<figure><img src="https://img.example/a.jpg" alt="a" width="640" height="480"
  srcset="https://img.example/a-320.jpg 320w, https://img.example/a-1280.jpg 1280w,
          https://img.example/a-800.jpg 800w"><figcaption>A</figcaption></figure>
<picture><source type="image/svg+xml" srcset="https://img.example/b.svg">
  <source type="image/webp" srcset="https://img.example/b.webp 1x, https://img.example/b@2x.webp 2x">
  <img src="https://img.example/b.jpg"></picture>
<video poster="https://img.example/poster.png" src="https://v.example/v.mp4"></video>
<img src="data:image/gif;base64,R0lGOD"><img src="https://img.example/a.jpg">
<img src="javascript:alert(1)">"""
    assert image_urls(content) == [
        "https://img.example/a.jpg", "https://img.example/a-1280.jpg",
        "https://img.example/b@2x.webp", "https://img.example/b.jpg",
        "https://img.example/poster.png"]
    assert image_urls(content, limit=2) == ["https://img.example/a.jpg",
                                            "https://img.example/a-1280.jpg"]
    assert chosen_candidate("https://x/1.jpg") == "https://x/1.jpg"
    assert chosen_candidate("") == ""
    assert image_urls("<p>no pictures</p>") == []
