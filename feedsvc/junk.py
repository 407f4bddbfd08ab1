"""What is not the article: ad slots, paywall stubs, share and tracking widgets.

All rules live here. To handle a new outlet, add its selectors or class/id patterns below
under a comment naming it; ``clean.py`` applies every rule to every article.
"""

from __future__ import annotations

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

# CSS selectors, by outlet (https://facelessuser.github.io/soupsieve/ syntax).
SELECTORS: dict[str, tuple[str, ...]] = {
    "zaobao": ("section#imu", "#innity-in-post", ".cx_paywall_placeholder", ".dfp-tag-wrapper"),
    "cna": (".bottomArticleBanner", "#zoomattribute"),
    "reuters": (".trustBadgeUrl", "[class*=trustBadge]"),
    "bbc": ("#dotcom-mpu", "[id^=dotcom-]"),
    "economist": ("[id^=gpt-ad-slot]",),
    "wordpress": (".entry-meta", ".entry-header", ".sharedaddy", "#jp-relatedposts",
                  ".jp-relatedposts", ".entry-footer", ".post-tags",
                  ".sharing-screen-reader-text", ".site-posted-on", ".published-on"),
    "jekyll mirrors": ("#sametag", ".pagination", ".fab-wrapper", ".ssk-group", ".ssk",
                       ".wrapper-masthead", ".wrapper-footer"),
    "tracking pixels": ("img[width='1'][height='1']", "img[width='0']", "img[height='0']"),
}

# Regular expressions matched against each class name and the id (whole token, no case).
TOKEN_PATTERNS: dict[str, tuple[str, ...]] = {
    "ad networks": (
        r"ads?", r"advert(isement)?s?", r"adsbygoogle", r"ad[-_ ].*", r"ads[-_ ].*",
        r".*[-_]ads?", r"dfp-.*", r"div-gpt-ad.*", r"gpt-ad.*", r"adslot.*", r".*[-_]adslot.*",
        r"inline ad", r"sponsor(ed)?.*", r"taboola.*", r"trc_.*", r"tbl-.*", r"outbrain.*",
        r"ob-widget.*", r"innity.*",
    ),
    "paywalls": (r".*paywall.*", r"m-interstitial.*", r"piano-.*", r"tp-modal.*"),
    "ft": (r"o-ads.*", r"in-article-advert"),
    "rfi": (r"m-block-ad.*", r"o-self-promo.*"),
    "cna": (r"pcbox", r"mbbox", r"js_(pc|mb)box.*"),
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
JUNK_SELECTOR = ", ".join(s for group in SELECTORS.values() for s in group)


def is_junk_token(token: str) -> bool:
    return bool(JUNK_TOKEN.fullmatch(token.strip()))
