"""The replay workbook: money as numbers, codes as text, changed lines capped."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import load_workbook

from giamdinh.policy import export

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_changed_lines_beyond_the_cap_are_named_in_a_last_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHANGED_PER_OPTION", 2)
    lines = pa.table(
        {
            "ma_cskcb": ["01002", "01002", "79001"],
            "ma_lk": ["L1", "L2", "L3"],
            "payable": pa.array(
                [Decimal(0), Decimal(0), Decimal(0)], pa.decimal128(18, 2)
            ),
            "base_payable": pa.array(
                [Decimal("44880.00"), Decimal(1), Decimal(2)], pa.decimal128(18, 2)
            ),
        }
    )
    pq.write_table(lines, tmp_path / "changed-A.parquet")
    pq.write_table(lines.slice(0, 1), tmp_path / "changed-B.parquet")
    export.write_workbook(
        tmp_path / "r.xlsx",
        summary=[],
        options=[],
        by_facility_month=[],
        by_rule=[],
        by_machine=[],
        changed=[
            ("A", tmp_path / "changed-A.parquet"),
            ("B", tmp_path / "changed-B.parquet"),
        ],
    )
    sheet = load_workbook(tmp_path / "r.xlsx", read_only=True)["Dong thay doi"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2]) for r in rows] == [
        ("A", "L1"),
        ("A", "L2"),
        ("A", None),
        ("B", "L1"),
    ]
    assert "1 more lines in changed-A.parquet" in str(rows[2][1])
    assert rows[0][1] == "01002"  # a code keeps its zero: a text cell
    assert rows[0][10] == 44880  # money is a number
