"""Tiny claim tables in the shape of the logical views (contract 6) for signal tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pytest

if TYPE_CHECKING:
    import duckdb

XML3_SCHEMA = pa.schema(
    [
        ("ma_lk", pa.string()),
        ("stt", pa.int64()),
        ("ma_dich_vu", pa.string()),
        ("ma_nhom", pa.int64()),
        ("so_luong", pa.decimal128(18, 3)),
        ("thanh_tien_bh", pa.decimal128(18, 3)),
        ("t_bhtt", pa.decimal128(18, 3)),
        ("nguoi_thuc_hien", pa.string()),
        ("ma_may", pa.string()),
        ("ngay_yl", pa.timestamp("s")),
        ("ngay_th_yl", pa.timestamp("s")),
        ("ngay_kq", pa.timestamp("s")),
    ]
)

#: Claim times are naive local clock times (contract 4 of the brief).
T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001

TECHNIQUES = {
    # code: (reference minutes, machine group)
    "18.0001.0001": (6.0, "XQ"),
    "18.0002.0001": (30.0, "SA"),
    "18.0003.0001": (20.0, "CL"),
    "18.0004.0001": (40.0, "MRI"),
}


class Claims:
    """Build xml1/xml3/xml4 and reference tables line by line, then register them."""

    def __init__(self) -> None:
        self.xml1: list[dict[str, Any]] = []
        self.xml3: list[dict[str, Any]] = []
        self.xml4: list[dict[str, Any]] = []
        self.practitioners: list[dict[str, Any]] = []
        self.devices: list[dict[str, Any]] = []
        self.facilities: list[dict[str, Any]] = []
        self._n = 0

    def line(
        self,
        *,
        facility: str = "99001",
        code: str = "18.0001.0001",
        performer: str | None = "000001/BYT-CCHN",
        machine: str | None = None,
        start: datetime = T0,
        minutes: float = 10.0,
        money: str = "100000",
        reader: str | None = None,
        ma_lk: str | None = None,
        diagnosis: str | None = None,
    ) -> tuple[str, int]:
        """Add one service line (and its claim when new); return (MA_LK, STT).

        ``diagnosis`` is the claim's main diagnosis (``MA_BENH_CHINH``), set when the
        claim is new.
        """
        self._n += 1
        key = ma_lk or f"LK{self._n:07d}"
        if not any(r["ma_lk"] == key for r in self.xml1):
            self.xml1.append(
                {"ma_lk": key, "ma_cskcb": facility, "ma_benh_chinh": diagnosis}
            )
        stt = 1 + sum(1 for r in self.xml3 if r["ma_lk"] == key)
        self.xml3.append(
            {
                "ma_lk": key,
                "stt": stt,
                "ma_dich_vu": code,
                "ma_nhom": 2,
                "so_luong": Decimal(1),
                "thanh_tien_bh": Decimal(money),
                "t_bhtt": Decimal(money),
                "nguoi_thuc_hien": performer,
                "ma_may": machine,
                "ngay_yl": start - timedelta(minutes=5),
                "ngay_th_yl": start,
                "ngay_kq": start + timedelta(minutes=minutes),
            }
        )
        if reader is not None:
            self.xml4.append(
                {
                    "ma_lk": key,
                    "ma_dich_vu": code,
                    "ma_bs_doc_kq": reader,
                    "ngay_kq": start + timedelta(minutes=minutes),
                }
            )
        return key, stt

    def register(
        self,
        *,
        person: str,
        facility: str = "99001",
        per_day: str | None = None,
        kind: str = "1",
        others: str | None = None,
    ) -> None:
        """Add an M02 row for ``person`` at ``facility``."""
        self.practitioners.append(
            {
                "macchn": person,
                "ma_cskcb": facility,
                "thoigian_dk": kind,
                "thoigian_ngay": per_day,
                "cskcb_khac": others,
                "valid_from": date(2020, 1, 1),
                "valid_to": None,
            }
        )

    def install(self, con: duckdb.DuckDBPyConnection) -> None:
        """Register the tables on ``con`` under the logical view names."""
        con.register(
            "xml1",
            pa.Table.from_pylist(
                self.xml1,
                schema=pa.schema(
                    [
                        ("ma_lk", pa.string()),
                        ("ma_cskcb", pa.string()),
                        ("ma_benh_chinh", pa.string()),
                    ]
                ),
            ),
        )
        con.register("xml3", pa.Table.from_pylist(self.xml3, schema=XML3_SCHEMA))
        if self.xml4:
            con.register(
                "xml4",
                pa.Table.from_pylist(
                    self.xml4,
                    schema=pa.schema(
                        [
                            ("ma_lk", pa.string()),
                            ("ma_dich_vu", pa.string()),
                            ("ma_bs_doc_kq", pa.string()),
                            ("ngay_kq", pa.timestamp("s")),
                        ]
                    ),
                ),
            )
        con.register(
            "ref_techniques",
            pa.table(
                {
                    "ma_dich_vu": list(TECHNIQUES),
                    "reference_minutes": [v[0] for v in TECHNIQUES.values()],
                    "machine_group": [v[1] for v in TECHNIQUES.values()],
                    "valid_from": [date(2020, 1, 1)] * len(TECHNIQUES),
                    "valid_to": pa.array([None] * len(TECHNIQUES), pa.date32()),
                }
            ),
        )
        if self.practitioners:
            con.register(
                "ref_practitioners",
                pa.Table.from_pylist(
                    self.practitioners,
                    schema=pa.schema(
                        [
                            ("macchn", pa.string()),
                            ("ma_cskcb", pa.string()),
                            ("thoigian_dk", pa.string()),
                            ("thoigian_ngay", pa.string()),
                            ("cskcb_khac", pa.string()),
                            ("valid_from", pa.date32()),
                            ("valid_to", pa.date32()),
                        ]
                    ),
                ),
            )
        if self.devices:
            con.register(
                "device_log",
                pa.Table.from_pylist(
                    self.devices,
                    schema=pa.schema(
                        [
                            ("ma_may", pa.string()),
                            ("study_uid", pa.string()),
                            ("ma_lk", pa.string()),
                            ("stt", pa.int64()),
                            ("t_start", pa.timestamp("s")),
                            ("t_end", pa.timestamp("s")),
                            ("source", pa.string()),
                            ("file", pa.string()),
                        ]
                    ),
                ),
            )
        if self.facilities:
            con.register("ref_facilities", pa.Table.from_pylist(self.facilities))


@pytest.fixture
def claims() -> Claims:
    """An empty claim builder."""
    return Claims()
