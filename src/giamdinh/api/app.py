"""The JSON API under ``/api/v1``, with its OpenAPI document.

For systems (a hospital's HIS, the insurer's tools): every request carries a token
(``Authorization: Bearer gd_…``, issued by ``giamdinh users token``) and acts as
that token's account, with the same roles and the same scoping by facility as the
pages. Lists are paged (``limit``, ``offset``; ``total`` in the answer). A query
parameter the endpoint does not declare, or a single-valued one given twice, is
refused (422) rather than ignored. Errors have one shape (``ErrorBody``):
``{"error": {"status", "code", "message"}}``, the message Vietnamese first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from giamdinh import __version__
from giamdinh.api.common import ERROR_RESPONSES, error_response, strict_query
from giamdinh.api.routes import ROUTERS
from giamdinh.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    GiamdinhError,
    TransitionError,
)

if TYPE_CHECKING:
    from giamdinh.services.context import AppContext

#: How each error class answers: HTTP status and the error code.
STATUS: list[tuple[type[GiamdinhError], int, str]] = [
    (AuthError, 401, "unauthenticated"),
    (ForbiddenError, 403, "forbidden"),
    (ConflictError, 409, "conflict"),
    (TransitionError, 409, "not_allowed"),
    (ConfigError, 400, "bad_request"),
    (GiamdinhError, 400, "bad_request"),
]


def create_api(context: AppContext) -> FastAPI:
    """Return the API application for ``context`` (mounted at ``/api/v1``)."""
    api = FastAPI(
        title="giamdinh API",
        version=__version__,
        description=(
            "Giám định BHYT: kiểm tra hồ sơ, kết quả giám định, hồ sơ giám định "
            "chung, tín hiệu, quy tắc, định mức. / BHYT assessment: checks, "
            "decisions, joint-verification cases, leads, rules, norms."
        ),
        # No documentation page: FastAPI's loads its scripts from a CDN (none may
        # be used: closed networks, the Content-Security-Policy), and an /api/
        # path answers JSON only. The document is /api/v1/openapi.json.
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
        dependencies=[Depends(strict_query)],
    )
    api.state.context = context
    for router in ROUTERS:
        api.include_router(router)

    for cls, status, code in STATUS:

        async def handler(
            request: Request, exc: Exception, status: int = status, code: str = code
        ) -> JSONResponse:
            del request
            return error_response(status, code, str(exc))

        api.add_exception_handler(cls, handler)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        del request
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return error_response(
            422, "invalid", f"yêu cầu không hợp lệ / invalid request: {where}"
        )

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        del request
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        return error_response(
            exc.status_code,
            codes.get(exc.status_code, "error"),
            str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    return api


__all__ = ["STATUS", "create_api"]
