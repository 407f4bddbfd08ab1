"""Log output: one line per event, for people by default or as JSON lines for machines."""

from __future__ import annotations

import json
import logging
import sys
import time

# Attributes every LogRecord has; anything else was passed in ``extra=`` and is data.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _utc(record: logging.LogRecord) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{stamp}.{int(record.msecs):03d}Z"


class HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {"time": _utc(record), "level": record.levelname.lower(),
                 "logger": record.name, "message": record.getMessage()}
        event.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


def setup_logging(verbose: int = 0, quiet: bool = False, as_json: bool = False,
                  default: int = logging.WARNING) -> None:
    """``-q``: errors only; each ``-v`` one level more than ``default``."""
    level = logging.ERROR if quiet else max(default - 10 * verbose, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if as_json else HumanFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries speak up only when asked twice.
    quiet_libraries = logging.DEBUG if verbose >= 2 else logging.WARNING
    for name in ("httpx", "httpcore", "apscheduler", "uvicorn.error", "asyncio"):
        logging.getLogger(name).setLevel(max(level, quiet_libraries))
