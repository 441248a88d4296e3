"""MA_DICH_VU, ICD-10 and MA_MAY syntaxes, in Python and in SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from giamdinh.refdata import (
    ServiceCodeKind,
    ServiceVariant,
    base_service_code_sql,
    icd_dotted,
    icd_nodot,
    icd_nodot_sql,
    machine_group_sql,
    parse_machine_code,
    parse_service_code,
)

if TYPE_CHECKING:
    import duckdb


@pytest.mark.parametrize(
    ("code", "kind", "base", "variant", "performed_at"),
    [
        ("18.0119.0028", "technique", "18.0119.0028", "standard", None),
        ("20.0098.0637_GT", "technique", "20.0098.0637", "gt", None),
        ("18.0119.0028_TB", "technique", "18.0119.0028", "tb", None),
        ("18.0119.0000", "technique", "18.0119.0000", "no_price", None),
        ("23.0121.1548.K.92000", "technique", "23.0121.1548", "standard", "92000"),
        ("27.208b.0459_GT", "technique", "27.208b.0459", "gt", None),
        (" 02.03 ", "consultation", "02.03", "standard", None),
        ("VC.92114", "transport", "VC.92114", "standard", None),
        ("K19.NG1", "bed", "K19.NG1", "standard", None),
        ("18.119.28", "unknown", "18.119.28", "standard", None),
    ],
)
def test_parse_service_code(
    code: str, kind: str, base: str, variant: str, performed_at: str | None
) -> None:
    parsed = parse_service_code(code)
    assert parsed.kind is ServiceCodeKind(kind)
    assert parsed.base == base
    assert parsed.variant is ServiceVariant(variant)
    assert parsed.performed_at == performed_at


def test_technique_parts() -> None:
    parsed = parse_service_code("18.0165.0043")
    assert (parsed.chuong, parsed.ma_ky_thuat, parsed.stt_gia) == (
        "18",
        "18.0165",
        "0043",
    )
    assert parse_service_code("VC.92114").transport_destination == "92114"


def test_base_code_sql_agrees_with_python(con: duckdb.DuckDBPyConnection) -> None:
    codes = ["18.0119.0028_GT", "23.0121.1548.K.92000", "18.0119.0028", "02.03"]
    rows = con.execute(
        f"select c, {base_service_code_sql('c')} from unnest(?) as t(c)",  # noqa: S608
        [codes],
    ).fetchall()
    assert dict(rows) == {c: parse_service_code(c).base for c in codes}


@pytest.mark.parametrize(
    ("raw", "nodot", "dotted"),
    [
        ("J20.9", "J209", "J20.9"),
        ("j209", "J209", "J20.9"),
        (" A01.0† ", "A010", "A01.0"),
        ("G01*", "G01", "G01"),
        ("M49.07", "M4907", "M49.07"),
    ],
)
def test_icd_normalisation(raw: str, nodot: str, dotted: str) -> None:
    assert icd_nodot(raw) == nodot
    assert icd_dotted(raw) == dotted


def test_icd_sql_agrees_with_python(con: duckdb.DuckDBPyConnection) -> None:
    codes = ["J20.9", "a01.0†", "G01*", " K35.8 "]
    rows = con.execute(
        f"select c, {icd_nodot_sql('c')} from unnest(?) as t(c)",  # noqa: S608
        [codes],
    ).fetchall()
    assert dict(rows) == {c: icd_nodot(c) for c in codes}


def test_machine_code() -> None:
    parsed = parse_machine_code("XQ.1.99001.SYNXQ0001")
    assert parsed is not None
    assert (parsed.group, parsed.funding, parsed.facility, parsed.serial) == (
        "XQ",
        "1",
        "99001",
        "SYNXQ0001",
    )
    third = parse_machine_code("ĐT.3A.SER-1;SER-2")
    assert third is not None
    assert (third.group, third.funding, third.facility) == ("ĐT", "3A", None)
    assert parse_machine_code("XQ-99001") is None


def test_machine_group_sql(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(f"select {machine_group_sql('?')}", ["MRI.2.99001.X1"]).fetchone()
    assert row == ("MRI",)
