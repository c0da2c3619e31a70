"""Fail a test when discord.py (or asyncio, for unclosed sessions) logs an ERROR."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pytest

DEFAULT_LOGGERS = ("discord", "asyncio")


class ErrorCollector(logging.Handler):
    """A logging handler that keeps every record at ERROR or above."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)

    def report(self) -> str:
        """All kept records, formatted with tracebacks."""
        formatter = logging.Formatter("%(name)s %(levelname)s: %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)


@contextlib.contextmanager
def fail_on_discord_errors(
    loggers: tuple[str, ...] = DEFAULT_LOGGERS,
) -> Iterator[ErrorCollector]:
    """Collect ERROR records from `loggers` for the block; fail the test if any arrived."""
    collector = ErrorCollector()
    targets = [logging.getLogger(name) for name in loggers]
    for logger in targets:
        logger.addHandler(collector)
    try:
        yield collector
    finally:
        for logger in targets:
            logger.removeHandler(collector)
    if collector.records:
        pytest.fail("ERROR logged during the test:\n" + collector.report(), pytrace=False)


@pytest.fixture
def discord_errors_fail() -> Iterator[ErrorCollector]:
    """Fixture form of fail_on_discord_errors (import it into a test module or conftest)."""
    with fail_on_discord_errors() as collector:
        yield collector
