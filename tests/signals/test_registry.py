"""Unauthorised-practice leads (SG009–SG013): claims set against the licence registry.

The registry is a real one: facts published on signed feeds of several provinces in a
temporary SQLite database (``tests.exchange.support``), read back as the signals'
tables by ``giamdinh.exchange.tables``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pytest
from tests.exchange.support import (
    Instance,
    licence,
    make_instance,
    registration,
    status,
)

from giamdinh.exchange.registry import LicenceFact
from giamdinh.exchange.tables import registry_tables
from giamdinh.refdata import ReferenceSet
from giamdinh.signals import leads_from_table, run_signals

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

    from giamdinh.exchange.registry import Fact
    from giamdinh.signals import Lead

# Monday 2 March 2026, 08:00 (claim times are naive local clock times).
T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001
HCM = "79001"
DOCTOR = "0001/DNA-GPHN"  # issued by Đồng Nai (75), practising in HCMC
PERSON = "075080000002"


@pytest.fixture
def registry(tmp_path: Path) -> Instance:
    return make_instance(tmp_path, "79")


def _publish(inst: Instance, province: str, *facts: Fact) -> None:
    from giamdinh.exchange.feed import load_private_key, publish

    key = load_private_key(inst.key_file)
    with inst.sessions() as session:
        publish(session, key=key, province=province, facts=facts)
        session.commit()


def _leads(
    con: duckdb.DuckDBPyConnection,
    claims: Any,
    inst: Instance,
    code: str,
    extra: dict[str, pa.Table] | None = None,
) -> list[Lead]:
    claims.install(con)
    with inst.sessions() as session:
        tables = registry_tables(session)
    tables["ref_scope_of_practice"] = ReferenceSet.national().table(
        "ref_scope_of_practice"
    )
    for name, table in {**tables, **(extra or {})}.items():
        con.register(name, table)
    return leads_from_table(run_signals(con, codes=[code]))


def _doctor(**kwargs: Any) -> LicenceFact:
    return licence(DOCTOR, "75", person=PERSON, name="TRẦN THỊ B", **kwargs)


def test_a_licence_revoked_in_a_neighbour_names_its_entries_and_lines(
    con: duckdb.DuckDBPyConnection, claims: Any, registry: Instance
) -> None:
    _publish(
        registry,
        "75",
        _doctor(),
        status(DOCTOR, "75", "revoked", date(2026, 2, 15), decision="QĐ 9/QĐ-SYT"),
    )
    before = claims.line(facility=HCM, performer=DOCTOR, start=T0 - timedelta(20))
    after = [
        claims.line(facility=HCM, performer=DOCTOR, start=T0 + timedelta(days=i))
        for i in range(3)
    ]
    read = claims.line(facility=HCM, performer="X", reader=DOCTOR, start=T0)
    (lead,) = _leads(con, claims, registry, "SG009")
    assert lead.code == "SG009"
    assert lead.severity == "review"
    assert lead.practitioner == DOCTOR
    assert {(x.ma_lk, x.stt) for x in lead.lines} == {*after, read}
    assert before not in {(x.ma_lk, x.stt) for x in lead.lines}
    assert "thu hồi" in lead.message
    assert "revoked" in lead.message_en
    status_fact = lead.evidence["status"]
    assert status_fact["decision_no"] == "QĐ 9/QĐ-SYT"
    assert status_fact["feed"]["province"] == "75"
    assert status_fact["feed"]["seq"] == 2
    assert len(status_fact["feed"]["hash"]) == 64
    assert lead.evidence["licence"]["feed"]["seq"] == 1
    assert lead.evidence["roles"] == "MA_BS_DOC_KQ, NGUOI_THUC_HIEN"
    findings = list(lead.findings())
    assert {f.basis[0].document for f in findings} == {
        "Luật Khám bệnh, chữa bệnh 15/2023/QH15"
    }


def test_a_suspension_that_ended_is_not_a_lead(
    con: duckdb.DuckDBPyConnection, claims: Any, registry: Instance
) -> None:
    _publish(
        registry,
        "75",
        _doctor(),
        status(DOCTOR, "75", "suspended", date(2025, 6, 1), end=date(2026, 2, 28)),
    )
    claims.line(facility=HCM, performer=DOCTOR, start=T0)
    assert _leads(con, claims, registry, "SG009") == []


def test_practice_outside_the_registered_place_days_and_hours(
    con: duckdb.DuckDBPyConnection, claims: Any, registry: Instance
) -> None:
    _publish(registry, "75", _doctor())
    _publish(
        registry,
        "79",
        registration(HCM, DOCTOR, person=PERSON, hours=("07:00", "11:30"), days="135"),
        registration("79002", "0009/HCM-GPHN", person="079000000009"),
    )
    inside = claims.line(facility=HCM, performer=DOCTOR, start=T0)  # Mon 08:00
    late = claims.line(facility=HCM, performer=DOCTOR, start=T0.replace(hour=15))
    tuesday = claims.line(facility=HCM, performer=DOCTOR, start=T0 + timedelta(1))
    elsewhere = claims.line(facility="79002", performer=DOCTOR, start=T0)
    claims.line(facility="79999", performer=DOCTOR, start=T0)  # registry holds none
    leads = {lead.ma_cskcb: lead for lead in _leads(con, claims, registry, "SG010")}
    assert set(leads) == {HCM, "79002"}
    home = leads[HCM]
    assert {(x.ma_lk, x.stt) for x in home.lines} == {late, tuesday}
    assert inside not in {(x.ma_lk, x.stt) for x in home.lines}
    assert (home.evidence["outside_hours"], home.evidence["other_weekday"]) == (1, 1)
    (reg,) = home.evidence["registrations"]
    assert (reg["ma_cskcb"], reg["days"], reg["hour_to"]) == (HCM, "135", "11:30")
    assert reg["feed"]["province"] == "79"
    away = leads["79002"]
    assert [(x.ma_lk, x.stt) for x in away.lines] == [elsewhere]
    assert away.evidence["not_at_facility"] == 1


def test_full_time_in_two_provinces_is_a_lead_with_the_lines_in_the_overlap(
    con: duckdb.DuckDBPyConnection, claims: Any, registry: Instance
) -> None:
    _publish(registry, "75", _doctor())
    _publish(registry, "79", registration(HCM, DOCTOR, person=PERSON))
    _publish(
        registry,
        "75",
        registration("75001", DOCTOR, person=PERSON, hours=("13:00", "17:00")),
    )
    in_overlap = claims.line(facility=HCM, performer=DOCTOR, start=T0.replace(hour=14))
    claims.line(facility=HCM, performer=DOCTOR, start=T0)  # 08:00: HCMC only
    (lead,) = _leads(con, claims, registry, "SG011")
    assert lead.evidence["kind"] == "registrations"
    assert lead.ma_cskcb == "75001;79001"
    assert [(x.ma_lk, x.stt) for x in lead.lines] == [in_overlap]
    first, second = lead.evidence["registrations"]
    assert {first["feed"]["province"], second["feed"]["province"]} == {"75", "79"}
    assert lead.evidence["hours"] == ["13:00", "17:00"]


def test_one_person_billing_in_two_provinces_under_two_licences(
    con: duckdb.DuckDBPyConnection, claims: Any, registry: Instance
) -> None:
    other = "0002/HCM-GPHN"
    _publish(registry, "75", _doctor())
    _publish(registry, "79", licence(other, "79", person=PERSON, name="TRẦN THỊ B"))
    a = claims.line(facility="75001", performer=DOCTOR, code="18.0002.0001", start=T0)
    b = claims.line(
        facility=HCM,
        performer=other,
        code="18.0002.0001",
        start=T0 + timedelta(minutes=5),
    )
    claims.line(facility=HCM, performer=other, start=T0.replace(hour=15))
    (lead,) = _leads(con, claims, registry, "SG011")
    assert lead.evidence["kind"] == "billing"
    assert lead.practitioner == f"{DOCTOR};{other}"
    assert {(x.ma_lk, x.stt) for x in lead.lines} == {a, b}
    assert {x["macchn"] for x in lead.evidence["licences"]} == {DOCTOR, other}


def test_a_technique_outside_the_title_scope(
    con: duckdb.DuckDBPyConnection, claims: Any, registry: Instance
) -> None:
    _publish(registry, "75", _doctor())  # Bác sỹ y khoa: TT 32/2023 PL V
    technician = "0003/HCM-GPHN"
    _publish(
        registry,
        "79",
        LicenceFact(
            macchn=technician,
            so_dinh_danh="079000000003",
            ho_ten="LÊ VĂN C",
            issuing_province="79",
            chuc_danh="Kỹ thuật y",  # PL XIV lists no codes: not judged
            pham_vi="",
            ngay_cap=date(2020, 1, 1),
            ngay_het_han=None,
        ),
    )
    ecg = claims.line(facility=HCM, performer=DOCTOR, code="02.0085.1798")  # in PL V
    mri = claims.line(facility=HCM, performer=DOCTOR, code="18.0004.0001")
    claims.line(facility=HCM, performer=technician, code="18.0004.0001")
    (lead,) = _leads(con, claims, registry, "SG012")
    assert lead.practitioner == DOCTOR
    assert [(x.ma_lk, x.stt) for x in lead.lines] == [mri]
    assert ecg not in {(x.ma_lk, x.stt) for x in lead.lines}
    assert "1 × 18.0004" in lead.evidence["techniques"]
    (lic,) = lead.evidence["licences"]
    assert (lic["appendix"], lic["feed"]["province"]) == ("PL V", "75")


def test_a_facility_billing_a_technique_its_m05_does_not_list(
    con: duckdb.DuckDBPyConnection, claims: Any, registry: Instance
) -> None:
    m05 = pa.table(
        {
            "ma_cskcb": [HCM, HCM],
            "ma_dich_vu": ["18.0001.0002", "18.0002.0001"],  # X-ray: another price
            "valid_from": [date(2026, 1, 1)] * 2,
            "valid_to": pa.array([None, None], pa.date32()),
        }
    )
    claims.line(facility=HCM, code="18.0001.0001")  # technique 18.0001 listed
    ct = claims.line(facility=HCM, code="18.0003.0001")
    claims.line(facility="79002", code="18.0003.0001")  # no M05 loaded: not judged
    (lead,) = _leads(con, claims, registry, "SG013", {"ref_services": m05})
    assert (lead.ma_cskcb, lead.ma_dich_vu) == (HCM, "18.0003")
    assert [(x.ma_lk, x.stt) for x in lead.lines] == [ct]
    assert lead.evidence["m05_rows"] == 2


def test_without_a_registry_the_registry_leads_find_nothing(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    claims.line(facility=HCM, performer=DOCTOR)
    claims.install(con)
    table = run_signals(con, codes=["SG009", "SG010", "SG011", "SG012", "SG013"])
    assert table.num_rows == 0
