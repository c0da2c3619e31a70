"""Alembic environment: runs on the connection circlebot hands over (SQLite or PostgreSQL)."""

from __future__ import annotations

from alembic import context

import bot.storage.models  # noqa: F401  (registers core tables)
from bot.rule import discover_rules
from bot.storage.base import Base

discover_rules()  # imports every rule module, registering its tables
target_metadata = Base.metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `circlebot db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
