"""Rendering pages: Jinja2 templates, the language switch, money and dates.

Templates are Vietnamese first: every user-facing text is written as
``t("tiếng Việt", "English")`` and the session's language picks one. Money is
formatted by the one formatter the product uses (``giamdinh.domain.money``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from giamdinh.domain.money import format_dong

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from giamdinh.review.workflow import Actor

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
LANGUAGES = ("vi", "en")


def money(value: Decimal | int | str | None) -> str:
    """Return an amount in đồng as the product writes it (``70.000``)."""
    if value is None or value == "":
        return "—"
    return format_dong(Decimal(value))


def day(value: date | datetime | str | None) -> str:
    """Return a date as ``dd/mm/yyyy`` (a time in Viet Nam as ``dd/mm/yyyy HH:MM``)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


@cache
def templates() -> Jinja2Templates:
    """Return the template environment (built once)."""
    env = Jinja2Templates(directory=str(TEMPLATES))
    env.env.filters["money"] = money
    env.env.filters["day"] = day
    env.env.globals["Markup"] = Markup
    return env


def language(request: Request) -> str:
    """Return the session's language (Vietnamese unless English was chosen)."""
    lang = request.session.get("lang", "vi")
    return lang if lang in LANGUAGES else "vi"


def render(
    request: Request,
    template: str,
    *,
    actor: Actor | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Render ``template`` with the language, the user and the form token."""
    lang = language(request)

    def t(vi: str, en: str) -> str:
        return en if lang == "en" else vi

    return templates().TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": t,
            "actor": actor,
            "csrf_token": request.session.get("csrf", ""),
            **context,
        },
        status_code=status_code,
    )


__all__ = ["LANGUAGES", "STATIC", "day", "language", "money", "render", "templates"]
