"""The same core flows over Socket Mode, through slack_sdk's websocket client and a fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.rule import RuleRegistry
from tests.adapters.slack.stack import APP_TOKEN, SlackStack, slack_stack
from tests.core.sample_rules import EchoRule
from tests.fakes import slack_payloads as p

pytestmark = pytest.mark.usefixtures("slack_error_guard")


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[SlackStack]:
    async with slack_stack(sqlite_url, registry=RuleRegistry([EchoRule]), socket_mode=True) as s:
        yield s


async def test_connects_with_the_app_token(stack: SlackStack) -> None:
    assert stack.api.calls_to("apps.connections.open")[0].token == APP_TOKEN
    assert stack.url == ""  # no HTTP route in Socket Mode
    assert stack.adapter.ready


async def test_event_is_acked_and_reaches_the_core(stack: SlackStack) -> None:
    message = p.message(text="ping")
    envelope = await stack.api.socket.push_event(p.event_callback(message))
    assert await stack.api.socket.wait_ack(envelope) == {"envelope_id": envelope}
    reply = await stack.api.wait_for("chat.postMessage")
    assert (reply.args["text"], reply.args["thread_ts"]) == ("pong", message["ts"])
    await stack.settle()
    assert stack.events[0].user_name == "alice"


async def test_redelivered_envelope_acts_once(stack: SlackStack) -> None:
    body = p.event_callback(p.message(text="ping"))
    first = await stack.api.socket.push_event(body)
    await stack.api.socket.wait_ack(first)
    again = await stack.api.socket.push_event(body, retry_attempt=1, retry_reason="timeout")
    await stack.api.socket.wait_ack(again)
    await stack.settle()
    assert len(stack.events) == 2
    assert len(stack.api.calls_to("chat.postMessage")) == 1


async def test_slash_command_and_button_over_the_socket(stack: SlackStack) -> None:
    fields = p.slash_command(response_url=stack.api.response_url(), text="echo via socket")
    envelope = await stack.api.socket.push_slash_command(fields)
    assert await stack.api.socket.wait_ack(envelope) == {"envelope_id": envelope}
    assert (await stack.api.wait_for("response_url")).args["text"] == "via socket"
    press = p.block_actions(
        response_url=stack.api.response_url("actions"), action_id="circle:0", value="echo pressed"
    )
    envelope = await stack.api.socket.push_interactive(press)
    await stack.api.socket.wait_ack(envelope)
    assert (await stack.api.wait_for("response_url", count=2)).args["text"] == "pressed"


async def test_app_home_over_the_socket(stack: SlackStack) -> None:
    envelope = await stack.api.socket.push_event(p.event_callback(p.app_home_opened()))
    await stack.api.socket.wait_ack(envelope)
    published = await stack.api.wait_for("views.publish")
    assert published.json_arg("view")["type"] == "home"


async def test_reconnects_after_a_refresh(stack: SlackStack) -> None:
    await stack.api.socket.request_refresh()
    await stack.api.socket.wait_connected(count=2)
    envelope = await stack.api.socket.push_event(p.event_callback(p.message(text="ping")))
    await stack.api.socket.wait_ack(envelope)
    assert (await stack.api.wait_for("chat.postMessage")).args["text"] == "pong"
