"""Work a transaction asks to run just before its commit, or only once it has committed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

_BEFORE = "circlebot.before_commit"
_AFTER = "circlebot.after_commit"

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
AfterCommit = Callable[[], None]


def before_commit(session: AsyncSession, key: str, work: BeforeCommit) -> None:
    """Run `work(session)` once, just before `Database.session` commits (one per `key`)."""
    session.info.setdefault(_BEFORE, {}).setdefault(key, work)


def after_commit(session: AsyncSession, key: str, work: AfterCommit) -> None:
    """Run `work()` once the transaction committed (one per `key`; never after a rollback)."""
    session.info.setdefault(_AFTER, {}).setdefault(key, work)


async def run_before_commit(session: AsyncSession) -> None:
    """The before-commit work queued so far (work may queue more: it runs too)."""
    while True:
        queued: dict[str, BeforeCommit] | None = session.info.pop(_BEFORE, None)
        if not queued:
            return
        for work in queued.values():
            await work(session)


def take_after_commit(session: AsyncSession) -> list[AfterCommit]:
    """The after-commit work queued in this transaction (taken: it runs once)."""
    queued: dict[str, AfterCommit] = session.info.pop(_AFTER, None) or {}
    return list(queued.values())
