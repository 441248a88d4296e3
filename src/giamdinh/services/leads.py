"""The insurer's leads: the store's ranked inspection leads, with their cases.

A lead targets an inspection and never refuses a line (``giamdinh.signals``): it
is shown with its message, its arithmetic, the money at stake, the claim lines it
involves and the joint-verification case opened from it, if any (one case per
facility the lead names, keyed ``lead|<lead_id>|<MA_CSKCB>``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from giamdinh.db.models.review import ReviewCase
from giamdinh.errors import ConfigError, StoreError
from giamdinh.review.workflow import CaseState
from giamdinh.services.claims import INSURER, has_cases, require_role
from giamdinh.services.review import review_session
from giamdinh.services.signals import LEADS_DIR, LEADS_META, load_leads, top_leads
from giamdinh.signals.model import SIGNALS

if TYPE_CHECKING:
    from pathlib import Path

    from giamdinh.review.workflow import Actor
    from giamdinh.signals.model import Lead


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadCase:
    """A joint-verification case opened from a lead, for one facility."""

    code: str
    state: CaseState
    ma_cskcb: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadRow:
    """One lead with its rank, its facilities and its cases."""

    rank: int
    lead: Lead
    facilities: list[str]
    cases: list[LeadCase]


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadList:
    """A page of leads and what the filters may choose from.

    Attributes:
        computed: whether leads were ever computed for the store.
        computed_at: when they were.
        items: this page's leads, in rank order.
        total: leads matching the filters.
        codes: every signal code with its number of leads.
        facilities: every facility named by a lead.
    """

    computed: bool
    computed_at: datetime | None
    items: list[LeadRow]
    total: int
    limit: int
    offset: int
    codes: dict[str, int]
    facilities: list[str]


def facilities_of(lead: Lead) -> list[str]:
    """Return the facilities a lead names (its ``MA_CSKCB`` is ``;``-separated)."""
    return [c.strip() for c in (lead.ma_cskcb or "").split(";") if c.strip()]


def _cases(database_url: str | None, lead_ids: list[str]) -> dict[str, list[LeadCase]]:
    if not lead_ids or not has_cases(database_url):
        return {}
    out: dict[str, list[LeadCase]] = {}
    wanted = set(lead_ids)
    with review_session(database_url) as session:
        for case in session.scalars(
            select(ReviewCase)
            .where(ReviewCase.origin == "lead")
            .order_by(ReviewCase.id)
        ):
            parts = case.key.split("|")
            if len(parts) >= 2 and parts[0] == "lead" and parts[1] in wanted:  # noqa: PLR2004
                out.setdefault(parts[1], []).append(
                    LeadCase(
                        code=case.code,
                        state=CaseState(case.state),
                        ma_cskcb=case.ma_cskcb,
                    )
                )
    return out


def _computed_at(store_dir: Path) -> datetime | None:
    path = store_dir / LEADS_DIR / LEADS_META
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("computed_at")
    except (OSError, ValueError):
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def list_leads(
    actor: Actor,
    store_dir: Path,
    *,
    database_url: str | None = None,
    code: str | None = None,
    facility: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LeadList:
    """Return a page of the store's leads, ranked, with their cases.

    Args:
        actor: who asks (the insurer only).
        store_dir: the claim store.
        database_url: the operational store, for the cases opened from leads.
        code: only leads of this signal (``SG003``).
        facility: only leads naming this ``MA_CSKCB``.
        limit: leads per page.
        offset: leads to skip.

    Raises:
        ForbiddenError: the actor is not the insurer's.
        ConfigError: an unknown signal code.
    """
    require_role(actor, INSURER)
    if code and code.strip().upper() not in SIGNALS:
        known = ", ".join(SIGNALS)
        msg = f"không có tín hiệu {code!r}; chọn {known} / unknown signal code"
        raise ConfigError(msg)
    try:
        every = top_leads(load_leads(store_dir))
    except StoreError:
        return LeadList(
            computed=False,
            computed_at=None,
            items=[],
            total=0,
            limit=limit,
            offset=offset,
            codes={},
            facilities=[],
        )
    ranked = list(enumerate(every, start=1))
    codes = Counter(lead.code for lead in every)
    facilities = sorted({f for lead in every for f in facilities_of(lead)})
    wanted = code.strip().upper() if code else None
    chosen = [
        (rank, lead)
        for rank, lead in ranked
        if (wanted is None or lead.code == wanted)
        and (not facility or facility.strip() in facilities_of(lead))
    ]
    page = chosen[offset : offset + limit]
    cases = _cases(database_url, [lead.lead_id for _, lead in page])
    return LeadList(
        computed=True,
        computed_at=_computed_at(store_dir),
        items=[
            LeadRow(
                rank=rank,
                lead=lead,
                facilities=facilities_of(lead),
                cases=cases.get(lead.lead_id, []),
            )
            for rank, lead in page
        ],
        total=len(chosen),
        limit=limit,
        offset=offset,
        codes=dict(sorted(codes.items())),
        facilities=facilities,
    )


__all__ = ["LeadCase", "LeadList", "LeadRow", "facilities_of", "list_leads"]
