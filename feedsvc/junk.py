"""What is not the article: ad slots, paywall stubs, share and tracking widgets.

All rules live here. To handle a new outlet, add its selectors or class/id patterns below
under a comment naming it; ``clean.py`` applies every rule to every article.
"""

from __future__ import annotations

import functools
import re

# Removed with everything inside them, whatever the outlet.
DROP_TAGS = (
    "script", "style", "template", "form", "button", "select", "textarea", "object", "applet",
    "frameset", "frame", "nav", "dialog", "svg", "math", "canvas", "map",
    # page chrome around the article: title repeats, bylines, share bars, pull-outs
    "header", "footer", "aside",
)

# Removed, but what follows them is kept: these are void (or fallback) elements, and lxml
# hangs the rest of a malformed document under them (``<embed><p>text`` nests the p).
UNWRAP_TAGS = ("embed", "input", "link", "meta", "base", "param", "keygen", "track", "area")

# Regular expressions matched against each class name and the id (whole token, no case).
# One pass over the tree checks them all, so a new rule costs next to nothing.
TOKEN_PATTERNS: dict[str, tuple[str, ...]] = {
    "zaobao": (r"imu", r"innity-in-post", r"cx_paywall_placeholder", r"dfp-tag-wrapper"),
    "cna": (r"pcbox", r"mbbox", r"js_(pc|mb)box.*", r"bottomarticlebanner", r"zoomattribute"),
    "reuters": (r"trustbadge.*",),
    "bbc": (r"dotcom-.*",),
    "wordpress": (r"entry-meta", r"entry-header", r"entry-footer", r"sharedaddy",
                  r"jp-relatedposts.*", r"post-tags", r"sharing-screen-reader-text",
                  r"site-posted-on", r"published-on"),
    "jekyll mirrors": (r"sametag", r"pagination", r"fab-wrapper", r"ssk", r"ssk-group",
                       r"wrapper-masthead", r"wrapper-footer"),
    "ad networks": (
        r"ads?", r"advert(isement)?s?", r"adsbygoogle", r"ad[-_ ].*", r"ads[-_ ].*",
        r".*[-_]ads?", r"dfp-.*", r"div-gpt-ad.*", r"gpt-ad.*", r"adslot.*", r".*[-_]adslot.*",
        r"inline ad", r"sponsor(ed)?.*", r"taboola.*", r"trc_.*", r"tbl-.*", r"outbrain.*",
        r"ob-widget.*", r"innity.*",
    ),
    # Not a bare "paywall": Condé Nast pages (Wired, The New Yorker) mark each paragraph of
    # the article itself with it (the metered text); stubs and prompts have longer names.
    "paywalls": (r"(?!paywall$).*paywall.*", r"m-interstitial.*", r"piano-.*", r"tp-modal.*"),
    "ft": (r"o-ads.*", r"in-article-advert"),
    "rfi": (r"m-block-ad.*", r"o-self-promo.*"),
    "nei.st": (r"iframe-blocker", r"code-block"),
    "sharing": (r"share", r"share-.*", r"sharing", r"social-share.*", r"ssk-.*", r"addthis.*",
                r"a2a_.*", r"newsletter-signup.*"),
}

# A block whose text starts like this is a feed aggregator's or mirror's footer.
FOOTER_TEXTS = (
    "获取更多RSS", "獲取更多RSS", "Feed enhanced by", "文章版权归原作者所有", "Get more RSS",
)

JUNK_TOKEN = re.compile(
    "|".join(f"(?:{p})" for patterns in TOKEN_PATTERNS.values() for p in patterns),
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)
def is_junk_token(token: str) -> bool:
    """Cached: class names repeat across an outlet's articles (``img-fluid``, ``lazyload``),
    and the alternation of every pattern is the costly part of junk removal."""
    return bool(JUNK_TOKEN.fullmatch(token.strip()))
