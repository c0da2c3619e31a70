"""Storage of the prompts rule, and the read functions other rules use (see briefs/contracts)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.fast import FastStatement, adopt, full_select
from bot.storage.sql import insert_ignore
from rules.prompts.models import (
    PromptEntry,
    PromptParticipant,
    PromptPost,
    Suggestion,
    SuggestionVote,
)
from rules.prompts.settings import PromptSpec

FORGOTTEN = "(forgotten)"
_POST_BY_MESSAGE = FastStatement(
    full_select(PromptPost).where(
        PromptPost.community == bindparam("community"),
        PromptPost.message_id == bindparam("message_id"),
    )
)
_SUGGESTION_BY_MESSAGE = FastStatement(
    full_select(Suggestion).where(
        Suggestion.community == bindparam("community"),
        Suggestion.message_id == bindparam("message_id"),
    )
)


@dataclass(frozen=True)
class PromptView:
    """A prompt of the library as other rules see it."""

    id: int
    text: str
    tone: str
    tags: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class PromptEngagement:
    """How the circle answered one posted prompt."""

    id: int
    text: str
    posted_at: datetime
    channel: str
    replies: int
    participants: int
    first_reply_after: timedelta | None


def text_key(text: str) -> str:
    """A stable key of a prompt's text (case and spacing do not make a new prompt)."""
    normal = re.sub(r"\s+", " ", text.strip().lower())
    return hashlib.sha256(normal.encode()).hexdigest()[:40]


def view(entry: PromptEntry) -> PromptView:
    return PromptView(entry.id, entry.text, entry.tone, tuple(entry.tags or ()), entry.source)


# library --------------------------------------------------------------------------------------


async def add_prompt(
    session: AsyncSession,
    community: str,
    *,
    text: str,
    tone: str = "any",
    tags: Sequence[str] = (),
    source: str = "moderator",
    added_by: str | None = None,
    now: datetime,
    suggestion_id: int | None = None,
) -> PromptEntry | None:
    """Add a prompt to the library; None when the same text is already there."""
    inserted = await insert_ignore(
        session,
        PromptEntry.__table__,  # type: ignore[arg-type]
        {
            "community": community,
            "text": text.strip(),
            "text_key": text_key(text),
            "tone": tone,
            "tags": list(tags),
            "source": source,
            "suggestion_id": suggestion_id,
            "added_by": added_by,
            "added_at": now,
            "times_used": 0,
            "active": True,
        },
    )
    if not inserted:
        return None
    query = select(PromptEntry).where(
        PromptEntry.community == community, PromptEntry.text_key == text_key(text)
    )
    return (await session.scalars(query)).one()


async def sync_library(
    session: AsyncSession, community: str, specs: Sequence[PromptSpec], *, now: datetime
) -> None:
    """Make the configured library current: add new prompts, retire ones removed from config."""
    keys = {text_key(spec.text) for spec in specs}
    existing = await session.scalars(select(PromptEntry).where(PromptEntry.community == community))
    known = {entry.text_key: entry for entry in existing}
    for spec in specs:
        if text_key(spec.text) not in known:
            await add_prompt(
                session, community, text=spec.text, tone=spec.tone, tags=spec.tags,
                source="config", now=now,
            )  # fmt: skip
    for key, entry in known.items():
        if entry.source == "config":
            entry.active = key in keys


def _tone_fits(entry_tone: str, wanted: str) -> bool:
    return wanted == "any" or entry_tone in (wanted, "any")


async def queue(
    session: AsyncSession, community: str, *, tone: str = "any", tags: Sequence[str] = ()
) -> list[PromptEntry]:
    """Prompts in the order they will be posted: least used first (no repeats until every
    fitting prompt was used), exact tone before `any`, approved suggestions with the most votes
    first, then oldest."""
    rows = (
        await session.execute(
            select(PromptEntry, func.coalesce(Suggestion.votes, 0))
            .outerjoin(Suggestion, Suggestion.id == PromptEntry.suggestion_id)
            .where(PromptEntry.community == community, PromptEntry.active.is_(True))
        )
    ).all()
    wanted_tags = set(tags)
    fitting = [
        (entry, votes)
        for entry, votes in rows
        if _tone_fits(entry.tone, tone) and (not wanted_tags or wanted_tags & set(entry.tags))
    ]
    fitting.sort(
        key=lambda pair: (
            pair[0].times_used,
            tone != "any" and pair[0].tone != tone,  # exactly this tone before "any"
            pair[0].source != "suggestion",
            -int(pair[1]),
            pair[0].id,
        )
    )
    return [entry for entry, _ in fitting]


