"""Load and validate ``config.yaml`` once; every path in it resolves against its folder."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from feedsvc import defaults
from feedsvc.errors import ConfigError
from feedsvc.models import (
    Config,
    FetchConfig,
    MediaConfig,
    PublicConfig,
    RecheckConfig,
    ServerConfig,
    SourceConfig,
    StoryConfig,
)
from feedsvc.urls import is_http_url

DEFAULT_CONFIG = defaults.CONFIG_FILE
CONFIG_ENV = "FEEDSVC_CONFIG"
TOP_KEYS = {"database", "inbox", "library", "aliases", "public", "sources", "fetch", "server",
            "recheck", "stories", "media"}
FETCH_KEYS = {"concurrency", "per_host", "timeout", "max_bytes", "user_agent"}
SERVER_KEYS = {"host", "port", "max_age"}
DEFAULT_BASE_URL = defaults.BASE_URL
PUBLIC_KEYS = {"dir", "base_url", "entries_per_feed", "title", "media"}
SOURCE_KEYS = {"name", "url", "slug", "tags", "every", "lang", "full_text", "robots", "media"}
FULL_TEXT_MODES = ("auto", "always", "never")
ROBOTS_MODES = ("obey", "ignore")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(value: object) -> int | None:
    """``20MB`` -> bytes (binary units: 1 MB = 1024 KB); a bare number is bytes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    match = _SIZE.match(str(value))
    if not match:
        return None
    unit = (match.group(2) or "").lower()[:1]
    size = int(float(match.group(1)) * _SIZE_UNITS[unit])
    return size or None


