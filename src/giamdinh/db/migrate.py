"""Alembic, configured in code so migrations run from an installed package.

There is no ``alembic.ini``: the script location is the package resource
``giamdinh.db:migrations`` and the URL comes from the caller (usually
``Settings.database_url``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import giamdinh.db.models  # noqa: F401 - registers every table on Base.metadata
from giamdinh.db.base import Base
from giamdinh.db.session import make_engine

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

SCRIPT_LOCATION = "giamdinh.db:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """Return an Alembic config pointing at the packaged migrations.

    Args:
        connection: An open connection the migration environment should use.
    """
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _engine(target: str | Engine) -> tuple[Engine, bool]:
    if isinstance(target, str):
        return make_engine(target), True
    return target, False


def upgrade(target: str | Engine, revision: str = "head") -> str | None:
    """Apply migrations up to ``revision`` and return the revision now current.

    Args:
        target: Database URL, or an engine (tests pass one bound to a schema).
        revision: Alembic revision id, or ``head``.
    """
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
        return current_revision(engine)
    finally:
        if owned:
            engine.dispose()


def downgrade(target: str | Engine, revision: str) -> str | None:
    """Revert migrations down to ``revision`` (``base`` removes every table)."""
    engine, owned = _engine(target)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
        return current_revision(engine)
    finally:
        if owned:
            engine.dispose()


def current_revision(target: str | Engine) -> str | None:
    """Return the revision recorded in the database (``None`` before any upgrade)."""
    engine, owned = _engine(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str | None:
    """Return the newest revision shipped with the package."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def history() -> list[tuple[str, str | None, str]]:
    """Return ``(revision, down_revision, message)`` per migration, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    rows = [
        (rev.revision, _down(rev.down_revision), rev.doc or "")
        for rev in script.walk_revisions()
    ]
    return list(reversed(rows))


def _down(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def check_models_match(target: str | Engine) -> list[Any]:
    """Return the autogenerate diff between the models and the migrated database.

    An empty list means the migrations create exactly what the models declare.
    """
    engine, owned = _engine(target)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        if owned:
            engine.dispose()
