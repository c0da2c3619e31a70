"""The `/circle` and `/circle-mod` application commands, built from the core's command table."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import discord
from discord import app_commands

from adapters.discord.interaction_events import CommandShape

log = logging.getLogger(__name__)

MEMBER_GROUP = "circle"
MODERATOR_GROUP = "circle-mod"
MODERATOR_PERMISSIONS = discord.Permissions(manage_messages=True)
"""Who sees `/circle-mod` by default (admins can widen it: Server Settings > Integrations)."""
SUBCOMMANDS_MAX = 25
OPTIONS_MAX = 25
NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
_TOKEN = re.compile(r"<([^>]+)>|\[([^\]]+)\]|(\S+)")

CommandCallback = Callable[[discord.Interaction], Awaitable[None]]


@dataclass(frozen=True)
class CommandSpec:
    """A core command as Discord needs it: name, usage line, summary, moderators only."""

    name: str
    usage: str
    summary: str
    moderator_only: bool = True


@dataclass(frozen=True)
class OptionSpec:
    """One string option of a subcommand."""

    name: str
    required: bool
    description: str


def option_name(raw: str) -> str:
    """A Discord option name from a usage word (`older-than` -> `older_than`)."""
    cleaned = re.sub(r"[^a-z0-9]+", "_", raw.lower().strip("#@.")).strip("_")
    return cleaned[:32] or "value"


def parse_usage(name: str, usage: str) -> list[OptionSpec]:
    """Options from a usage line: `<x>` required, `[x]` optional, a bare word required.

    `a|b|c` becomes a required `action` option followed by an optional `args` (the rest).

    Discord wants required options first, so any option after an optional one is optional.
    A usage with nothing after the name gets no options; unparsable ones get one `args` option.
    """
    words = usage.split()
    if words and words[0].lower() == name:
        words = words[1:]
    options: list[OptionSpec] = []
    seen: set[str] = set()
    optional_seen = False
    for match in _TOKEN.finditer(" ".join(words)):
        required_word, optional_word, bare = match.groups()
        raw = required_word or optional_word or bare or ""
        if "|" in raw:  # `digest subscribe|unsubscribe|now`: a choice, then whatever follows
            required = not (optional_seen or optional_word is not None)
            choices = raw.replace("|", ", ")[:90]
            options.append(OptionSpec("action", required, f"one of: {choices}"))
            options.append(OptionSpec("args", False, "the rest, if the action needs it"))
            break
        key = option_name(raw.split("|")[0].replace("...", ""))
        if key in seen:
            continue
        optional_seen = optional_seen or optional_word is not None
        seen.add(key)
        options.append(OptionSpec(key, not optional_seen, raw[:100] or key))
    if len(options) > OPTIONS_MAX:
        return [OptionSpec("args", False, "arguments")]
    return options


def shapes_for(specs: Iterable[CommandSpec]) -> dict[str, CommandShape]:
    """The option order of every subcommand (translate builds command text in this order)."""
    shapes = {"help": CommandShape("help")}
    for spec in specs:
        shapes[spec.name] = CommandShape(
            spec.name, tuple(o.name for o in parse_usage(spec.name, spec.usage))
        )
    return shapes


def _subcommand(
    name: str, description: str, options: Sequence[OptionSpec], on_command: CommandCallback
) -> app_commands.Command[Any, ..., None]:
    async def run(interaction: discord.Interaction, **_values: Any) -> None:
        await on_command(interaction)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in options:
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str if option.required else Optional[str],  # noqa: UP045
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        o.name: o.description for o in options
    }
    return app_commands.Command(name=name, description=(description or name)[:100], callback=run)


def build_tree(
    client: discord.Client, specs: Sequence[CommandSpec], on_command: CommandCallback
) -> app_commands.CommandTree[Any]:
    """A tree with `/circle` (everyone) and `/circle-mod` (Manage Messages by default)."""
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    members = app_commands.Group(
        name=MEMBER_GROUP, description="circlebot: questions, welcome, prompts", guild_only=True
    )
    moderators = app_commands.Group(
        name=MODERATOR_GROUP,
        description="circlebot moderator commands",
        guild_only=True,
        default_permissions=MODERATOR_PERMISSIONS,
    )
    members.add_command(_subcommand("help", "What circlebot can do", (), on_command))
    for spec in specs:
        group = moderators if spec.moderator_only else members
        if not NAME.match(spec.name) or spec.name == "help":
            log.warning("command %r cannot be a Discord subcommand; skipped", spec.name)
            continue
        if len(group.commands) >= SUBCOMMANDS_MAX:
            log.warning("/%s has 25 subcommands already; %s skipped", group.name, spec.name)
            continue
        options = parse_usage(spec.name, spec.usage)
        group.add_command(_subcommand(spec.name, spec.summary, options, on_command))
    tree.add_command(members)
    if moderators.commands:
        tree.add_command(moderators)
    return tree


def core_command_specs() -> list[CommandSpec]:
    """The commands of every shipped rule and the core's (what `circlebot run` serves)."""
    from bot.rule import default_registry
    from bot.runtime_config import CONFIG_SUMMARY, CONFIG_USAGE

    table = default_registry().commands()
    specs = [CommandSpec(c.name, c.usage, c.summary, c.moderator_only) for _, c in table.values()]
    return [*specs, CommandSpec("config", CONFIG_USAGE, CONFIG_SUMMARY, moderator_only=True)]
