"""Defaults and limits, in one place (issue 17): what ``config.yaml`` may leave out, and
how much of an input feedsvc reads. ``models`` and ``config`` take their defaults from
here, the readers and ``prepare`` their limits; the README's config table lists them."""

from __future__ import annotations

# config.yaml: paths resolve against the config file's folder
CONFIG_FILE = "config.yaml"
DATABASE = "archive/archive.db"
INBOX = "archive/inbox"
PUBLIC_DIR = "archive/public"
BASE_URL = "http://127.0.0.1:8080/"
ENTRIES_PER_FEED = 50
SITE_TITLE = "feedsvc"
EVERY_SECONDS = 3600  # a source's polling interval
FETCH_CONCURRENCY = 10
FETCH_PER_HOST = 2
FETCH_TIMEOUT_SECONDS = 20.0
FETCH_MAX_BYTES = 20 * 1024 * 1024
SERVER_HOST = "127.0.0.1"
SERVER_PORT = 8080
SERVER_MAX_AGE = 60  # seconds clients may cache a published file

# limits on what is read: more is cut (or refused, for a whole file), never an error
MAX_FILE_BYTES = 20 * 1024 * 1024  # an inbox file
MAX_ENTRIES = 5000  # per feed document: feeds list their newest entries first
MAX_HTML = 500_000  # characters of an article's HTML that are cleaned and kept
MAX_TITLE = 500
MAX_SUMMARY = 5000
MAX_NAME = 200  # authors, tags
MAX_TAGS = 50

# Re-checking an article's original URL (issue 20): after it is first seen, front-loaded,
# since most deletions happen within a day.
RECHECK_SCHEDULE = (30 * 60, 2 * 3600, 6 * 3600, 24 * 3600, 3 * 86400, 7 * 86400, 30 * 86400)
RECHECK_PER_HOST_DAILY = 500  # re-check requests to one host per UTC day, at most
RECHECK_CONCURRENCY = 2  # re-checks in flight at once: feeds keep the fetcher's other slots
# Stories (issue 22): how far apart in time a copy and its original, or two reports of one
# event, can be published.
STORY_COPIES_WINDOW = 14 * 86400
STORY_COVERAGE_WINDOW = 3 * 86400
# Media (issue 23): limits on the images kept with the articles.
MEDIA_MAX_BYTES = 10 * 1024 * 1024
MEDIA_MAX_PER_ARTICLE = 30
MEDIA_MAX_TOTAL = 10 * 1024 ** 3
