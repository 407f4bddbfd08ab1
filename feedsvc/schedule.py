"""When a source is fetched: which sources a fetch takes, the next due time after a success,
the backoff after a failure (or the server's Retry-After), and the jitter that keeps
sources from firing together. The one home of these decisions (issue 17): ``feedsvc
fetch``, ``run --once`` and the daemon's jobs all ask here, and jitter is added once, here.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum

from feedsvc.dates import parse_date
from feedsvc.models import SourceState

MAX_BACKOFF = 24 * 3600  # seconds: a failing source is still tried once a day
JITTER_SHARE = 0.1  # of the interval...
JITTER_MAX = 60.0  # ...and at most this many seconds
BACKOFF_SPREAD = 0.25  # +-25 % around the exponential backoff


class Selection(StrEnum):
    """Which sources a fetch takes."""

    DUE = "due"  # those whose next due time has come: the daemon, run --once, fetch --due
    AVAILABLE = "available"  # all but disabled ones and those waiting out a failure: fetch
    FORCE = "force"  # every one: fetch --force, or sources named on the command line


def jitter(every: int, rng: random.Random | None = None) -> float:
    """Up to 10 % of the interval (at most a minute), so sources don't fire together."""
    return (rng or random).uniform(0, min(every * JITTER_SHARE, JITTER_MAX))


def backoff_seconds(failures: int, every: int, rng: random.Random | None = None) -> float:
    """Exponential in the number of consecutive failures, capped at a day, +-25 %."""
    base = min(every * 2 ** max(failures - 1, 0), MAX_BACKOFF)
    return float(base * (rng or random).uniform(1 - BACKOFF_SPREAD, 1 + BACKOFF_SPREAD))


def after_success(state: SourceState, now: datetime,
                  rng: random.Random | None = None) -> datetime:
    """The next due time after a fetch that worked: the interval, plus jitter."""
    return now + timedelta(seconds=state.every_seconds + jitter(state.every_seconds, rng))


def after_failure(state: SourceState, now: datetime, retry_after: float | None = None,
                  rng: random.Random | None = None) -> datetime:
    """The next due time after one more consecutive failure: the server's Retry-After when
    it sent one, else the backoff."""
    wait = retry_after if retry_after is not None else backoff_seconds(
        state.failures + 1, state.every_seconds, rng)
    return now + timedelta(seconds=wait)


def is_due(state: SourceState, now: datetime) -> bool:
    when = parse_date(state.next_due) if state.next_due else None
    return when is None or when <= now


def waiting(state: SourceState, now: datetime) -> bool:
    """Waiting out a failure backoff or a Retry-After (not merely its interval)."""
    return state.failures > 0 and not is_due(state, now)


def skip_reason(state: SourceState, now: datetime, selection: Selection) -> str | None:
    """Why a fetch with this selection leaves the source alone, or None to fetch it."""
    if selection is Selection.FORCE:
        return None
    if state.disabled:
        return f"disabled: {state.disabled}"
    if waiting(state, now):
        failures = f"{state.failures} consecutive failure{'s' if state.failures != 1 else ''}"
        return f"waiting until {state.next_due} ({failures}; --force fetches it now)"
    if selection is Selection.DUE and not is_due(state, now):
        return f"not due until {state.next_due}"
    return None
