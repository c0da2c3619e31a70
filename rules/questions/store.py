"""Read functions other rules and dashboards use (the cross-rule contract), plus erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rules.questions import line_cache
from rules.questions.models import OPEN, SOLVED, ChannelLine, Question
from rules.questions.queries import forget_pending_lines

FORGOTTEN = "(forgotten)"


@dataclass(frozen=True)
class QuestionView:
    """A tracked question as other rules see it; shown to people as `Q<id>`."""

    id: int
    channel: str
    message_id: str
    thread: str | None
    asker: str
    asker_name: str | None
    asked_at: datetime
    excerpt: str
    state: str
    claimed_by: str | None
    permalink: str | None

    @property
    def ref(self) -> str:
        return f"Q{self.id}"


@dataclass(frozen=True)
class AnswerStats:
    """How questions asked in a period fared."""

    asked: int
    answered: int
    solved: int
    median_first_answer: timedelta | None


def excerpt(text: str, limit: int = 200) -> str:
    """One line of at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def view(row: Question, *, limit: int = 200) -> QuestionView:
    """The public view of a question row."""
    return QuestionView(
        id=row.id,
        channel=row.channel_name or row.channel,
        message_id=row.message_id,
        thread=row.thread,
        asker=row.asker,
        asker_name=row.asker_name,
        asked_at=row.asked_at,
        excerpt=excerpt(row.text, limit),
        state=row.state,
        claimed_by=row.claimed_by,
        permalink=row.permalink,
    )


async def open_questions(
    session: AsyncSession,
    community: str,
    *,
    now: datetime,
    channel: str | None = None,
    older_than: timedelta | None = None,
    asker: str | None = None,
    limit: int = 50,
) -> list[QuestionView]:
    """Unanswered questions, oldest first; `channel` matches an id or a name (with or without #).

    A channel is looked up by id and by name in two index range scans (ix_questions_state_channel
    and ..._name), merged here: one OR would walk every open question of the community.
    """
    base = select(Question).where(Question.community == community, Question.state == OPEN)
    if older_than is not None:
        base = base.where(Question.asked_at <= now - older_than)
    if asker:
        base = base.where(Question.asker == asker)
    ordered = (Question.asked_at, Question.id)
    if not channel:
        queries = [base]
    else:
        name = channel.lstrip("#")
        queries = [
            base.where(Question.channel == channel),
            base.where(Question.channel_name == name),
        ]
    found: dict[int, Question] = {}
    for query in queries:
        for row in (await session.scalars(query.order_by(*ordered).limit(limit))).all():
            found[row.id] = row
    rows = sorted(found.values(), key=lambda r: (r.asked_at, r.id))[:limit]
    return [view(r) for r in rows]


async def answer_stats(
    session: AsyncSession, community: str, *, since: datetime, until: datetime
) -> AnswerStats:
    """Questions asked in [since, until): how many were answered, solved, and how fast."""
    query = select(Question.state, Question.asked_at, Question.answered_at).where(
        Question.community == community, Question.asked_at >= since, Question.asked_at < until
    )
    asked = answered = solved = 0
    delays: list[float] = []
    for state, asked_at, answered_at in (await session.execute(query)).all():
        asked += 1
        solved += state == SOLVED
        if answered_at is not None:
            answered += 1
            delays.append((answered_at - asked_at).total_seconds())
    first = timedelta(seconds=median(delays)) if delays else None
    return AnswerStats(asked=asked, answered=answered, solved=solved, median_first_answer=first)


async def helper_counts(
    session: AsyncSession, community: str, *, since: datetime, until: datetime
) -> list[tuple[str, int]]:
    """Who answered how many questions in [since, until), most first (for moderators only)."""
    count = func.count(Question.id)
    query = (
        select(Question.answered_by, count)
        .where(
            Question.community == community,
            Question.answered_at >= since,
            Question.answered_at < until,
            Question.answered_by.is_not(None),
            Question.answered_by != FORGOTTEN,
        )
        .group_by(Question.answered_by)
        .order_by(count.desc(), Question.answered_by)
    )
    return [(str(user), int(n)) for user, n in (await session.execute(query)).all()]


async def forget_member(session: AsyncSession, community: str, user: str) -> int:
    """Erase a member's text and ids from questions and channel memory; counts stay."""
    changed = 0
    mine = Question.community == community
    result = await session.execute(
        update(Question)
        .where(mine, Question.asker == user)
        .values(asker=FORGOTTEN, asker_name=None, text="", permalink=None)
    )
    changed += int(getattr(result, "rowcount", 0) or 0)
    for column in (Question.answered_by, Question.claimed_by):
        result = await session.execute(
            update(Question).where(mine, column == user).values({column.key: FORGOTTEN})
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    result = await session.execute(
        delete(ChannelLine).where(ChannelLine.community == community, ChannelLine.user == user)
    )
    changed += int(getattr(result, "rowcount", 0) or 0)
    changed += forget_pending_lines(session, community=community, user=user)
    return changed


async def purge_text(session: AsyncSession, community: str, *, before: datetime) -> int:
    """Erase the text of questions settled before `before` and older channel lines.

    Open questions keep their text (nudges and listings show it); counts and states stay.
    """
    settled = func.coalesce(Question.solved_at, Question.closed_at, Question.answered_at)
    result = await session.execute(
        update(Question)
        .where(
            Question.community == community,
            Question.state != OPEN,
            Question.text != "",
            settled < before,
        )
        .values(text="")
    )
    erased = int(getattr(result, "rowcount", 0) or 0)
    result = await session.execute(
        delete(ChannelLine).where(ChannelLine.community == community, ChannelLine.at < before)
    )
    deleted = int(getattr(result, "rowcount", 0) or 0)
    if deleted:
        line_cache.changed(session, community, in_place=True)
    return erased + deleted
