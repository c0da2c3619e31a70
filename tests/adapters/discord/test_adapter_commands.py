"""`/circle` commands and persistent buttons through the real start path and a real Engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.actions import Action, Button, Card, CardSection, Post
from bot.commands import respond
from bot.context import RuleContext
from bot.events import CommandInvoked
from bot.rule import Command, Rule, RuleRegistry
from tests.core.sample_rules import EchoRule
from tests.fakes.discord_bot import DiscordBot, running_bot
from tests.fakes.discord_logging import ErrorCollector, fail_on_discord_errors
from tests.fakes.discord_payloads import button_row
from tests.fakes.discord_server import FakeDiscordServer

MODERATORS = "community:\n  moderators:\n    roles: [Moderators]\n"
COMMANDS: list[CommandInvoked] = []


class Panel(Rule):
    """Commands that post buttons, answer publicly, or answer with a card."""

    name = "panel"

    def commands(self) -> list[Command]:
        return [
            Command("offer", "offer", "post a button", self._offer, moderator_only=False),
            Command("announce", "announce <what> [where]", "say it", self._announce, False),
            Command("report", "report", "a card", self._card, moderator_only=False),
        ]

    async def _offer(self, cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        COMMANDS.append(cmd)
        buttons = (Button(label="Claim", command="echo claimed Q12", style="primary"),)
        secret = (Button(label="Secret", command="secret"),)
        return [
            Post(community=cmd.community, channel=cmd.channel, text="Q12?", buttons=buttons),
            Post(community=cmd.community, channel=cmd.channel, text="mods", buttons=secret),
        ]

    async def _announce(
        self, cmd: CommandInvoked, args: list[str], ctx: RuleContext
    ) -> list[Action]:
        COMMANDS.append(cmd)
        return [respond(cmd, f"announced: {args}", public=True)]

    async def _card(self, cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        card = Card(title="Digest", sections=(CardSection(heading="Open", lines=("Q1",)),))
        return [respond(cmd, "here it is", card=card)]


@pytest.fixture(autouse=True)
def no_discord_errors() -> Iterator[ErrorCollector]:
    COMMANDS.clear()
    with fail_on_discord_errors() as collector:
        yield collector


def registry() -> RuleRegistry:
    return RuleRegistry([EchoRule, Panel])


def original(bot: DiscordBot, token: str) -> str:
    """The final content of an interaction's original (deferred) response."""
    for record in bot.server.rest.interaction_responses:
        if record.token == token and record.message is not None:
            return str(record.message["content"])
    raise AssertionError("no original response")


async def run(bot: DiscordBot, group: str, sub: str, user: int, **options: object) -> str:
    interaction = await bot.server.slash_command(
        group, subcommand=sub, options=dict(options), user_id=user
    )
    await bot.settle()
    return str(interaction["token"])


