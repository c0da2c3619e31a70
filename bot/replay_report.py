"""The replay report: tracked questions with their nudges, and every action, streamed to JSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import bindparam, select

from bot.storage.db import Database
from bot.storage.fast import FastStatement
from bot.storage.models import OutboxEntry
from rules.questions.models import Question, QuestionNudge

PAGE = 1000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _page_of(*columns: Any) -> FastStatement:
    """A page of `columns` (the first is the id) of communities starting with a prefix, by id."""
    table = columns[0].table
    return FastStatement(
        select(*columns)
        .where(columns[0] > bindparam("last"), table.c.community.startswith(bindparam("prefix")))
        .order_by(columns[0])
        .limit(PAGE)
    )


_Q = Question.__table__.c
_QUESTIONS = _page_of(
    _Q.id,
    _Q.message_id,
    _Q.channel_name,
    _Q.channel,
    _Q.asker,
    _Q.asked_at,
    _Q.answered_at,
    _Q.answered_by,
    _Q.state,
    _Q.close_reason,
)
_N = QuestionNudge.__table__.c
_NUDGES = FastStatement(
    select(_N.question_id, _N.at, _N.level)
    .where(_N.question_id >= bindparam("low"), _N.question_id <= bindparam("high"))
    .order_by(_N.at, _N.id)
)
_O = OutboxEntry.__table__.c
_ACTIONS = _page_of(_O.id, _O.created_at, _O.rule, _O.payload)


async def _pages(
    database: Database, statement: FastStatement, prefix: str
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """Rows of `statement` for communities starting with `prefix`, by id, a page at a time
    (plain rows: no ORM object is made for a report line)."""
    last = 0
    while True:
        async with database.session() as session:
            rows = await statement.rows(session, {"last": last, "prefix": prefix})
        if not rows:
            return
        yield rows
        last = rows[-1][0]


async def question_objects(database: Database, prefix: str) -> AsyncIterator[dict[str, Any]]:
    """Report objects of every question of communities starting with `prefix`, by id."""
    async for rows in _pages(database, _QUESTIONS, prefix):
        nudges: dict[int, list[dict[str, Any]]] = {row[0]: [] for row in rows}
        async with database.session() as session:
            bounds = {"low": rows[0][0], "high": rows[-1][0]}
            for question_id, at, level in await _NUDGES.rows(session, bounds):
                if question_id in nudges:
                    nudges[question_id].append({"at": _iso(at), "level": level})
        for row_id, message, name, channel, asker, asked, answered, by, state, reason in rows:
            yield {
                "message": message,
                "channel": name or channel,
                "user": asker,
                "asked_at": _iso(asked),
                "answered_at": _iso(answered),
                "answered_by": by,
                "state": state,
                "close_reason": reason,
                "nudges": nudges[row_id],
            }


async def action_objects(database: Database, prefix: str) -> AsyncIterator[dict[str, Any]]:
    """Every action the bot would have sent, in the order it was stored."""
    async for rows in _pages(database, _ACTIONS, prefix):
        for _, created_at, rule, payload in rows:
            yield {"at": _iso(created_at), "rule": rule, "action": payload}


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
