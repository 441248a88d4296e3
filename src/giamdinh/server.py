"""The composition root of the server: the web application with the API mounted.

``giamdinh.web`` and ``giamdinh.api`` are independent (an import-linter contract);
this module, above both, puts them together: pages at ``/``, the JSON API with its
OpenAPI document at ``/api/v1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from giamdinh.api.app import create_api
from giamdinh.web.app import create_web_app

if TYPE_CHECKING:
    from fastapi import FastAPI

    from giamdinh.services.context import AppContext


def create_server(context: AppContext) -> FastAPI:
    """Return the whole application for ``context``."""
    app = create_web_app(context)
    app.mount("/api/v1", create_api(context))
    return app


__all__ = ["create_server"]
