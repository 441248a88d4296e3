"""``/me``: the account a token acts for."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from giamdinh.api.common import TokenActor

router = APIRouter(tags=["accounts"])


class Me(BaseModel):
    """The token's account."""

    username: str
    role: str
    ma_cskcb: str | None


@router.get("/me")
def me(actor: TokenActor) -> Me:
    """Return the account the token acts for."""
    return Me(username=actor.username, role=actor.role.value, ma_cskcb=actor.ma_cskcb)
