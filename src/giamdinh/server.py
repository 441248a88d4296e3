"""The composition root of the server: the web application with the API mounted.

``giamdinh.web`` and ``giamdinh.api`` are independent (an import-linter contract);
this module, above both, puts them together: pages at ``/``, the JSON API with its
OpenAPI document at ``/api/v1``.
"""

from __future__ import annotations

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


__all__ = ["create_server"]
