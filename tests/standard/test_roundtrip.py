"""Read → write → read is identical: templates, the synthetic claim, generated ones."""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giamdinh.standard.reader import (
    FileStatus,
    iter_claim_records,
    read_bytes,
    read_file,
)
from giamdinh.standard.spec import ENVELOPE_TABLES, TABLES, FieldKind, FieldSpec
from giamdinh.standard.writer import envelope_bytes, render_table

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

    from giamdinh.standard.writer import ClaimRecords

TEMPLATES = {"XML0": "XML0_CHECKIN.xml"} | {
    name: f"{name}.xml" for name in TABLES if name != "XML0"
}


def _without_file(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return {name: table.drop_columns(["_file"]) for name, table in tables.items()}


def _same_read(first: Path | tuple[str, bytes], second: tuple[str, bytes]) -> None:
    a, b = read_file(first), read_file(second)
    assert a.status is FileStatus.OK, a.findings
    assert b.status is FileStatus.OK, b.findings
    assert list(iter_claim_records(first)) == list(iter_claim_records(second))
    assert [(c.ma_lk, c.hoso) for c in a.claims] == [
        (c.ma_lk, c.hoso) for c in b.claims
    ]
    left, right = _without_file(a.tables), _without_file(b.tables)
    assert left.keys() == right.keys()
    for name, table in left.items():
        assert table.equals(right[name]), name


@pytest.mark.parametrize("table", list(TEMPLATES))
def test_every_template_parses_and_round_trips(table: str, samples_dir: Path) -> None:
    raw = (samples_dir / "templates" / TEMPLATES[table]).read_bytes()
    empty = read_bytes(raw, name=TEMPLATES[table])
    assert empty.table == table
    # The official skeletons have empty values, so no MA_LK: every record is dropped.
    assert {f.code for f in empty.findings} == {"IN034"}
    filled = raw.replace(b"<MA_LK></MA_LK>", b"<MA_LK>T0001</MA_LK>")
    source = ("template.xml", filled)
    (claim,) = iter_claim_records(source)
    assert list(claim) == [table]
    assert len(claim[table]) == (1 if TABLES[table].single_record else 2)
    assert list(claim[table][0]) == list(TABLES[table].field_names)
    _same_read(source, ("rewritten.xml", render_table(table, claim[table])))


def test_envelope_template_filled_with_every_table_round_trips(
    samples_dir: Path,
) -> None:
    claim: ClaimRecords = {}
    for table in sorted(ENVELOPE_TABLES, key=lambda t: int(t[3:])):
        raw = (samples_dir / "templates" / TEMPLATES[table]).read_bytes()
        filled = raw.replace(b"<MA_LK></MA_LK>", b"<MA_LK>T0001</MA_LK>")
        (records,) = iter_claim_records(("t.xml", filled))
        claim.update(records)
    assert len(claim) == 14
    data = envelope_bytes([claim, claim], ma_cskcb="99001", ngay_lap="20260302")
    result = read_bytes(data)
    assert result.status is FileStatus.OK
    assert len(result.tables) == 14
    assert list(iter_claim_records(("e.xml", data))) == [claim, claim]
    again = envelope_bytes(
        iter_claim_records(("e.xml", data)), ma_cskcb="99001", ngay_lap="20260302"
    )
    assert again == data


def test_synthetic_sample_round_trips(samples_dir: Path) -> None:
    path = samples_dir / "synthetic" / "GIAMDINHHS_synthetic_outpatient_imaging.xml"
    first = read_file(path)
    data = envelope_bytes(
        iter_claim_records(path),
        ma_cskcb=first.ma_cskcb or "",
        ngay_lap=first.ngay_lap or "",
    )
    _same_read(path, ("rewritten.xml", data))
    checkin = samples_dir / "synthetic" / "XML0_checkin_synthetic.xml"
    (claim,) = iter_claim_records(checkin)
    _same_read(checkin, ("checkin.xml", render_table("XML0", claim["XML0"])))


# ---------------------------------------------------------------- property test

_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("<&>\"' \t\n\r;]]>đĐăĂâÂêÊôÔơƠưƯáàảãạếềểễệốồổỗộứừửữự"),
        st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co", "Zl", "Zp")
        ),
    ),
    max_size=24,
)
_CODE = st.text(alphabet=string.ascii_uppercase + string.digits + "._/-", max_size=12)
_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
_TIMES = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),  # noqa: DTZ001 - naive local time by contract
    max_value=dt.datetime(2099, 12, 31),  # noqa: DTZ001
)


