"""The one exception tree of feedsvc. ``str(exc)`` is a finished sentence for a person."""


class FeedsvcError(Exception):
    """Base of every error feedsvc raises on purpose."""


class ConfigError(FeedsvcError):
    """The configuration file is missing, unreadable or invalid."""


class FetchError(FeedsvcError):
    """A source could not be fetched."""


class ParseError(FeedsvcError):
    """An input (file or feed body) could not be turned into articles."""


class StoreError(FeedsvcError):
    """The archive database could not be read or written."""


class PublishError(FeedsvcError):
    """The public site could not be written."""


class QueryError(FeedsvcError):
    """A search query is malformed."""


class BadRequestError(QueryError):
    """A search URL with a parameter that cannot be used: answered with 400."""


class AlreadyRunningError(StoreError):
    """Another ``feedsvc run`` holds the archive."""
