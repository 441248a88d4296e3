"""The feed over HTTP: a small app that serves it and a client that pulls it.

``GET /feed?after=N&limit=M`` returns this province's entries with ``seq > N`` in
order (at most ``M``, capped at :data:`MAX_LIMIT`); ``GET /key`` returns the
province code and its public key (for the neighbour to *compare* with the key it
was given out of band: a puller always verifies with its configured key, never
with one fetched from the peer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query
from pydantic import BaseModel

from giamdinh.exchange.feed import entries_after, head

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import httpx
    from sqlalchemy.orm import Session

MAX_LIMIT = 5000
PAGE = 1000


class KeyOut(BaseModel):
    """The province served and its public key (base64 of the raw 32 bytes)."""

    province: str
    public_key: str
    last_seq: int


class FeedOut(BaseModel):
    """A page of the feed."""

    province: str
    last_seq: int
    entries: list[dict[str, Any]]


def create_app(
    *, sessions: Callable[[], Session], province: str, public_key: str
) -> FastAPI:
    """Return the app serving ``province``'s feed from the registry database.

    Args:
        sessions: a session factory on the registry database.
        province: the province this instance speaks for.
        public_key: its public key (base64).
    """
    app = FastAPI(title=f"giamdinh exchange {province}", docs_url=None, redoc_url=None)

    @app.get("/key")
    def key() -> KeyOut:
        with sessions() as session:
            last, _ = head(session, province)
        return KeyOut(province=province, public_key=public_key, last_seq=last)

    @app.get("/feed")
    def feed(
        after: int = Query(0, ge=0),
        limit: int = Query(PAGE, ge=1, le=MAX_LIMIT),
    ) -> FeedOut:
        with sessions() as session:
            last, _ = head(session, province)
            entries = entries_after(session, province, after=after, limit=limit)
        return FeedOut(
            province=province, last_seq=last, entries=[e.to_json() for e in entries]
        )

    return app


def fetch_pages(
    client: httpx.Client, url: str, *, after: int, limit: int = PAGE
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of a peer's feed after a cursor until an empty page.

    Raises:
        httpx.HTTPError: the peer cannot be reached or answered with an error.
        ValueError: the answer is not a feed page.
    """
    cursor = after
    base = url.rstrip("/")
    while True:
        response = client.get(f"{base}/feed", params={"after": cursor, "limit": limit})
        response.raise_for_status()
        body = response.json()
        entries = body.get("entries") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            msg = f"{base}/feed did not return a feed page"
            raise ValueError(msg)  # noqa: TRY004 - bad data from a peer
        if not entries:
            return
        yield entries
        last = entries[-1].get("seq") if isinstance(entries[-1], dict) else None
        if not isinstance(last, int) or last <= cursor:
            return
        cursor = last


__all__ = ["MAX_LIMIT", "PAGE", "FeedOut", "KeyOut", "create_app", "fetch_pages"]
