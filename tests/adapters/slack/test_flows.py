"""Button flows end to end with the shipped rules: nudges (claim, answered, snooze), held posts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.rule import default_registry
from tests.adapters.slack.stack import COMMUNITY, USER_TOKEN, SlackStack, slack_stack
from tests.fakes import slack_payloads as p
from tests.fakes.slack_api import RecordedCall

pytestmark = pytest.mark.usefixtures("slack_error_guard")

MOD = "U0MOD00001"
CONFIG = """
community:
  moderators_channel: mods
"""


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[SlackStack]:
    async with slack_stack(sqlite_url, registry=default_registry(), config_yaml=CONFIG) as s:
        yield s


def buttons_of(call: RecordedCall) -> dict[str, dict[str, Any]]:
    """Buttons of a posted message by their command's first word."""
    blocks = call.json_arg("blocks") or []
    found: dict[str, dict[str, Any]] = {}
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            found.setdefault(element["value"].split()[0], element)
    return found


def press(
    stack: SlackStack, call: RecordedCall, button: dict[str, Any], user: str = MOD
) -> dict[str, Any]:
    return p.block_actions(
        response_url=stack.api.response_url("actions"),
        action_id=button["action_id"],
        value=button["value"],
        user_id=user,
        channel_id=call.args["channel"],
        message_ts=call.response["ts"],
    )


def now_ts(stack: SlackStack) -> str:
    """A Slack ts at the stack's simulated now (messages are as old as the clock says)."""
    return f"{stack.clock.now().timestamp():.6f}"


def mods_posts(stack: SlackStack) -> list[RecordedCall]:
    return [c for c in stack.api.calls_to("chat.postMessage") if c.args["channel"] == "C0MODS0001"]


async def open_questions(stack: SlackStack) -> list[Any]:
    store = pytest.importorskip("rules.questions.store")
    async with stack.engine.database.session() as session:
        return list(await store.open_questions(session, COMMUNITY, now=stack.clock.now()))


async def nudged_question(stack: SlackStack) -> RecordedCall:
    pytest.importorskip("rules.questions.store")
    text = "How do I reset the staging database password? It keeps failing."
    await stack.event(p.message(text=text, ts=now_ts(stack)))
    assert len(await open_questions(stack)) == 1
    for _ in range(12):
        await stack.advance(timedelta(minutes=15))
    nudges = [c for c in mods_posts(stack) if "claim" in buttons_of(c)]
    assert nudges, f"no moderator nudge; calls: {stack.api.methods}"
    return nudges[0]


async def test_nudge_claim_button(stack: SlackStack) -> None:
    nudge = await nudged_question(stack)
    assert set(buttons_of(nudge)) >= {"claim", "answered", "snooze"}
    await stack.interact(press(stack, nudge, buttons_of(nudge)["claim"]))
    [question] = await open_questions(stack)
    assert question.claimed_by == MOD
    answer = await stack.api.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral"


async def test_nudge_answered_button(stack: SlackStack) -> None:
    nudge = await nudged_question(stack)
    await stack.interact(press(stack, nudge, buttons_of(nudge)["answered"]))
    assert await open_questions(stack) == []
    assert (await stack.api.wait_for("response_url")).args["text"]


async def test_nudge_snooze_button(stack: SlackStack) -> None:
    nudge = await nudged_question(stack)
    await stack.interact(press(stack, nudge, buttons_of(nudge)["snooze"]))
    [question] = await open_questions(stack)
    assert question.state == "open"
    assert (await stack.api.wait_for("response_url")).args["text"]


async def test_nudge_buttons_refuse_members(stack: SlackStack) -> None:
    nudge = await nudged_question(stack)
    await stack.interact(press(stack, nudge, buttons_of(nudge)["claim"], user="U0ALICE001"))
    [question] = await open_questions(stack)
    assert question.claimed_by is None
    assert "moderators" in (await stack.api.wait_for("response_url")).args["text"]


async def held_notice(stack: SlackStack, text: str) -> RecordedCall:
    pytest.importorskip("rules.first_contact.store")
    await stack.event(p.member_joined_channel(user="U0NEWBIE01"))
    await stack.event(p.message(user="U0NEWBIE01", text=text, ts=now_ts(stack)))
    notices = [c for c in mods_posts(stack) if "approve" in buttons_of(c)]
    assert notices, f"no held-message notice; calls: {stack.api.methods}"
    return notices[-1]


SPAM = (
    "Best crypto signals!!! https://spam.example.com/join https://spam.example.net/vip <!channel>"
)


async def test_held_message_approve_without_delete_rights(stack: SlackStack) -> None:
    notice = await held_notice(stack, SPAM)
    assert stack.api.calls_to("chat.delete") == []  # no user token: capabilities.hide is False
    await stack.interact(press(stack, notice, buttons_of(notice)["approve"]))
    answer = await stack.api.wait_for("response_url")
    assert "Approved H1" in answer.args["text"]
    dms = [c for c in stack.api.calls_to("chat.postMessage") if c.args["channel"].startswith("D")]
    assert dms  # the author was told


async def test_held_message_reject_button(stack: SlackStack) -> None:
    store = pytest.importorskip("rules.first_contact.store")
    notice = await held_notice(stack, SPAM)
    await stack.interact(press(stack, notice, buttons_of(notice)["reject"]))
    async with stack.engine.database.session() as session:
        pending = await store.held_messages(session, COMMUNITY)
    assert pending == []
    assert (await stack.api.wait_for("response_url")).args["text"]


async def test_held_message_deleted_with_user_token_then_approved_reposts(sqlite_url: str) -> None:
    registry = default_registry()
    async with slack_stack(
        sqlite_url, registry=registry, config_yaml=CONFIG, user_token=USER_TOKEN
    ) as stack:
        notice = await held_notice(stack, SPAM)
        [deleted] = stack.api.calls_to("chat.delete")
        assert (deleted.token, deleted.args["channel"]) == (USER_TOKEN, "C0GENERAL1")
        before = len(stack.api.calls_to("chat.postMessage"))
        await stack.interact(press(stack, notice, buttons_of(notice)["approve"]))
        reposts = [
            c
            for c in stack.api.calls_to("chat.postMessage")[before:]
            if "spam.example.com" in c.args["text"]
        ]
        assert [c.args["channel"] for c in reposts] == ["C0GENERAL1"]
