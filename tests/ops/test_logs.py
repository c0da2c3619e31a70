"""Logs: readable text or JSON lines; tokens and other secrets never reach the output."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import redact, register_secrets, setup_logging
from bot.runtime import secret_values
from bot.settings import ProcessSettings

SLACK_BOT = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv"
SLACK_APP = "xapp-1-A0123456789-1234567890123-abcdef0123456789"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GAbCdE.abcdefghijklmnopqrstuvwxyz0123456789AB"
SIGNING = "8f14e45fceea167a5a36dedd4bea2543"
DB_PASSWORD = "s3cr3t-pw-42"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def env_secrets(monkeypatch: pytest.MonkeyPatch) -> ProcessSettings:
    monkeypatch.setenv("CIRCLEBOT_SLACK_BOT_TOKEN", SLACK_BOT)
    monkeypatch.setenv("CIRCLEBOT_SLACK_APP_TOKEN", SLACK_APP)
    monkeypatch.setenv("CIRCLEBOT_SLACK_SIGNING_SECRET", SIGNING)
    monkeypatch.setenv("CIRCLEBOT_DISCORD_TOKEN", DISCORD)
    monkeypatch.setenv("CIRCLEBOT_DATABASE_URL", f"postgresql://bot:{DB_PASSWORD}@db:5432/circle")
    return ProcessSettings()


def assert_no_secret(text: str) -> None:
    for secret in (SLACK_BOT, SLACK_APP, DISCORD, SIGNING, DB_PASSWORD):
        assert secret not in text


def test_settings_never_show_their_secrets(env_secrets: ProcessSettings) -> None:
    assert env_secrets.slack_bot_token is not None
    assert env_secrets.slack_bot_token.get_secret_value() == SLACK_BOT
    for shown in (repr(env_secrets), str(env_secrets), env_secrets.model_dump_json()):
        assert_no_secret(shown.replace(DB_PASSWORD, ""))  # the URL is plain; see redaction
    assert set(secret_values(env_secrets)) >= {SLACK_BOT, SLACK_APP, SIGNING, DISCORD, DB_PASSWORD}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_tokens_are_redacted_from_messages_and_tracebacks(
    fmt: str,
    env_secrets: ProcessSettings,
    restore_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    setup_logging(fmt=fmt)
    register_secrets(secret_values(env_secrets))
    log = logging.getLogger("circlebot.test")
    log.info("settings: %s url=%s", env_secrets, env_secrets.database_url)
    log.warning("calling Slack with %s and Discord with %s", SLACK_BOT, DISCORD)
    try:
        raise RuntimeError(f"auth failed for {SLACK_APP} signed with {SIGNING}")
    except RuntimeError:
        log.exception("request failed")
    err = capsys.readouterr().err
    assert err.count("[redacted]") >= 5
    assert_no_secret(err)
    lines = err.strip().splitlines()
    if fmt == "json":
        records = [json.loads(line) for line in lines]
        assert [r["level"] for r in records] == ["INFO", "WARNING", "ERROR"]
        assert records[2]["logger"] == "circlebot.test"
        assert "RuntimeError" in records[2]["exception"]
    else:
        assert "WARNING circlebot.test: calling Slack with [redacted]" in err
        assert "Traceback" in err


def test_redaction_leaves_ordinary_text_alone() -> None:
    text = "alice asked: how do I install xox-player 1.2.3 on Ubuntu?"
    assert redact(text) == text
    register_secrets(["abc", None, ""])  # too short to redact safely: ignored
    assert redact("abc def") == "abc def"