def parse_duration(value: object) -> int | None:
    """``15m`` -> 900 seconds; a bare number is seconds. None if it is not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value > 0 else None
    match = _DURATION.match(str(value))
    if not match:
        return None
    seconds = int(float(match.group(1)) * _UNITS[match.group(2)])
    return seconds or None


def config_path(explicit: str | None) -> Path:
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


class _Checker:
    """Builds one-line error messages that name the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        return ConfigError(where + problem)

    def mapping(self, value: object, key: str, allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {_shown(value)}")
        for name in value:
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(f"{key}.{name}" if key else str(name),
                                f"unknown key (known keys: {known})")
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected a non-empty string, got {_shown(value)}")
        return value.strip()

    def integer(self, value: object, key: str, minimum: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"expected an integer >= {minimum}, got {_shown(value)}")
        return value

    def choice(self, value: object, key: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(key, f"expected one of {', '.join(choices)}, got {_shown(value)}")
        return str(value)

    def url(self, value: object, key: str) -> str:
        text = self.text(value, key)
        if not is_http_url(text):
            raise self.fail(key, f"expected an http(s) URL, got {_shown(value)}")
        return text


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_config(path: str | Path) -> Config:
    """Read, validate and resolve a configuration file. Raises ``ConfigError``."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file (looked for {path.absolute()}; "
                          f"use --config FILE or set {CONFIG_ENV})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None)
        raise ConfigError(f"{path}: not valid YAML{where}" + (f": {problem}" if problem else "")) \
            from exc
    check = _Checker(path)
    top = check.mapping(raw, "", TOP_KEYS)
    folder = path.resolve().parent

    def resolve(value: object, key: str, default: str) -> str:
        text = check.text(value, key) if value is not None else default
        return str((folder / Path(text).expanduser()).resolve())

    public = check.mapping(top.get("public"), "public", PUBLIC_KEYS)
    base_url = check.url(public.get("base_url", DEFAULT_BASE_URL), "public.base_url")
    return Config(
        path=str(path),
        database=resolve(top.get("database"), "database", defaults.DATABASE),
        inbox=resolve(top.get("inbox"), "inbox", defaults.INBOX),
        library=tuple(resolve(folder, f"library[{n}]", "")
                      for n, folder in enumerate(_folders(check, top.get("library")))),
        public=PublicConfig(
            dir=resolve(public.get("dir"), "public.dir", defaults.PUBLIC_DIR),
            base_url=base_url if base_url.endswith("/") else base_url + "/",
            entries_per_feed=check.integer(
                public.get("entries_per_feed", defaults.ENTRIES_PER_FEED),
                "public.entries_per_feed"),
            title=check.text(public.get("title", defaults.SITE_TITLE), "public.title"),
            media=check.choice(public.get("media", "local"), "public.media",
                               ("local", "original")),
        ),
        sources=_sources(check, top.get("sources")),
        aliases=_aliases(check, top.get("aliases")),
        fetch=_fetch(check, top.get("fetch")),
        server=_server(check, top.get("server")),
        recheck=_recheck(check, top.get("recheck")),
        stories=_stories(check, top.get("stories")),
        media=_media(check, top.get("media")),
    )


MEDIA_KEYS = {"inbox", "max_bytes", "max_per_article", "max_total"}
MEDIA_MODES = ("keep", "link")


def _media(check: _Checker, value: object) -> MediaConfig:
    """``media: keep`` (or ``link``) for the inbox alone, or a mapping with ``inbox`` and
    the limits."""
    if isinstance(value, str):
        return MediaConfig(inbox=check.choice(value, "media", MEDIA_MODES))
    entry = check.mapping(value, "media", MEDIA_KEYS)
    sizes = []
    for key, default in (("max_bytes", defaults.MEDIA_MAX_BYTES),
                         ("max_total", defaults.MEDIA_MAX_TOTAL)):
        size = parse_size(entry.get(key, default))
        if size is None:
            raise check.fail(f"media.{key}", f"expected a size like 10MB, got "
                                             f"{_shown(entry.get(key))}")
        sizes.append(size)
    return MediaConfig(
        inbox=check.choice(entry.get("inbox", "keep"), "media.inbox", MEDIA_MODES),
        max_bytes=sizes[0], max_total=sizes[1],
        max_per_article=check.integer(entry.get("max_per_article",
                                                defaults.MEDIA_MAX_PER_ARTICLE),
                                      "media.max_per_article", minimum=0))


STORY_KEYS = {"copies_window", "coverage_window", "coverage"}


def _stories(check: _Checker, value: object) -> StoryConfig:
    entry = check.mapping(value, "stories", STORY_KEYS)
    windows = []
    for key, default in (("copies_window", defaults.STORY_COPIES_WINDOW),
                         ("coverage_window", defaults.STORY_COVERAGE_WINDOW)):
        seconds = parse_duration(entry.get(key, default))
        if seconds is None:
            raise check.fail(f"stories.{key}",
                             f"expected a duration like 14d, got {_shown(entry.get(key))}")
        windows.append(seconds)
    coverage = entry.get("coverage", True)
    if not isinstance(coverage, bool):
        raise check.fail("stories.coverage", f"expected true or false, got {_shown(coverage)}")
    return StoryConfig(copies_window=windows[0], coverage_window=windows[1], coverage=coverage)


RECHECK_KEYS = {"schedule", "per_host_daily", "concurrency"}


def _recheck(check: _Checker, value: object) -> RecheckConfig:
    entry = check.mapping(value, "recheck", RECHECK_KEYS)
    steps = entry.get("schedule", list(defaults.RECHECK_SCHEDULE))
    if not isinstance(steps, list):
        raise check.fail("recheck.schedule", f"expected a list of durations like [30m, 2h, 1d], "
                         f"got {_shown(steps)}")
    schedule = []
    for index, step in enumerate(steps):
        seconds = parse_duration(step)
        if seconds is None:
            raise check.fail(f"recheck.schedule[{index}]",
                             f"expected a duration like 30m, got {_shown(step)}")
        schedule.append(seconds)
    return RecheckConfig(
        schedule=tuple(sorted(schedule)),
        per_host_daily=check.integer(entry.get("per_host_daily",
                                               defaults.RECHECK_PER_HOST_DAILY),
                                     "recheck.per_host_daily"),
        concurrency=check.integer(entry.get("concurrency", defaults.RECHECK_CONCURRENCY),
                                  "recheck.concurrency"))


def _server(check: _Checker, value: object) -> ServerConfig:
    entry = check.mapping(value, "server", SERVER_KEYS)
    port = entry.get("port", defaults.SERVER_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise check.fail("server.port", f"expected a port number 0-65535, got {_shown(port)}")
    max_age = parse_duration(entry.get("max_age", defaults.SERVER_MAX_AGE)) \
        if entry.get("max_age") != 0 else 0
    if max_age is None:
        raise check.fail("server.max_age", f"expected a duration like 60s, got "
                         f"{_shown(entry.get('max_age'))}")
    return ServerConfig(host=check.text(entry.get("host", defaults.SERVER_HOST), "server.host"),
                        port=port, max_age=max_age)


def _fetch(check: _Checker, value: object) -> FetchConfig:
    entry = check.mapping(value, "fetch", FETCH_KEYS)
    timeout = parse_duration(entry.get("timeout", defaults.FETCH_TIMEOUT_SECONDS))
    if timeout is None:
        raise check.fail("fetch.timeout", f"expected a duration like 20s, got "
                         f"{_shown(entry.get('timeout'))}")
    max_bytes = parse_size(entry.get("max_bytes", defaults.FETCH_MAX_BYTES))
    if max_bytes is None:
        raise check.fail("fetch.max_bytes", f"expected a size like 20MB, got "
                         f"{_shown(entry.get('max_bytes'))}")
    agent = entry.get("user_agent")
    return FetchConfig(
        concurrency=check.integer(entry.get("concurrency", defaults.FETCH_CONCURRENCY),
                                  "fetch.concurrency"),
        per_host=check.integer(entry.get("per_host", defaults.FETCH_PER_HOST), "fetch.per_host"),
        timeout_seconds=float(timeout),
        max_bytes=max_bytes,
        user_agent=check.text(agent, "fetch.user_agent") if agent is not None else "",
    )


def _sources(check: _Checker, value: object) -> tuple[SourceConfig, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise check.fail("sources", f"expected a list, got {_shown(value)}")
    sources = []
    for index, item in enumerate(value):
        key = f"sources[{index}]"
        entry = check.mapping(item, key, SOURCE_KEYS)
        every = entry.get("every", defaults.EVERY_SECONDS)
        seconds = parse_duration(every)
        if seconds is None:
            raise check.fail(f"{key}.every", f"expected a duration like 15m, got {_shown(every)}")
        tags = entry.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
            raise check.fail(f"{key}.tags", f"expected a list of names, got {_shown(tags)}")
        sources.append(SourceConfig(
            name=check.text(entry.get("name"), f"{key}.name"),
            url=check.url(entry.get("url"), f"{key}.url"),
            slug=check.text(entry["slug"], f"{key}.slug") if "slug" in entry else None,
            tags=tuple(str(t) for t in tags),
            every_seconds=seconds,
            lang=check.text(entry["lang"], f"{key}.lang") if "lang" in entry else None,
            full_text=check.choice(entry.get("full_text", "auto"), f"{key}.full_text",
                                   FULL_TEXT_MODES),
            robots=check.choice(entry.get("robots", "obey"), f"{key}.robots",
                                ROBOTS_MODES) == "obey",
            media=check.choice(entry.get("media", "keep"), f"{key}.media", MEDIA_MODES),
        ))
    return tuple(sources)


def _folders(check: _Checker, value: object) -> list[str]:
    """``library``: one folder or a list of them."""
    if value is None:
        return []
    folders = [value] if isinstance(value, str) else value
    if not isinstance(folders, list) or not all(isinstance(f, str) and f for f in folders):
        raise check.fail("library", f"expected a folder or a list of folders, got "
                                    f"{_shown(value)}")
    return folders


def served_at(config: Config, host: str, port: int) -> tuple[Config, str | None]:
    """The config for a site served at ``host:port``, and a warning or None.

    With the default ``public.base_url``, links follow the address actually served
    (``serve --port 9000`` links to port 9000, issue 16). A ``base_url`` set to something
    else is kept, with a one-line warning when it names another address."""
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host
    shown = f"[{shown}]" if ":" in shown else shown
    served = f"http://{shown}:{port}/"
    if config.public.base_url == served:
        return config, None
    if config.public.base_url == DEFAULT_BASE_URL:
        return replace(config, public=replace(config.public, base_url=served)), None
    return config, (f"links in the site point to public.base_url {config.public.base_url}, "
                    f"not to {served} where it is served")


def _aliases(check: _Checker, value: object) -> dict[str, tuple[str, ...]]:
    """``aliases``: a source's name, and the other names and hosts it goes by."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise check.fail("aliases", f"expected names, each with a list of its aliases "
                                    f"(Solidot: [solidot.org]), got {_shown(value)}")
    aliases = {}
    for name, names in value.items():
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not all(isinstance(n, str | int) for n in names):
            raise check.fail(f"aliases.{name}", f"expected a list of names or hosts, got "
                                                f"{_shown(names)}")
        aliases[str(name)] = tuple(str(n) for n in names if str(n).strip())
    return aliases
