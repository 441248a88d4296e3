"""A throw-away migrated database for tests (SQLite file or a fresh PostgreSQL schema).

Tests of every module that owns tables use this so they run the same way on both
back ends: the tables are created by the Alembic migrations, never by
``create_all``, and PostgreSQL runs get a schema of their own that is dropped after.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import text

from giamdinh.db.migrate import upgrade
from giamdinh.db.session import make_engine

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy.engine import Engine


@contextmanager
def temporary_database(
    backend: str, *, tmp_path: Path, pg_url: str | None = None, migrate: bool = True
) -> Iterator[Engine]:
    """Yield an engine on an empty, migrated database; clean up afterwards.

    Args:
        backend: ``sqlite`` or ``postgres``.
        tmp_path: Directory for the SQLite file.
        pg_url: PostgreSQL URL (needed for ``postgres``).
        migrate: Apply every migration (``False`` leaves the database empty).
    """
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'giamdinh-test.db'}")
        try:
            if migrate:
                upgrade(engine)
            yield engine
        finally:
            engine.dispose()
        return
    if pg_url is None:
        msg = "a PostgreSQL URL is needed for the postgres back end"
        raise ValueError(msg)
    schema = f"test_{secrets.token_hex(6)}"
    admin = make_engine(pg_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(pg_url, schema=schema)
    try:
        if migrate:
            upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def url_with_schema(pg_url: str, schema: str) -> str:
    """Return ``pg_url`` with ``options=-csearch_path=<schema>`` (for CLI tests)."""
    separator = "&" if "?" in pg_url else "?"
    return f"{pg_url}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def temporary_database_url(
    backend: str, *, tmp_path: Path, pg_url: str | None = None
) -> Iterator[str]:
    """Yield the URL of an empty, *unmigrated* database; clean up afterwards.

    For code that takes a URL (services, CLI). On PostgreSQL the URL carries
    ``options=-csearch_path=<fresh schema>``.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'giamdinh-url-test.db'}"
        return
    if pg_url is None:
        msg = "a PostgreSQL URL is needed for the postgres back end"
        raise ValueError(msg)
    schema = f"test_{secrets.token_hex(6)}"
    admin = make_engine(pg_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield url_with_schema(pg_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
