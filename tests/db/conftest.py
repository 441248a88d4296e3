"""Fixtures: an empty migrated database on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from giamdinh.db.testing import temporary_database

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy.engine import Engine


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
def bare_engine(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    pg_url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    with temporary_database(
        backend, tmp_path=tmp_path, pg_url=pg_url, migrate=False
    ) as created:
        yield created
