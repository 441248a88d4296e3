"""The ``case_engine`` fixture: the backend a rule case is parametrized with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.backends.duck import DuckDBBackend

if TYPE_CHECKING:
    from collections.abc import Iterator

    from giamdinh.backends.base import Backend


def _backend(request: pytest.FixtureRequest, name: str) -> Backend:
    if name == "spark":
        session: Any = request.getfixturevalue("spark")
        from giamdinh.backends.spark import SparkBackend

        return SparkBackend(session)
    return DuckDBBackend()


@pytest.fixture
def case_engine(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The backend named by the test's own parametrization (``duckdb``/``spark``)."""
    backend = _backend(request, request.param)
    try:
        yield backend
    finally:
        backend.close()
