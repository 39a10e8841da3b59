"""Structured JSON logs on stderr, scrubbed of phone numbers."""
from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from hotline.config import Settings
from hotline.privacy import scrub_phones

_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class ScrubPhonesFilter(logging.Filter):
    """Masks phone-like numbers in the message and its arguments before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub_phones(record.getMessage())
        record.args = None
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
                setattr(record, key, scrub_phones(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra=`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES
        )
        if record.exc_info:
            entry["exception"] = scrub_phones(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(settings: Settings, stream=None) -> None:  # type: ignore[no-untyped-def]
    """Route all logging through one scrubbed JSON handler at ``settings.log_level``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ScrubPhonesFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "running upgrade" on every start is noise
