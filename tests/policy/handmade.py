"""Hand-built claims on lent machines: a line per case, money that adds up by hand.

Facility 79001 and 79002; every line's fund share (``T_BHTT``) is its own round
number, so each option's money by facility is a sum a reader can check.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pyarrow as pa
from tests.support import make_claim

from giamdinh.standard.reader import read_batch
from giamdinh.standard.writer import write_envelope

if TYPE_CHECKING:
    from pathlib import Path

OPEN = None

#: machine → (facility, rows of equipment_sources: form, contract from, to, stock until)
MACHINES: dict[str, tuple[str, list[tuple[str, date, date | None, date | None]]]] = {
    "SH.1.IN": (
        "79001",
        [("muon_nha_thau", date(2021, 1, 1), date(2027, 12, 31), None)],
    ),
    "SH.1.STOCK": (
        "79001",
        [("muon_nha_thau", date(2017, 3, 1), date(2025, 6, 30), date(2026, 9, 30))],
    ),
    "SH.2.USED": (
        "79002",
        [("muon_nha_thau", date(2021, 1, 1), date(2025, 3, 31), date(2025, 12, 31))],
    ),
    "SH.2.UNKNOWN": (
        "79002",
        [("muon_nha_thau", date(2023, 6, 1), date(2025, 9, 30), None)],
    ),
    "SH.2.CONVERTING": (
        "79002",
        [("muon_nha_thau", date(2023, 1, 1), date(2028, 12, 31), None)],
    ),
    "SH.1.CONVERTED": (
        "79001",
        [
            ("muon_nha_thau", date(2019, 1, 1), date(2023, 12, 31), None),
            ("lien_doanh_lien_ket", date(2024, 1, 1), date(2030, 12, 31), None),
        ],
    ),
    "SH.1.OWN": ("79001", [("ngan_sach", date(1, 1, 1), None, None)]),
}

#: (machine, service day, T_BHTT)
LINES: list[tuple[str, date, int]] = [
    ("SH.1.IN", date(2026, 3, 2), 100),
    ("SH.1.STOCK", date(2026, 3, 2), 200),
    ("SH.2.USED", date(2026, 3, 2), 300),
    ("SH.2.UNKNOWN", date(2026, 3, 2), 400),
    ("SH.2.CONVERTING", date(2026, 3, 2), 500),
    ("SH.1.CONVERTED", date(2026, 3, 2), 600),
    ("SH.1.OWN", date(2026, 3, 2), 700),
    ("SH.1.IN", date(2022, 8, 1), 1000),
    ("SH.1.STOCK", date(2021, 6, 1), 2000),
]


def claims(folder: Path) -> dict[str, pa.Table]:
    """Write the claims (one line each) as XML and read them back as tables."""
    by_facility: dict[str, list[dict[str, list[dict[str, str]]]]] = {}
    for i, (machine, day, money) in enumerate(LINES, start=1):
        facility = MACHINES[machine][0]
        claim = make_claim(i, lines=1, MA_CSKCB=facility)
        stamp = f"{day:%Y%m%d}0800"
        head = claim["XML1"][0]
        head.update(
            NGAY_VAO=stamp,
            NGAY_RA=f"{day:%Y%m%d}1000",
            T_BHTT=str(money),
            T_BHTT_GDV=str(money),
            NAM_QT=str(day.year),
            THANG_QT=str(day.month),
            MA_BN=f"BN{i:03d}",
        )
        line = claim["XML3"][0]
        line.update(
            MA_MAY=machine,
            NGAY_YL=stamp,
            NGAY_TH_YL=f"{day:%Y%m%d}0810",
            NGAY_KQ=f"{day:%Y%m%d}0830",
            T_BHTT=str(money),
        )
        by_facility.setdefault(facility, []).append(claim)
    paths = []
    for facility, batch in by_facility.items():
        path = folder / f"{facility}.xml"
        write_envelope(batch, ma_cskcb=facility, ngay_lap="20260401", out=path)
        paths.append(str(path))
    return dict(read_batch(paths).tables)


def equipment_sources() -> pa.Table:
    """Return ``ref_equipment_sources`` of the machines above."""
    rows = []
    for machine, (_, forms) in MACHINES.items():
        for form, start, end, stock in forms:
            rows.append(
                {
                    "ma_may": machine,
                    "hinh_thuc": form,
                    "hd_tu": start,
                    "hd_den": end,
                    "het_vat_tu": stock,
                    "valid_from": start,
                    "valid_to": end,
                }
            )
    return pa.Table.from_pylist(rows)


def milestones() -> list[dict[str, str]]:
    """Return the rows of ``machine_milestones.csv``: one approval before 2025's end."""
    return [
        {"MA_MAY": "SH.2.CONVERTING", "MOC": "de_an", "NGAY": "20250301"},
        {"MA_MAY": "SH.2.CONVERTING", "MOC": "phe_duyet", "NGAY": "20250601"},
        {"MA_MAY": "SH.1.CONVERTED", "MOC": "phe_duyet", "NGAY": "20230801"},
        {"MA_MAY": "SH.1.CONVERTED", "MOC": "ban_giao", "NGAY": "20240101"},
    ]
