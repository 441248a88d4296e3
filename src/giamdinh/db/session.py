"""Engine and session factory for the operational store."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from giamdinh.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """Create an engine for ``url`` (``Settings.database_url``).

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///giamdinh.db`` or
            ``postgresql+psycopg://user@host/db``.
        schema: PostgreSQL only: put this schema first on the ``search_path`` (tests
            use a fresh schema per run so they never collide).
        echo: Log SQL statements.

    Returns:
        The engine; on SQLite foreign keys are switched on for every connection.

    Raises:
        ConfigError: The URL cannot be parsed or names an unsupported back end.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:
        msg = (
            f"database URL {url!r} is not a valid SQLAlchemy URL"
            " (set GIAMDINH_DATABASE_URL)"
        )
        raise ConfigError(msg) from exc
    backend = parsed.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        msg = (
            f"database back end {backend!r} is not supported; use sqlite or postgresql"
        )
        raise ConfigError(msg)
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if backend == "postgresql" and schema is not None:
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = create_engine(parsed, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    del connection_record
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory on ``engine`` (objects stay usable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
