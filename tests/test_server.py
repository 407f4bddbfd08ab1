"""The site server: the ASGI app over real files, driven through Starlette's test client."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from feedsvc.metrics import Metrics
from feedsvc.server import PublicFiles, create_app

FEED = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">' \
       + b"<title>t</title>" * 200 + b"</feed>\n"


@pytest.fixture
def public(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    (root / "sources").mkdir(parents=True)
    (root / "all.xml").write_bytes(FEED)
    (root / "sources" / "新闻.xml").write_bytes(FEED)
    (root / "index.html").write_text("<!doctype html><title>feeds</title>", encoding="utf-8")
    (root / "feeds.opml").write_text("<opml/>", encoding="utf-8")
    (root / ".all.xml.123.tmp").write_bytes(b"half a feed")
    (tmp_path / "secret.txt").write_text("outside public/", encoding="utf-8")
    return root


@pytest.fixture
def client(public: Path) -> TestClient:
    return TestClient(create_app(public, max_age=120))


def test_feed_served_with_type_validators_and_cache_headers(client: TestClient) -> None:
    response = client.get("/all.xml", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.content == FEED
    assert response.headers["etag"].startswith('"') and response.headers["last-modified"]
    assert response.headers["cache-control"] == "public, max-age=120"
    assert client.get("/feeds.opml").headers["content-type"].startswith("text/x-opml")
    index = client.get("/")
    assert index.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in index.headers["content-security-policy"]
    assert client.get("/sources/%E6%96%B0%E9%97%BB.xml").content == FEED


def test_conditional_requests_answer_304(client: TestClient) -> None:
    first = client.get("/all.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/all.xml", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert client.get("/all.xml", headers={"if-none-match": f'"other", W/{etag}'}) \
        .status_code == 304
    assert client.get("/all.xml", headers={"if-modified-since": modified}).status_code == 304
    assert client.get("/all.xml", headers={"if-none-match": '"other"'}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    assert client.get("/all.xml", headers={"if-none-match": '"other"',
                                           "if-modified-since": modified}).status_code == 200
    assert client.get("/all.xml", headers={"if-modified-since": "not a date"}) \
        .status_code == 200


def test_replaced_file_gets_a_new_etag(client: TestClient, public: Path) -> None:
    etag = client.get("/all.xml").headers["etag"]
    temporary = public / ".new.tmp"
    temporary.write_bytes(FEED.replace(b"<title>t</title>", b"<title>u</title>", 1))
    os.replace(temporary, public / "all.xml")  # how publish writes: atomically
    response = client.get("/all.xml", headers={"if-none-match": etag})
    assert response.status_code == 200 and b"<title>u</title>" in response.content
    assert response.headers["etag"] != etag


def test_gzip_when_accepted_only(client: TestClient) -> None:
    zipped = client.get("/all.xml", headers={"accept-encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(FEED) / 5
    assert zipped.content == FEED  # the client decodes it
    assert zipped.headers["vary"] == "accept-encoding"
    plain = client.get("/all.xml", headers={"accept-encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(FEED)
    # The gzip ETag validates the same file.
    again = client.get("/all.xml", headers={"accept-encoding": "gzip",
                                            "if-none-match": zipped.headers["etag"]})
    assert again.status_code == 304


def test_gzip_body_is_real_gzip(public: Path) -> None:
    files = PublicFiles(public)
    status, headers, body = files.respond("GET", "/all.xml", b"/all.xml",
                                          {b"accept-encoding": b"gzip"})
    assert status == 200 and (b"content-encoding", b"gzip") in headers
    assert gzip.decompress(body) == FEED


@pytest.mark.parametrize("path", [
    b"/../secret.txt", b"/sources/../../secret.txt", b"/%2e%2e/secret.txt",
    b"/sources%2f..%2f..%2fsecret.txt", b"/sources%5c..%5csecret.txt", b"/.all.xml.123.tmp",
    b"/all.xml%00.html", b"/..%2fsecret.txt", b"//etc/passwd", b"/nothing.xml",
    b"/sources/", b"/link-out/secret.txt", b"/escape.txt",
])
def test_no_path_outside_public_is_readable(public: Path, path: bytes) -> None:
    (public / "link-out").symlink_to(public.parent, target_is_directory=True)
    (public / "escape.txt").symlink_to(public.parent / "secret.txt")
    files = PublicFiles(public)
    from urllib.parse import unquote_to_bytes
    decoded = unquote_to_bytes(path).decode("utf-8", "replace")
    status, _, body = files.respond("GET", decoded, path, {})
    assert status == 404 and b"outside" not in body


def test_symlink_inside_public_is_served(public: Path) -> None:
    (public / "latest.xml").symlink_to(public / "all.xml")
    status, _, body = PublicFiles(public).respond("GET", "/latest.xml", None, {})
    assert (status, body) == (200, FEED)


def test_head_and_other_methods(client: TestClient) -> None:
    head = client.head("/all.xml", headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(FEED)
    assert client.post("/all.xml").status_code == 405


def test_healthz_and_metrics_without_daemon(public: Path) -> None:
    metrics = Metrics()
    client = TestClient(create_app(public, metrics=metrics))
    client.get("/all.xml")
    client.get("/missing.xml")
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    text = client.get("/metrics").text
    assert 'feedsvc_http_responses_total{code="200"} 1.0' in text
    assert 'feedsvc_http_responses_total{code="404"} 1.0' in text


def test_unhealthy_daemon_answers_503(public: Path) -> None:
    client = TestClient(create_app(public, health=lambda: (False, {"scheduler": {
        "running": False}})))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "unhealthy"
