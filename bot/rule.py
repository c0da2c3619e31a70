"""The rule contract and registry: one class per circle norm, discovered by name."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from bot.actions import Action, ActionResult
from bot.events import CommandInvoked, Event

if TYPE_CHECKING:
    from bot.context import DueItem, JobRun, RuleContext


class RuleSettings(BaseModel):
    """Base of every rule's settings model: unknown keys are errors; every rule can be disabled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True


CommandHandler = Callable[[CommandInvoked, list[str], "RuleContext"], Awaitable[list[Action]]]


@dataclass(frozen=True)
class Command:
    """A `/circle` subcommand a rule provides."""

    name: str
    usage: str
    summary: str
    handler: CommandHandler
    moderator_only: bool = True


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: a cron expression evaluated in the community's timezone."""

    job_id: str
    cron: str
    payload: dict[str, Any] = field(default_factory=dict)
    grace_seconds: int = 3600


class Rule:
    """Base class of a circle rule; override what you need."""

    name: ClassVar[str] = ""
    Settings: ClassVar[type[RuleSettings]] = RuleSettings
    handles: ClassVar[tuple[type[Event], ...]] = ()
    priority: ClassVar[int] = 100

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        """React to an event this rule handles."""
        return []

    async def before_due(self, items: Sequence[DueItem], ctx: RuleContext) -> None:
        """Several of this rule's deadlines are about to run, each with `on_due`, in this
        transaction: load what they need at once (optional; nothing by default)."""

    async def on_due(self, item: DueItem, ctx: RuleContext) -> list[Action]:
        """Handle a durable deadline this rule set earlier."""
        return []

    def commands(self) -> Sequence[Command]:
        """Subcommands of `/circle` this rule provides."""
        return ()

    def jobs(self, ctx_settings: RuleSettings) -> Sequence[JobSpec]:
        """Scheduled jobs this rule wants for a community with these settings."""
        return ()

    async def on_job(self, run: JobRun, ctx: RuleContext) -> list[Action]:
        """Run one fire of a scheduled job (claimed by exactly one replica)."""
        return []

    async def on_sent(self, action: Action, result: ActionResult, ctx: RuleContext) -> None:
        """Learn the result (e.g. the message id) of an action this rule tagged."""

    def warm_up(self) -> None:
        """Load at start-up what the first event would otherwise wait for (lexicons...)."""


class RuleRegistry:
    """Rules by unique name, ordered by priority then name."""

    def __init__(self, rules: Sequence[type[Rule]] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.register(rule)

    def register(self, rule_cls: type[Rule]) -> None:
        if not rule_cls.name:
            raise ValueError(f"{rule_cls.__name__} has no name")
        if rule_cls.name in self._rules:
            raise ValueError(f"two rules are named {rule_cls.name!r}")
        self._rules[rule_cls.name] = rule_cls()

    def names(self) -> list[str]:
        return [r.name for r in self.ordered()]

    def ordered(self) -> list[Rule]:
        return sorted(self._rules.values(), key=lambda r: (r.priority, r.name))

    def find(self, name: str) -> Rule | None:
        """The rule named `name`, or None."""
        return self._rules.get(name)

    def get(self, name: str) -> Rule:
        try:
            return self._rules[name]
        except KeyError:
            raise KeyError(f"no rule named {name!r}") from None

    def settings_model(self, name: str) -> type[RuleSettings]:
        return self.get(name).Settings

    def commands(self) -> dict[str, tuple[Rule, Command]]:
        table: dict[str, tuple[Rule, Command]] = {}
        for rule in self.ordered():
            for command in rule.commands():
                if command.name in table:
                    raise ValueError(f"command {command.name!r} is defined twice")
                table[command.name] = (rule, command)
        return table


def discover_rules(package: str = "rules") -> list[type[Rule]]:
    """Import every module of `package` and collect the classes each lists in `RULES`."""
    module = importlib.import_module(package)
    found: list[type[Rule]] = []
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
        child = importlib.import_module(f"{package}.{info.name}")
        found.extend(getattr(child, "RULES", ()))
    return found


def default_registry() -> RuleRegistry:
    """A fresh registry of every rule shipped in the `rules` package."""
    return RuleRegistry(discover_rules())
