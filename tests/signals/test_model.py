"""Leads as Arrow rows and as Python objects; a lead is never a refusal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.domain import Period, Severity
from giamdinh.errors import ConfigError
from giamdinh.signals import (
    LEADS_SCHEMA,
    SIGNALS,
    Lead,
    LineRef,
    SignalParams,
    leads_from_table,
    leads_to_table,
    run_signals,
)
from giamdinh.signals.prepare import declared_minutes

if TYPE_CHECKING:
    import duckdb

T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - claim times are naive local clock


def _lead() -> Lead:
    return Lead(
        lead_id="abc",
        code="SG001",
        name="practitioner.impossible_day",
        period=Period(start=date(2026, 3, 2), end=date(2026, 3, 2)),
        message="vi",
        message_en="en",
        arithmetic="2 × 3 min = 6 min",
        amount=Decimal("12.50"),
        score=1.5,
        practitioner="000001/BYT-CCHN",
        evidence={"total_minutes": 6},
        lines=(LineRef(ma_lk="A", stt=1), LineRef(ma_lk="A", stt=2)),
        n_lines=2,
    )


def test_round_trip_through_arrow() -> None:
    table = leads_to_table([_lead()])
    assert table.schema == LEADS_SCHEMA
    assert table.column("claims").to_pylist() == [["A"]]
    (back,) = leads_from_table(table)
    assert back == _lead()


def test_findings_are_reviews_on_each_line() -> None:
    findings = list(_lead().findings())
    assert [(f.location.ma_lk, f.location.stt) for f in findings] == [
        ("A", 1),
        ("A", 2),
    ]
    assert {f.severity for f in findings} == {Severity.REVIEW}
    assert findings[0].evidence["lead_id"] == "abc"


def test_codes_are_stable_and_well_formed() -> None:
    assert list(SIGNALS) == [f"SG{i:03d}" for i in range(1, 14)]
    assert all(s.code == code for code, s in SIGNALS.items())
    assert len({s.name for s in SIGNALS.values()}) == len(SIGNALS)


def test_unknown_code_is_an_operator_error(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ConfigError, match="SG999"):
        run_signals(con, codes=["SG999"])


@pytest.mark.parametrize(
    ("per_day", "kind", "minutes"),
    [
        ("8", None, 480.0),
        ("7,5 giờ", None, 450.0),
        ("07h00-11h30; 13h30-17h00", None, 480.0),
        ("7:30 - 16:30", "1", 540.0),
        ("22h00-06h00", None, 480.0),
        (None, "1", 480.0),
        (None, "2", None),
        ("theo lịch trực", None, None),
    ],
)
def test_declared_minutes(
    per_day: str | None, kind: str | None, minutes: float | None
) -> None:
    assert declared_minutes(per_day, kind) == minutes


def test_a_capped_lead_still_counts_every_line(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    """80 MRIs in one day (80 × 20 counted minutes > 24 h); 10 lines listed."""
    for i in range(80):
        claims.line(code="18.0004.0001", start=T0 + timedelta(minutes=5 * i))
    claims.install(con)
    table = run_signals(con, params=SignalParams(max_lines_per_lead=10))
    (lead,) = leads_from_table(table)
    assert lead.code == "SG001"
    assert len(lead.lines) == 10
    assert lead.n_lines == 80
    assert lead.evidence["lines"] == 80
