"""The Discord adapter: gateway events in order to the core, core actions out through REST."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import yarl

from adapters.discord import interaction_events as ie
from adapters.discord import translate as tr
from adapters.discord.client import CacheLookup, CircleClient, interaction_payload
from adapters.discord.commands import CommandSpec, core_command_specs, shapes_for
from adapters.discord.interactions import InteractionSlots, Slot
from adapters.discord.sending import ActionSender, quietly
from adapters.discord.settings import (
    JOIN_MODE_ENV,
    SYNC_ENV,
    JoinModes,
    ShardPlan,
    join_modes_from_config,
    parse_join_mode,
    parse_shards,
)
from bot.actions import Action, ActionResult
from bot.adapter import Capabilities, EventSink, TransientError
from bot.engine import Engine
from bot.events import Event
from bot.settings import ProcessSettings

log = logging.getLogger(__name__)

DELIVERY_TRIES = 5
TAG_MEMORY = 50_000


@dataclass
class Delivery:
    """An event waiting for the core, and what to do once it was handled."""

    event: Event
    done: Callable[[], Awaitable[None]] | None = None
    tries: int = field(default=0)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DiscordAdapter:
    """Discord behind the core's Adapter contract (see docs/discord.md)."""

    platform = "discord"
    capabilities = Capabilities(
        threads=True,
        reactions=True,
        buttons=True,
        ephemeral=True,  # inside interactions; outside one an Ephemeral becomes a DM
        hide=True,
        forum_tags=True,
        direct_messages=True,
        rich_cards=True,
    )

    def __init__(
        self,
        *,
        token: str,
        commands: Sequence[CommandSpec] = (),
        shards: ShardPlan | None = None,
        api_url: str | None = None,
        gateway_url: str | None = None,
        member_joined: tr.JoinMode | JoinModes = "join",
        sync_commands: bool = True,
        client_class: type[CircleClient] = CircleClient,
        client_options: dict[str, Any] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.token = token
        self.commands = list(commands)
        self.shapes = shapes_for(self.commands)
        self.shards = shards or ShardPlan()
        self.api_url = api_url
        self.gateway_url = gateway_url
        self.join_mode: JoinModes = (
            member_joined if callable(member_joined) else (lambda _community: member_joined)
        )
        self.sync_commands = sync_commands
        self.client_class = client_class
        self.client_options = dict(client_options or {})
        self.clock = clock
        self.slots = InteractionSlots()
        self.client: CircleClient | None = None
        self.lookup: tr.Lookup = tr.StaticLookup(bot="")
        self._sender: ActionSender | None = None
        self._sink: EventSink | None = None
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._pending: set[tuple[str, str]] = set()
        self._tags: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._interactions_due = 0
        self._interactions_changed = asyncio.Condition()

    @classmethod
    def from_settings(cls, settings: ProcessSettings) -> DiscordAdapter:
        """Build from `CIRCLEBOT_DISCORD_*` settings, serving the commands of every shipped rule."""
        if settings.discord_token is None:
            raise ValueError("CIRCLEBOT_DISCORD_TOKEN is not set")
        forced = os.environ.get(JOIN_MODE_ENV)
        if forced:
            modes: tr.JoinMode | JoinModes = parse_join_mode(forced)
        else:
            from bot.runtime import load_config

            modes = join_modes_from_config(load_config(settings))
        return cls(
            token=settings.discord_token.get_secret_value(),
            commands=core_command_specs(),
            shards=parse_shards(settings.discord_shards),
            api_url=settings.discord_api_url,
            gateway_url=settings.discord_gateway_url,
            member_joined=modes,
            sync_commands=os.environ.get(SYNC_ENV, "true").strip().lower()
            not in {"0", "false", "no"},
        )

    # ----- lifecycle ---------------------------------------------------------------------------

    def _apply_url_overrides(self) -> None:
        if self.api_url:
            discord.http.Route.BASE = self.api_url.rstrip("/")
        if self.gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def _make_client(self) -> CircleClient:
        plan = self.shards
        owns_shard_zero = plan.shard_ids is None or 0 in plan.shard_ids
        return self.client_class(
            handler=self,
            commands=self.commands,
            shard_ids=plan.shard_ids,
            shard_count=plan.shard_count,
            sync_commands=self.sync_commands and owns_shard_zero,
            ask_shard_count=bool(self.gateway_url) and plan.shard_count is None,
            **self.client_options,
        )

    async def start(self, sink: EventSink) -> None:
        """Log in, sync commands, connect every shard; returns when the client closes."""
        self._sink = sink
        self._apply_url_overrides()
        self.client = client = self._make_client()
        self.lookup = CacheLookup(client)
        self._sender = ActionSender(client, self.slots, self._remember_tags)
        self._worker = asyncio.create_task(self._work(), name="discord-event-worker")
        try:
            await client.start(self.token)
        finally:
            await self._stop_worker()

    async def wait_ready(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every shard is connected and the guilds are cached."""
        async with asyncio.timeout(timeout):
            # discord.py's own ready event only exists once login has begun: poll.
            while self.client is None or not self.client.is_ready():  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    @property
    def ready(self) -> bool:
        """Connected, guilds cached, not closing (for /readyz)."""
        client = self.client
        return client is not None and client.is_ready() and not client.is_closed()

    async def stop(self) -> None:
        """Close the gateway; events already received are still handed to the core."""
        if self.client is not None and not self.client.is_closed():
            await self.client.close()
        await self._stop_worker()

    async def _stop_worker(self, grace: float = 5.0) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), grace)
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker

    async def idle(self) -> None:
        """Wait until every received event and interaction has been handled by the core."""
        while True:
            async with self._interactions_changed:
                await self._interactions_changed.wait_for(lambda: self._interactions_due <= 0)
            await self._queue.join()
            if self._interactions_due <= 0 and self._queue.empty():
                return

    # ----- events to the core -------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            delivery = await self._queue.get()
            try:
                await self._deliver(delivery)
            finally:
                self._queue.task_done()

    async def _deliver(self, delivery: Delivery) -> None:
        assert self._sink is not None
        while True:
            try:
                await self._sink(delivery.event)
                break
            except Exception:
                delivery.tries += 1
                if delivery.tries >= DELIVERY_TRIES:
                    log.exception("event %s could not be handled; dropped", delivery.event.event_id)
                    break
                log.warning("event %s failed; retrying", delivery.event.event_id, exc_info=True)
                await asyncio.sleep(0.5 * 2**delivery.tries)
        if delivery.done is not None:
            await delivery.done()

    def _enqueue(
        self, event: Event | None, done: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        if event is not None:
            self._queue.put_nowait(Delivery(event, done))

    def gateway_event(self, name: str, data: dict[str, Any], seq: int | None) -> None:
        """Translate one raw dispatch (in gateway order) and queue it for the core."""
        if name == "INTERACTION_CREATE":
            self._interactions_due += int(ie.is_circle_interaction(data))
            return
        try:
            self._enqueue(self._translate(name, data, seq))
        except Exception:
            log.exception("could not translate a %s payload", name)

    def _translate(self, name: str, data: dict[str, Any], seq: int | None) -> Event | None:
        now, lookup = self.clock(), self.lookup
        if name in ("GUILD_CREATE", "GUILD_MEMBERS_CHUNK"):
            guild = str(data.get("guild_id") or data.get("id") or "")
            for member in data.get("members") or []:
                self._track_pending(guild, member)
            for thread in data.get("threads") or []:
                self._seen_thread(thread)
            return None
        if name == "GUILD_MEMBER_ADD":
            guild = str(data.get("guild_id") or "")
            self._track_pending(guild, data)
            mode = self.join_mode(tr.community_id(guild))
            return tr.member_added(data, lookup, mode=mode, now=now)
        if name == "GUILD_MEMBER_UPDATE":
            guild = str(data.get("guild_id") or "")
            was_pending = self._track_pending(guild, data)
            mode = self.join_mode(tr.community_id(guild))
            return tr.member_updated(data, lookup, was_pending=was_pending, mode=mode, now=now)
        if name == "GUILD_MEMBER_REMOVE":
            self._track_pending(str(data.get("guild_id") or ""), {**data, "pending": False})
            return tr.member_removed(data, lookup, seq=seq, now=now)
        if name == "MESSAGE_CREATE":
            return tr.message_created(data, lookup)
        if name == "MESSAGE_UPDATE":
            return tr.message_updated(data, lookup)
        if name == "MESSAGE_DELETE":
            return tr.message_deleted(data, lookup, now=now)
        if name in ("MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"):
            added = name == "MESSAGE_REACTION_ADD"
            return tr.reaction_changed(data, lookup, added=added, seq=seq, now=now)
        if name in ("THREAD_CREATE", "THREAD_LIST_SYNC"):
            for thread in data.get("threads") or [data]:
                self._seen_thread(thread)
            return None
        if name == "THREAD_UPDATE":
            return self._thread_updated(data, seq, now)
        return None

    def _track_pending(self, guild: str, member: Any) -> bool:
        """Remember who is still in membership screening; returns whether they were."""
        user = str(((member or {}).get("user") or {}).get("id") or "")
        key = (guild, user)
        was = key in self._pending
        if member.get("pending") is True:
            self._pending.add(key)
        elif "pending" in member:
            self._pending.discard(key)
        return was

    def _seen_thread(self, thread: Any) -> None:
        tags = tr.thread_tags(thread) if isinstance(thread, dict) else None
        if tags is not None and thread.get("id") is not None:
            self._remember_tags(str(thread["id"]), tuple(sorted(tags)))

    def _remember_tags(self, thread_id: str, tags: tuple[str, ...]) -> None:
        self._tags[thread_id] = tags
        self._tags.move_to_end(thread_id)
        while len(self._tags) > TAG_MEMORY:
            self._tags.popitem(last=False)

    def _thread_updated(self, data: dict[str, Any], seq: int | None, now: datetime) -> Event | None:
        tags = tr.thread_tags(data)
        thread_id = str(data.get("id") or "")
        if tags is None or not thread_id:
            return None
        current = tuple(sorted(tags))
        if self._tags.get(thread_id) == current:
            return None  # another change (name, archive) or the bot's own SetTags
        self._remember_tags(thread_id, current)
        return tr.tags_changed(data, self.lookup, seq=seq, now=now)

    # ----- interactions ------------------------------------------------------------------------

    async def command_used(self, interaction: discord.Interaction) -> None:
        """Defer at once (3 s limit), then hand the command to the core."""
        async with self._interaction(interaction):
            await self._command(interaction)

    async def button_pressed(self, interaction: discord.Interaction, command: str) -> None:
        """Acknowledge the press silently, then run the command it stands for."""
        async with self._interaction(interaction):
            await self._button(interaction)

    @contextlib.asynccontextmanager
    async def _interaction(self, interaction: discord.Interaction) -> AsyncIterator[None]:
        try:
            yield
        except Exception:
            log.warning("interaction %s could not be handled", interaction.id, exc_info=True)
        finally:
            async with self._interactions_changed:
                self._interactions_due -= 1
                self._interactions_changed.notify_all()

    async def _command(self, interaction: discord.Interaction) -> None:
        await _defer(interaction, thinking=True)
        handle = f"interaction:{interaction.id}"
        event = ie.command_invoked(
            interaction_payload(interaction), self.lookup, shapes=self.shapes, reply_handle=handle
        )
        if event is None:
            await quietly(interaction.edit_original_response(content="I could not read that."))
            return
        self.slots.put(handle, Slot(interaction, "command", event.user, event.channel))
        self._enqueue(event, done=lambda: self._settle(handle))

    async def _button(self, interaction: discord.Interaction) -> None:
        await _defer(interaction, thinking=False)
        handle = f"interaction:{interaction.id}"
        event = ie.button_pressed(
            interaction_payload(interaction), self.lookup, reply_handle=handle
        )
        if event is None:
            return
        self.slots.put(handle, Slot(interaction, "button", event.user, event.channel))
        self._enqueue(event)

    async def _settle(self, handle: str) -> None:
        """A command the core answered with nothing private: remove the 'thinking' message."""
        slot = self.slots.get(handle)
        if slot is not None and slot.kind == "command" and not slot.resolved:
            slot.resolved = True
            await quietly(slot.interaction.delete_original_response())

    async def guild_available(self, guild: discord.Guild) -> None:
        """Tell the engine about the guild so scheduled jobs run before its first event."""
        engine = getattr(self._sink, "__self__", None)  # the sink is `Engine.handle` in a run
        if not isinstance(engine, Engine):
            return
        try:
            await engine.register_community(tr.community_id(str(guild.id)), guild.name)
        except Exception:
            log.warning("could not register guild %s", guild.id, exc_info=True)

    # ----- actions -----------------------------------------------------------------------------

    async def execute(self, action: Action) -> ActionResult:
        """Carry out one core action; raises TransientError or PermanentError on failure."""
        if self._sender is None or self.client is None or not self.client.is_ready():
            raise TransientError("the Discord client is not connected yet")
        return await self._sender.execute(action)


async def _defer(interaction: discord.Interaction, *, thinking: bool) -> None:
    try:
        await interaction.response.defer(ephemeral=True, thinking=thinking)
    except discord.InteractionResponded:
        return
    except discord.HTTPException as exc:
        log.warning("could not acknowledge interaction %s: %s", interaction.id, exc)
