"""Plain data passed between the stages. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from feedsvc import defaults


@dataclass(slots=True)
class Article:
    """An article as a reader (file or feed) gives it: raw HTML, and no date when it said
    none. ``prepare.prepare_article`` turns it into a ``PreparedArticle``, the only kind the
    archive stores."""

    title: str
    content_html: str
    source: str
    url: str | None = None
    author: str | None = None
    tags: list[str] = field(default_factory=list)
    published: datetime | None = None  # None: the source gave no (readable) date
    summary: str | None = None
    guid: str | None = None
    lang: str | None = None
    origin: str | None = None  # the file path or feed URL it was read from
    source_feed: dict[str, str] | None = None  # the feed it came from: id, title, link, updated
    uid: str = ""  # an identity the reader knows when there is no URL (a feed's guid)
    fingerprint: str | None = None  # of the entry as the feed gave it (``prepare.fingerprint``)
    text_origin: str = "feed"  # "page": the body was taken from the article's web page


@dataclass(slots=True, frozen=True)
class PreparedArticle:
    """An article cleaned and complete: what ``store.save_article`` accepts."""

    title: str
    content_html: str  # cleaned and sanitized
    source: str
    url: str | None
    author: str | None
    tags: list[str]
    published: datetime  # the date rule applied once: the arrival time when none, never future
    summary: str | None
    guid: str | None
    lang: str | None
    origin: str | None
    source_feed: dict[str, str] | None
    canonical_url: str | None
    uid: str  # dedup key: canonical_url, else the reader's identity, else a content hash
    content_text: str
    content_hash: str
    # title and text as the search index holds them (``fts.index_text``), computed where the
    # article is prepared (a worker process) so the process that writes does not have to
    search_forms: tuple[str, str] | None = None
    fingerprint: str | None = None
    text_origin: str = "feed"  # "feed": the text the feed (or file) gave; "page": its page's


@dataclass(slots=True)
class PageJob:
    """An entry whose web page is wanted (issue 18): the entry as the feed gave it, and the
    prepared article stored when the page cannot be used."""

    entry: Article
    feed: PreparedArticle
    url: str
    reason: str  # why the page is wanted, in words
    article_id: int | None = None  # already archived (a retry, a backfill, a changed entry)
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 0  # failed fetches so far


@dataclass(slots=True, frozen=True)
class SourceConfig:
    """A feed source as configured in ``config.yaml`` (fetched by ``feedsvc fetch``)."""

    name: str
    url: str
    slug: str | None = None
    tags: tuple[str, ...] = ()
    every_seconds: int = defaults.EVERY_SECONDS
    lang: str | None = None
    full_text: str = "auto"  # auto | always | never: when to fetch an entry's web page
    robots: bool = True  # obey robots.txt for article pages; False: the user may mirror it
    media: str = "keep"  # keep | link: archive the articles' images, or only link them


@dataclass(slots=True, frozen=True)
class PublicConfig:
    dir: str
    base_url: str
    entries_per_feed: int = defaults.ENTRIES_PER_FEED
    title: str = defaults.SITE_TITLE
    media: str = "local"  # local | original: where feeds point images kept in the archive


@dataclass(slots=True, frozen=True)
class FetchConfig:
    concurrency: int = defaults.FETCH_CONCURRENCY
    per_host: int = defaults.FETCH_PER_HOST
    timeout_seconds: float = defaults.FETCH_TIMEOUT_SECONDS
    max_bytes: int = defaults.FETCH_MAX_BYTES
    user_agent: str = ""  # empty: "feedsvc/<version> (+<project url>)"


@dataclass(slots=True, frozen=True)
class MediaConfig:
    """Keeping the articles' images in the archive (issue 23)."""

    inbox: str = "keep"  # keep | link, for articles of the inbox and the library
    max_bytes: int = defaults.MEDIA_MAX_BYTES  # per file
    max_per_article: int = defaults.MEDIA_MAX_PER_ARTICLE
    max_total: int = defaults.MEDIA_MAX_TOTAL  # bytes of the whole media folder


@dataclass(slots=True, frozen=True)
class StoryConfig:
    """Grouping copies into stories and linking related coverage (issue 22)."""

    copies_window: int = defaults.STORY_COPIES_WINDOW  # seconds between a copy and its original
    coverage_window: int = defaults.STORY_COVERAGE_WINDOW  # seconds between two reports
    coverage: bool = True  # False: copies only


