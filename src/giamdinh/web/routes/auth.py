"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from giamdinh.errors import AuthError
from giamdinh.services.accounts import login, logout
from giamdinh.web.pages import LANGUAGES, render
from giamdinh.web.security import context_of, current_actor, ensure_token

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Return a local path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    """Show the login form."""
    ensure_token(request)
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the credentials; start a new session on success."""
    ctx = context_of(request)
    address = request.client.host if request.client else "unknown"
    try:
        actor = login(
            username.strip(),
            password,
            address=address,
            throttle=ctx.throttle,
            database_url=ctx.database_url,
        )
    except AuthError as exc:
        return render(
            request,
            "login.html",
            status_code=401,
            next=_safe_next(next),
            error=str(exc),
            username=username,
        )
    lang = request.session.get("lang", "vi")
    request.session.clear()
    request.session["user"] = actor.username
    request.session["lang"] = lang
    ensure_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout_submit(request: Request) -> Response:
    """End the session (audited)."""
    try:
        actor = current_actor(request)
    except AuthError:
        actor = None
    if actor is not None:
        address = request.client.host if request.client else "unknown"
        logout(actor, address=address, database_url=context_of(request).database_url)
    lang = request.session.get("lang", "vi")
    request.session.clear()
    request.session["lang"] = lang
    return RedirectResponse("/login", status_code=303)


@router.post("/lang/{lang}")
def switch_language(
    request: Request, lang: str, back: Annotated[str, Form()] = "/"
) -> Response:
    """Switch the pages to Vietnamese or English."""
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return RedirectResponse(_safe_next(back), status_code=303)
