"""What every API route shares: the token's account, paging, the error shape."""

from __future__ import annotations

from types import UnionType
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Generic,
    TypeVar,
    Union,
    get_args,
    get_origin,
)

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from giamdinh.errors import AuthError, ForbiddenError
from giamdinh.review.workflow import Actor, Role
from giamdinh.services.accounts import actor_for_token
from giamdinh.services.context import AppContext

if TYPE_CHECKING:
    from fastapi.dependencies.models import Dependant

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


def _repeatable(annotation: Any) -> bool:
    """Return whether a query parameter's type takes several values (a list)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType, Annotated):
        return any(_repeatable(arg) for arg in get_args(annotation))
    return origin in (list, tuple, set, frozenset)


def _declared_query(dependant: Dependant) -> dict[str, bool]:
    """Return the query parameters a route and its dependencies declare.

    Returns:
        Each name, and whether it may be repeated.
    """
    declared = {
        field.alias: _repeatable(field.field_info.annotation)
        for field in dependant.query_params
    }
    for sub in dependant.dependencies:
        declared |= _declared_query(sub)
    return declared


async def strict_query(request: Request) -> None:
    """Refuse a query parameter the endpoint does not declare, or one given twice.

    A misspelt ``facilty=01002`` or ``volum=6250`` would otherwise be dropped
    silently, and ``?ma_cskcb=A&ma_cskcb=B`` read as one of the two: the answer
    would look right while being another question's. Both are 422.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = _declared_query(route.dependant)
    errors = []
    for name in sorted(set(request.query_params)):
        values = request.query_params.getlist(name)
        if name not in declared:
            errors.append(
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": "không có tham số này / unknown parameter",
                    "input": values[0],
                }
            )
        elif len(values) > 1 and not declared[name]:
            errors.append(
                {
                    "type": "too_long",
                    "loc": ("query", name),
                    "msg": "tham số chỉ được một lần / given more than once",
                    "input": values,
                }
            )
    if errors:
        raise RequestValidationError(errors)


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
    "strict_query",
]