@dataclass(slots=True, frozen=True)
class RecheckConfig:
    """Re-checking articles' original URLs for edits and removal (issue 20)."""

    schedule: tuple[int, ...] = defaults.RECHECK_SCHEDULE  # seconds after first seen
    per_host_daily: int = defaults.RECHECK_PER_HOST_DAILY
    concurrency: int = defaults.RECHECK_CONCURRENCY


@dataclass(slots=True, frozen=True)
class ServerConfig:
    """Where ``feedsvc run`` / ``feedsvc serve`` listen, and how long clients may cache."""

    host: str = defaults.SERVER_HOST
    port: int = defaults.SERVER_PORT
    max_age: int = defaults.SERVER_MAX_AGE  # Cache-Control max-age for published files, seconds


@dataclass(slots=True, frozen=True)
class Config:
    path: str  # the config file itself, for messages
    database: str
    inbox: str
    public: PublicConfig
    # folders of article files archived where they are: read, never moved (the samples)
    library: tuple[str, ...] = ()
    sources: tuple[SourceConfig, ...] = ()
    # a source's name -> the other names and hosts it goes by (``outlets``)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    recheck: RecheckConfig = field(default_factory=RecheckConfig)
    stories: StoryConfig = field(default_factory=StoryConfig)
    media: MediaConfig = field(default_factory=MediaConfig)


class SaveStatus(StrEnum):
    """What archiving did with one article (or file)."""

    NEW = "new"
    UPDATED = "updated"  # a new version; the earlier one is kept as a revision
    UNCHANGED = "unchanged"
    FAILED = "failed"  # a file that could not be read or stored


class FetchStatus(StrEnum):
    """How fetching one source ended (``sources.last_status`` holds the value)."""

    OK = "200"
    NOT_MODIFIED = "304"
    GONE = "410"  # the source is disabled
    ERROR = "error"  # any other answer, or none: ``last_error`` says which
    SKIPPED = "skipped"  # not fetched this time: disabled, waiting, or not due


@dataclass(slots=True)
class SaveResult:
    """What ``store.save_article`` did with one article."""

    status: SaveStatus
    article_id: int


@dataclass(slots=True)
class FileResult:
    """What happened to one ingested file: new/updated/unchanged, or failed and why."""

    path: Path
    status: SaveStatus
    reason: str | None = None
    article_id: int | None = None


