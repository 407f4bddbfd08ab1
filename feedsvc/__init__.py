"""feedsvc: a feed republisher and archiver."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("feedsvc")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

PROJECT_URL = "https://github.com/feedsvc/feedsvc"
