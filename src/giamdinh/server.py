"""The composition root of the server: the web application with the API mounted.

``giamdinh.web`` and ``giamdinh.api`` are independent (an import-linter contract);
this module, above both, puts them together: pages at ``/``, the JSON API with its
OpenAPI document at ``/api/v1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from giamdinh.api.app import create_api
from giamdinh.api.common import error_response
from giamdinh.web.app import create_web_app

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.middleware.base import RequestResponseEndpoint
    from starlette.responses import Response

    from giamdinh.services.context import AppContext

API_PREFIX = "/api/"
#: How ``giamdinh serve --workers N`` hands the context to its worker processes.
ENVIRONMENT = "GIAMDINH_SERVE_CONTEXT"


async def _api_answers_json(
    request: Request, call_next: RequestResponseEndpoint
) -> Response:
    """Answer in the API's error shape when an ``/api/`` path reached the pages.

    The mount does not match every path (an encoded newline, an unknown version):
    such a request must not get an HTML page.
    """
    response = await call_next(request)
    if request.url.path.startswith(API_PREFIX) and response.headers.get(
        "content-type", ""
    ).startswith("text/html"):
        return error_response(
            404, "not_found", "không có địa chỉ này / no such endpoint"
        )
    return response


def create_server(context: AppContext) -> FastAPI:
    """Return the whole application for ``context``."""
    app = create_web_app(context)
    app.mount("/api/v1", create_api(context))
    app.middleware("http")(_api_answers_json)
    return app


def server_from_environment() -> FastAPI:
    """Build the server from ``GIAMDINH_SERVE_CONTEXT`` (a worker process's factory).

    Each worker has its own login lock-out; the session key is shared through
    the data folder.
    """
    from giamdinh.services.context import app_context  # noqa: PLC0415

    given = json.loads(os.environ[ENVIRONMENT])
    return create_server(
        app_context(
            database_url=given["database_url"],
            store_dir=Path(given["store_dir"]),
            data_dir=Path(given["data_dir"]),
            reference_dirs=Path(given["reference_dirs"]),
            secure_cookies=bool(given["secure_cookies"]),
            overrides_path=Path(given["overrides_path"])
            if given.get("overrides_path")
            else None,
        )
    )


def environment_of(context: AppContext) -> str:
    """Return the context as ``server_from_environment`` reads it."""
    return json.dumps(
        {
            "database_url": context.database_url,
            "store_dir": str(context.store_dir),
            "data_dir": str(context.data_dir),
            "reference_dirs": str(context.reference_dirs),
            "secure_cookies": context.secure_cookies,
            "overrides_path": str(context.overrides_path)
            if context.overrides_path
            else None,
        }
    )


__all__ = ["ENVIRONMENT", "create_server", "environment_of", "server_from_environment"]
