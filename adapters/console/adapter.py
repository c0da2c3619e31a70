"""The console adapter: one simulated community in the terminal, on simulated time."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta, tzinfo
from typing import TextIO

from adapters.console.translate import (
    CONSOLE_HELP,
    ConsoleInputError,
    ConsoleState,
    Control,
    describe_message,
    parse_line,
    render_action,
)
from bot.actions import Action, ActionResult, Post, Reply
from bot.adapter import Capabilities, EventSink
from bot.clock import SimulatedClock
from bot.durations import parse_duration
from bot.events import Event, MemberJoined, MemberLeft, MessagePosted, ReactionAdded
from bot.storage.db import DatabaseUnavailable

Waiter = Callable[[timedelta], Awaitable[None]]


class ConsoleAdapter:
    """Reads chat lines from stdin, prints what the bot does on stdout."""

    platform = "console"
    capabilities = Capabilities(
        threads=True, reactions=True, buttons=False, ephemeral=True, hide=True, direct_messages=True
    )

    def __init__(
        self,
        *,
        clock: SimulatedClock,
        on_wait: Waiter,
        community: str = "console:circle",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        timezone: tzinfo | None = None,
    ) -> None:
        self.clock = clock
        self.on_wait = on_wait
        self.community = community
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.timezone = timezone
        self.state = ConsoleState(community=community)
        self._stopped = False
        self.interactive = bool(getattr(self.stdin, "isatty", lambda: False)())

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def local_time(self) -> str:
        moment = self.clock.now().astimezone(self.timezone) if self.timezone else self.clock.now()
        return moment.strftime("%a %Y-%m-%d %H:%M %Z")

    async def start(self, sink: EventSink) -> None:
        """Serve stdin until end of input or /quit."""
        self.say(f"circlebot console: {self.community} · {self.local_time()} · /help for commands")
        while not self._stopped:
            if self.interactive:
                self.stdout.write(f"{self.state.speaker}@#{self.state.channel}> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            if not self.interactive and line.strip():
                self.say(f"> {line.rstrip()}")
            await self._handle_line(line, sink)
        self.say("bye.")

    async def _handle_line(self, line: str, sink: EventSink) -> None:
        try:
            item = parse_line(line, self.state, self.clock.now())
        except ConsoleInputError as exc:
            self.say(f"  ! {exc}")
            return
        if item is None:
            return
        if isinstance(item, Control):
            await self._control(item)
            return
        self._echo(item)
        try:
            await sink(item)
        except DatabaseUnavailable as exc:
            self.say(f"  ! database unavailable: {exc}; your line was not handled, try again")

    def _echo(self, event: Event) -> None:
        if isinstance(event, MessagePosted):
            self.say(describe_message(event))
        elif isinstance(event, MemberJoined):
            self.say(f"  * {event.user} joined the community")
        elif isinstance(event, MemberLeft):
            self.say(f"  * {event.user} left the community")
        elif isinstance(event, ReactionAdded):
            self.say(f"  * {event.user} reacted :{event.emoji}: to [{event.message_id}]")

    async def _control(self, control: Control) -> None:
        if control.name in {"quit", "exit"}:
            self._stopped = True
        elif control.name == "help":
            self.say(CONSOLE_HELP)
        elif control.name == "who":
            self.say("  members: " + ", ".join(self.state.members))
        elif control.name == "as":
            self.say(f"  (now speaking as {control.argument})")
        elif control.name == "channel":
            self.say(f"  (now in #{control.argument})")
        elif control.name == "wait":
            try:
                delta = parse_duration(control.argument or "")
            except ValueError as exc:
                self.say(f"  ! /wait {control.argument}: {exc}")
                return
            await self.on_wait(delta)
            self.say(f"  ⏱ {self.local_time()}")

    async def stop(self) -> None:
        self._stopped = True

    async def execute(self, action: Action) -> ActionResult:
        """Print the action; posts get a number so members can reply or react to them."""
        number = None
        if isinstance(action, Post | Reply):
            channel = action.channel
            thread = (
                action.thread if isinstance(action, Post) else (action.thread or action.message_id)
            )
            number = self.state.new_message(channel, "circlebot", action.text, thread)
        self.say(render_action(action, number))
        return ActionResult(message_id=str(number) if number is not None else None)
