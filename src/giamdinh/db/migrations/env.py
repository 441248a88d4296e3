"""Alembic environment: runs on the connection the caller passes, or on the URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import context

import giamdinh.db.models  # noqa: F401 - registers every table on Base.metadata
from giamdinh.config import get_settings
from giamdinh.db.base import Base
from giamdinh.db.session import make_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on ``config.attributes['connection']`` or on ``Settings.database_url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = (
        context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    )
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


run_migrations_online()
