"""Community configuration (`circle.yaml`): validated with errors that name the key and the fix."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.config_yaml import load_config_yaml

if TYPE_CHECKING:
    from bot.rule import RuleRegistry, RuleSettings

_SHORT_HOUR = re.compile(r"\d:\d{2}(:\d{2})?")
DEFAULT_NORMS = (
    "Be kind: assume good intent and help each other.",
    "Ask freely: every question deserves an answer.",
    "Engage before you promote: share links once you are part of the conversation.",
)


class Moderators(BaseModel):
    """Who may run moderator commands, besides platform admins."""

    model_config = ConfigDict(extra="forbid")

    users: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)


class QuietHours(BaseModel):
    """A nightly window (community time) when the bot does not nudge."""

    model_config = ConfigDict(extra="forbid")

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        if isinstance(value, bool | int | float):
            raise ValueError("write a clock time such as '22:30'")
        if isinstance(value, str) and _SHORT_HOUR.fullmatch(value.strip()):
            return "0" + value.strip()  # 8:00 -> 08:00
        return value

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


class CommunitySection(BaseModel):
    """The `community:` section: identity, timezone, moderators, well-known channels, norms."""

    model_config = ConfigDict(extra="forbid")

    name: str = "our circle"
    timezone: str = "UTC"
    moderators: Moderators = Field(default_factory=Moderators)
    moderators_channel: str | None = None
    rules_channel: str | None = None
    intro_channel: str | None = None
    welcome_channel: str | None = None
    helpers_group: str | None = None
    norms: list[str] = Field(default_factory=lambda: list(DEFAULT_NORMS))
    quiet_hours: QuietHours | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file: where, what, and how to fix it."""

    path: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem} (fix: {self.fix})"


class ConfigError(Exception):
    """A config file that cannot be used; `problems` lists every offending key."""

    def __init__(self, problems: list[ConfigProblem], *, source: str = "config") -> None:
        self.problems = problems
        self.source = source
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{lines}")


_TOP_KEYS = ("community", "channels", "communities")


def _fix_for(error: Mapping[str, Any], model: type[BaseModel] | None, loc: tuple[Any, ...]) -> str:
    kind = str(error.get("type", ""))
    message = str(error.get("msg", ""))
    if kind == "extra_forbidden" and model is not None:
        known = _known_keys(model, loc[:-1])
        return "remove it or use one of: " + ", ".join(known) if known else "remove it"
    if "duration" in message:
        return "use a number followed by s, m, h, d or w, e.g. 90s, 15m, 2h, 1d"
    if "timezone" in message:
        return "use an IANA timezone name such as UTC, Europe/Madrid or America/New_York"
    if kind.startswith("time"):
        return "use a 24-hour time such as 09:00 or 22:30"
    if kind in {"missing"}:
        return "add this key"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        expected = kind.removesuffix("_parsing").removesuffix("_type")
        return f"give a value of the right type ({expected})"
    return "correct the value as described"


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: type[BaseModel] = model
    for part in loc:
        field = current.model_fields.get(str(part))
        annotation = getattr(field, "annotation", None) if field else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            current = annotation
        else:
            return []
    return sorted(current.model_fields)


def problems_from_validation(
    error: ValidationError, *, prefix: str, model: type[BaseModel] | None
) -> list[ConfigProblem]:
    """Turn a pydantic ValidationError into config problems with dotted key paths."""
    out = []
    for item in error.errors():
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in (prefix, *loc) if str(p))
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        out.append(ConfigProblem(path or prefix, message, _fix_for(item, model, loc)))
    return out


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge `override` into a copy of `base`, recursing into mappings."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class CommunityConfig:
    """The resolved configuration of one community: its section and each rule's settings."""

    def __init__(
        self, *, community: CommunitySection, raw: Mapping[str, Any], registry: RuleRegistry
    ) -> None:
        self.community = community
        self._raw = raw
        self._registry = registry
        self._cache: dict[tuple[str, str | None], RuleSettings] = {}

    @property
    def tz(self) -> ZoneInfo:
        return self.community.tz

    def rule_settings(self, rule: str, channel: Iterable[str] | str | None = None) -> RuleSettings:
        """Settings of `rule`, with the overrides of `channel` (id or name) applied."""
        keys = [channel] if isinstance(channel, str) else list(channel or [])
        cache_key = (rule, "|".join(keys) if keys else None)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        section: dict[str, Any] = dict(self._raw.get(rule) or {})
        channels = self._raw.get("channels") or {}
        for key in keys:
            for variant in (key, f"#{key}", key.lstrip("#")):
                override = (channels.get(variant) or {}).get(rule)
                if override:
                    section = deep_merge(section, override)
                    break
        settings = self._registry.settings_model(rule).model_validate(section)
        self._cache[cache_key] = settings
        return settings

    def is_enabled(self, rule: str) -> bool:
        return bool(self.rule_settings(rule).enabled)

    def is_moderator(self, user: str, *, roles: Iterable[str] = (), is_admin: bool = False) -> bool:
        mods = self.community.moderators
        return is_admin or user in mods.users or any(r in mods.roles for r in roles)


