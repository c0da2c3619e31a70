"""Engine guarantees: inbox dedup, exactly-once outbox across restarts, deadlines, retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.actions import Ephemeral, Post, Reply
from bot.adapter import PermanentError, TransientError
from bot.events import MessagePosted
from bot.rule import JobSpec, RuleRegistry
from bot.storage.models import OutboxEntry
from tests.core.sample_rules import BrokenRule, EchoRule
from tests.harness import Harness


async def _harness(url: str, config: str = "", *, broken: bool = False) -> Harness:
    rules = [EchoRule, BrokenRule] if broken else [EchoRule]
    return await Harness.create(url, config, registry=RuleRegistry(rules))


async def test_duplicate_event_is_handled_once(database_url: str) -> None:
    h = await _harness(database_url)
    event = await h.message("alice", "ping")
    assert await h.engine.handle(event) is False  # the platform delivered it again
    assert [a.text for a in h.sent] == ["pong"]
    await h.close()


async def test_action_interrupted_between_store_and_send_is_sent_once_after_restart(
    database_url: str,
) -> None:
    first = await _harness(database_url)
    ping = MessagePosted(
        platform="test",
        event_id="e1",
        community=first.community,
        at=first.clock.now(),
        user="alice",
        channel="general",
        message_id="m1",
        text="ping",
    )
    await first.engine.handle_batch([ping], send=False)  # stored, then the process "crashes"
    assert first.sent == []
    await first.close()

    second = await _harness(database_url)
    second.clock.set(first.clock.now())
    await second.engine.outbox.drain()
    await second.engine.outbox.drain()
    assert [a.text for a in second.sent] == ["pong"]
    assert await second.engine.handle(ping) is False
    await second.close()

    third = await _harness(database_url)
    await third.engine.outbox.drain()
    assert third.sent == []  # sent ones are never sent again
    await third.close()


async def test_deadline_set_before_restart_fires_at_its_time_after_restart(
    database_url: str,
) -> None:
    first = await _harness(database_url)
    start = first.clock.now()
    await first.message("alice", "ping")
    await first.advance("5m")
    assert [a.text for a in first.sent] == ["pong"]
    await first.close()

    second = await _harness(database_url)
    second.clock.set(start + timedelta(minutes=5))
    await second.advance("1h")
    reminders = [a.text for a in second.sent]
    assert reminders == [f"reminder for m1 at {(start + timedelta(minutes=10)).isoformat()}"]
    await second.close()


async def test_transient_failure_is_retried_after_retry_after(database_url: str) -> None:
    h = await _harness(database_url)
    h.adapter.fail_next(TransientError("rate limited", retry_after=30))
    await h.message("alice", "ping")
    assert h.sent == []
    await h.advance("10s")
    assert h.sent == []  # Retry-After not over yet
    await h.advance("25s")
    assert [a.text for a in h.sent] == ["pong"]
    await h.close()


async def test_permanent_failure_tells_moderators_once(database_url: str) -> None:
    h = await _harness(database_url, "community:\n  moderators_channel: mods\n")
    h.adapter.fail_next(PermanentError("cannot DM", code="dm_closed"))
    await h.message("alice", "ping", message_id="a")
    notices = [a for a in h.sent if isinstance(a, Post) and a.channel == "mods"]
    assert len(notices) == 1 and "dm_closed" in notices[0].text
    h.adapter.fail_next(PermanentError("cannot DM", code="dm_closed"))
    await h.message("bob", "ping", message_id="b")
    assert [a for a in h.sent if isinstance(a, Post) and a.channel == "mods"] == notices
    async with h.engine.database.session() as session:
        failed = (
            await session.scalars(select(OutboxEntry).where(OutboxEntry.status == "failed"))
        ).all()
    assert len(failed) == 2  # kept, with the reason, never silently lost
    await h.close()


async def test_a_broken_rule_does_not_stop_the_others(sqlite_url: str) -> None:
    h = await _harness(sqlite_url, broken=True)
    await h.message("alice", "ping")
    assert [a.text for a in h.sent] == ["pong"]
    await h.close()


async def test_channel_overrides_and_disabled_rules(sqlite_url: str) -> None:
    config = "echo:\n  word: hello\nchannels:\n  random:\n    echo:\n      word: yo\n"
    h = await _harness(sqlite_url, config)
    await h.message("alice", "hello")
    await h.message("alice", "hello", channel="random")
    await h.message("alice", "yo", channel="random")
    assert [a.text for a in h.sent] == ["pong", "pong"]
    assert isinstance(h.sent[1], Reply) and h.sent[1].channel == "random"
    await h.close()
    off = await _harness(sqlite_url.replace("circle.db", "off.db"), "echo:\n  enabled: false\n")
    await off.message("alice", "hello")
    await off.message("alice", "ping")
    assert off.sent == []
    await off.close()


@pytest.mark.parametrize(
    ("user", "extra", "text", "expected"),
    [
        ("alice", {}, "echo hi there", "hi there"),
        ("alice", {}, "secret", "moderators"),
        ("alice", {"is_admin": True}, "secret", "(nothing)"),
        ("mod", {}, "secret", "(nothing)"),
        ("alice", {"roles": ("Mods",)}, "secret", "(nothing)"),
        ("alice", {}, "frobnicate", "I don't know"),
        ("alice", {}, "", "circlebot commands"),
    ],
)
async def test_commands_permissions_and_help(
    sqlite_url: str, user: str, extra: dict[str, object], text: str, expected: str
) -> None:
    h = await _harness(
        sqlite_url, "community:\n  moderators:\n    users: [mod]\n    roles: [Mods]\n"
    )
    replies = await h.command(user, text, **extra)
    assert len(replies) == 1 and isinstance(replies[0], Ephemeral)  # private by default
    assert expected in replies[0].text
    await h.close()


async def test_button_press_runs_its_command(sqlite_url: str) -> None:
    h = await _harness(sqlite_url)
    replies = await h.press("alice", "echo pressed")
    assert [r.text for r in replies] == ["pressed"]
    await h.close()


async def test_scheduled_job_runs_once_per_fire(sqlite_url: str) -> None:
    h = await _harness(sqlite_url)  # Monday 09:00 UTC; the job is Tuesday 10:00
    await h.advance("2d")
    jobs = [a.text for a in h.sent if a.text.startswith("job")]
    assert jobs == ["job 2026-11-24T10:00:00+00:00"]
    again = await h.engine.run_job(
        community=h.community,
        rule_name="echo",
        spec=JobSpec("weekly", "0 10 * * tue"),
        fire_time=datetime(2026, 11, 24, 10, tzinfo=UTC),
    )
    assert again is False  # the claim row makes each fire run once
    assert [a.text for a in h.sent if a.text.startswith("job")] == jobs
    await h.close()
