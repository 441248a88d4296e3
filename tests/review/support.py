"""Builders shared by the review tests: people, claim lines and case specs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from giamdinh.review import cases
from giamdinh.review.workflow import Actor, Role

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

FACILITY = "01001"
OTHER_FACILITY = "79002"
#: A Monday after the periods of Circular 12/2026 took effect (10/02/2026).
RECEIVED = date(2026, 3, 2)
BASIS = "Thông tư 12/2026/TT-BTC, Điều 10"


@dataclass(frozen=True, slots=True)
class People:
    """The users of a test: a supervisor, two assessors, staff of two facilities."""

    supervisor: Actor
    assessor: Actor
    assessor2: Actor
    facility: Actor
    other: Actor


def add_people(session: Session) -> People:
    """Create the five users (five audit entries) and return them as actors."""
    cases.add_user(session, username="sup", name="Trưởng phòng", role=Role.SUPERVISOR)
    cases.add_user(session, username="gdv1", name="GĐV 1", role=Role.ASSESSOR)
    cases.add_user(session, username="gdv2", name="GĐV 2", role=Role.ASSESSOR)
    cases.add_user(
        session, username="bv", name="BV", role=Role.FACILITY, ma_cskcb=FACILITY
    )
    cases.add_user(
        session, username="bv2", name="BV2", role=Role.FACILITY, ma_cskcb=OTHER_FACILITY
    )
    return People(
        supervisor=cases.actor(session, "sup"),
        assessor=cases.actor(session, "gdv1"),
        assessor2=cases.actor(session, "gdv2"),
        facility=cases.actor(session, "bv"),
        other=cases.actor(session, "bv2"),
    )


def line(
    stt: int,
    *,
    ma_lk: str = "LK1",
    tbl: str = "XML3",
    payable: str = "60",
    refused: str = "0",
    adjusted: str = "0",
    under_review: str = "40",
) -> cases.LineSpec:
    """A claim line whose automated amounts add up to what was claimed."""
    amounts = [Decimal(v) for v in (payable, refused, adjusted, under_review)]
    return cases.LineSpec(
        ma_lk=ma_lk,
        tbl=tbl,
        stt=stt,
        code=f"DV{stt:03d}",
        service_date=date(2026, 2, 3),
        claimed=sum(amounts, Decimal(0)),
        payable=amounts[0],
        refused=amounts[1],
        adjusted=amounts[2],
        under_review=amounts[3],
        findings=({"rule": "R001", "amount": under_review},),
    )


def spec(
    key: str,
    lines: tuple[cases.LineSpec, ...],
    *,
    received_on: date = RECEIVED,
    ma_cskcb: str = FACILITY,
    stake_kind: str = "under_review",
) -> cases.CaseSpec:
    """A case about ``lines`` of facility ``ma_cskcb``."""
    return cases.CaseSpec(
        key=key,
        origin="findings" if stake_kind == "under_review" else "lead",
        source="R001",
        title="Kiểm tra",
        title_en="Check",
        ma_cskcb=ma_cskcb,
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        received_on=received_on,
        lines=lines,
    )
