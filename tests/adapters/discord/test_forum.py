"""Forum channels (solved tag both ways) and the shipped rules end to end over Discord."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.actions import Action, SetTags
from bot.commands import respond
from bot.context import RuleContext
from bot.events import CommandInvoked, Event, TagsChanged
from bot.rule import Command, Rule, RuleRegistry, default_registry
from rules.questions import Questions
from rules.questions.models import Question
from tests.fakes.discord_bot import DiscordBot, running_bot
from tests.fakes.discord_logging import ErrorCollector, fail_on_discord_errors

SOLVED: list[str] = []


class ForumSolver(Rule):
    """A stand-in for the questions rule's forum contract: `solve` tags, the tag marks solved."""

    name = "solver"
    handles = (TagsChanged,)

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        assert isinstance(event, TagsChanged)
        if "solved" in event.tags:
            SOLVED.append(event.thread)
        return []

    def commands(self) -> list[Command]:
        return [Command("solve", "solve", "mark this post solved", self._solve, False)]

    async def _solve(self, cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        SOLVED.append(cmd.channel)
        return [
            SetTags(
                community=cmd.community,
                channel=cmd.channel,
                thread=cmd.channel,
                add=("Solved", "no-such-tag"),
                remove=("question",),
            ),
            respond(cmd, "Marked solved."),
        ]


@pytest.fixture(autouse=True)
def no_discord_errors() -> Iterator[ErrorCollector]:
    SOLVED.clear()
    with fail_on_discord_errors() as collector:
        yield collector


async def test_solved_tag_set_by_a_member_marks_it_solved(tmp_path: Path) -> None:
    async with running_bot(tmp_path, RuleRegistry([ForumSolver])) as bot:
        world = bot.server.world
        await bot.server.set_thread_tags(world.forum_post_id, [world.solved_tag_id])
        await bot.settle()
        assert SOLVED == [str(world.forum_post_id)]


async def test_set_tags_applies_the_solved_tag_without_echoing_it(tmp_path: Path) -> None:
    async with running_bot(tmp_path, RuleRegistry([ForumSolver])) as bot:
        world = bot.server.world
        await bot.server.slash_command(
            "circle", subcommand="solve", user_id=world.member_id, channel_id=world.forum_post_id
        )
        await bot.settle()
        (patch,) = bot.server.rest.find("PATCH", rf"/channels/{world.forum_post_id}")
        assert patch.body["applied_tags"] == [str(world.solved_tag_id)]
        # Discord echoes the change as THREAD_UPDATE: the bot's own change is not a member's
        await bot.server.dispatch("THREAD_UPDATE", world.channels[world.forum_post_id])
        await bot.settle()
        assert SOLVED == [str(world.forum_post_id)]  # from the command only


async def test_forum_post_is_tracked_by_the_questions_rule(tmp_path: Path) -> None:
    from rules.questions.store import open_questions

    async with running_bot(tmp_path, default_registry()) as bot:
        world = bot.server.world
        thread, _ = await bot.server.create_forum_post(
            title="Mounting", author_id=world.member_id, content="How do I mount a USB disk?"
        )
        await bot.settle()
        async with bot.engine.database.session() as session:
            (question,) = await open_questions(
                session, f"discord:{world.guild_id}", now=datetime.now(UTC)
            )
        assert question.thread == thread["id"] == question.message_id
        assert question.permalink is not None and thread["id"] in question.permalink


async def _question_state(bot: DiscordBot, message_id: str) -> tuple[str, str | None]:
    async with bot.engine.database.session() as session:
        row = (
            await session.scalars(select(Question).where(Question.message_id == message_id))
        ).one()
        return row.state, row.close_reason


async def test_forum_post_solved_by_the_solved_tag_with_the_real_questions_rule(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, RuleRegistry([Questions])) as bot:
        world = bot.server.world
        thread, _ = await bot.server.create_forum_post(
            title="Sound", author_id=world.member_id, content="Sound stopped after the upgrade"
        )
        await bot.settle()
        assert await _question_state(bot, thread["id"]) == ("open", None)
        await bot.server.set_thread_tags(int(thread["id"]), [world.solved_tag_id])
        await bot.settle()
        assert await _question_state(bot, thread["id"]) == ("solved", "marked_solved")
        assert bot.server.rest.find("PATCH", rf"/channels/{thread['id']}") == []


async def test_forum_post_solved_by_the_askers_thanks_gets_the_solved_tag(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, RuleRegistry([Questions])) as bot:
        world = bot.server.world
        thread, _ = await bot.server.create_forum_post(
            title="Sound", author_id=world.member_id, content="Sound stopped after the upgrade"
        )
        post_id = int(thread["id"])
        await bot.server.send_message(
            channel_id=post_id, author_id=world.moderator_id, content="reinstall pipewire"
        )
        await bot.server.send_message(
            channel_id=post_id, author_id=world.member_id, content="thanks, that worked!"
        )
        await bot.settle()
        assert await _question_state(bot, thread["id"]) == ("solved", "marked_solved")
        (patch,) = bot.server.rest.find("PATCH", rf"/channels/{post_id}")
        assert patch.body["applied_tags"] == [str(world.solved_tag_id)]


async def test_welcome_waits_for_onboarding_when_the_welcome_rule_says_so(
    tmp_path: Path,
) -> None:
    config = "community:\n  welcome_channel: general\nwelcome:\n  trigger: onboarding_complete\n"
    async with running_bot(tmp_path, default_registry(), config_yaml=config) as bot:
        world, rest = bot.server.world, bot.server.rest
        await bot.server.member_join(user_id=4242, pending=True)
        await bot.settle()
        assert rest.find("POST", rf"/channels/{world.general_id}/messages") == []
        await bot.server.member_update(user_id=4242, pending=False)
        await bot.settle()
        (welcome,) = rest.find("POST", rf"/channels/{world.general_id}/messages")
        assert "<@4242>" in welcome.body["content"]


async def test_shipped_moderator_commands_over_discord(tmp_path: Path) -> None:
    config = "community:\n  moderators:\n    roles: [Moderators]\n"
    async with running_bot(tmp_path, default_registry(), config_yaml=config) as bot:
        world, rest = bot.server.world, bot.server.rest
        (mod_group,) = [c for c in rest.global_commands if c["name"] == "circle-mod"]
        assert {"unanswered", "claim", "snooze", "held"} <= {
            o["name"] for o in mod_group["options"]
        }
        await bot.server.create_forum_post(
            title="Mounting", author_id=world.member_id, content="How do I mount a USB disk?"
        )
        listing = await bot.server.slash_command(
            "circle-mod", subcommand="unanswered", user_id=world.moderator_id
        )
        refused = await bot.server.slash_command(
            "circle-mod", subcommand="claim", options={"question": "Q1"}, user_id=world.member_id
        )
        claimed = await bot.server.slash_command(
            "circle-mod", subcommand="claim", options={"question": "Q1"}, user_id=world.moderator_id
        )
        await bot.settle()
        answers = {
            r.token: (r.message or {}).get("content", "") for r in rest.interaction_responses
        }
        assert "mount a USB disk" in answers[listing["token"]]
        assert "moderators" in answers[refused["token"]]
        assert "Q1" in answers[claimed["token"]]
