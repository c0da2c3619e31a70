"""The replay report: tracked questions with their nudges, and every action, streamed to JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import OutboxEntry
from rules.questions.models import Question, QuestionNudge

PAGE = 1000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


async def _pages(database: Database, model: Any, prefix: str) -> AsyncIterator[list[Any]]:
    """Rows of `model` for communities starting with `prefix`, by id, a page at a time."""
    last = 0
    while True:
        async with database.session() as session:
            query = (
                select(model)
                .where(model.id > last, model.community.startswith(prefix))
                .order_by(model.id)
                .limit(PAGE)
            )
            rows = list((await session.scalars(query)).all())
        if not rows:
            return
        yield rows
        last = rows[-1].id


async def question_objects(database: Database, prefix: str) -> AsyncIterator[dict[str, Any]]:
    """Report objects of every question of communities starting with `prefix`, by id."""
    async for rows in _pages(database, Question, prefix):
        ids = [r.id for r in rows]
        nudges: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        query = (
            select(QuestionNudge)
            .where(QuestionNudge.question_id.in_(ids))
            .order_by(QuestionNudge.at, QuestionNudge.id)
        )
        async with database.session() as session:
            for nudge in (await session.scalars(query)).all():
                nudges[nudge.question_id].append({"at": _iso(nudge.at), "level": nudge.level})
        for row in rows:
            yield {
                "message": row.message_id,
                "channel": row.channel_name or row.channel,
                "user": row.asker,
                "asked_at": _iso(row.asked_at),
                "answered_at": _iso(row.answered_at),
                "answered_by": row.answered_by,
                "state": row.state,
                "close_reason": row.close_reason,
                "nudges": nudges[row.id],
            }


async def action_objects(database: Database, prefix: str) -> AsyncIterator[dict[str, Any]]:
    """Every action the bot would have sent, in the order it was stored."""
    async for rows in _pages(database, OutboxEntry, prefix):
        for row in rows:
            yield {"at": _iso(row.created_at), "rule": row.rule, "action": row.payload}


async def _write_array(out: IO[str], items: AsyncIterator[dict[str, Any]]) -> int:
    count = 0
    async for item in items:
        out.write(",\n    " if count else "\n    ")
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=False))
        count += 1
    out.write("\n  ]" if count else "]")
    return count


async def write_report(database: Database, path: Path, *, prefix: str) -> tuple[int, int]:
    """Write `{"questions": [...], "actions": [...]}`; returns (questions, actions) counted."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n  "questions": [')
        questions = await _write_array(out, question_objects(database, prefix))
        out.write(',\n  "actions": [')
        actions = await _write_array(out, action_objects(database, prefix))
        out.write("\n}\n")
    return questions, actions
