"""``giamdinh serve``: the web application and the API, on one port."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors
from giamdinh.cli.options import OVERRIDES_OPTION


def serve(  # noqa: PLR0917 - Typer commands take their options positionally
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    store: Path | None = typer.Option(
        None, "--store", help="Claim store (default: GIAMDINH_STORE_DIR)."
    ),
    data: Path = typer.Option(
        Path("giamdinh-data"),
        "--data",
        help="The server's files: uploaded checks, reference folders, session key.",
    ),
    reference: Path | None = typer.Option(
        None, "--reference", help="Reference folders per facility (<dir>/<MA_CSKCB>)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="SQLAlchemy URL (default: GIAMDINH_DATABASE_URL)."
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Serve the demo province with its demo accounts."
    ),
    demo_dir: Path = typer.Option(
        Path("demo"), "--dir", help="Folder of the demo (made when missing)."
    ),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Mark cookies Secure (serve behind TLS)."
    ),
    overrides: Path | None = OVERRIDES_OPTION,
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="Worker processes (each with its own login lock-out counter).",
    ),
) -> None:
    """Chạy ứng dụng web và API (FastAPI + uvicorn); --demo với tỉnh mẫu."""
    import uvicorn  # noqa: PLC0415

    from giamdinh.server import (  # noqa: PLC0415
        ENVIRONMENT,
        create_server,
        environment_of,
    )
    from giamdinh.services.context import app_context  # noqa: PLC0415

    with operator_errors():
        if demo:
            from giamdinh.services.demo import (  # noqa: PLC0415
                DEMO_PASSWORD,
                demo_accounts,
                is_demo_folder,
                run_demo,
            )

            if not is_demo_folder(demo_dir):
                run_demo(demo_dir, report=render.console().print)
            accounts = demo_accounts(demo_dir)
            context = app_context(
                database_url=f"sqlite:///{demo_dir / 'giamdinh.db'}",
                store_dir=demo_dir / "store",
                data_dir=demo_dir / "web",
                reference_dirs=demo_dir / "province" / "reference",
                secure_cookies=secure_cookies,
                overrides_path=overrides,
            )
            out = render.console()
            out.print(
                f"Tài khoản mẫu / demo accounts (mật khẩu / password: {DEMO_PASSWORD}):"
            )
            for username, role, facility in accounts:
                out.print(f"  {username:<16} {role:<11} {facility or ''}")
        else:
            context = app_context(
                database_url=database_url,
                store_dir=store,
                data_dir=data,
                reference_dirs=reference,
                secure_cookies=secure_cookies,
                overrides_path=overrides,
            )
        app = create_server(context)
    render.console().print(f"http://{host}:{port}/")
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
        return
    os.environ[ENVIRONMENT] = environment_of(context)
    uvicorn.run(
        "giamdinh.server:server_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
    )
