"""Logging set-up: readable text by default, JSON lines on request; secrets are redacted."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

_SECRET = re.compile(
    r"(xox[abposre]-[\w-]+|xapp-[\w-]+|[A-Za-z\d_-]{23,28}\.[\w-]{6,7}\.[\w-]{27,})"
)
_known: set[str] = set()
_MIN_SECRET = 6  # shorter values would redact ordinary words


def register_secrets(values: Iterable[str | None]) -> None:
    """Redact these exact values too (signing secrets, database passwords) from every log line."""
    _known.update(v for v in values if v and len(v) >= _MIN_SECRET)


def redact(text: str) -> str:
    """Hide Slack and Discord tokens, and registered secrets, that might slip into a log line."""
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "[redacted]")
    return _SECRET.sub("[redacted]", text)


class RedactingFilter(logging.Filter):
    """Rewrites every record's message with tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class TextFormatter(logging.Formatter):
    """Human-readable lines; the whole line, tracebacks included, is redacted."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, exception."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            data["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def setup_logging(*, level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
