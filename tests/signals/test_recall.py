"""A small recall check: planted patterns found, busy-but-honest staff left alone.

The full measurement over generated provinces is ``benchmarks/signals_recall.py``;
this is the same check on a hand-built province small enough for the test suite.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from giamdinh.signals import leads_from_table, run_signals

if TYPE_CHECKING:
    import duckdb

    from giamdinh.signals import Lead

T0 = datetime(2026, 3, 2, 0, 0)  # noqa: DTZ001 - claim times are naive local clock
XRAY, ECHO, CT = "18.0001.0001", "18.0002.0001", "18.0003.0001"
CHEAT, BUSY, READER, DUAL = (
    "000001/BYT-CCHN",
    "000002/BYT-CCHN",
    "000003/BYT-CCHN",
    "000004/BYT-CCHN",
)
FACILITIES = [f"990{f:02d}" for f in range(10)]


def _build(claims: Any) -> dict[str, set[tuple[str, int]]]:
    """Plant one case of each pattern among honest work; return the planted lines."""
    truth: dict[str, set[tuple[str, int]]] = {
        "SG001": set(),
        "SG004": set(),
        "SG006": set(),
        "SG008": set(),
    }
    for person, facility, others in (
        (CHEAT, "99001", None),
        (BUSY, "99002", None),
        (READER, "99002", None),
        (DUAL, "99001", "99004"),
    ):
        claims.register(person=person, facility=facility, others=others)
    # Impossible day: 120 echocardiographies (30 min, counted 15) = 1,800 min.
    for i in range(120):
        truth["SG001"].add(
            claims.line(
                facility="99001",
                code=ECHO,
                performer=CHEAT,
                start=T0.replace(hour=6) + timedelta(minutes=7 * i),
            )
        )
    # Busy but honest: 150 X-rays (6 min, counted 3) one after the other from 07:00,
    # all read by one radiologist, on a machine with a device log.
    for i in range(150):
        start = T0.replace(hour=7) + timedelta(minutes=4 * i)
        key, stt = claims.line(
            facility="99002",
            code=XRAY,
            performer=BUSY,
            reader=READER,
            machine="XQ.1.99002.X1",
            start=start,
            minutes=3,
        )
        claims.devices.append(
            {
                "ma_may": "XQ.1.99002.X1",
                "study_uid": f"1.{i}",
                "ma_lk": key,
                "stt": stt,
                "t_start": start,
                "t_end": start + timedelta(minutes=3),
                "source": "csv",
                "file": "x1.csv",
            }
        )
    # Machine overlap: the 151st study logged during the 150th.
    last = T0.replace(hour=7) + timedelta(minutes=4 * 149)
    key, stt = claims.line(
        facility="99002",
        code=XRAY,
        performer=BUSY,
        machine="XQ.1.99002.X1",
        start=last + timedelta(minutes=10),
    )
    claims.devices.append(
        {
            "ma_may": "XQ.1.99002.X1",
            "study_uid": "1.150",
            "ma_lk": key,
            "stt": stt,
            "t_start": last + timedelta(minutes=1),
            "t_end": last + timedelta(minutes=4),
            "source": "csv",
            "file": "x1.csv",
        }
    )
    truth["SG004"].add((key, stt))
    # Two places: on three days, ultrasound at 99001 at 08:00 and at 99004 at 08:05.
    for day in range(1, 4):
        for facility, minute in (("99001", 0), ("99004", 5)):
            truth["SG006"].add(
                claims.line(
                    facility=facility,
                    code=ECHO,
                    performer=DUAL,
                    start=T0.replace(hour=8) + timedelta(days=day, minutes=minute),
                )
            )
    # Peers: ten facilities of 100 visits with 20 ± 2 CTs; 99007 bills 60.
    for f, facility in enumerate(FACILITIES):
        n_ct = 60 if facility == "99007" else 20 + (f % 5) - 2
        for v in range(100):
            key, _ = claims.line(
                facility=facility,
                code=XRAY,
                performer=None,
                start=T0 + timedelta(days=5, minutes=v),
            )
            if v < n_ct:
                line = claims.line(
                    facility=facility,
                    code=CT,
                    performer=None,
                    ma_lk=key,
                    start=T0 + timedelta(days=5, minutes=v),
                )
                if facility == "99007":
                    truth["SG008"].add(line)
    claims.facilities.extend({"ma_cskcb": f, "tier": "district"} for f in FACILITIES)
    return truth


def _lines(lead: Lead) -> set[tuple[str, int]]:
    return {(x.ma_lk, x.stt) for x in lead.lines}


def test_planted_patterns_found_and_busy_staff_not_flagged(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    truth = _build(claims)
    claims.install(con)
    leads = leads_from_table(run_signals(con))
    for code, planted in truth.items():
        mine = [lead for lead in leads if lead.code == code]
        covered = set().union(*(_lines(lead) for lead in mine))
        recall = len(planted & covered) / len(planted)
        precision = sum(1 for lead in mine if _lines(lead) & planted) / len(mine)
        assert (code, recall, precision) == (code, 1.0, 1.0)
    people = {lead.practitioner for lead in leads if lead.practitioner}
    assert people == {CHEAT, DUAL}  # the busy X-ray technologist and reader: none
    assert {lead.code for lead in leads} == set(truth)
    (impossible,) = (lead for lead in leads if lead.code == "SG001")
    assert impossible.arithmetic == (f"120 × 15 min [{ECHO}] = 1800 min > 1440 min")
