"""The web application: server-rendered pages in Vietnamese (English on request).

``create_web_app`` builds the FastAPI application with its static assets (served by
the application itself: hospital networks are often closed), the signed session
cookie, security headers, the form-token check on every router, and the pages of
each area (``giamdinh.web.routes``). Errors become pages in the user's language:
not logged in → the login page; not allowed → 403; not found → 404; an operator
error (a bad file, a refused action) → the message, status 400 or 409.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from giamdinh import __version__
from giamdinh.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    ForbiddenError,
    GiamdinhError,
    TransitionError,
)
from giamdinh.web.pages import STATIC, render
from giamdinh.web.routes import ROUTERS
from giamdinh.web.security import LoginRequired, csrf_protect

if TYPE_CHECKING:
    from starlette.middleware.base import RequestResponseEndpoint
    from starlette.responses import Response

    from giamdinh.services.context import AppContext

#: Content Security Policy: everything from the application itself, nothing inline.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SESSION_SECONDS = 8 * 3600


async def _headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(request: Request, status: int, message: str) -> Response:
    return render(
        request, "error.html", status_code=status, status=status, message=message
    )


def create_web_app(context: AppContext) -> FastAPI:
    """Return the web application for ``context`` (without the API)."""
    app = FastAPI(
        title="giamdinh",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.context = context
    app.middleware("http")(_headers)
    app.add_middleware(
        SessionMiddleware,
        secret_key=context.secret_key,
        session_cookie="giamdinh_session",
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=context.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(csrf_protect)])

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        del exc
        target = quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> Response:
        return _error_page(request, 401, str(exc))

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError) -> Response:
        return _error_page(request, 403, str(exc))

    @app.exception_handler(ConflictError)
    async def _conflict(request: Request, exc: ConflictError) -> Response:
        return _error_page(request, 409, str(exc))

    @app.exception_handler(TransitionError)
    async def _transition(request: Request, exc: TransitionError) -> Response:
        return _error_page(request, 409, str(exc))

    @app.exception_handler(ConfigError)
    async def _config(request: Request, exc: ConfigError) -> Response:
        return _error_page(request, 400, str(exc))

    @app.exception_handler(GiamdinhError)
    async def _other(request: Request, exc: GiamdinhError) -> Response:
        return _error_page(request, 400, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {
            404: "không có trang này / no such page",
            405: "không hỗ trợ / method not allowed",
        }
        return _error_page(
            request, exc.status_code, messages.get(exc.status_code, str(exc.detail))
        )

    return app


__all__ = ["CSP", "create_web_app"]
