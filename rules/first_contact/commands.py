"""Commands of the first-contact guard: `report` for members; `held`, `approve`, `reject`."""

from __future__ import annotations

from datetime import datetime

from bot.actions import Action, Button, DirectMessage, NotifyModerators, Post
from bot.commands import respond
from bot.context import RuleContext
from bot.durations import format_duration
from bot.events import CommandInvoked
from bot.rule import Command
from rules.first_contact import store, texts
from rules.first_contact.models import HeldMessage
from rules.first_contact.settings import FirstContactSettings

LISTED = 20
WITH_BUTTONS = 5


def decision_buttons(held_id: int) -> tuple[Button, ...]:
    """Approve / reject buttons for one held message."""
    ref = store.held_ref(held_id)
    return (
        Button(label=f"Approve {ref}", command=f"approve {ref}", style="primary"),
        Button(label=f"Reject {ref}", command=f"reject {ref}", style="danger"),
    )


async def report(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """A member tells the moderators privately about something (e.g. a pitch by DM)."""
    text = " ".join(args).strip()
    if not text:
        return [
            respond(
                cmd,
                "Usage: `/circle report <what happened>`, e.g. `/circle report someone sent me "
                "an unsolicited sales pitch by DM`. Only the moderators will see it.",
            )
        ]
    settings = ctx.settings
    assert isinstance(settings, FirstContactSettings)
    row = await store.add_report(
        ctx.session,
        community=ctx.community,
        reporter=cmd.user,
        channel=cmd.channel,
        text=text,
        now=ctx.now,
    )
    source = (
        f"Report R{row.id} from {texts.mention(cmd.user)}"
        if settings.report_names_reporter
        else f"Report R{row.id} from a member (kept private)"
    )
    privacy = (
        "The moderators will see it came from you, so they can follow up."
        if settings.report_names_reporter
        else "Your name is not shared with them."
    )
    return [
        NotifyModerators(community=ctx.community, text=f"{source}:\n{texts.quoted(text)}"),
        respond(cmd, f"Thank you for telling us. I've passed it to the moderators. {privacy}"),
    ]


def _age(held_at: datetime, now: datetime) -> str:
    return format_duration(now - held_at) if now > held_at else "0s"


async def held(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """List the review queue, oldest first, with approve / reject buttons for the first few."""
    pending = await store.held_messages(ctx.session, ctx.community, limit=LISTED + 1)
    if not pending:
        return [respond(cmd, "Nothing is held for review. 🌿")]
    lines = [f"Held for review ({len(pending[:LISTED])}{'+' if len(pending) > LISTED else ''}):"]
    buttons: list[Button] = []
    for item in pending[:LISTED]:
        reasons = ", ".join(texts.SHORT.get(r, r) for r in item.reasons)
        lines.append(
            f"• {store.held_ref(item.id)} · {texts.mention(item.user)} in "
            f"{texts.channel_ref(item.channel)} · {reasons} · {_age(item.held_at, ctx.now)} ago\n"
            f"  {texts.quoted(texts.excerpt(item.text, 200))}"
        )
        if len(buttons) < WITH_BUTTONS * 2:
            buttons.extend(decision_buttons(item.id))
    lines.append("Decide with `/circle approve H<id>` or `/circle reject H<id>`.")
    return [respond(cmd, "\n".join(lines), buttons=tuple(buttons))]


async def _target(
    cmd: CommandInvoked, args: list[str], ctx: RuleContext, verb: str
) -> HeldMessage | Action:
    held_id = store.parse_held_ref(args[0]) if args else None
    if held_id is None:
        return respond(cmd, f"Usage: `/circle {verb} H<id>` (see `/circle held`).")
    row = await store.get_held(ctx.session, ctx.community, held_id)
    if row is None:
        return respond(cmd, f"I have no held message {store.held_ref(held_id)}.")
    if row.status != "pending":
        by = f" by {texts.mention(row.decided_by)}" if row.decided_by else ""
        return respond(cmd, f"{store.held_ref(row.id)} was already {row.status}{by}.")
    return row


async def approve(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """Approve a held message: re-post it with attribution and tell the author."""
    row = await _target(cmd, args, ctx, "approve")
    if not isinstance(row, HeldMessage):
        return [row]
    await store.decide(ctx.session, row, status="approved", moderator=cmd.user, now=ctx.now)
    where = row.channel_name or row.channel
    name = row.user_name or row.user_id
    hidden = bool(row.details.get("hidden"))
    actions: list[Action] = []
    if hidden:
        actions.append(
            Post(
                community=ctx.community,
                channel=row.channel,
                thread=row.thread,
                text=texts.approved_repost(name=name, text=row.text),
            )
        )
    actions.append(
        DirectMessage(
            community=ctx.community,
            user=row.user_id,
            text=texts.approved_dm(name=name, channel=where, reposted=hidden),
        )
    )
    done = (
        f"re-posted in {texts.channel_ref(where)}"
        if hidden
        else "it was never hidden, so it is still where it was posted"
    )
    actions.append(respond(cmd, f"Approved {store.held_ref(row.id)}: {done}; I told @{name}."))
    return actions


async def reject(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """Reject a held message: keep the record, tell the author kindly."""
    row = await _target(cmd, args, ctx, "reject")
    if not isinstance(row, HeldMessage):
        return [row]
    await store.decide(ctx.session, row, status="rejected", moderator=cmd.user, now=ctx.now)
    name = row.user_name or row.user_id
    return [
        DirectMessage(
            community=ctx.community,
            user=row.user_id,
            text=texts.rejected_dm(name=name, channel=row.channel_name or row.channel),
        ),
        respond(
            cmd,
            f"Rejected {store.held_ref(row.id)}: it stays unpublished (the record is kept); "
            f"I told @{name} kindly.",
        ),
    ]


COMMANDS = (
    Command(
        "report",
        "report <what happened>",
        "tell the moderators privately (e.g. an unsolicited pitch by DM)",
        report,
        moderator_only=False,
    ),
    Command("held", "held", "list messages held for review", held),
    Command("approve", "approve H<id>", "publish a held message with attribution", approve),
    Command("reject", "reject H<id>", "keep a held message unpublished", reject),
)
