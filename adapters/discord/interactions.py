"""Live interactions (commands, button presses) the core may still answer, by reply handle."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

import discord

TOKEN_LIFETIME = 14 * 60.0
"""Interaction tokens last 15 minutes; stop using them a little earlier."""


@dataclass
class Slot:
    """One deferred interaction: a command's thinking message or a deferred button press."""

    interaction: discord.Interaction
    kind: Literal["command", "button"]
    user: str
    channel: str
    created: float = field(default_factory=time.monotonic)
    resolved: bool = False
    """Commands: the deferred 'thinking' message was edited or deleted."""

    @property
    def alive(self) -> bool:
        return time.monotonic() - self.created < TOKEN_LIFETIME


class InteractionSlots:
    """A bounded map of reply handles to live interactions."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._slots: OrderedDict[str, Slot] = OrderedDict()

    def put(self, handle: str, slot: Slot) -> None:
        self._slots[handle] = slot
        self._slots.move_to_end(handle)
        while len(self._slots) > self.capacity:
            self._slots.popitem(last=False)

    def get(self, handle: str | None) -> Slot | None:
        """The live slot for a handle (None when unknown or expired)."""
        if not handle:
            return None
        slot = self._slots.get(handle)
        if slot is None or not slot.alive:
            return None
        return slot

    def latest_for(self, user: str, channel: str) -> Slot | None:
        """The newest live interaction of `user` in `channel` (for Ephemeral actions)."""
        for slot in reversed(self._slots.values()):
            if slot.user == user and slot.channel == channel and slot.alive:
                return slot
        return None

    def __len__(self) -> int:
        return len(self._slots)
