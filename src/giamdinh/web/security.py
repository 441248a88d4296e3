"""Who is asking, and may they: the session's user, roles, the form token.

- The session is a signed cookie (``HttpOnly``, ``SameSite=Lax``, ``Secure`` when
  served over TLS) that names the user and carries a random form token.
- Every state-changing request (``POST``) must carry that token, in the form field
  ``csrf_token`` or the header ``X-CSRF-Token``; the check is a dependency of every
  router, so a new form cannot forget it.
- The user is read again from the operational store on every request: a disabled
  account is out at its next click.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from giamdinh.errors import AuthError, ForbiddenError
from giamdinh.review.workflow import Actor, Role
from giamdinh.services.accounts import actor_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from giamdinh.services.context import AppContext

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginRequired(AuthError):  # noqa: N818 - reads as what happened
    """No user in the session: the page sends the browser to the login page."""


def context_of(request: Request) -> AppContext:
    """Return the server's context."""
    ctx: AppContext = request.app.state.context
    return ctx


def ensure_token(request: Request) -> str:
    """Return the session's form token, making one if there is none."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing request without the session's form token.

    Raises:
        ForbiddenError: the token is missing or wrong.
    """
    ensure_token(request)
    if request.method not in UNSAFE:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    expected = str(request.session.get("csrf", ""))
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        msg = (
            "phiên biểu mẫu không hợp lệ, tải lại trang / the form has expired: "
            "reload the page"
        )
        raise ForbiddenError(msg)


def current_actor(request: Request) -> Actor:
    """Return the logged-in user (re-read from the store).

    Raises:
        LoginRequired: nobody is logged in, or the account was disabled.
    """
    username = request.session.get("user")
    if not username:
        raise LoginRequired("cần đăng nhập / please log in")
    try:
        return actor_of(str(username), database_url=context_of(request).database_url)
    except AuthError as exc:
        request.session.clear()
        raise LoginRequired(str(exc)) from exc


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(*roles: Role) -> Callable[[Actor], Actor]:
    """Return a dependency that lets only ``roles`` through."""

    def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            msg = (
                "tài khoản của bạn không được xem trang này / your account may not "
                "see this page"
            )
            raise ForbiddenError(msg)
        return actor

    return check


INSURER = (Role.ASSESSOR, Role.SUPERVISOR)
CLAIM_ROLES = (Role.FACILITY, Role.ASSESSOR, Role.SUPERVISOR)

__all__ = [
    "CLAIM_ROLES",
    "INSURER",
    "CurrentActor",
    "LoginRequired",
    "context_of",
    "csrf_protect",
    "current_actor",
    "ensure_token",
    "require",
]
