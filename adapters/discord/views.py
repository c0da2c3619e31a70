"""Persistent buttons: each custom_id carries its `/circle` command, so presses survive restarts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from adapters.discord.directory import BUTTON_PREFIX
from bot.actions import Button

CUSTOM_ID_MAX = 100
LABEL_MAX = 80
BUTTONS_MAX = 25
STYLES = {
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
    "default": discord.ButtonStyle.secondary,
}


class ButtonHandler(Protocol):
    """What the client offers a pressed circle button (CircleClient implements it)."""

    async def circle_button_pressed(self, interaction: discord.Interaction, command: str) -> None:
        """Acknowledge the press and hand it to the core."""
        ...


def custom_id_for(command: str) -> str | None:
    """`circle:<command>`, or None when it does not fit Discord's 100 characters."""
    custom_id = BUTTON_PREFIX + command.strip()
    return custom_id if len(custom_id) <= CUSTOM_ID_MAX and command.strip() else None


class CircleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(BUTTON_PREFIX) + r"(?P<command>.+)", re.DOTALL),
):
    """A button standing for a core command; registered once with `client.add_dynamic_items`."""

    def __init__(self, command: str, *, label: str = "", style: str = "default") -> None:
        custom_id = custom_id_for(command)
        if custom_id is None:
            raise ValueError(f"button command too long for a custom_id: {command!r}")
        super().__init__(
            discord.ui.Button(
                label=(label or command)[:LABEL_MAX],
                style=STYLES.get(style, discord.ButtonStyle.secondary),
                custom_id=custom_id,
            )
        )
        self.command = command.strip()

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CircleButton:
        """Rebuild the button from any message's custom_id (also messages sent before a restart)."""
        label = getattr(item, "label", None) or ""
        return cls(match["command"], label=label)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the client, which defers it and feeds the core."""
        client = interaction.client
        if not hasattr(client, "circle_button_pressed"):
            return
        handler: ButtonHandler = client
        await handler.circle_button_pressed(interaction, self.command)


def build_view(buttons: Sequence[Button]) -> tuple[discord.ui.View | None, list[Button]]:
    """A persistent view for `buttons`, and the buttons that could not be made (shown as text)."""
    view = discord.ui.View(timeout=None)
    left_out: list[Button] = []
    for button in buttons:
        if len(view.children) >= BUTTONS_MAX or custom_id_for(button.command) is None:
            left_out.append(button)
            continue
        view.add_item(CircleButton(button.command, label=button.label, style=button.style))
    return (view if view.children else None), left_out