def _value(spec: FieldSpec) -> st.SearchStrategy[str]:
    if spec.kind is FieldKind.INTEGER:
        one = st.integers(min_value=0, max_value=10**12).map(str)
    elif spec.kind is FieldKind.DECIMAL:
        one = st.decimals(min_value=0, max_value=10**12, places=3, allow_nan=False).map(
            lambda d: f"{d:f}"
        )
    elif spec.kind is FieldKind.DATE:
        one = _DATES.map(lambda d: d.strftime("%Y%m%d"))
    elif spec.kind is FieldKind.TIMESTAMP:
        one = _TIMES.map(lambda t: t.strftime("%Y%m%d%H%M"))
    else:
        return st.one_of(st.just(""), _CODE if spec.is_list else _TEXT)
    if spec.is_list:
        return st.lists(one, min_size=1, max_size=3).map(";".join)
    return st.one_of(st.just(""), one)


_CHECKED = ("SO_LUONG", "DON_GIA_BH", "THANH_TIEN_BH", "NGAY_YL", "TEN_DICH_VU")


@st.composite
def _record(draw: st.DrawFn, table: str, ma_lk: str, stt: int) -> dict[str, str]:
    """One record: keys fixed, up to 12 other fields (plus XML3's checked ones)."""
    spec = TABLES[table]
    others = [f.name for f in spec.fields if f.name not in {"MA_LK", "STT"}]
    chosen = draw(st.sets(st.sampled_from(others), max_size=12))
    if table == "XML3":
        chosen |= set(_CHECKED)
    record = dict.fromkeys(spec.field_names, "")
    record["MA_LK"] = ma_lk
    if "STT" in record:
        record["STT"] = str(stt)
    for name in others:
        if name in chosen:
            record[name] = draw(_value(spec.field(name)))
    return record


@st.composite
def _claim(draw: st.DrawFn, ma_lk: str) -> ClaimRecords:
    claim: ClaimRecords = {"XML1": [draw(_record("XML1", ma_lk, 1))]}
    for table in ("XML2", "XML3", "XML4", "XML5"):
        count = draw(st.integers(min_value=0, max_value=6))
        if count or draw(st.booleans()):
            claim[table] = [draw(_record(table, ma_lk, i + 1)) for i in range(count)]
    for table in draw(st.sets(st.sampled_from(["XML7", "XML8", "XML13", "XML14"]))):
        claim[table] = [draw(_record(table, ma_lk, 1))]
    return claim


@given(
    claims=st.lists(st.integers(0, 10**6), min_size=1, max_size=2, unique=True).flatmap(
        lambda ids: st.tuples(*(_claim(f"LK{i}") for i in ids))
    )
)
def test_write_then_read_is_identical(claims: tuple[ClaimRecords, ...]) -> None:
    data = envelope_bytes(claims, ma_cskcb="99001", ngay_lap="20260302")
    result = read_bytes(data, name="prop.xml")
    assert result.status is FileStatus.OK, result.findings
    assert result.findings == []
    back = list(iter_claim_records(("prop.xml", data)))
    # Tables written with no records come back as absent (nothing to read).
    expected = [{t: r for t, r in claim.items() if r} for claim in claims]
    assert [{t: r for t, r in claim.items() if r} for claim in back] == expected
    for hoso, claim in enumerate(claims):
        lines = claim.get("XML3", [])
        table = result.tables.get("XML3")
        if not lines or table is None:
            continue
        rows = [r for r in table.to_pylist() if r["_hoso"] == hoso]
        for row, line in zip(rows, lines, strict=True):
            assert row["MA_LK"] == line["MA_LK"]
            assert row["TEN_DICH_VU"] == line["TEN_DICH_VU"]
            for name in ("SO_LUONG", "DON_GIA_BH", "THANH_TIEN_BH"):
                text = line[name]
                assert row[name] == (Decimal(text) if text else None), name
                assert row[f"{name}__raw"] is None
            stamp = line["NGAY_YL"]
            expected_time = (
                dt.datetime.strptime(stamp, "%Y%m%d%H%M")  # noqa: DTZ007
                if stamp
                else None
            )
            assert row["NGAY_YL"] == expected_time
