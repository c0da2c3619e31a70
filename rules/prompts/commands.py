"""`/circle prompt ...` for moderators and `/circle suggest ...` for members."""

from __future__ import annotations

from bot.actions import Action, Button, DirectMessage, NotifyModerators, Post
from bot.commands import respond
from bot.context import RuleContext
from bot.events import CommandInvoked
from rules.prompts import store
from rules.prompts.posting import next_slot, pick, post_prompt, prompt_settings, tone_at
from rules.prompts.settings import PromptsSettings

TONES = ("serious", "light", "any")
PROMPT_USAGE = (
    "usage: /circle prompt list | add [serious|light|any] [tags=a,b] <question> | "
    "skip [P<n>] | now [channel] | approve S<n> [serious|light|any] | reject S<n> [reason]"
)
LIST_LIMIT = 10


def parse_ref(raw: str, prefix: str) -> int | None:
    """`S3`, `s3` or `3` -> 3."""
    text = raw.strip().lstrip("#")
    if text[:1].upper() == prefix:
        text = text[1:]
    return int(text) if text.isdigit() else None


async def prompt_command(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """Dispatch `/circle prompt <sub> ...`."""
    sub = args[0].lower() if args else "list"
    rest = args[1:]
    handlers = {
        "list": _list,
        "add": _add,
        "skip": _skip,
        "now": _now,
        "approve": _approve,
        "reject": _reject,
    }
    handler = handlers.get(sub)
    if handler is None:
        return [respond(cmd, PROMPT_USAGE)]
    library = _settings(ctx).library
    await store.sync_library(ctx.session, ctx.community, library, now=ctx.now)
    return await handler(cmd, rest, ctx)


def _settings(ctx: RuleContext) -> PromptsSettings:
    return prompt_settings(ctx)


async def _next_tone(ctx: RuleContext) -> tuple[str, str]:
    """(channel, tone) of the next scheduled prompt of the first target."""
    settings = _settings(ctx)
    target = settings.targets[0]
    fire = next_slot(settings, target, ctx) or ctx.now
    return target.channel, tone_at(settings, fire, ctx)


async def _list(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    channel, tone = await _next_tone(ctx)
    ordered = await store.queue(ctx.session, ctx.community)
    lines = [f"Prompt queue (next slot in #{channel} is {tone}):"]
    for entry in ordered[:LIST_LIMIT]:
        tags = f" #{' #'.join(entry.tags)}" if entry.tags else ""
        lines.append(
            f"  P{entry.id} [{entry.tone}] {entry.text} (used {entry.times_used}×, "
            f"{entry.source}){tags}"
        )
    if len(ordered) > LIST_LIMIT:
        lines.append(f"  … and {len(ordered) - LIST_LIMIT} more")
    pending = await store.suggestions(ctx.session, ctx.community)
    if pending:
        lines.append("Suggestions awaiting a decision (most votes first):")
        lines.extend(
            f"  S{s.id} ({s.votes} vote{'s' if s.votes != 1 else ''}) {s.text} — "
            f"@{s.user_name or s.user}"
            for s in pending
        )
    return [respond(cmd, "\n".join(lines))]


def _split_options(args: list[str]) -> tuple[str, list[str], list[str]]:
    tone, tags, words = "any", [], list(args)
    while words:
        head = words[0].lower()
        if head in TONES:
            tone = head
        elif head.startswith("tags="):
            tags = [t.strip().lstrip("#") for t in head[5:].split(",") if t.strip()]
        else:
            break
        words.pop(0)
    return tone, tags, words


async def _add(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    tone, tags, words = _split_options(args)
    text = " ".join(words).strip()
    if len(text) < 3:
        return [respond(cmd, "usage: /circle prompt add [serious|light|any] [tags=a,b] <question>")]
    entry = await store.add_prompt(
        ctx.session, ctx.community, text=text, tone=tone, tags=tags, source="moderator",
        added_by=cmd.user, now=ctx.now,
    )  # fmt: skip
    if entry is None:
        return [respond(cmd, "That question is already in the library.")]
    return [respond(cmd, f"Added P{entry.id} [{tone}]: {text}")]


async def _skip(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    if args:
        ref = parse_ref(args[0], "P")
        entry = await store.get_prompt(ctx.session, ctx.community, ref) if ref else None
        if entry is None:
            return [respond(cmd, f"No prompt {args[0]}; see /circle prompt list.")]
    else:
        channel, tone = await _next_tone(ctx)
        tags = _settings(ctx).targets[0].tags
        entry = await pick(ctx, channel=channel, tone=tone, tags=tags)
        if entry is None:
            return [respond(cmd, "The queue is empty: nothing to skip.")]
    store.mark_used(entry, ctx.now)
    return [respond(cmd, f"Skipped P{entry.id} for this round: {entry.text}")]


async def _now(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    settings = _settings(ctx)
    channel = args[0].lstrip("#") if args else settings.targets[0].channel
    target = next((t for t in settings.targets if t.channel == channel), None)
    tone = tone_at(prompt_settings(ctx, channel), ctx.now, ctx)
    entry = await pick(ctx, channel=channel, tone=tone, tags=target.tags if target else ())
    if entry is None:
        return [
            respond(
                cmd, f"No {tone} prompt is left for #{channel}; add one with /circle prompt add."
            )
        ]
    post = await post_prompt(ctx, entry, channel=channel)
    return [respond(cmd, f"Posting P{entry.id} in #{channel} now."), post]


async def _decide(
    cmd: CommandInvoked, args: list[str], ctx: RuleContext, *, approve: bool
) -> list[Action]:
    verb = "approve" if approve else "reject"
    ref = parse_ref(args[0], "S") if args else None
    suggestion = await store.get_suggestion(ctx.session, ctx.community, ref) if ref else None
    if suggestion is None:
        return [respond(cmd, f"usage: /circle prompt {verb} S<n> (see /circle prompt list)")]
    if suggestion.status != "pending":
        return [respond(cmd, f"S{suggestion.id} was already {suggestion.status}.")]
    suggestion.status = "approved" if approve else "rejected"
    suggestion.decided_by = cmd.user
    suggestion.decided_at = ctx.now
    actions: list[Action] = []
    if approve:
        tone, tags, _ = _split_options(args[1:])
        entry = await store.add_prompt(
            ctx.session, ctx.community, text=suggestion.text, tone=tone, tags=tags,
            source="suggestion", added_by=suggestion.user, now=ctx.now,
            suggestion_id=suggestion.id,
        )  # fmt: skip
        where = f" as P{entry.id}" if entry else " (the library already had it)"
        actions.append(respond(cmd, f"Approved S{suggestion.id}{where}, {suggestion.votes} votes."))
        note = f"Your suggested question was approved and will go out soon: “{suggestion.text}”"
    else:
        reason = " ".join(args[1:]).strip()
        actions.append(respond(cmd, f"Rejected S{suggestion.id}."))
        note = f"Thank you for suggesting “{suggestion.text}”. The moderators will not use it"
        note += f" this time: {reason}" if reason else " this time."
    if suggestion.user:
        actions.append(DirectMessage(community=ctx.community, user=suggestion.user, text=note))
    return actions


async def _approve(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    return await _decide(cmd, args, ctx, approve=True)


async def _reject(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    return await _decide(cmd, args, ctx, approve=False)


async def suggest_command(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
    """A member suggests an open question; it is posted so others can vote with a reaction."""
    text = " ".join(args).strip()
    if len(text) < 3:
        return [respond(cmd, "usage: /circle suggest <an open question for the circle>")]
    settings = _settings(ctx)
    channel = settings.suggestions_channel or cmd.channel
    suggestion = await store.create_suggestion(
        ctx.session, ctx.community, text=text, user=cmd.user, user_name=cmd.user_name,
        channel=channel, now=ctx.now,
    )  # fmt: skip
    ref = f"S{suggestion.id}"
    public = Post(
        community=ctx.community,
        channel=channel,
        text=f"Suggested open question {ref} from @{cmd.user_name or cmd.user}:\n> {text}\n"
        "React to this message to vote: the most voted go out first.",
        tag=f"suggestion:{suggestion.id}",
    )
    moderators = NotifyModerators(
        community=ctx.community,
        text=f"New prompt suggestion {ref} from @{cmd.user_name or cmd.user}: {text}",
        buttons=(
            Button(label="Approve", command=f"prompt approve {ref}", style="primary"),
            Button(label="Reject", command=f"prompt reject {ref}", style="danger"),
        ),
    )
    thanks = respond(cmd, f"Thank you! Your suggestion {ref} is up for votes in #{channel}.")
    return [thanks, public, moderators]
