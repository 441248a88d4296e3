"""Fixtures: an empty migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from giamdinh.db import make_session_factory
from giamdinh.db.testing import temporary_database

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    pg_url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    with temporary_database(backend, tmp_path=tmp_path, pg_url=pg_url) as created:
        yield created


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test database, each on a connection of its own."""
    return make_session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as opened:
        yield opened
        opened.rollback()