async def next_prompt(
    session: AsyncSession, community: str, *, tone: str = "any", tags: Sequence[str] = ()
) -> PromptView | None:
    """The prompt that goes out next (for `tone` and `tags` when given)."""
    ordered = await queue(session, community, tone=tone, tags=tags)
    return view(ordered[0]) if ordered else None


async def get_prompt(session: AsyncSession, community: str, prompt_id: int) -> PromptEntry | None:
    entry = await session.get(PromptEntry, prompt_id)
    return entry if entry is not None and entry.community == community else None


def mark_used(entry: PromptEntry, now: datetime) -> None:
    entry.times_used += 1
    entry.last_used_at = now


# posts and replies ----------------------------------------------------------------------------


async def record_post(
    session: AsyncSession, community: str, *, entry: PromptEntry, channel: str, now: datetime
) -> PromptPost:
    """Remember a prompt going out; its message id is learnt once it is sent."""
    mark_used(entry, now)
    post = PromptPost(
        community=community, prompt_id=entry.id, text=entry.text, channel=channel, posted_at=now
    )
    session.add(post)
    await session.flush()
    return post


async def set_post_message(
    session: AsyncSession, post_id: int, *, message_id: str, channel: str | None
) -> None:
    values: dict[str, str] = {"message_id": message_id}
    if channel:
        values["channel"] = channel
    await session.execute(update(PromptPost).where(PromptPost.id == post_id).values(**values))


async def post_for_message(
    session: AsyncSession, community: str, message_id: str
) -> PromptPost | None:
    rows = await _POST_BY_MESSAGE.rows(session, {"community": community, "message_id": message_id})
    return adopt(session, PromptPost, rows[:1])[0] if rows else None


async def count_reply(session: AsyncSession, post: PromptPost, *, user: str, at: datetime) -> None:
    """One more reply to a prompt; a new participant when `user` had not replied yet."""
    post.replies += 1
    if post.first_reply_at is None:
        post.first_reply_at = at
    table = PromptParticipant.__table__
    if await insert_ignore(session, table, {"post_id": post.id, "user": user}):  # type: ignore[arg-type]
        post.participants += 1


async def prompt_engagement(
    session: AsyncSession, community: str, *, since: datetime, until: datetime
) -> list[PromptEngagement]:
    """Prompts posted in [since, until) with their replies, participants and first reply time."""
    posts = await session.scalars(
        select(PromptPost)
        .where(
            PromptPost.community == community,
            PromptPost.posted_at >= since,
            PromptPost.posted_at < until,
        )
        .order_by(PromptPost.posted_at, PromptPost.id)
    )
    return [
        PromptEngagement(
            id=post.prompt_id,
            text=post.text,
            posted_at=post.posted_at,
            channel=post.channel,
            replies=post.replies,
            participants=post.participants,
            first_reply_after=(post.first_reply_at - post.posted_at)
            if post.first_reply_at
            else None,
        )
        for post in posts
    ]


# suggestions ----------------------------------------------------------------------------------


async def create_suggestion(
    session: AsyncSession,
    community: str,
    *,
    text: str,
    user: str,
    user_name: str | None,
    channel: str,
    now: datetime,
) -> Suggestion:
    suggestion = Suggestion(
        community=community, text=text.strip(), user=user, user_name=user_name,
        channel=channel, status="pending", votes=0, created_at=now,
    )  # fmt: skip
    session.add(suggestion)
    await session.flush()
    return suggestion


async def get_suggestion(
    session: AsyncSession, community: str, suggestion_id: int
) -> Suggestion | None:
    found = await session.get(Suggestion, suggestion_id)
    return found if found is not None and found.community == community else None


