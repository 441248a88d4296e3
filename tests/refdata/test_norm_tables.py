"""Published norms as reference tables: contract, reading, as-of lookups and joins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata import (
    NORM_FILES,
    NORM_SCHEMAS,
    NORM_STAFF_MINUTES,
    NORM_SUPPLY_QUANTITIES,
    ReferenceSet,
    as_of_predicate,
    read_published_norms,
)
from giamdinh.refdata.norm_tables import conform_norm_table

if TYPE_CHECKING:
    from pathlib import Path

    import duckdb

D = Decimal


def _supplies() -> pa.Table:
    """Two versions of one technique's film norm: v1 closed 31/12/2025, v2 open."""
    return pa.table(
        {
            "technique_code": ["18.0020", "18.0020", "18.0020"],
            "category": ["supply", "supply", "drug"],
            "resource_code": ["VT.PHIM", "VT.PHIM", "TH.CQ"],
            "resource_name": ["Phim", "Phim", "Thuốc cản quang"],
            "unit": ["tấm", "tấm", "ml"],
            "quantity": [D("1"), D("2"), D("50")],
            "norm_version": [1, 2, 2],
            "status": ["consolidated", "approved", "approved"],
            "valid_from": [date(2025, 11, 11), date(2026, 1, 1), date(2026, 1, 1)],
            "valid_to": [date(2025, 12, 31), None, None],
        }
    )


def _staff() -> pa.Table:
    return pa.table(
        {
            "technique_code": ["18.0020"],
            "title": ["KTV"],
            "minutes": [D("17.5")],
            "valid_from": [date(2025, 11, 11)],
        }
    )


@pytest.fixture(scope="module")
def national() -> ReferenceSet:
    return ReferenceSet.national()


def test_conform_fills_optional_columns_and_casts() -> None:
    table = conform_norm_table(NORM_STAFF_MINUTES, _staff(), source="x.parquet")
    assert table.schema == NORM_SCHEMAS[NORM_STAFF_MINUTES]
    row = table.to_pylist()[0]
    assert (row["minutes"], row["persons"], row["valid_to"]) == (
        D("17.500"),
        None,
        None,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop_columns(["quantity"]), r"missing column\(s\) quantity"),
        (
            lambda t: t.set_column(
                0, "technique_code", pa.array([None, "x", "y"], pa.string())
            ),
            r"x\.parquet, column technique_code: 1 empty value",
        ),
        (
            lambda t: t.set_column(
                5, "quantity", pa.array(["1", "two", "3"], pa.string())
            ),
            r"x\.parquet, column quantity: cannot read",
        ),
    ],
)
def test_conform_names_file_and_column(change: object, message: str) -> None:
    assert callable(change)
    with pytest.raises(ReferenceDataError, match=message):
        conform_norm_table(
            NORM_SUPPLY_QUANTITIES, change(_supplies()), source="x.parquet"
        )


def test_conform_refuses_an_unknown_table() -> None:
    with pytest.raises(ReferenceDataError, match="is not a norm table"):
        conform_norm_table("ref_norm_beds", _staff(), source="x")


def test_without_norms_they_are_not_checked(national: ReferenceSet) -> None:
    assert not national.checked(NORM_SUPPLY_QUANTITIES)
    assert NORM_SUPPLY_QUANTITIES not in national.tables()
    with pytest.raises(ReferenceDataError, match="not checked"):
        national.lookup("norm_supply", "18.0020", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 11, 10), []),  # before the first norm
        (date(2025, 11, 11), [("VT.PHIM", D("1.000"), 1)]),  # first day of v1
        (date(2025, 12, 31), [("VT.PHIM", D("1.000"), 1)]),  # last day of v1
        (date(2026, 1, 1), [("TH.CQ", D("50.000"), 2), ("VT.PHIM", D("2.000"), 2)]),
        (date(2099, 1, 1), [("TH.CQ", D("50.000"), 2), ("VT.PHIM", D("2.000"), 2)]),
    ],
)
@pytest.mark.parametrize("code", ["18.0020", "18.0020.0001", "18.0020.0001_GT"])
def test_supply_norm_as_of(
    national: ReferenceSet,
    day: date,
    expected: list[tuple[str, D, int]],
    code: str,
) -> None:
    refs = national.with_norms({NORM_SUPPLY_QUANTITIES: _supplies()})
    assert refs.checked(NORM_SUPPLY_QUANTITIES)
    assert not refs.checked(NORM_STAFF_MINUTES)
    rows = refs.lookup("norm_supply", code, day).to_pylist()
    found = sorted((r["resource_code"], r["quantity"], r["norm_version"]) for r in rows)
    assert found == expected
    refs.close()


def test_with_norms_leaves_the_original_alone(national: ReferenceSet) -> None:
    national.with_norms({NORM_STAFF_MINUTES: _staff()})
    assert not national.checked(NORM_STAFF_MINUTES)


def test_supplies_above_norm_is_a_join(
    national: ReferenceSet, con: duckdb.DuckDBPyConnection
) -> None:
    """What a rule does: claimed quantity per claim vs the norm valid that day."""
    refs = national.with_norms({NORM_SUPPLY_QUANTITIES: _supplies()})
    refs.register(con)
    con.execute(
        """
        create table lines as select * from (values
            ('LK1', '18.0020.0001', 'VT.PHIM', 2.0, date '2025-12-31'),
            ('LK2', '18.0020.0001', 'VT.PHIM', 2.0, date '2026-01-01'),
            ('LK3', '18.0020.0001_GT', 'TH.CQ', 160.0, date '2026-02-01'),
            ('LK4', '18.0021.0001', 'VT.PHIM', 9.0, date '2026-02-01')
        ) as t(ma_lk, ma_dich_vu, ma_vat_tu, so_luong, ngay_yl)
        """
    )
    rows = con.execute(
        f"""
        select l.ma_lk, l.so_luong / n.quantity as ratio
        from lines l
        join ref_norm_supply_quantities n
          on n.technique_code = left(l.ma_dich_vu, 7)
         and n.resource_code = l.ma_vat_tu
         and {as_of_predicate("n", "l.ngay_yl")}
        order by l.ma_lk
        """  # noqa: S608 - predicate built from constants
    ).fetchall()
    assert [(lk, float(r)) for lk, r in rows] == [
        ("LK1", 2.0),
        ("LK2", 1.0),
        ("LK3", 3.2),
    ]


def test_read_published_folder(tmp_path: Path) -> None:
    pq.write_table(_supplies(), tmp_path / NORM_FILES[NORM_SUPPLY_QUANTITIES])
    tables = read_published_norms(tmp_path)
    assert set(tables) == {NORM_SUPPLY_QUANTITIES}
    assert tables[NORM_SUPPLY_QUANTITIES].num_rows == 3


def test_read_published_errors(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="folder not found"):
        read_published_norms(tmp_path / "nowhere")
    with pytest.raises(ReferenceDataError, match="no published norm file"):
        read_published_norms(tmp_path)
    (tmp_path / NORM_FILES[NORM_STAFF_MINUTES]).write_text("not parquet")
    with pytest.raises(ReferenceDataError, match=r"norm_staff_minutes\.parquet"):
        read_published_norms(tmp_path)
