"""SQLite durability: the bot's database syncs at checkpoints; replay's scratch file never."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.storage.db import WAL_CHECKPOINT_PAGES, Database


async def _synchronous(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(text("PRAGMA synchronous"))).scalar_one())


async def test_the_bot_database_is_durable_and_a_scratch_one_is_not(tmp_path: Path) -> None:
    durable = Database(f"sqlite:///{tmp_path / 'circle.db'}")
    scratch = Database(f"sqlite:///{tmp_path / 'replay.db'}", durable=False)
    try:
        assert await _synchronous(durable) == 1  # NORMAL: WAL synced at checkpoints
        assert await _synchronous(scratch) == 0  # OFF
    finally:
        await durable.dispose()
        await scratch.dispose()


async def test_the_wal_is_checkpointed_every_few_tens_of_megabytes(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'circle.db'}")
    try:
        async with database.session() as session:
            pages = (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()
        assert pages == WAL_CHECKPOINT_PAGES
    finally:
        await database.dispose()
