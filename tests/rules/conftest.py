"""The ``engine`` fixture: every rule case runs on DuckDB and (in CI) on Spark."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.backends.duck import DuckDBBackend

if TYPE_CHECKING:
    from collections.abc import Iterator

    from giamdinh.backends.base import Backend


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A backend to run rules on: DuckDB, or the session's local Spark."""
    backend: Backend
    if request.param == "spark":
        session: Any = request.getfixturevalue("spark")
        from giamdinh.backends.spark import SparkBackend

        backend = SparkBackend(session)
    else:
        backend = DuckDBBackend()
    try:
        yield backend
    finally:
        backend.close()
