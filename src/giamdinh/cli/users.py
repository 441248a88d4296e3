"""``giamdinh users``: accounts of the web application, the API and the review CLI.

Services, SQLAlchemy and argon2 are imported inside the commands (see
``giamdinh.cli.main``).
"""

from __future__ import annotations

import sys

import typer

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.render import Column

app = typer.Typer(
    help="Tài khoản: thêm, liệt kê, khóa, mật khẩu, mã truy cập API.",
    no_args_is_help=True,
)

DB_OPTION = typer.Option(
    None, "--database-url", help="SQLAlchemy URL (default: GIAMDINH_DATABASE_URL)."
)
BY_OPTION = typer.Option("admin", "--by", help="Who makes the change (audited).")


def _read_password(stdin: bool) -> str | None:
    if not stdin:
        return None
    return sys.stdin.readline().rstrip("\n")


@app.command("add")
def add(  # noqa: PLR0917 - Typer commands take their options positionally
    username: str = typer.Argument(..., help="Login name."),
    name: str = typer.Option(..., "--name", help="Full name."),
    role: str = typer.Option(
        ..., "--role", help="facility, assessor, supervisor, ministry or admin."
    ),
    facility: str | None = typer.Option(
        None, "--facility", help="MA_CSKCB of facility staff."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read a web password from standard input."
    ),
    by: str = BY_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Add an account (or change one's name, role and facility)."""
    from giamdinh.services.accounts import add_user  # noqa: PLC0415

    with operator_errors():
        add_user(
            username,
            name=name,
            role=role,
            facility=facility,
            password=_read_password(password_stdin),
            by=by,
            database_url=database_url,
        )
    typer.echo(f"{username}: {role}" + (f" ({facility})" if facility else ""))


@app.command("list")
def list_(database_url: str | None = DB_OPTION) -> None:
    """List the accounts (no secret is shown)."""
    from giamdinh.services.accounts import list_users  # noqa: PLC0415

    with operator_errors():
        rows = list_users(database_url)
    render.print_table(
        [
            Column("tên / user", "code"),
            Column("vai trò / role", "code"),
            Column("cơ sở", "code"),
            Column("mở / active", "code"),
            Column("mật khẩu", "code"),
            Column("họ tên / name", "text"),
        ],
        [
            (
                a.username,
                a.role.value,
                a.ma_cskcb or "",
                "có" if a.active else "khóa",
                "có" if a.has_password else "—",
                a.name,
            )
            for a in rows
        ],
        title=f"Tài khoản / accounts: {len(rows)}",
    )


@app.command("disable")
def disable(
    username: str = typer.Argument(..., help="Login name."),
    by: str = BY_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Disable an account and revoke its API tokens (its history stays)."""
    from giamdinh.services.accounts import disable_user  # noqa: PLC0415

    with operator_errors():
        disable_user(username, by=by, database_url=database_url)
    typer.echo(f"{username}: đã khóa / disabled")


@app.command("password")
def password(
    username: str = typer.Argument(..., help="Login name."),
    by: str = BY_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Set an account's web password, read from standard input."""
    from giamdinh.services.accounts import set_password  # noqa: PLC0415

    secret = _read_password(stdin=True) or ""
    with operator_errors():
        set_password(username, secret, by=by, database_url=database_url)
    typer.echo(f"{username}: đã đặt mật khẩu / password set")


@app.command("token")
def token(
    username: str = typer.Argument(..., help="Login name the token acts for."),
    name: str = typer.Option(..., "--name", help="What uses it, e.g. 'HIS'."),
    by: str = BY_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Issue an API token for a system; it is printed once and stored hashed."""
    from giamdinh.services.accounts import issue_token  # noqa: PLC0415

    with operator_errors():
        value = issue_token(username, name=name, by=by, database_url=database_url)
    typer.echo(value)
