"""Use cases of the operational store itself: migrate, show the revision."""

from __future__ import annotations

from dataclasses import dataclass

from giamdinh.config import get_settings
from giamdinh.db import current_revision, upgrade
from giamdinh.db.migrate import head_revision, history


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseStatus:
    """Where a database stands against the migrations shipped with the package."""

    url: str
    current: str | None
    head: str | None
    migrations: tuple[tuple[str, str | None, str], ...]

    @property
    def up_to_date(self) -> bool:
        """Return whether every migration has been applied."""
        return self.current == self.head


def _url(database_url: str | None) -> str:
    return database_url or get_settings().database_url


def upgrade_database(
    database_url: str | None = None, revision: str = "head"
) -> str | None:
    """Apply the migrations up to ``revision``; return the revision now current."""
    return upgrade(_url(database_url), revision)


def database_status(database_url: str | None = None) -> DatabaseStatus:
    """Return the current and newest revision and the list of migrations."""
    url = _url(database_url)
    return DatabaseStatus(
        url=url,
        current=current_revision(url),
        head=head_revision(),
        migrations=tuple(history()),
    )
