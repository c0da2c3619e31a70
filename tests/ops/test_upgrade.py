"""`circlebot db upgrade` may run in several pods at once (init containers): one waits."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.storage.db import Database


async def test_concurrent_upgrades_of_a_fresh_database_both_succeed(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(3)]
    try:
        async with asyncio.timeout(120):  # without the migration lock they deadlock
            await asyncio.gather(*(db.upgrade() for db in databases))
        async with databases[0].engine.connect() as conn:
            heads = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert len(heads) >= 1 and len({h[0] for h in heads}) == len(heads)
        await databases[1].upgrade()  # and again later: nothing to do
    finally:
        for db in databases:
            await db.dispose()
