"""The Slack adapter over HTTP: bolt's request handling with signatures on, a real Engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.slack.handoff import Handoff
from bot.events import (
    CommandInvoked,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from bot.rule import RuleRegistry
from bot.storage.db import DatabaseUnavailable
from tests.adapters.slack.stack import COMMUNITY, SECRET, SlackStack, slack_stack
from tests.core.sample_rules import EchoRule
from tests.fakes import slack_payloads as p
from tests.fakes.slack_logging import SlackErrorGuard
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    SlackRequest,
    event_request,
    post,
    sign,
    slash_command_request,
    url_verification_request,
)

pytestmark = pytest.mark.usefixtures("slack_error_guard")

CONFIG = "community:\n  moderators_channel: mods\n"


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[SlackStack]:
    async with slack_stack(sqlite_url, registry=RuleRegistry([EchoRule]), config_yaml=CONFIG) as s:
        yield s


async def test_url_verification_is_answered(stack: SlackStack) -> None:
    resp = await post(stack.url, url_verification_request("c-42", signing_secret=SECRET))
    assert (resp.status, json.loads(resp.body)) == (200, {"challenge": "c-42"})


async def test_message_reaches_core_enriched_and_rule_replies_in_thread(stack: SlackStack) -> None:
    message = p.message(text="ping")
    resp = await stack.event(message)
    assert (resp.status, resp.body) == (200, "")
    [event] = stack.events
    assert isinstance(event, MessagePosted)
    assert event.community == COMMUNITY
    assert (event.channel, event.channel_name, event.user_name) == (
        "C0GENERAL1",
        "general",
        "alice",
    )
    assert event.permalink == (
        f"https://circle-community.slack.com/archives/C0GENERAL1/p{message['ts'].replace('.', '')}"
    )
    reply = stack.api.calls_to("chat.postMessage")[0]
    assert (reply.args["channel"], reply.args["text"]) == ("C0GENERAL1", "pong")
    assert reply.args["thread_ts"] == message["ts"]
    assert reply.token == "xoxb-circle-bot-token"


EVENT_CASES = [
    ("message", lambda: p.message(text="hello"), MessagePosted),
    (
        "thread reply",
        lambda: p.thread_reply(text="me too", thread_ts="1750000000.000001"),
        MessagePosted,
    ),
    (
        "edit",
        lambda: p.message_changed(ts="1750000000.000002", old_text="a", new_text="b"),
        MessageEdited,
    ),
    (
        "delete",
        lambda: p.message_deleted(deleted_ts="1750000000.000003", old_text="x"),
        MessageDeleted,
    ),
    ("member_joined_channel", lambda: p.member_joined_channel(), MemberJoined),
    ("team_join", lambda: p.team_join(user_id="U0NEW00001", name="nina"), MemberJoined),
    ("reaction_added", lambda: p.reaction_added(ts="1750000000.000004"), ReactionAdded),
    ("reaction_removed", lambda: p.reaction_removed(ts="1750000000.000005"), ReactionRemoved),
    ("app_mention", lambda: p.app_mention(text="<@U0CIRCLEBOT> help?"), MessagePosted),
]


@pytest.mark.parametrize(("name", "build", "kind"), EVENT_CASES, ids=[c[0] for c in EVENT_CASES])
async def test_every_event_type_reaches_the_core(
    stack: SlackStack, name: str, build: object, kind: type
) -> None:
    payload = build()  # type: ignore[operator]
    resp = await stack.event(payload)
    assert resp.status == 200
    assert [type(e) for e in stack.events] == [kind]
    assert stack.events[0].community == COMMUNITY
    if name == "thread reply":
        assert stack.events[0].thread == "1750000000.000001"  # type: ignore[attr-defined]
    if name == "app_mention":
        assert stack.events[0].mentions == ("U0CIRCLEBOT",)  # type: ignore[attr-defined]


async def test_bot_messages_and_own_messages_are_ignored(stack: SlackStack) -> None:
    await stack.event(p.bot_message(text="ping"))
    await stack.event(p.message_from_app(text="ping", bot_id="B0CIRCLE1", user="U0CIRCLEBOT"))
    assert stack.events == []
    assert stack.api.calls_to("chat.postMessage") == []


def test_bolt_runs_no_middleware_for_features_circlebot_does_not_use(stack: SlackStack) -> None:
    # Bolt has no public accessor for its middleware; the names are what the ack path runs.
    app_middleware = {type(m).__name__ for m in stack.adapter.app._async_middleware_list}
    assert "AsyncRequestVerification" in app_middleware
    assert "AsyncIgnoringSelfEvents" in app_middleware
    assert "AsyncAttachingFunctionToken" not in app_middleware
    listener_middleware = {
        type(m).__name__
        for listener in stack.adapter.app._async_listeners
        for m in listener.middleware
    }
    assert "AsyncAttachingConversationKwargs" not in listener_middleware


async def test_assistant_thread_events_are_acked_and_ignored(stack: SlackStack) -> None:
    started = {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "U0ANN00001",
            "context": {"channel_id": "C0GENERAL1", "team_id": "T0CIRCLE01"},
            "channel_id": "D0ANN00001",
            "thread_ts": "1750000000.000100",
        },
        "event_ts": "1750000000.000200",
    }
    resp = await stack.event(started)
    assert resp.status == 200
    assert stack.events == []
    await stack.event(p.message(text="ping"))
    assert len(stack.api.calls_to("chat.postMessage")) == 1


async def test_retried_event_produces_no_second_action(stack: SlackStack) -> None:
    body = p.event_callback(p.message(text="ping"))
    await stack.event(body)
    again = await stack.event(body, retry_num=1, retry_reason="http_timeout")
    assert again.status == 200
    assert len(stack.api.calls_to("chat.postMessage")) == 1
    assert len(stack.events) == 2  # both delivered; the core inbox handled the first only


async def test_message_and_app_mention_of_one_message_act_once(stack: SlackStack) -> None:
    message = p.message(text="ping")
    mention = {**message, "type": "app_mention"}
    await stack.event(message)
    await stack.event(mention)
    assert len(stack.api.calls_to("chat.postMessage")) == 1


async def test_slash_command_acks_empty_then_answers_ephemeral_via_response_url(
    stack: SlackStack,
) -> None:
    fields = p.slash_command(response_url=stack.api.response_url(), text="echo hello there")
    resp = await stack.command(fields)
    assert (resp.status, resp.body) == (200, "")
    [event] = stack.events
    assert isinstance(event, CommandInvoked)
    assert (event.text, event.reply_handle) == ("echo hello there", fields["response_url"])
    answer = await stack.api.wait_for("response_url")
    assert answer.args["text"] == "hello there"
    assert answer.args["response_type"] == "ephemeral"
    assert answer.path == fields["response_url"].removeprefix(stack.api.root_url)


async def test_moderator_commands_follow_slack_admin_flag(stack: SlackStack) -> None:
    member = p.slash_command(response_url=stack.api.response_url(), text="secret")
    admin = p.slash_command(
        response_url=stack.api.response_url(), text="secret x", user_id="U0MOD00001"
    )
    await stack.command(member)
    await stack.command(admin)
    refused, allowed = stack.api.calls_to("response_url")
    assert "for the circle's moderators" in refused.args["text"]
    assert allowed.args["text"] == "x"
    assert [e.is_admin for e in stack.events] == [False, True]


async def test_button_press_runs_its_command_and_responds(stack: SlackStack) -> None:
    press = p.block_actions(
        response_url=stack.api.response_url("actions"), action_id="circle:0", value="echo pressed"
    )
    resp = await stack.interact(press)
    assert (resp.status, resp.body) == (200, "")
    answer = await stack.api.wait_for("response_url")
    assert (answer.args["text"], answer.args["replace_original"]) == ("pressed", False)
    assert stack.events[0].message_id == press["message"]["ts"]  # type: ignore[attr-defined]


async def test_foreign_buttons_are_acked_and_ignored(stack: SlackStack) -> None:
    press = p.block_actions(response_url=stack.api.response_url("actions"), action_id="other")
    assert (await stack.interact(press)).status == 200
    assert stack.events == []


@pytest.mark.parametrize("variant", ["forged", "stale", "unsigned"])
async def test_bad_signatures_get_401(stack: SlackStack, variant: str) -> None:
    good = event_request(p.message(text="ping"), signing_secret=SECRET)
    bad = {
        "forged": good.forged(),
        "stale": good.stale(SECRET),
        "unsigned": SlackRequest(body=good.body, headers={"Content-Type": JSON}),
    }[variant]
    resp = await post(stack.url, bad)
    await stack.settle()
    assert resp.status == 401
    assert stack.events == []
    assert stack.api.methods == ["auth.test"]  # the adapter's own, at start


MALFORMED = [
    ('{"type": "event_callback", "ev', JSON),
    ("[1, 2]", JSON),
    ('{"type": "event_callback", "event": "nope"}', JSON),
    ('{"type": "event_callback", "event": {"type": 5}}', JSON),
    ("payload=%7Bx", FORM),
    ('payload={"type":"block_actions","user":{"id":"U1"},"actions":"x"}', FORM),
    ("\udcff", JSON),
]


@pytest.mark.parametrize(("body", "content_type"), MALFORMED)
async def test_malformed_bodies_get_4xx_and_the_adapter_carries_on(
    stack: SlackStack, body: str, content_type: str
) -> None:
    raw = body.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    resp = await post(stack.url, sign(raw, signing_secret=SECRET, content_type=content_type))
    assert 400 <= resp.status < 500
    forged = await post(stack.url, sign(raw, signing_secret="wrong", content_type=content_type))
    assert 400 <= forged.status < 500
    await stack.event(p.message(text="ping"))
    assert len(stack.api.calls_to("chat.postMessage")) == 1


async def test_requests_are_acked_while_the_core_is_busy(stack: SlackStack) -> None:
    release = asyncio.Event()

    async def wait_for_release(_event: object) -> None:
        await release.wait()

    stack.gate = wait_for_release
    fields = p.slash_command(response_url=stack.api.response_url(), text="echo later")
    resp = await post(stack.url, slash_command_request(fields, signing_secret=SECRET))
    event_resp = await post(stack.url, event_request(p.message(text="ping"), signing_secret=SECRET))
    assert (resp.status, event_resp.status) == (200, 200)
    assert stack.api.calls_to("response_url") == []  # the core has not run yet
    release.set()
    await stack.settle()
    assert (await stack.api.wait_for("response_url")).args["text"] == "later"
    assert len(stack.api.calls_to("chat.postMessage")) == 1


async def test_events_wait_out_a_database_outage(stack: SlackStack) -> None:
    failures = [DatabaseUnavailable("db down"), DatabaseUnavailable("db still down")]

    async def flaky(_event: object) -> None:
        if failures:
            raise failures.pop(0)

    stack.gate = flaky
    resp = await stack.event(p.message(text="ping"))
    assert resp.status == 200
    assert failures == []
    assert len(stack.api.calls_to("chat.postMessage")) == 1


async def test_a_full_queue_answers_503_so_slack_redelivers(
    sqlite_url: str, slack_error_guard: SlackErrorGuard
) -> None:
    slack_error_guard.allow("hand-off queue is full")
    release = asyncio.Event()

    async def hold(_event: object) -> None:
        await release.wait()

    handoff = Handoff(capacity=1, retry_delays=(0.01,))
    async with slack_stack(sqlite_url, registry=RuleRegistry([EchoRule]), handoff=handoff) as s:
        s.gate = hold
        first = await post(s.url, event_request(p.message(text="ping"), signing_secret=SECRET))
        await asyncio.sleep(0)  # let the worker take the first job
        await s.api.wait_for("users.info")
        second = await post(s.url, event_request(p.message(text="ping"), signing_secret=SECRET))
        third = await post(s.url, event_request(p.message(text="ping"), signing_secret=SECRET))
        release.set()
        await s.settle()
    assert first.status == 200
    assert 503 in (second.status, third.status)


async def test_429_is_retried_after_retry_after_through_the_outbox(stack: SlackStack) -> None:
    stack.api.rate_limit("chat.postMessage", times=1, retry_after=1)
    await stack.event(p.message(text="ping"))
    assert [c.status for c in stack.api.calls_to("chat.postMessage")] == [429]
    assert await stack.engine.outbox.depth() == 1
    await stack.advance(timedelta(milliseconds=500))
    assert len(stack.api.calls_to("chat.postMessage")) == 1  # not before Retry-After
    await stack.advance(timedelta(milliseconds=500))
    assert [c.status for c in stack.api.calls_to("chat.postMessage")] == [429, 200]
    assert stack.api.calls_to("chat.postMessage")[1].args["text"] == "pong"
    assert await stack.engine.outbox.depth() == 0


async def test_deadline_post_goes_to_channel_by_id(stack: SlackStack) -> None:
    await stack.event(p.message(text="ping"))
    await stack.advance(timedelta(minutes=10))
    reminder = stack.api.calls_to("chat.postMessage")[-1]
    assert reminder.args["text"].startswith("reminder for")
    assert reminder.args["channel"] == "C0GENERAL1"
