"""Dates in every shape the inputs use, out as timezone-aware UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

_CJK_DATE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
)
_EPOCH = re.compile(r"^\d{9,13}$")


def to_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (the inputs write UTC without saying so)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_epoch(value: int | float | str) -> datetime | None:
    """Seconds or milliseconds since 1970 (the ``<!--1644107580000-->`` comment is ms)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number <= 0:  # NaN or nonsense
        return None
    if number > 1e11:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def parse_date(value: object) -> datetime | None:
    """Parse a datetime, date, epoch number or date string; None when it is not a date."""
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    if _EPOCH.match(text):
        return from_epoch(text)
    return _parse_text(text)


def _parse_text(text: str) -> datetime | None:
    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return to_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    if match := _CJK_DATE.search(text):
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(y, mo, d, h, mi, s, tzinfo=UTC)
        except ValueError:
            return None
    try:
        return to_utc(dateutil_parser.parse(text))
    except (ValueError, OverflowError, TypeError):
        return None


def format_date(value: datetime) -> str:
    """RFC 3339 in UTC with a "Z": sorts as text, reads in every tool."""
    return to_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_bound(text: str, end: bool = False) -> str | None:
    """A ``--since``/``--until`` value as RFC 3339; a bare day ``until`` means its last second.

    None when ``text`` is not a date (the caller names the option in its error).
    """
    text = text.strip()
    when = parse_date(text) if text and not _EPOCH.match(text) else None
    if when is None:
        return None
    if end and _DAY.match(text):
        when = when.replace(hour=23, minute=59, second=59)
    return format_date(when)
