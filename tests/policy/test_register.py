"""The lent-machine register on the hand-built machines (``handmade.py``)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa
from tests.policy import handmade

from giamdinh.policy.milestones import read_milestones
from giamdinh.policy.register import MachineStatus, build_register

if TYPE_CHECKING:
    from pathlib import Path


def _machines() -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"ma_cskcb": f, "ma_may": m, "ten_tb": "Máy xét nghiệm"}
            for m, (f, _) in handmade.MACHINES.items()
        ]
    )


def _milestones(folder: Path) -> pa.Table:
    with (folder / "machine_milestones.csv").open(
        "w", encoding="utf-8", newline=""
    ) as out:
        writer = csv.DictWriter(out, fieldnames=["MA_MAY", "MOC", "NGAY"])
        writer.writeheader()
        writer.writerows(handmade.milestones())
    table, problems = read_milestones(folder)
    assert not problems
    return table


def test_status_overdue_and_money_of_each_machine(tmp_path: Path) -> None:
    billed = pa.Table.from_pylist(
        [
            {
                "ma_may": "SH.1.CONVERTED",
                "month": "2023-11",
                "lines": 3,
                "money": Decimal(300),
            },
            {
                "ma_may": "SH.1.CONVERTED",
                "month": "2024-02",
                "lines": 5,
                "money": Decimal(500),
            },
            {
                "ma_may": "SH.1.IN",
                "month": "2026-03",
                "lines": 1,
                "money": Decimal(100),
            },
        ]
    )
    entries = {
        e.ma_may: e
        for e in build_register(
            handmade.equipment_sources(),
            _machines(),
            _milestones(tmp_path),
            on=date(2026, 3, 15),
            deadline=date(2025, 12, 31),
            billed=billed,
        )
    }
    assert "SH.1.OWN" not in entries  # never lent
    status = {k: e.status for k, e in entries.items()}
    assert status == {
        "SH.1.IN": MachineStatus.IN_CONTRACT,
        "SH.1.STOCK": MachineStatus.STOCK_LEFT,
        "SH.2.USED": MachineStatus.USED_UP,
        "SH.2.UNKNOWN": MachineStatus.UNDECLARED,
        "SH.2.CONVERTING": MachineStatus.CONVERTING,
        "SH.1.CONVERTED": MachineStatus.CONVERTED,
    }
    converted = entries["SH.1.CONVERTED"]
    assert converted.converted_on == date(2024, 1, 1)
    assert converted.converted_to == "lien_doanh_lien_ket"
    assert not converted.overdue
    # Only the months before the conversion are money at stake.
    assert converted.at_stake == 300
    assert [m.step for m in entries["SH.2.CONVERTING"].milestones] == [
        "de_an",
        "phe_duyet",
    ]
    assert {k for k, e in entries.items() if e.overdue} == {
        "SH.1.IN",
        "SH.1.STOCK",
        "SH.2.USED",
        "SH.2.UNKNOWN",
    }  # SH.2.CONVERTING's scheme was approved on 01/06/2025, before the deadline
    assert entries["SH.1.IN"].ma_cskcb == "79001"
    assert entries["SH.1.IN"].at_stake == 100


def test_before_the_deadline_nothing_is_overdue(tmp_path: Path) -> None:
    entries = build_register(
        handmade.equipment_sources(),
        _machines(),
        _milestones(tmp_path),
        on=date(2025, 6, 1),
        deadline=date(2025, 12, 31),
    )
    assert not any(e.overdue for e in entries)
    by = {e.ma_may: e.status for e in entries}
    assert by["SH.1.STOCK"] is MachineStatus.IN_CONTRACT
    assert by["SH.2.USED"] is MachineStatus.STOCK_LEFT


def test_bad_milestone_rows_are_reported_and_the_others_kept(tmp_path: Path) -> None:
    (tmp_path / "machine_milestones.csv").write_text(
        "MA_MAY,MOC,NGAY,HINH_THUC\n"
        "SH.1.IN,de_an,20250301,thue\n"
        ",de_an,20250301,\n"
        "SH.1.IN,ky_ten,20250301,\n"
        "SH.1.IN,phe_duyet,2025-13-45,\n"
        "SH.1.IN,hop_dong,20250901,cho_muon\n",
        encoding="utf-8",
    )
    table, problems = read_milestones(tmp_path)
    assert table.num_rows == 1
    assert [(p.row, p.column) for p in problems] == [
        (3, "MA_MAY"),
        (4, "MOC"),
        (5, "NGAY"),
        (6, "HINH_THUC"),
    ]
    assert all(p.file.endswith("machine_milestones.csv") for p in problems)
    assert problems[1].value == "ky_ten"
