"""Shared fixtures: DuckDB connection, Spark session, PostgreSQL URL, sample paths."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.review_support import ReviewProvince

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get(
    "GIAMDINH_TEST_PG_URL", "postgresql+psycopg://postgres@localhost:5432/test"
)


def _service_missing(reason: str) -> None:
    """Skip on a user's machine; fail in CI, where every service must be there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this service must be available)")
    pytest.skip(reason)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh in-memory DuckDB connection, closed after the test."""
    connection = duckdb.connect()
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local Spark session (needs Java 17); skipped off CI when Java is absent."""
    if shutil.which("java") is None:
        _service_missing("Java is not installed, so Spark cannot start")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _service_missing("pyspark is not installed")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("giamdinh-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        # The whole rule set is one query with ~200 joins of tiny tables; the
        # default 1 GB driver can fail to broadcast them all at once.
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def pg_url() -> str:
    """URL of the PostgreSQL test database; skipped off CI when nothing listens."""
    try:
        with socket.create_connection(("localhost", 5432), timeout=1):
            pass
    except OSError:
        _service_missing("PostgreSQL is not listening on localhost:5432")
    return PG_URL


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The sample claim files shipped inside the package."""
    return Path(__file__).parent.parent / "src" / "giamdinh" / "standard" / "samples"


@pytest.fixture(scope="session")
def review_province(tmp_path_factory: pytest.TempPathFactory) -> ReviewProvince:
    """A 300-claim province with lines under review and leads (read-only: copy it)."""
    from tests.review_support import build_review_province

    return build_review_province(tmp_path_factory.mktemp("review"))


# ------------------------------------------------------------------ web and API


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The shared demo site (``tests/site.py``): read it, never change it."""
    from tests.site import build_site

    return build_site(tmp_path_factory.mktemp("site") / "demo")


@pytest.fixture
def own_site(site: Any, tmp_path: Path) -> Any:
    """A copy of the demo site that the test may change."""
    from tests.site import copy_site

    return copy_site(site, tmp_path / "site")


@pytest.fixture
def client(site: Any) -> Iterator[Any]:
    """A client of the shared site, not logged in."""
    from starlette.testclient import TestClient

    from giamdinh.server import create_server

    with TestClient(create_server(site.context)) as c:
        yield c


@pytest.fixture
def own_client(own_site: Any) -> Iterator[Any]:
    """A client of the test's own copy of the site, not logged in."""
    from starlette.testclient import TestClient

    from giamdinh.server import create_server

    with TestClient(create_server(own_site.context)) as c:
        yield c
