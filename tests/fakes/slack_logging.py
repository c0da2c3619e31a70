"""Fail a test when slack_bolt or slack_sdk log an ERROR (or worse)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import pytest

WATCHED = ("slack_bolt", "slack_sdk")


class SlackErrorGuard(logging.Handler):
    """Collects ERROR records from the watched loggers; `check()` fails the test on any."""

    def __init__(self, loggers: tuple[str, ...] = WATCHED) -> None:
        super().__init__(level=logging.ERROR)
        self.loggers = loggers
        self.records: list[logging.LogRecord] = []
        self._allowed: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def allow(self, fragment: str) -> None:
        """Tolerate ERROR records whose message contains `fragment` (failure-path tests)."""
        self._allowed.append(fragment)

    @property
    def unexpected(self) -> list[logging.LogRecord]:
        """ERROR records not matched by `allow()`."""
        return [r for r in self.records if not any(a in r.getMessage() for a in self._allowed)]

    def check(self) -> None:
        """Fail the running test if an unexpected ERROR was logged."""
        bad = self.unexpected
        if bad:
            lines = "\n".join(f"{r.name}: {r.getMessage()}" for r in bad)
            pytest.fail(f"ERROR logged by {', '.join(self.loggers)}:\n{lines}", pytrace=False)

    def __enter__(self) -> SlackErrorGuard:
        for name in self.loggers:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for name in self.loggers:
            logging.getLogger(name).removeHandler(self)


@contextmanager
def fail_on_slack_errors(*extra_loggers: str) -> Iterator[SlackErrorGuard]:
    """Context manager: watch slack_bolt, slack_sdk (+ extra loggers); fail on ERROR at exit."""
    guard = SlackErrorGuard((*WATCHED, *extra_loggers))
    with guard:
        yield guard
    guard.check()


@pytest.fixture
def slack_error_guard() -> Iterator[SlackErrorGuard]:
    """Fixture form: fails the test at teardown if slack_bolt/slack_sdk logged an ERROR."""
    with fail_on_slack_errors() as guard:
        yield guard
