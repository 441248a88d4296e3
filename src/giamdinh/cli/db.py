"""``giamdinh db``: migrate the operational store and show where it stands."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

from giamdinh.cli.errors import operator_errors
from giamdinh.services.db import database_status, upgrade_database

app = typer.Typer(
    help="Cơ sở dữ liệu vận hành (SQLite/PostgreSQL): nâng cấp, trạng thái.",
    no_args_is_help=True,
)
_out = Console(soft_wrap=True)

DB_OPTION = typer.Option(
    None, "--database-url", help="SQLAlchemy URL (default: GIAMDINH_DATABASE_URL)."
)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: head)."),
    database_url: str | None = DB_OPTION,
) -> None:
    """Apply the migrations shipped with the package up to a revision."""
    with operator_errors():
        current = upgrade_database(database_url, revision)
    _out.print(f"Phiên bản cơ sở dữ liệu / revision: {current}")


@app.command("status")
def status(database_url: str | None = DB_OPTION) -> None:
    """Show the current and newest revision and the list of migrations."""
    with operator_errors():
        result = database_status(database_url)
    for revision, down, message in result.migrations:
        mark = "*" if revision == result.current else " "
        _out.print(f"{mark} {revision} (← {down or 'base'}) {escape(message)}")
    state = "up to date" if result.up_to_date else "needs `giamdinh db upgrade`"
    _out.print(f"current={result.current} head={result.head}: {state}")
    if not result.up_to_date:
        raise typer.Exit(code=1)
