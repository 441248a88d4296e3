"""``giamdinh exchange``: the licence registry and its exchange between provinces.

Services, SQLAlchemy, cryptography and uvicorn are imported inside the commands
(see ``giamdinh.cli.main``).
"""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time

import typer
from rich.markup import escape

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors

app = typer.Typer(
    help="Sổ đăng ký hành nghề liên tỉnh: nhập, phát, kéo nguồn tin đã ký.",
    no_args_is_help=True,
)
peer_app = typer.Typer(
    help="Các tỉnh lân cận được kéo nguồn tin (địa chỉ, khóa công khai).",
    no_args_is_help=True,
)
app.add_typer(peer_app, name="peer")

DB_OPTION = typer.Option(
    None,
    "--database-url",
    help="Registry database (default: GIAMDINH_REGISTRY_URL, else "
    "GIAMDINH_DATABASE_URL).",
)
PROVINCE_OPTION = typer.Option(
    None,
    "--province",
    help="This province's code (default: GIAMDINH_EXCHANGE_PROVINCE).",
)
KEY_OPTION = typer.Option(
    None, "--key-file", help="Private key (default: GIAMDINH_EXCHANGE_KEY_FILE)."
)


@app.command("keygen")
def keygen(
    key_file: Path = typer.Argument(..., help="Where to write the private key (0600)."),
) -> None:
    """Create the province's Ed25519 key; print the public key to give neighbours."""
    from giamdinh.services.exchange import keygen as make_key  # noqa: PLC0415

    with operator_errors():
        public = make_key(key_file)
    render.console().print(f"Khóa công khai / public key: {public}")


@app.command("key")
def key(key_file: Path | None = KEY_OPTION) -> None:
    """Print the public key of the configured private key."""
    from giamdinh.services.exchange import public_key  # noqa: PLC0415

    with operator_errors():
        typer.echo(public_key(key_file))


@peer_app.command("add")
def peer_add(
    province: str = typer.Argument(..., help="The neighbour's province code (75)."),
    url: str = typer.Argument(..., help="Its feed address (http://host:port)."),
    public_key: str = typer.Option(
        ..., "--public-key", help="Its public key (base64), received out of band."
    ),
    database_url: str | None = DB_OPTION,
) -> None:
    """Add or change a neighbour whose feed is pulled."""
    from giamdinh.services.exchange import add_peer  # noqa: PLC0415

    with operator_errors():
        add_peer(province=province, url=url, key=public_key, database_url=database_url)
    render.console().print(f"Đã thêm tỉnh {province} / peer {province} added: {url}")


@app.command("import")
def import_(
    files: list[Path] = typer.Argument(..., help="Licence lists or M02 forms."),
    form: str | None = typer.Option(
        None, "--form", help="licences or M02 (guessed from name and columns)."
    ),
    province: str | None = PROVINCE_OPTION,
    key_file: Path | None = KEY_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Import licence lists (granted, suspended, revoked) or M02 forms; publish them.

    Exit code 1 when a row was left out or an entry refused.
    """
    from giamdinh.services.exchange import import_files  # noqa: PLC0415

    with operator_errors():
        outcome = import_files(
            files,
            form=form,
            province=province,
            key_file=key_file,
            database_url=database_url,
        )
    out = render.console()
    bad = 0
    for report in outcome.reports:
        out.print(
            f"{escape(report.file)} ({report.form}): {report.rows} dòng/rows, "
            f"{len(report.facts)} dữ kiện/facts, {len(report.problems)} lỗi/errors"
        )
        for p in report.problems:
            bad += 1
            out.print(
                f"  dòng/row {p.row} {escape(p.column or '')} {escape(p.value)!r}: "
                f"{escape(p.message)} / {escape(p.message_en)}"
            )
    for seq, reason in outcome.refused:
        bad += 1
        out.print(f"  mục/entry {seq} không áp dụng / not applied: {escape(reason)}")
    out.print(
        f"Đã phát / published: {outcome.published}; không đổi / unchanged: "
        f"{outcome.unchanged}"
    )
    if bad:
        raise typer.Exit(code=1)


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8790, "--port", help="Port to listen on."),
    province: str | None = PROVINCE_OPTION,
    key_file: Path | None = KEY_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Serve this province's feed (/feed?after=N&limit=M, /key) to neighbours."""
    import uvicorn  # noqa: PLC0415

    from giamdinh.services.exchange import feed_app  # noqa: PLC0415

    with operator_errors():
        feed = feed_app(province=province, key_file=key_file, database_url=database_url)
    uvicorn.run(feed, host=host, port=port, log_level="info")


@app.command("pull")
def pull(
    peers: list[str] = typer.Argument(None, help="Province codes (default: all)."),
    database_url: str | None = DB_OPTION,
) -> None:
    """Pull the neighbours' feeds after their cursors; exit 1 if one was stopped."""
    from giamdinh.services.exchange import pull as pull_feeds  # noqa: PLC0415

    with operator_errors():
        outcomes = pull_feeds(peers=peers or (), database_url=database_url)
    out = render.console()
    failed = False
    for o in outcomes:
        out.print(
            f"tỉnh/province {o.province}: áp dụng/applied {o.applied}, "
            f"không áp dụng/refused {o.refused}, đã có/skipped {o.skipped}, "
            f"con trỏ/cursor {o.last_seq}"
        )
        if o.error:
            failed = True
            out.print(f"  [bold red]{escape(o.error)}[/]")
    if failed:
        raise typer.Exit(code=1)


@app.command("status")
def status(
    province: str | None = PROVINCE_OPTION,
    database_url: str | None = DB_OPTION,
) -> None:
    """Show this feed's head, what the registry holds, and each neighbour."""
    from giamdinh.services.exchange import status as exchange_status  # noqa: PLC0415

    with operator_errors():
        s = exchange_status(province=province, database_url=database_url)
    out = render.console()
    out.print(
        f"tỉnh/province {s.province or '?'}: mục/seq {s.own_seq}; giấy phép/licences "
        f"{s.licences}, đăng ký/registrations {s.registrations}, xung đột/conflicts "
        f"{s.conflicts}, không áp dụng/refused {s.refused}"
    )
    for p in s.peers:
        when = p.last_pull_at.isoformat(timespec="seconds") if p.last_pull_at else "-"
        out.print(
            f"  {p.province} {escape(p.url)} con trỏ/cursor {p.cursor} "
            f"kéo/pulled {when}"
        )
        if p.last_error:
            out.print(f"    [bold red]{escape(p.last_error)}[/]")
