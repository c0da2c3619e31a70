"""App Home (views.publish) for moderators and members, Home buttons, and digest-style cards."""

from __future__ import annotations

import sys
import types
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from adapters.slack.home import PROMPTS, contract
from bot.actions import Action, Button, Card, CardSection
from bot.commands import respond
from bot.context import RuleContext
from bot.events import CommandInvoked
from bot.rule import Command, Rule, RuleRegistry, default_registry
from tests.adapters.slack.stack import SlackStack, slack_stack
from tests.fakes import slack_payloads as p
from tests.fakes.slack_api import RecordedCall

pytestmark = pytest.mark.usefixtures("slack_error_guard")

MOD = "U0MOD00001"
ALICE = "U0ALICE001"
CONFIG = "community:\n  moderators_channel: mods\n"


@pytest.fixture
async def stack(sqlite_url: str) -> AsyncIterator[SlackStack]:
    async with slack_stack(sqlite_url, registry=default_registry(), config_yaml=CONFIG) as s:
        yield s


def texts_of(view: dict[str, Any]) -> str:
    out = []
    for block in view["blocks"]:
        text = block.get("text")
        if isinstance(text, dict):
            out.append(text["text"])
        out.extend(
            e.get("text", "") for e in block.get("elements", []) if block["type"] == "context"
        )
    return "\n".join(out)


async def open_home(stack: SlackStack, user: str) -> RecordedCall:
    count = len(stack.api.calls_to("views.publish")) + 1
    await stack.event(p.app_home_opened(user=user))
    call = await stack.api.wait_for("views.publish", count=count)
    assert call.args["user_id"] == user
    return call


async def ask(stack: SlackStack, user: str = ALICE) -> None:
    pytest.importorskip("rules.questions.store")
    stack.clock.advance(timedelta(minutes=1))
    ts = f"{stack.clock.now().timestamp():.6f}"
    await stack.event(
        p.message(text="How do I rotate the deploy keys on staging?", user=user, ts=ts)
    )


async def test_moderator_sees_the_dashboard(stack: SlackStack) -> None:
    await ask(stack)
    view = (await open_home(stack, MOD)).json_arg("view")
    assert view["type"] == "home"
    shown = texts_of(view)
    assert "Moderators' dashboard" in shown
    assert "*Q1* in #general by alice" in shown
    assert "How do I rotate the deploy keys" in shown
    if contract("rules.first_contact.store") is not None:
        assert "Held for review" in shown
    assert ("Next open-topic prompt" in shown) == (contract(PROMPTS) is not None)
    values = [e["value"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {"claim Q1", "answered Q1", "snooze Q1 1h"} <= set(values)
    ids = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert len(ids) == len(set(ids))


async def test_member_sees_only_their_own_questions(stack: SlackStack) -> None:
    await ask(stack, user="U0BOB00001")
    await ask(stack, user=ALICE)
    view = (await open_home(stack, ALICE)).json_arg("view")
    shown = texts_of(view)
    assert "Your open questions" in shown and "Moderators' dashboard" not in shown
    assert "by alice" in shown and "u0bob00001" not in shown
    assert not [b for b in view["blocks"] if b["type"] == "actions"]


async def test_home_button_runs_the_command_answers_in_dm_and_refreshes(stack: SlackStack) -> None:
    await ask(stack)
    view = (await open_home(stack, MOD)).json_arg("view")
    claim = next(
        e
        for b in view["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["value"] == "claim Q1"
    )
    payload = p.block_actions(
        response_url="unused", action_id=claim["action_id"], value=claim["value"], user_id=MOD
    )
    payload["container"] = {"type": "view", "view_id": "V0HOME0001"}
    del payload["channel"], payload["response_url"], payload["message"]
    await stack.interact(payload)
    dm = stack.api.calls_to("chat.postMessage")[-1]
    assert dm.args["channel"] == stack.api.workspace.dms[MOD]
    refreshed = stack.api.calls_to("views.publish")[-1].json_arg("view")
    assert "claimed by <@U0MOD00001>" in texts_of(refreshed)


async def test_prompt_section_appears_when_the_prompts_store_exists(
    stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    @dataclass(frozen=True)
    class PromptView:
        id: int
        text: str
        tone: str
        tags: tuple[str, ...]
        source: str

    async def next_prompt(session: object, community: str) -> PromptView:
        return PromptView(1, "What did you learn this week?", "light", (), "config")

    module = types.ModuleType(PROMPTS)
    module.next_prompt = next_prompt  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, PROMPTS, module)
    shown = texts_of((await open_home(stack, MOD)).json_arg("view"))
    assert "Next open-topic prompt" in shown and "What did you learn this week?" in shown


# ----- digest-style cards with buttons (the digests rule has not landed: a sample rule) ----------


class DigestLike(Rule):
    """Answers `/circle digest` with a card and buttons, like the moderators' digest."""

    name = "digestlike"

    def commands(self) -> list[Command]:
        return [
            Command("digest", "digest [now]", "preview", self._digest, moderator_only=False),
        ]

    async def _digest(self, cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        if args == ["subscribe"]:
            return [respond(cmd, "Subscribed to the weekly digest.")]
        card = Card(
            title="Daily digest",
            sections=(CardSection(heading="Unanswered", lines=("Q1 in #help, 3h",)),),
            footer="for moderators",
        )
        buttons = (Button(label="Subscribe", command="digest subscribe", style="primary"),)
        return [respond(cmd, "", card=card, buttons=buttons)]


async def test_digest_card_button_goes_back_through_the_core(sqlite_url: str) -> None:
    async with slack_stack(sqlite_url, registry=RuleRegistry([DigestLike])) as stack:
        await stack.command(
            p.slash_command(response_url=stack.api.response_url(), text="digest now")
        )
        card = await stack.api.wait_for("response_url")
        blocks = card.json_arg("blocks")
        assert [b["type"] for b in blocks] == ["header", "section", "context", "actions"]
        button = blocks[-1]["elements"][0]
        press = p.block_actions(
            response_url=stack.api.response_url("actions"),
            action_id=button["action_id"],
            value=button["value"],
        )
        await stack.interact(press)
        answer = await stack.api.wait_for("response_url", count=2)
    assert answer.args["text"] == "Subscribed to the weekly digest."


async def test_a_failing_section_is_skipped_and_the_home_still_published(
    stack: SlackStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def next_prompt(session: object, community: str) -> None:
        raise RuntimeError("prompts table missing")

    module = types.ModuleType(PROMPTS)
    module.next_prompt = next_prompt  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, PROMPTS, module)
    shown = texts_of((await open_home(stack, MOD)).json_arg("view"))
    assert "Could not load: next prompt" in shown
    assert "Open questions" in shown
