"""What every API route shares: the token's account, paging, the error shape."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from giamdinh.errors import AuthError, ForbiddenError
from giamdinh.review.workflow import Actor, Role
from giamdinh.services.accounts import actor_for_token
from giamdinh.services.context import AppContext

T = TypeVar("T")

_bearer = HTTPBearer(
    auto_error=False, description="An API token (giamdinh users token)."
)


class ErrorDetail(BaseModel):
    """What went wrong."""

    status: int
    code: str = Field(description="unauthenticated, forbidden, not_found, conflict, …")
    message: str = Field(description="Vietnamese, then English after ' / '.")


class ErrorBody(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "Bad request (a file or a value was refused)"),
        (401, "No valid token"),
        (403, "The token's account may not do this"),
        (404, "Not found (or another facility's)"),
        (409, "The state or version does not allow it"),
        (422, "Invalid parameters"),
    )
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Return an error in the API's one shape."""
    body = ErrorBody(error=ErrorDetail(status=status, code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def context_of(request: Request) -> AppContext:
    """Return the server's context."""
    ctx: AppContext = request.app.state.context
    return ctx


Context = Annotated[AppContext, Depends(context_of)]


def token_actor(
    ctx: Context,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Return the account of the request's token.

    Raises:
        AuthError: no token, or not a valid one.
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthError("cần mã truy cập (Bearer) / a bearer token is required")
    return actor_for_token(credentials.credentials, database_url=ctx.database_url)


TokenActor = Annotated[Actor, Depends(token_actor)]


def require(actor: Actor, *roles: Role) -> Actor:
    """Return ``actor`` if its role is one of ``roles``.

    Raises:
        ForbiddenError: it is not.
    """
    if actor.role not in roles:
        msg = "tài khoản không được làm việc này / the account may not do this"
        raise ForbiddenError(msg)
    return actor


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    total: int = Field(description="How many items there are in all.")
    limit: int
    offset: int


class Paging(BaseModel):
    """``limit`` and ``offset`` of a list request."""

    limit: int
    offset: int

    def page(self, items: list[T]) -> Page[T]:
        """Return this page of ``items`` (all of them, already filtered)."""
        return Page[T](
            items=items[self.offset : self.offset + self.limit],
            total=len(items),
            limit=self.limit,
            offset=self.offset,
        )


def paging(
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
    offset: Annotated[
        int, Query(ge=0, le=10_000_000, description="Items to skip.")
    ] = 0,
) -> Paging:
    """Read ``limit`` and ``offset``."""
    return Paging(limit=limit, offset=offset)


PageQuery = Annotated[Paging, Depends(paging)]

__all__ = [
    "ERROR_RESPONSES",
    "Context",
    "ErrorBody",
    "Page",
    "PageQuery",
    "Paging",
    "TokenActor",
    "context_of",
    "error_response",
    "require",
]
