"""`/circle` command routing: parsing, permission checks, help, and replies to the invoker."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence

from bot.actions import Action, Button, Card, Respond
from bot.circle_config import CommunityConfig
from bot.context import RuleContext
from bot.events import ButtonPressed, CommandInvoked
from bot.rule import Command, RuleRegistry

ContextFactory = Callable[[str], RuleContext]
"""Builds the context a command runs in, by the name of its owner (a rule, or `commands`)."""
CORE = "commands"

REFUSAL = (
    "Sorry, `/circle {name}` is for the circle's moderators. "
    "If something needs their attention, `/circle report <what happened>` reaches them privately."
)


def respond(
    cmd: CommandInvoked,
    text: str,
    *,
    buttons: tuple[Button, ...] = (),
    card: Card | None = None,
    public: bool = False,
) -> Respond:
    """A reply to whoever ran `cmd`: private unless `public`."""
    return Respond(
        community=cmd.community,
        channel=cmd.channel,
        user=cmd.user,
        reply_handle=cmd.reply_handle,
        text=text,
        buttons=buttons,
        card=card,
        public=public,
    )


def parse_command(text: str) -> tuple[str, list[str]]:
    """Split `unanswered #help 2h` into (`unanswered`, [`#help`, `2h`]); quotes group words."""
    text = text.strip()
    if text.startswith("/circle"):
        text = text[len("/circle") :].strip()
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    if not words:
        return "help", []
    return words[0].lower(), words[1:]


def as_command(event: ButtonPressed) -> CommandInvoked:
    """A button press is the command it stands for, run by whoever pressed it."""
    fields = event.model_dump(exclude={"kind", "command", "message_id"})
    return CommandInvoked(**fields, text=event.command)


class CommandRouter:
    """Finds the rule (or the core) that owns a subcommand and runs it for allowed users."""

    def __init__(self, registry: RuleRegistry, core: Sequence[Command] = ()) -> None:
        self.registry = registry
        self.table = registry.commands()
        self.core = {command.name: command for command in core}
        for name in self.core:
            if name in self.table or name == "help":
                raise ValueError(f"command {name!r} is defined twice")

    def available(self, config: CommunityConfig) -> dict[str, tuple[str, Command]]:
        """Commands by name, with their owner: enabled rules' and the core's."""
        found = {n: (r.name, c) for n, (r, c) in self.table.items() if config.is_enabled(r.name)}
        return {**found, **{n: (CORE, c) for n, c in self.core.items()}}

    def help_text(self, config: CommunityConfig, *, moderator: bool) -> str:
        lines = ["circlebot commands:", "  /circle help: this list"]
        for _name, (_owner, command) in sorted(self.available(config).items()):
            if command.moderator_only and not moderator:
                continue
            marker = " (moderators)" if command.moderator_only else ""
            lines.append(f"  /circle {command.usage}: {command.summary}{marker}")
        return "\n".join(lines)

    async def run(
        self,
        cmd: CommandInvoked,
        *,
        config: CommunityConfig,
        context_for: ContextFactory,
    ) -> list[Action]:
        """Run `cmd`: help for unknown names, a polite refusal for non-moderators."""
        name, args = parse_command(cmd.text)
        moderator = config.is_moderator(cmd.user, roles=cmd.roles, is_admin=cmd.is_admin)
        entry = self.available(config).get(name)
        if name == "help" or entry is None:
            prefix = "" if name == "help" else f"I don't know `/circle {name}`.\n"
            return [respond(cmd, prefix + self.help_text(config, moderator=moderator))]
        owner, command = entry
        if command.moderator_only and not moderator:
            return [respond(cmd, REFUSAL.format(name=name))]
        return await command.handler(cmd, args, context_for(owner))
