"""The operational store: SQLAlchemy models, Alembic migrations (SQLite, PostgreSQL).

Every module that keeps operational state (norms, review cases, registries) declares
its tables in ``giamdinh.db.models.<module>`` on the one :class:`Base`, and ships an
Alembic migration in ``giamdinh/db/migrations/versions``. ``giamdinh db upgrade``
applies them from an installed package; see ``docs/db.md``.
"""

from giamdinh.db.base import Base
from giamdinh.db.migrate import check_models_match, current_revision, upgrade
from giamdinh.db.session import make_engine, make_session_factory, session_scope

__all__ = [
    "Base",
    "check_models_match",
    "current_revision",
    "make_engine",
    "make_session_factory",
    "session_scope",
    "upgrade",
]
