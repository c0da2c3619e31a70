"""Pure rendering of core cards (digests, nudges) as Discord embeds, within Discord's limits."""

from __future__ import annotations

import discord

from bot.actions import Card

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
FOOTER_MAX = 2048
TOTAL_MAX = 6000
BLANK = "\u200b"  # Discord rejects empty field names and values
CIRCLE_COLOUR = discord.Colour(0x4F8A8B)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def card_embed(card: Card) -> discord.Embed:
    """One embed for a card: sections become fields; overflow goes to the description."""
    embed = discord.Embed(title=clip(card.title or BLANK, TITLE_MAX), colour=CIRCLE_COLOUR)
    budget = TOTAL_MAX - len(embed.title or "")
    footer = clip(card.footer, FOOTER_MAX) if card.footer else ""
    budget -= len(footer)
    overflow: list[str] = []
    for section in card.sections:
        name = clip(section.heading or BLANK, FIELD_NAME_MAX)
        value = clip("\n".join(section.lines) or BLANK, FIELD_VALUE_MAX)
        if len(embed.fields) < FIELDS_MAX and len(name) + len(value) <= budget:
            embed.add_field(name=name, value=value, inline=False)
            budget -= len(name) + len(value)
        else:
            overflow.extend([f"**{section.heading}**" if section.heading else "", *section.lines])
    if overflow and budget > 1:
        embed.description = clip(
            "\n".join(line for line in overflow if line), min(budget, DESCRIPTION_MAX)
        )
    if footer:
        embed.set_footer(text=footer)
    return embed


def embed_length(embed: discord.Embed) -> int:
    """Characters Discord counts against the 6000 limit."""
    return len(embed)
