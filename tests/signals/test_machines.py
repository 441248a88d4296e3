"""Machine capacity, overlapping studies (device logs, claim times), missing records."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from giamdinh.signals import leads_from_table, run_signals

if TYPE_CHECKING:
    import duckdb

    from giamdinh.signals import Lead

T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - claim times are naive local clock
XQ = "XQ.1.99001.DR1"
CT = "CL.1.99001.CT64"


def _leads(con: duckdb.DuckDBPyConnection, claims: Any, code: str) -> list[Lead]:
    claims.install(con)
    return leads_from_table(run_signals(con, codes=[code]))


def _device(claims: Any, machine: str, key: tuple[str, int], start: datetime) -> None:
    claims.devices.append(
        {
            "ma_may": machine,
            "study_uid": f"1.2.3.{key[0]}.{key[1]}",
            "ma_lk": key[0],
            "stt": key[1],
            "t_start": start,
            "t_end": start + timedelta(minutes=3),
            "source": "csv",
            "file": "log.csv",
        }
    )


def test_machine_over_capacity(con: duckdb.DuckDBPyConnection, claims: Any) -> None:
    for i in range(200):  # 200 CT × 10 min = 2,000 machine minutes
        claims.line(
            code="18.0003.0001",
            machine=CT,
            performer=f"{i % 4:06d}/BYT-CCHN",
            start=T0.replace(hour=0) + timedelta(minutes=7 * i),
        )
    (lead,) = _leads(con, claims, "SG003")
    assert lead.machine == CT
    assert lead.arithmetic == "200 × 10 min [18.0003.0001] = 2000 min > 1440 min"
    assert lead.severity == "review"


def test_busy_x_ray_room_is_within_capacity(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    for i in range(300):  # 300 X-rays × 3 min = 900 min, one every 3 minutes
        claims.line(machine=XQ, start=T0 + timedelta(minutes=3 * i), minutes=2)
    assert _leads(con, claims, "SG003") == []
    assert _leads(con, claims, "SG004") == []


def test_overlap_from_claim_times(con: duckdb.DuckDBPyConnection, claims: Any) -> None:
    a = claims.line(code="18.0003.0001", machine=CT, minutes=30)
    b = claims.line(
        code="18.0003.0001", machine=CT, start=T0 + timedelta(minutes=4), minutes=30
    )
    claims.line(code="18.0003.0001", machine=CT, start=T0 + timedelta(hours=2))
    (lead,) = _leads(con, claims, "SG004")
    assert {(x.ma_lk, x.stt) for x in lead.lines} == {a, b}
    assert lead.evidence["source"] == "claims"
    assert lead.evidence["overlap_minutes"] == 6  # CT minimum 10 min: 08:04–08:10
    assert lead.amount == 100000  # the later study of the pair


def test_overlap_from_device_log_wins_over_claim_times(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    # Claim times say the studies were an hour apart; the device recorded both at once.
    a = claims.line(machine=XQ, start=T0)
    b = claims.line(machine=XQ, start=T0 + timedelta(hours=1))
    _device(claims, XQ, a, T0)
    _device(claims, XQ, b, T0 + timedelta(minutes=1))
    (lead,) = _leads(con, claims, "SG004")
    assert lead.evidence["source"] == "device"
    assert "08:00:00–08:03:00 ∩" in lead.arithmetic


def test_dicom_serial_resolves_to_the_billed_machine(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    a = claims.line(machine=XQ, start=T0)
    b = claims.line(machine=XQ, start=T0 + timedelta(hours=1))
    _device(claims, "DR1", a, T0)
    _device(claims, "DR1", b, T0 + timedelta(minutes=2))
    (lead,) = _leads(con, claims, "SG004")
    assert lead.machine == XQ


def test_no_device_record(con: duckdb.DuckDBPyConnection, claims: Any) -> None:
    logged = claims.line(machine=XQ, start=T0)
    _device(claims, XQ, logged, T0)
    ghost = claims.line(machine=XQ, start=T0 + timedelta(minutes=30))
    silent = claims.line(machine="XQ.1.99001.DR2", start=T0 + timedelta(minutes=40))
    claims.line(machine="HH.1.99001.AN1", code="22.0001.0001")  # lab: never logged
    claims.line(machine="XQ.1.99002.DR9", facility="99002")  # sent no logs at all
    leads = _leads(con, claims, "SG005")
    kinds = {lead.evidence["kind"]: lead for lead in leads}
    assert set(kinds) == {"machine", "study"}
    assert kinds["machine"].machine == "XQ.1.99001.DR2"
    assert [(x.ma_lk, x.stt) for x in kinds["machine"].lines] == [silent]
    assert [(x.ma_lk, x.stt) for x in kinds["study"].lines] == [ghost]