class CircleConfig:
    """A whole `circle.yaml`: defaults plus per-community and per-channel overrides."""

    def __init__(self, raw: Mapping[str, Any], registry: RuleRegistry, *, source: str) -> None:
        self.raw = dict(raw)
        self.registry = registry
        self.source = source
        self._communities: dict[str, CommunityConfig] = {}
        self._runtime: dict[str, dict[str, Any]] = {}
        problems = self._validate(self.raw, prefix="")
        communities = self.raw.get("communities") or {}
        if not isinstance(communities, Mapping):
            problems.append(
                ConfigProblem("communities", "must be a mapping", "map community ids to sections")
            )
            communities = {}
        for community_id, override in communities.items():
            if not isinstance(override, Mapping):
                problems.append(
                    ConfigProblem(f"communities.{community_id}", "must be a mapping", "indent keys")
                )
                continue
            merged = deep_merge(_without(self.raw, "communities"), override)
            problems += self._validate(merged, prefix=f"communities.{community_id}")
        if problems:
            raise ConfigError(_dedupe(problems), source=source)

    @classmethod
    def load(cls, path: Path | str | None, registry: RuleRegistry) -> CircleConfig:
        """Read and validate a YAML file; no path means every default."""
        if path is None:
            return cls({}, registry, source="defaults")
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                [ConfigProblem("(file)", f"cannot read: {exc.strerror}", "check the path")],
                source=source,
            ) from exc
        return cls.from_text(text, registry, source=source)

    @classmethod
    def from_text(
        cls, text: str, registry: RuleRegistry, *, source: str = "config"
    ) -> CircleConfig:
        try:
            data = load_config_yaml(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise ConfigError(
                [ConfigProblem(where, str(problem), "fix the YAML syntax (indentation, colons)")],
                source=source,
            ) from exc
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(
                [ConfigProblem("(top level)", "must be a mapping of sections", "start with keys")],
                source=source,
            )
        return cls(data, registry, source=source)

    def for_community(self, community_id: str) -> CommunityConfig:
        """The resolved config of one community (cached)."""
        cached = self._communities.get(community_id)
        if cached is not None:
            return cached
        raw = self.file_raw(community_id)
        runtime = self._runtime.get(community_id)
        if runtime:
            raw = deep_merge(raw, runtime)
        section = CommunitySection.model_validate(raw.get("community") or {})
        resolved = CommunityConfig(community=section, raw=raw, registry=self.registry)
        self._communities[community_id] = resolved
        return resolved

    def file_raw(self, community_id: str) -> dict[str, Any]:
        """The community's raw settings from the file alone (defaults < per-community)."""
        raw = _without(self.raw, "communities")
        override = (self.raw.get("communities") or {}).get(community_id)
        return deep_merge(raw, override) if isinstance(override, Mapping) else raw

    def set_runtime(self, community_id: str, overrides: Mapping[str, Any]) -> None:
        """Apply moderators' runtime overrides (nested) on top of the file; drops the cache."""
        if overrides:
            self._runtime[community_id] = copy.deepcopy(dict(overrides))
        else:
            self._runtime.pop(community_id, None)
        self._communities.pop(community_id, None)

    def runtime_communities(self) -> list[str]:
        """Communities that have runtime overrides applied."""
        return list(self._runtime)

    def problems_with(self, community_id: str, overrides: Mapping[str, Any]) -> list[ConfigProblem]:
        """What would be wrong with the community's config under these runtime overrides."""
        return _dedupe(
            self._validate(deep_merge(self.file_raw(community_id), overrides), prefix="")
        )

    def _validate(self, raw: Mapping[str, Any], *, prefix: str) -> list[ConfigProblem]:
        problems: list[ConfigProblem] = []
        pre = f"{prefix}." if prefix else ""
        try:
            CommunitySection.model_validate(raw.get("community") or {})
        except ValidationError as exc:
            problems += problems_from_validation(
                exc, prefix=f"{pre}community", model=CommunitySection
            )
        names = set(self.registry.names())
        for key, value in raw.items():
            if key in _TOP_KEYS:
                continue
            if key not in names:
                known = ", ".join(sorted([*_TOP_KEYS, *names]))
                problems.append(
                    ConfigProblem(f"{pre}{key}", "unknown section", f"use one of: {known}")
                )
                continue
            problems += self._validate_rule(key, value, path=f"{pre}{key}")
        channels = raw.get("channels") or {}
        if not isinstance(channels, Mapping):
            return [
                *problems,
                ConfigProblem(f"{pre}channels", "must be a mapping", "map names to sections"),
            ]
        for channel, sections in channels.items():
            if not isinstance(sections, Mapping):
                problems.append(
                    ConfigProblem(
                        f"{pre}channels.{channel}", "must be a mapping", "map rules to settings"
                    )
                )
                continue
            for rule, override in sections.items():
                path = f"{pre}channels.{channel}.{rule}"
                if rule not in names:
                    problems.append(
                        ConfigProblem(
                            path, "unknown rule", f"use one of: {', '.join(sorted(names))}"
                        )
                    )
                    continue
                if not isinstance(override, Mapping):
                    problems.append(ConfigProblem(path, "must be a mapping", "give rule settings"))
                    continue
                found = raw.get(rule)
                base: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
                problems += self._validate_rule(rule, deep_merge(base, override), path=path)
        return problems

    def _validate_rule(self, rule: str, value: Any, *, path: str) -> list[ConfigProblem]:
        if value is None:
            return []
        model = self.registry.settings_model(rule)
        if not isinstance(value, Mapping):
            return [
                ConfigProblem(
                    path, "must be a mapping of settings", f"e.g. {rule}: {{enabled: true}}"
                )
            ]
        try:
            model.model_validate(value)
        except ValidationError as exc:
            return problems_from_validation(exc, prefix=path, model=model)
        return []


def _without(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != key}


def _dedupe(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.problem) not in seen:
            seen.add((p.path, p.problem))
            out.append(p)
    return out
