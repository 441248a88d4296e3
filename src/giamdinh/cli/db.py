"""``giamdinh db``: migrate the operational store and show where it stands."""

from __future__ import annotations

import typer
from rich.markup import escape

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors

# NOTE: SQLAlchemy and Alembic are imported inside each command: see cli.main.

app = typer.Typer(
    help="Cơ sở dữ liệu vận hành (SQLite/PostgreSQL): nâng cấp, trạng thái.",
    no_args_is_help=True,
)

DB_OPTION = typer.Option(
    None, "--database-url", help="SQLAlchemy URL (default: GIAMDINH_DATABASE_URL)."
)


@app.command("upgrade")
def upgrade(
    revision: str = typer.Argument("head", help="Target revision (default: head)."),
    database_url: str | None = DB_OPTION,
) -> None:
    """Apply the migrations shipped with the package up to a revision."""
    from giamdinh.services.db import upgrade_database  # noqa: PLC0415

    with operator_errors():
        current = upgrade_database(database_url, revision)
    render.console().print(f"Phiên bản cơ sở dữ liệu / revision: {current}")


@app.command("status")
def status(database_url: str | None = DB_OPTION) -> None:
    """Show the current and newest revision and the list of migrations."""
    from giamdinh.services.db import database_status  # noqa: PLC0415

    with operator_errors():
        result = database_status(database_url)
    out = render.console()
    for revision, down, message in result.migrations:
        mark = "*" if revision == result.current else " "
        out.print(f"{mark} {revision} (← {down or 'base'}) {escape(message)}")
    state = "up to date" if result.up_to_date else "needs `giamdinh db upgrade`"
    out.print(f"current={result.current} head={result.head}: {state}")
    if not result.up_to_date:
        raise typer.Exit(code=1)