async def suggestion_for_message(
    session: AsyncSession, community: str, message_id: str
) -> Suggestion | None:
    params = {"community": community, "message_id": message_id}
    rows = await _SUGGESTION_BY_MESSAGE.rows(session, params)
    return adopt(session, Suggestion, rows[:1])[0] if rows else None


async def set_suggestion_message(
    session: AsyncSession, suggestion_id: int, *, message_id: str, channel: str | None
) -> None:
    values: dict[str, str] = {"message_id": message_id}
    if channel:
        values["channel"] = channel
    await session.execute(update(Suggestion).where(Suggestion.id == suggestion_id).values(**values))


async def change_vote(
    session: AsyncSession, suggestion: Suggestion, *, user: str, emoji: str, added: bool
) -> None:
    """Record a reaction added or removed; `votes` counts distinct members who reacted."""
    table = SuggestionVote.__table__
    row = {"suggestion_id": suggestion.id, "user": user, "emoji": emoji}
    if added:
        await insert_ignore(session, table, row)  # type: ignore[arg-type]
    else:
        await session.execute(
            delete(SuggestionVote).where(
                SuggestionVote.suggestion_id == suggestion.id,
                SuggestionVote.user == user,
                SuggestionVote.emoji == emoji,
            )
        )
    voters = select(func.count(func.distinct(SuggestionVote.user))).where(
        SuggestionVote.suggestion_id == suggestion.id
    )
    suggestion.votes = int(await session.scalar(voters) or 0)


async def suggestions(
    session: AsyncSession, community: str, *, status: str = "pending"
) -> list[Suggestion]:
    """Suggestions in a status, most votes first."""
    query = (
        select(Suggestion)
        .where(Suggestion.community == community, Suggestion.status == status)
        .order_by(Suggestion.votes.desc(), Suggestion.id)
    )
    return list((await session.scalars(query)).all())


# privacy --------------------------------------------------------------------------------------


async def forget_member(session: AsyncSession, community: str, user: str) -> int:
    """Erase a member's ids and unpublished suggestion texts; counts stay. Returns rows changed."""
    changed = 0
    mine = select(Suggestion.id).where(Suggestion.community == community, Suggestion.user == user)
    pending = await session.execute(
        delete(Suggestion).where(
            Suggestion.id.in_(mine), Suggestion.status.in_(("pending", "rejected"))
        )
    )
    changed += int(getattr(pending, "rowcount", 0) or 0)
    kept = await session.execute(
        update(Suggestion)
        .where(Suggestion.community == community, Suggestion.user == user)
        .values(user=None, user_name=FORGOTTEN)
    )
    changed += int(getattr(kept, "rowcount", 0) or 0)
    in_community = select(Suggestion.id).where(Suggestion.community == community)
    votes = await session.execute(
        delete(SuggestionVote).where(
            SuggestionVote.user == user, SuggestionVote.suggestion_id.in_(in_community)
        )
    )
    changed += int(getattr(votes, "rowcount", 0) or 0)
    posts = select(PromptPost.id).where(PromptPost.community == community)
    replies = await session.execute(
        delete(PromptParticipant).where(
            PromptParticipant.user == user, PromptParticipant.post_id.in_(posts)
        )
    )
    changed += int(getattr(replies, "rowcount", 0) or 0)
    added = await session.execute(
        update(PromptEntry)
        .where(PromptEntry.community == community, PromptEntry.added_by == user)
        .values(added_by=None)
    )
    changed += int(getattr(added, "rowcount", 0) or 0)
    return changed


async def purge_text(session: AsyncSession, community: str, *, before: datetime) -> int:
    """Erase the text of suggestions rejected before `before` (accepted ones are prompts now)."""
    result = await session.execute(
        update(Suggestion)
        .where(
            Suggestion.community == community,
            Suggestion.status == "rejected",
            Suggestion.decided_at < before,
            Suggestion.text != "",
        )
        .values(text="")
    )
    return int(getattr(result, "rowcount", 0) or 0)
