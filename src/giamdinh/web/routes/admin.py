"""The administrator's accounts page: add, disable, passwords, API tokens, the log.

Only ``admin`` (and the service layer checks it again: ``giamdinh.services.admin``).
Every change is audited by the services; the page shows the newest entries of the
audit chain about accounts. A new API token is shown once, on the answer to the
form that issued it, and never again (the store keeps only its hash; the page is
``Cache-Control: no-store`` like every page).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from giamdinh.errors import ConfigError, ConflictError
from giamdinh.review.workflow import Actor, Role
from giamdinh.services import admin
from giamdinh.web.pages import render
from giamdinh.web.security import context_of, require

router = APIRouter()

Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
NOTICE = "admin_notice"


def _page(
    request: Request,
    actor: Actor,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    ctx = context_of(request)
    return render(
        request,
        "admin/users.html",
        actor=actor,
        status_code=status_code,
        accounts=admin.list_accounts(actor, database_url=ctx.database_url),
        log=admin.account_log(actor, database_url=ctx.database_url),
        roles=list(Role),
        notice=request.session.pop(NOTICE, None),
        error=error,
        form=form or {},
    )


def _done(request: Request, kind: str, username: str) -> Response:
    request.session[NOTICE] = {"kind": kind, "username": username}
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/users")
def users_page(request: Request, actor: Admin) -> Response:
    """List the accounts, the forms to change them and the account log."""
    return _page(request, actor)


@router.post("/admin/users")
def add_account(
    *,
    request: Request,
    actor: Admin,
    username: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    facility: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Add an account with its first password."""
    try:
        admin.create_account(
            actor, username=username, name=name, role=role, facility=facility,
            password=password, database_url=context_of(request).database_url,
        )  # fmt: skip
    except (ConfigError, ConflictError) as exc:
        status = 409 if isinstance(exc, ConflictError) else 400
        form = {"username": username, "name": name, "role": role, "facility": facility}
        return _page(request, actor, status_code=status, error=str(exc), form=form)
    return _done(request, "added", username.strip())


@router.get("/admin/users/{username}/{action}")
def back_to_accounts(actor: Admin, username: str, action: str) -> Response:
    """Send a browser that reloads a form's address (or its answer) to the list."""
    del actor, username, action
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/disable")
def disable_account(request: Request, actor: Admin, username: str) -> Response:
    """Disable an account; its sessions and tokens stop at once."""
    try:
        admin.disable_account(
            actor, username, database_url=context_of(request).database_url
        )
    except ConfigError as exc:
        return _page(request, actor, status_code=400, error=str(exc))
    return _done(request, "disabled", username)


@router.post("/admin/users/{username}/password")
def set_password(
    request: Request,
    actor: Admin,
    username: str,
    password: Annotated[str, Form()] = "",
) -> Response:
    """Set an account's web password."""
    try:
        admin.set_account_password(
            actor, username, password, database_url=context_of(request).database_url
        )
    except ConfigError as exc:
        return _page(request, actor, status_code=400, error=str(exc))
    return _done(request, "password", username)


@router.post("/admin/users/{username}/token")
def issue_token(
    request: Request,
    actor: Admin,
    username: str,
    name: Annotated[str, Form()] = "",
) -> Response:
    """Issue an API token and show it, this once."""
    try:
        token = admin.issue_account_token(
            actor, username, name=name, database_url=context_of(request).database_url
        )
    except ConfigError as exc:
        return _page(request, actor, status_code=400, error=str(exc))
    return render(
        request,
        "admin/token.html",
        actor=actor,
        username=username,
        name=name.strip(),
        token=token,
    )


__all__ = ["router"]
