"""The hostile-input corpus (see ``xss_vectors.txt`` for where each vector comes from) and the
check every published document must pass: nothing a browser or a reader would execute."""

from __future__ import annotations

import html
import re
from pathlib import Path

import lxml.html

HERE = Path(__file__).parent

# Elements that run code, load active content, restyle or re-target the page, or submit it.
ACTIVE_ELEMENTS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta",
    "link", "style", "form", "input", "button", "select", "textarea", "keygen", "isindex",
    "svg", "math", "template", "xmp", "plaintext", "noscript", "param", "bgsound", "html",
    "body", "head", "title", "marquee", "map", "area",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "background", "poster", "dynsrc",
                  "lowsrc", "data", "codebase", "cite", "xlink:href", "longdesc", "srcdoc",
                  "usemap"}
SAFE_URL = re.compile(r"^(?:https?://|mailto:|#|/|\.{0,2}/?[\w.-]*(?:[/?#]|$))", re.IGNORECASE)
_CONTROLS = re.compile(r"[\x00-\x20\x7f]+")


def xss_vectors() -> list[str]:
    lines = (HERE / "xss_vectors.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


# Our own pages (index, search) are whole documents with a head, a style and a search form.
PAGE_FRAME = {"html", "head", "body", "title", "meta", "link", "style", "form", "input",
              "button"}


def executable_parts(markup: str, page: bool = False) -> list[str]:
    """What in ``markup`` could execute or take over the page: an HTML fragment (entry
    content, a title...) or, with ``page``, one of our whole pages."""
    if not markup.strip():
        return []
    found = []
    root = (lxml.html.document_fromstring(markup) if page
            else lxml.html.fromstring(f"<div>{markup}</div>"))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions are inert
        tag = element.tag.lower().rsplit("}", 1)[-1]
        if tag in ACTIVE_ELEMENTS and not (page and tag in PAGE_FRAME):
            found.append(f"<{tag}>")
        # refresh, Link, Set-Cookie...: not Content-Type (XSLT writes it) nor our own
        # Content-Security-Policy (a policy can only take powers away)
        if page and tag == "meta" and element.get("http-equiv", "content-type").lower() \
                not in ("content-type", "content-security-policy"):
            found.append("<meta http-equiv>")
        if page and tag == "form" and element.get("action") != "search":
            found.append(f"<form action={element.get('action')}>")
        found += [f"{tag} {problem}" for name, value in element.attrib.items()
                  if (problem := _attribute_problem(name.lower().rsplit("}", 1)[-1], value))]
    return found


def _attribute_problem(name: str, value: str) -> str | None:
    if name.startswith("on"):
        return f"{name}="
    if name in URL_ATTRIBUTES or name == "srcset":
        for url in (value.split(",") if name == "srcset" else [value]):
            url = _CONTROLS.sub("", html.unescape(url.strip())).split(" ")[0]
            if url and not SAFE_URL.match(url):
                return f"{name}={url[:40]}"
    if name == "style" and re.search(r"expression|url\s*\(|behavior|binding|"
                                     r"position\s*:\s*fixed", value, re.I):
        return f"style={value[:40]}"
    if name == "rel" and "opener" in value.split():
        return "rel=opener"
    return None


def hostile_rss() -> bytes:
    """An RSS feed whose every field holds each XSS vector, raw and escaped."""
    vectors = xss_vectors()
    items = []
    for n, vector in enumerate(vectors):
        for variant, body in (("raw", vector), ("escaped", html.escape(vector))):
            text = html.escape(body)  # as XML character data: the HTML is ``body``
            items.append(
                f"<item><title>{text}</title><link>https://news.example/{variant}/{n}</link>"
                f"<description>{text}</description><dc:creator>{text}</dc:creator>"
                f"<category>{html.escape(vector)}</category>"
                f"<content:encoded><![CDATA[<p>Story {n}.</p>{body.replace(']]>', '')}]]>"
                f"</content:encoded></item>")
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f'<title>{html.escape(vectors[0])} Hostile</title><link>https://news.example/</link>'
            f'{"".join(items)}</channel></rss>').encode()
