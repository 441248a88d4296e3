"""Impossible days, declared working time, two places at once, unregistered practice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from giamdinh.signals import leads_from_table, run_signals

if TYPE_CHECKING:
    import duckdb

    from giamdinh.signals import Lead


# The claim builder is the ``claims`` fixture (tests/signals/conftest.py); it is typed
# ``Any`` here because conftest modules are not importable under one module name.
T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - claim times are naive local clock


def _leads(con: duckdb.DuckDBPyConnection, claims: Any, code: str) -> list[Lead]:
    claims.install(con)
    return leads_from_table(run_signals(con, codes=[code]))


def test_impossible_day_shows_the_arithmetic(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    person = "000009/BYT-CCHN"
    for i in range(150):  # 150 CT × 20 min reference × 0.5 = 1,500 min > 1,440
        claims.line(code="18.0003.0001", performer=person, start=T0 + timedelta(i + 1))
        claims.line(
            code="18.0003.0001",
            performer=person,
            start=T0.replace(hour=0) + timedelta(minutes=9 * i),
        )
    (lead,) = _leads(con, claims, "SG001")
    assert lead.code == "SG001"
    assert lead.severity == "review"
    assert lead.practitioner == person
    assert lead.period.start == T0.date()
    assert "150 × 10 min [18.0003.0001] = 1500 min > 1440 min" in lead.arithmetic
    assert "150 × 10 phút" in lead.message
    assert len(lead.lines) == 150
    # money at stake: the share of the day's money beyond 24 h: 15 M × 60 / 1,500
    assert lead.amount == 600000
    assert lead.evidence["total_minutes"] == 1500


def test_busy_but_honest_radiographer_is_not_flagged(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    """160 chest X-rays in a 10-hour day: busy, legitimate, never a lead."""
    person = "000002/BYT-CCHN"
    claims.register(person=person, per_day="07h00-11h30; 13h00-17h00")
    for i in range(160):
        claims.line(
            code="18.0001.0001",
            performer=person,
            machine="XQ.1.99001.DR1",
            start=T0.replace(hour=7) + timedelta(minutes=3 * i + (i // 40) * 10),
            minutes=2,
            reader="000003/BYT-CCHN",
        )
    claims.register(person="000003/BYT-CCHN", per_day="8")
    claims.install(con)
    leads = leads_from_table(run_signals(con))
    assert leads == []


def test_performer_and_reader_of_one_line_count_once(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    person = "000004/BYT-CCHN"
    for i in range(100):  # MRI 40 min: performer share 20, reader share 10
        claims.line(
            code="18.0004.0001",
            performer=person,
            reader=person,
            start=T0.replace(hour=0) + timedelta(minutes=14 * i),
        )
    (lead,) = _leads(con, claims, "SG001")
    assert lead.evidence["total_minutes"] == 2000  # 100 × 20, not 100 × 30
    assert lead.evidence["lines_read"] == 100


def test_reading_alone_counts_the_reader_share(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    for i in range(150):  # 150 MRI read × 10 min = 1,500 min
        claims.line(
            code="18.0004.0001",
            performer=f"{i:06d}/HCM-CCHN",
            reader="000777/BYT-CCHN",
            start=T0.replace(hour=0) + timedelta(minutes=9 * i),
        )
    leads = _leads(con, claims, "SG001")
    assert [x.practitioner for x in leads] == ["000777/BYT-CCHN"]
    assert "150 × 10 min" in leads[0].arithmetic


def test_lists_and_special_forms_of_practitioner_codes(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    """``;``-lists, mobilised staff ``.C.XXXXX`` and supervised ``CCHN(NV…)``."""
    forms = [
        "000010/BYT-CCHN;000011/BYT-CCHN",
        " 000010/BYT-CCHN.C.99002 ",
        "000010/BYT-CCHN(NV0456)",
    ]
    for i in range(300):  # 300 SA × 15 min = 4,500 min for 000010
        claims.line(
            code="18.0002.0001",
            performer=forms[i % 3],
            start=T0.replace(hour=0) + timedelta(minutes=4 * i),
        )
    leads = _leads(con, claims, "SG001")
    by_person = {x.practitioner: x for x in leads}
    assert by_person["000010/BYT-CCHN"].evidence["total_minutes"] == 4500
    assert by_person["000011/BYT-CCHN"].evidence["total_minutes"] == 1500
    assert "NV0456" not in by_person


def test_over_declared_working_time(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    person = "000005/BYT-CCHN"
    claims.register(person=person, per_day="4")  # part-time 4 h: limit 4 × 1.5 = 6 h
    for i in range(50):  # 50 SA × 15 min = 750 min > 360
        claims.line(
            code="18.0002.0001",
            performer=person,
            start=T0 + timedelta(minutes=16 * i),
        )
    (lead,) = _leads(con, claims, "SG002")
    assert lead.practitioner == person
    assert lead.arithmetic.endswith("= 750 min > 240 min × 1.5 = 360 min")
    assert "99001: 240" in lead.message


def test_unknown_declared_time_is_not_judged(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    person = "000006/BYT-CCHN"
    claims.register(person=person, per_day=None, kind="2")  # part time, no hours
    for i in range(50):
        claims.line(
            code="18.0002.0001", performer=person, start=T0 + timedelta(minutes=16 * i)
        )
    assert _leads(con, claims, "SG002") == []


def test_two_places_at_once(con: duckdb.DuckDBPyConnection, claims: Any) -> None:
    person = "000007/BYT-CCHN"
    claims.line(facility="99001", code="18.0002.0001", performer=person, minutes=40)
    claims.line(
        facility="99002",
        code="18.0002.0001",
        performer=person,
        start=T0 + timedelta(minutes=5),
        minutes=40,
    )
    # the same person, later the same day, one facility after the other: fine
    claims.line(
        facility="99001", performer=person, start=T0 + timedelta(hours=3), minutes=5
    )
    claims.line(
        facility="99002", performer=person, start=T0 + timedelta(hours=5), minutes=5
    )
    (lead,) = _leads(con, claims, "SG006")
    assert lead.ma_cskcb == "99001;99002"
    assert len(lead.lines) == 2
    assert lead.evidence["overlaps"] == 1
    # SA 30 min reference → 15 min minimum; overlap 08:05–08:15 = 10 min
    assert lead.evidence["overlap_minutes"] == 10
    assert "99001 2026-03-02 08:00–08:15 ∩ 99002 2026-03-02 08:05–08:20" in (
        lead.arithmetic
    )
    assert lead.amount == 100000


def test_overlap_inside_one_facility_is_not_two_places(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    person = "000008/BYT-CCHN"
    for i in range(3):
        claims.line(code="18.0002.0001", performer=person, start=T0 + timedelta(i))
    assert _leads(con, claims, "SG006") == []


def test_not_registered_at_the_facility(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    claims.register(person="000020/BYT-CCHN", facility="99001")
    claims.register(person="000021/BYT-CCHN", facility="99002", others="99001")
    claims.register(person="000022/BYT-CCHN", facility="99002")
    claims.line(facility="99001", performer="000020/BYT-CCHN")  # registered
    claims.line(facility="99001", performer="000021/BYT-CCHN")  # via CSKCB_KHAC
    claims.line(facility="99001", performer="000022/BYT-CCHN")  # not here
    claims.line(facility="99001", performer="000023/BYT-CCHN.C.99003")  # mobilised
    claims.line(facility="99009", performer="000022/BYT-CCHN")  # M02 not loaded
    (lead,) = _leads(con, claims, "SG007")
    assert (lead.practitioner, lead.ma_cskcb) == ("000022/BYT-CCHN", "99001")
    assert lead.evidence["registered_at"] == "99002"
    assert "(registered at: 99002)" in lead.message_en


def test_lead_ids_are_stable(con: duckdb.DuckDBPyConnection, claims: Any) -> None:
    person = "000007/BYT-CCHN"
    claims.line(facility="99001", code="18.0002.0001", performer=person)
    claims.line(facility="99002", code="18.0002.0001", performer=person)
    claims.install(con)
    first = run_signals(con).column("lead_id").to_pylist()
    second = run_signals(con).column("lead_id").to_pylist()
    assert first == second
    assert len(first) == 1
    assert json.loads(run_signals(con).column("evidence")[0].as_py())["overlaps"] == 1


def test_norm_staff_minutes_replace_the_reference_time(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    import pyarrow as pa

    person = "000030/BYT-CCHN"
    for i in range(100):  # X-ray: reference 6 min, norm 40 min per person (fictive)
        claims.line(performer=person, start=T0.replace(hour=0) + timedelta(minutes=i))
    con.register(
        "norm_staff_minutes",
        pa.table(
            {
                "technique_code": ["18.0001.0001", "18.0001.0001"],
                "title": ["bac_si", "ky_thuat_vien"],
                "minutes": pa.array([40, 32], pa.decimal128(18, 3)),
            }
        ),
    )
    (lead,) = _leads(con, claims, "SG001")
    assert "100 × 16 min [18.0001.0001] = 1600 min" in lead.arithmetic
