"""robots.txt for article pages (RFC 9309), read once a day per host through the same
polite fetcher as everything else. Feeds are not checked: a feed is published to be
fetched by programs; an article page is fetched on the reader's behalf only when allowed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

AGENT = "feedsvc"  # the product token matched against User-agent lines
TTL_SECONDS = 24 * 3600  # RFC 9309 §2.4: a cached copy is not used for more than 24 hours
ROBOTS_MAX_BYTES = 500 * 1024  # §2.5: at least 500 KiB must be parsed; more is ignored

# (status, body) of GET /robots.txt; status 0 when the server could not be reached
FetchRobots = Callable[[str], Awaitable[tuple[int, bytes | None]]]


@dataclass(slots=True)
class _Rules:
    parser: RobotFileParser | None  # None: everything allowed
    disallow_all: bool
    expires: float


class RobotsRules:
    def __init__(self, fetch: FetchRobots, agent: str = AGENT) -> None:
        self._fetch = fetch
        self._agent = agent
        self._hosts: dict[str, _Rules] = {}
        self._loading: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        # One request per host however many of its pages are wanted at once.
        async with self._loading.setdefault(origin, asyncio.Lock()):
            rules = self._hosts.get(origin)
            if rules is None or rules.expires < time.monotonic():
                rules = await self._load(origin)
                self._hosts[origin] = rules
        if rules.disallow_all:
            return False
        return rules.parser is None or rules.parser.can_fetch(self._agent, url)

    async def _load(self, origin: str) -> _Rules:
        status, body = await self._fetch(f"{origin}/robots.txt")
        expires = time.monotonic() + TTL_SECONDS
        if status == 200 and body is not None:
            parser = RobotFileParser()
            text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
            parser.parse(text.splitlines())
            return _Rules(parser, False, expires)
        if 400 <= status < 500:  # §2.3.1.3: unavailable, so no rules
            return _Rules(None, False, expires)
        # §2.3.1.4: unreachable (5xx, network): assume complete disallow, and ask again soon
        return _Rules(None, True, time.monotonic() + 600)
