"""Fixtures for the Slack adapter tests (none autouse: the fakes' own tests are unaffected)."""

from __future__ import annotations

from tests.fakes.slack_logging import slack_error_guard

__all__ = ["slack_error_guard"]
