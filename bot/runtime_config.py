"""`/circle config`: moderators change settings at run time; validated, stored, shared."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import yaml

from bot.actions import Action
from bot.circle_config import CircleConfig, ConfigProblem, deep_merge
from bot.commands import respond
from bot.config_yaml import load_config_yaml
from bot.context import RuleContext
from bot.events import CommandInvoked
from bot.rule import Command
from bot.storage import config_overrides as store
from bot.storage.config_overrides import CurrentOverrides
from bot.storage.db import Database
from bot.storage.hooks import after_commit

log = logging.getLogger(__name__)

USAGE = (
    "usage: `/circle config` (show the overrides), "
    "`/circle config set <dotted.key> <value>` (e.g. `questions.helpers_after 30m`), "
    "`/circle config unset <dotted.key>`"
)
CONFIG_USAGE = "config [set|unset] [<key>] [<value>]"
CONFIG_SUMMARY = "show or change settings at run time (stored; every replica follows)"
KEY = re.compile(r"^[A-Za-z0-9_#-]+(\.[A-Za-z0-9_#-]+)*$")


def nested(overrides: CurrentOverrides) -> dict[str, Any]:
    """Dotted keys as one nested mapping, merged in the order they were set."""
    out: dict[str, Any] = {}
    for key, item in overrides.items():
        value: Any = item.value
        for part in reversed(key.split(".")):
            value = {part: value}
        out = deep_merge(out, value)
    return out


def parse_value(text: str) -> Any:
    """A command's value as YAML (`false`, `2h`, `[a, b]`, `null`); raises ValueError."""
    try:
        value = load_config_yaml(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"`{text}` is not a valid value ({exc.__class__.__name__})") from exc
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return text  # dates and the like: kept as written, validation decides


def key_problem(key: str) -> str | None:
    """Why a dotted key cannot be overridden at run time, if it cannot."""
    if not KEY.match(key):
        return f"`{key}` is not a dotted key; write it like `questions.helpers_after`"
    if key.split(".")[0] == "communities":
        return (
            f"`{key}`: runtime overrides already apply to this community only; "
            "drop the `communities.<id>.` prefix"
        )
    return None


def shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def file_value(raw: Mapping[str, Any], key: str) -> str:
    """What the file says for a dotted key, or that the built-in default applies."""
    found: Any = raw
    for part in key.split("."):
        if not isinstance(found, Mapping) or part not in found:
            return "built-in default"
        found = found[part]
    return f"circle.yaml: {shown(found)}"


class RuntimeOverrides:
    """Loads, validates, stores and applies runtime overrides; replicas compare a version."""

    def __init__(self, config: CircleConfig, database: Database) -> None:
        self.config = config
        self.database = database
        self.version: int | None = None
        self.command = Command("config", CONFIG_USAGE, CONFIG_SUMMARY, self.run)

    @property
    def loaded(self) -> bool:
        return self.version is not None

    async def refresh(self) -> bool:
        """One cheap version check; reload and apply everything when it moved. True if it did."""
        async with self.database.session() as session:
            seen = await store.version(session)
            if seen == self.version:
                return False
            everything = await store.current(session)
        for community in {*everything, *self.config.runtime_communities()}:
            self.apply(community, everything.get(community, {}))
        self.version = seen
        return True

    def apply(self, community: str, overrides: CurrentOverrides) -> None:
        """Apply a community's overrides, skipping any the file no longer accepts."""
        kept: CurrentOverrides = {}
        for key, item in overrides.items():
            trial = {**kept, key: item}
            problems = self.config.problems_with(community, nested(trial))
            if problems:
                log.warning("runtime override %s of %s ignored: %s", key, community, problems[0])
                continue
            kept[key] = item
        self.config.set_runtime(community, nested(kept))

    async def run(self, cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        """`/circle config [set <key> <value> | unset <key>]`."""
        action = args[0].lower() if args else "show"
        overrides = (await store.current(ctx.session, cmd.community)).get(cmd.community, {})
        if action == "show" and len(args) <= 1:
            return [respond(cmd, self.describe(cmd.community, overrides))]
        if action == "set" and len(args) >= 3:
            return [await self._change(cmd, ctx, overrides, args[1], " ".join(args[2:]))]
        if action == "unset" and len(args) == 2:
            return [await self._change(cmd, ctx, overrides, args[1], None)]
        return [respond(cmd, USAGE)]

    async def _change(
        self,
        cmd: CommandInvoked,
        ctx: RuleContext,
        overrides: CurrentOverrides,
        key: str,
        text: str | None,
    ) -> Action:
        problem = key_problem(key)
        if problem:
            return respond(cmd, f"Nothing changed. {problem}.")
        proposed = dict(overrides)
        proposed.pop(key, None)
        if text is None:
            if key not in overrides:
                return respond(cmd, f"`{key}` has no runtime override; nothing to unset.")
            value = None
        else:
            try:
                value = parse_value(text)
            except ValueError as exc:
                return respond(cmd, f"Nothing changed. {exc}; quote text with spaces.")
            proposed[key] = store.StoredOverride(key, value, cmd.user, ctx.now)
        problems = self.config.problems_with(cmd.community, nested(proposed))
        if problems:
            return respond(cmd, refusal(key, problems))
        await store.record(
            ctx.session,
            community=cmd.community,
            key=key,
            value=value,
            removed=text is None,
            by=cmd.user,
            at=ctx.now,
        )
        community = cmd.community
        after_commit(ctx.session, f"config:{community}", lambda: self.apply(community, proposed))
        if text is None:
            return respond(
                cmd, f"`{key}` is back to {file_value(self.config.file_raw(community), key)}."
            )
        return respond(cmd, f"`{key}` is now {shown(value)} (undo: `/circle config unset {key}`).")

    def describe(self, community: str, overrides: CurrentOverrides) -> str:
        """The overrides in force, each with who set it and what the file says."""
        if not overrides:
            return (
                "No runtime overrides: every setting comes from circle.yaml or the built-in "
                "defaults.\nChange one with `/circle config set <dotted.key> <value>`."
            )
        raw = self.config.file_raw(community)
        lines = ["Runtime overrides (they win over circle.yaml):"]
        for key, item in overrides.items():
            when = item.set_at.strftime("%Y-%m-%d %H:%M UTC")
            lines.append(
                f"  {key} = {shown(item.value)} (set by <@{item.set_by}> on {when}; "
                f"otherwise {file_value(raw, key)})"
            )
        lines.append("Undo one with `/circle config unset <dotted.key>`.")
        return "\n".join(lines)


def refusal(key: str, problems: list[ConfigProblem]) -> str:
    """Why a change was refused: every problem with its key and fix."""
    listed = "\n".join(f"  - {p}" for p in problems)
    return f"Nothing changed: `{key}` was refused.\n{listed}"
