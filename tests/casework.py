"""What the case tests of the pages and the API share: clients on a fixed day,
a lead case of two lines, a small PDF, the demo's people."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
from starlette.testclient import TestClient

from giamdinh.review import cases
from giamdinh.server import create_server
from giamdinh.services.accounts import issue_token
from giamdinh.services.assessment import latest_run
from giamdinh.services.demo import DEMO_ASSESSORS, DEMO_SUPERVISOR
from giamdinh.services.review import list_cases, review_session

if TYPE_CHECKING:
    from datetime import date

    from tests.site import Site

SUPERVISOR = DEMO_SUPERVISOR
ASSESSOR, OTHER_ASSESSOR = (name for name, _ in DEMO_ASSESSORS)
#: A small but real PDF: the attachment check reads the content, not the name.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
LEAD_MESSAGE = "Bác sĩ X thực hiện 41 ca siêu âm trong 1 giờ"
LEAD_ARITHMETIC = "41 ca × 12 phút tham chiếu = 492 phút > 60 phút"


class Clock:
    """A day the server counts from, which a test moves forward."""

    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


def client_at(site: Site, clock: Clock) -> TestClient:
    """Return a client of ``site`` whose server counts deadlines from ``clock``."""
    return TestClient(create_server(replace(site.context, clock=clock)))


def token(site: Site, username: str) -> dict[str, str]:
    """Return the headers of an API token of ``username``."""
    value = issue_token(username, name="test", database_url=site.context.database_url)
    return {"Authorization": f"Bearer {value}"}


def codes_by_facility(site: Site) -> dict[str, list[str]]:
    """Return the case codes of each facility."""
    out: dict[str, list[str]] = {}
    for row in list_cases(user=SUPERVISOR, database_url=site.context.database_url):
        out.setdefault(row.ma_cskcb, []).append(row.code)
    return out


def open_lead_case(site: Site) -> tuple[str, str]:
    """Open a lead's case of two payable lines of one facility; return code, facility.

    The demo's few hundred claims raise no lead, so the case a lead would open is
    made here the way ``open_from_leads`` makes it: lines the run found payable,
    the lead's message and arithmetic as evidence only.
    """
    folder = latest_run(site.context.store_dir)
    lines = pq.read_table(folder / "lines.parquet").to_pylist()
    facility_of = {
        r["ma_lk"]: r["ma_cskcb"]
        for r in pq.read_table(folder / "claims.parquet").to_pylist()
    }
    with review_session(site.context.database_url) as session:
        taken = cases.taken_lines(
            session, (cases.line_key(r["ma_lk"], r["tbl"], r["stt"]) for r in lines)
        )
        free = [
            r
            for r in lines
            if r["tbl"] == "XML3"
            and r["under_review"] == 0
            and r["payable"] > Decimal(1000)
            and cases.line_key(r["ma_lk"], r["tbl"], r["stt"]) not in taken
            and facility_of[r["ma_lk"]] in site.facilities
        ]
        facility = facility_of[free[0]["ma_lk"]]
        members = [r for r in free if facility_of[r["ma_lk"]] == facility][:2]
        assert len(members) == 2
        spec = cases.CaseSpec(
            key=f"lead|test|{facility}",
            origin="lead",
            source="S-TEST",
            title=f"S-TEST — {LEAD_MESSAGE}",
            title_en="S-TEST — doctor X performed 41 ultrasounds in one hour",
            ma_cskcb=facility,
            period_start=min(r["service_date"] for r in members),
            period_end=max(r["service_date"] for r in members),
            received_on=min(r["service_date"] for r in members),
            lines=tuple(
                cases.LineSpec(
                    ma_lk=r["ma_lk"],
                    tbl=r["tbl"],
                    stt=r["stt"],
                    code=r["code"],
                    service_date=r["service_date"],
                    claimed=r["claimed"],
                    payable=r["payable"],
                    refused=r["refused"],
                    adjusted=r["adjusted"],
                    under_review=r["under_review"],
                )
                for r in members
            ),
            evidence={
                "code": "S-TEST",
                "message": LEAD_MESSAGE,
                "message_en": "Doctor X performed 41 ultrasounds in one hour",
                "arithmetic": LEAD_ARITHMETIC,
                "numbers": {"ca": 41, "phut_tham_chieu": 12},
                "ground": "evidence only: a lead is never a refusal ground",
            },
        )
        case = cases.open_case(session, spec, cases.actor(session, SUPERVISOR))
        assert case is not None
        return case.code, facility