async def test_command_tree_synced_with_member_and_moderator_groups(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        circle, mod = bot.server.rest.global_commands
    assert circle["name"] == "circle" and circle["default_member_permissions"] is None
    assert {o["name"] for o in circle["options"]} == {"help", "echo", "offer", "announce", "report"}
    assert mod["name"] == "circle-mod" and int(mod["default_member_permissions"]) == 1 << 13
    assert [o["name"] for o in mod["options"]] == ["secret"]
    announce = next(o for o in circle["options"] if o["name"] == "announce")
    assert [(o["name"], o["required"]) for o in announce["options"]] == [
        ("what", True),
        ("where", False),
    ]
    assert circle["dm_permission"] is False  # guild only


async def test_member_command_defers_then_edits_the_original(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        token = await run(bot, "circle", "echo", bot.server.world.member_id, text="hello there")
        assert original(bot, token) == "hello there"
        first = bot.server.rest.interaction_responses[0].body
        assert first == {"type": 5, "data": {"flags": 64}}  # deferred, ephemeral


async def test_help_lists_commands(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        token = await run(bot, "circle", "help", bot.server.world.member_id)
        assert "/circle echo TEXT" in original(bot, token)


async def test_moderator_command_refused_for_members_allowed_for_moderators(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, registry(), config_yaml=MODERATORS) as bot:
        world = bot.server.world
        refused = await run(bot, "circle-mod", "secret", world.member_id)
        allowed = await run(bot, "circle-mod", "secret", world.moderator_id)
        owner = await run(bot, "circle-mod", "secret", world.owner_id)
        assert "is for the circle's moderators" in original(bot, refused)
        assert original(bot, allowed) == original(bot, owner) == "(nothing)"


async def test_public_answer_and_command_text(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        world = bot.server.world
        token = await run(bot, "circle", "announce", world.member_id, what="big news", where="here")
        (cmd,) = COMMANDS
        assert cmd.text == 'announce "big news" here' and cmd.user == str(world.member_id)
        assert bot.server.rest.find("DELETE", rf"/webhooks/\d+/{token}/messages/@original")
        (followup,) = bot.server.rest.find("POST", rf"/webhooks/\d+/{token}")
        assert followup.body["content"] == "announced: ['big news', 'here']"
        assert not followup.body.get("flags")  # public


async def test_card_rendered_as_embed(tmp_path: Path) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        token = await run(bot, "circle", "report", bot.server.world.member_id)
        (edit,) = bot.server.rest.find("PATCH", rf"/webhooks/\d+/{token}/messages/@original")
        assert edit.body["content"] == "here it is"
        assert edit.body["embeds"][0]["title"] == "Digest"
        assert edit.body["embeds"][0]["fields"][0] == {
            "name": "Open",
            "value": "Q1",
            "inline": False,
        }


async def test_command_answered_by_posts_only_removes_the_thinking_message(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, registry()) as bot:
        token = await run(bot, "circle", "offer", bot.server.world.member_id)
        posts = bot.server.rest.find("POST", r"/channels/\d+/messages")
        assert [p.body["content"] for p in posts] == ["Q12?", "mods"]
        components = posts[0].body["components"][0]["components"]
        assert components[0]["custom_id"] == "circle:echo claimed Q12"
        assert components[0]["style"] == 1
        assert bot.server.rest.find("DELETE", rf"/webhooks/\d+/{token}/messages/@original")


async def test_buttons_work_after_a_restart(tmp_path: Path) -> None:
    async with FakeDiscordServer() as server:
        world = server.world
        async with running_bot(tmp_path, registry(), config_yaml=MODERATORS, server=server) as bot:
            await run(bot, "circle", "offer", world.member_id)
        claim, secret = [
            m
            for m in world.messages.values()
            if m["author"]["id"] == str(world.bot_id) and m["components"]
        ]
        # a new process: new client, new session, same database
        async with running_bot(tmp_path, registry(), config_yaml=MODERATORS, server=server) as bot:
            assert server.gateway.identify_count == 2
            await server.press_button(
                custom_id="circle:echo claimed Q12", message=claim, user_id=world.member_id
            )
            await server.press_button(
                custom_id="circle:secret", message=secret, user_id=world.member_id
            )
            await bot.settle()
        first, second = server.rest.interaction_responses[-2:]
        assert first.body == {"type": 6} and second.body == {"type": 6}  # deferred update
        followups = server.rest.find("POST", r"/webhooks/\d+/[^/]+")
        assert followups[-2].body["content"] == "claimed Q12"
        assert "is for the circle's moderators" in followups[-1].body["content"]
        assert all(r.body["flags"] == 64 for r in followups)  # ephemeral


async def test_old_message_button_without_a_running_view(tmp_path: Path) -> None:
    """A custom_id the bot never registered in this process still reaches the core."""
    async with running_bot(tmp_path, registry()) as bot:
        world = bot.server.world
        old = world.new_message(
            channel_id=world.general_id,
            author_id=world.bot_id,
            content="from last week",
            components=[button_row(custom_id="circle:echo old button", label="Old")],
        )
        await bot.server.press_button(
            custom_id="circle:echo old button", message=old, user_id=world.member_id
        )
        await bot.settle()
        (followup,) = bot.server.rest.find("POST", r"/webhooks/\d+/[^/]+")
        assert followup.body["content"] == "old button"
