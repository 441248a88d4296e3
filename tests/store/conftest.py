"""Factories for the store tests: minimal tables of the reader's shape (contract 4)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

MONEY = pa.decimal128(18, 3)


def claim_tables(
    claims: list[dict[str, Any]], *, file: str = "a.xml", cskcb: str = "99001"
) -> dict[str, pa.Table]:
    """XML1 + XML3 tables for claims given as ``{"ma_lk", "ngay_ra", "prices"}``."""
    x1: dict[str, list[Any]] = {
        k: []
        for k in ("MA_LK", "STT", "MA_CSKCB", "NGAY_VAO", "NGAY_RA", "T_TONGCHI_BV")
    }
    x3: dict[str, list[Any]] = {
        k: [] for k in ("MA_LK", "STT", "MA_DICH_VU", "THANH_TIEN_BV")
    }
    h1: list[int] = []
    h3: list[int] = []
    for i, c in enumerate(claims):
        prices = c.get("prices", [100000])
        x1["MA_LK"].append(c["ma_lk"])
        x1["STT"].append(i + 1)
        x1["MA_CSKCB"].append(c.get("cskcb", cskcb))
        x1["NGAY_VAO"].append(c.get("ngay_vao", "202603020800"))
        x1["NGAY_RA"].append(c.get("ngay_ra", "202603021000"))
        x1["T_TONGCHI_BV"].append(str(sum(prices)))
        h1.append(c.get("hoso", i))
        for n, price in enumerate(prices, start=1):
            x3["MA_LK"].append(c["ma_lk"])
            x3["STT"].append(n)
            x3["MA_DICH_VU"].append("18.0119.0028")
            x3["THANH_TIEN_BV"].append(str(price))
            h3.append(c.get("hoso", i))

    def ts(values: list[Any]) -> pa.Array:
        return pc.strptime(pa.array(values, pa.string()), format="%Y%m%d%H%M", unit="s")

    def prov(n: int, hosos: list[int]) -> dict[str, pa.Array]:
        return {
            "_file": pa.array([file] * n, pa.string()),
            "_hoso": pa.array(hosos, pa.int32()),
            "_envelope_cskcb": pa.array([cskcb] * n, pa.string()),
        }

    xml1 = pa.table(
        {
            "MA_LK": pa.array(x1["MA_LK"], pa.string()),
            "STT": pa.array(x1["STT"], pa.int64()),
            "MA_CSKCB": pa.array(x1["MA_CSKCB"], pa.string()),
            "NGAY_VAO": ts(x1["NGAY_VAO"]),
            "NGAY_RA": ts(x1["NGAY_RA"]),
            "T_TONGCHI_BV": pc.cast(pa.array(x1["T_TONGCHI_BV"]), MONEY),
            **prov(len(h1), h1),
        }
    )
    xml3 = pa.table(
        {
            "MA_LK": pa.array(x3["MA_LK"], pa.string()),
            "STT": pa.array(x3["STT"], pa.int64()),
            "MA_DICH_VU": pa.array(x3["MA_DICH_VU"], pa.string()),
            "THANH_TIEN_BV": pc.cast(pa.array(x3["THANH_TIEN_BV"]), MONEY),
            **prov(len(h3), h3),
        }
    )
    return {"XML1": xml1, "XML3": xml3}


@pytest.fixture
def make_tables() -> Callable[..., dict[str, pa.Table]]:
    return claim_tables


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path → SHA-256 of its bytes)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tree_snapshot() -> Callable[[Path], dict[str, str]]:
    return snapshot