@dataclass(slots=True)
class Counts:
    """Articles new, updated and unchanged."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, status: SaveStatus) -> None:
        if status is SaveStatus.NEW:
            self.new += 1
        elif status is SaveStatus.UPDATED:
            self.updated += 1
        elif status is SaveStatus.UNCHANGED:
            self.unchanged += 1


@dataclass(slots=True)
class IngestReport(Counts):
    failures: list[tuple[str, str]] = field(default_factory=list)  # (input name, reason)
    changed: list[int] = field(default_factory=list)  # ids of new and updated articles

    def add(self, results: list[FileResult]) -> None:
        for result in results:
            if result.status is SaveStatus.FAILED:
                self.failures.append((str(result.path), result.reason or "failed"))
                continue
            self.count(result.status)
            if result.status is not SaveStatus.UNCHANGED and result.article_id is not None:
                self.changed.append(result.article_id)

    @property
    def failed(self) -> int:
        return len(self.failures)


@dataclass(slots=True, frozen=True)
class FeedInfo:
    """One published feed: everything, one source, or one tag."""

    # "all" | "source" | "tag" | "search" (slug: the query string) | "changes" | "stories"
    kind: str
    name: str
    slug: str
    count: int
    updated: str | None  # newest entry's ``updated``, RFC 3339

    @property
    def path(self) -> str:
        """Where the feed lives under ``public/`` (file-system form, may be non-ASCII)."""
        if self.kind == "search":
            return f"search.xml?{self.slug}"
        if self.kind == "changes":  # edits and removals: everywhere, or of one source
            return "changes.xml" if self.slug == "" else f"sources/{self.slug}/changes.xml"
        if self.kind == "stories":  # each story once (issue 22)
            return "stories.xml"
        return "all.xml" if self.kind == "all" else f"{self.kind}s/{self.slug}.xml"


@dataclass(slots=True, frozen=True)
class FeedPage:
    """One document of a feed's history (RFC 5005): the subscription document (``number``
    0, the newest entries) or archive page ``number`` (1 is the oldest)."""

    feed: FeedInfo
    number: int
    archive_pages: int  # how many archive pages the feed has now

    @property
    def stem(self) -> str:
        return self.feed.path.removesuffix(".xml")

    def path(self, extension: str = "xml") -> str:
        """Where this document lives under ``public/``: ``all.xml``, ``all/3.json``..."""
        if self.number == 0:
            return f"{self.stem}.{extension}"
        return f"{self.stem}/{self.number}.{extension}"

    @property
    def is_archive(self) -> bool:
        return self.number > 0

    def page(self, number: int) -> FeedPage:
        return FeedPage(self.feed, number, self.archive_pages)

    @property
    def older(self) -> FeedPage | None:
        """``prev-archive``: the archive page just before this document."""
        number = self.archive_pages if self.number == 0 else self.number - 1
        return self.page(number) if number > 0 else None

    @property
    def newer(self) -> FeedPage | None:
        """``next-archive``: the archive page just after (none after the newest one)."""
        if self.number == 0 or self.number >= self.archive_pages:
            return None
        return self.page(self.number + 1)


@dataclass(slots=True, frozen=True)
class StoredArticle:
    """An archived article as the store hands it to publishing, search and export."""

    id: int
    uid: str
    url: str | None
    title: str
    author: str | None
    source: str
    tags: tuple[str, ...]
    published: str
    updated: str
    summary: str | None
    content_html: str
    lang: str | None
    content_text: str = ""  # filled for search and export, not for publishing
    source_feed: dict[str, str] | None = None  # provenance of a fetched entry (atom:source)
    text_origin: str = "feed"  # "page": the text was taken from the article's web page
    revision: int = 1
    vanished_at: str | None = None  # when a re-check found it gone from its outlet
    vanished_reason: str | None = None
    page_path: str | None = None  # an entry about an article (a change): that article's page


@dataclass(frozen=True, slots=True)
class LinkedArticle:
    """Another article of the same story, or of related coverage, as a page lists it."""

    id: int
    uid: str
    url: str | None
    title: str
    source: str
    published: str
    lang: str | None
    score: float | None = None  # related coverage: how close (``coverage.score``)
    others: tuple[str, ...] = ()  # related coverage: the story's other sources


@dataclass(frozen=True, slots=True)
class StoryLinks:
    """An article's copies elsewhere ("also in") and related coverage."""

    story_id: int
    copies: tuple[LinkedArticle, ...] = ()
    coverage: tuple[LinkedArticle, ...] = ()


@dataclass(frozen=True, slots=True)
class Change:
    """A material edit or a vanishing of an article (the ``changes`` table)."""

    id: int
    article_id: int
    kind: str
    at: str
    revision: int | None
    detail: str | None
    diff_html: str | None


@dataclass(slots=True)
class SourceState:
    """A configured feed source with what the archive remembers of fetching it."""

    id: int
    name: str
    slug: str
    url: str  # current feed URL (a permanent redirect changes it)
    tags: tuple[str, ...] = ()
    every_seconds: int = defaults.EVERY_SECONDS
    lang: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetch: str | None = None
    last_status: str | None = None
    last_success: str | None = None
    last_error: str | None = None  # what went wrong the last time, for people
    failures: int = 0
    next_due: str | None = None
    disabled: str | None = None  # why, when the source is disabled (410 Gone)
    articles: int = 0
    full_text: str = "auto"
    robots: bool = True
    usual_length: int | None = None  # typical text length of this source's article pages
    # fingerprints of the entries archived last from this source: seen again, they are
    # neither cleaned nor stored again (filled by ``fetchstate.source_states(..., seen=True)``)
    seen: frozenset[str] = frozenset()

    @property
    def problem(self) -> str | None:
        """The last error without the URL it starts with (shown beside it anyway):
        ``HTTP 404 Not Found``, ``timed out after 20 s (no complete answer)``."""
        if not self.last_error:
            return None
        head, sep, rest = self.last_error.partition(": ")
        return rest if sep and rest and head.startswith(("http://", "https://")) \
            else self.last_error


@dataclass(slots=True, kw_only=True)
class FetchReport(Counts):
    """The outcome of fetching one source, for people and for exit codes."""

    source: str
    status: FetchStatus | None = None  # None until the fetch has an outcome
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # ids of new and updated articles
