"""The home page: what this account can do, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from giamdinh.web.pages import render
from giamdinh.web.security import CurrentActor

router = APIRouter()


@router.get("/")
def home(request: Request, actor: CurrentActor) -> Response:
    """Show the areas this account works in."""
    return render(request, "home.html", actor=actor)
