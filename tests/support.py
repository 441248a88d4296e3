"""Claims for the ingest tests: small, and clean at the portal's reception."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from giamdinh.standard.writer import write_envelope

if TYPE_CHECKING:
    from pathlib import Path

Claim = dict[str, list[dict[str, str]]]


def make_claim(i: int, *, lines: int = 3, price: int = 50000, **xml1: str) -> Claim:
    """A claim that passes the portal's reception checks (imaging lines)."""
    total = Decimal(0)
    xml3: list[dict[str, str]] = []
    for n in range(1, lines + 1):
        amount = Decimal(price + 1000 * n)
        total += amount
        xml3.append(
            {
                "MA_LK": f"LK{i:06d}",
                "STT": str(n),
                "MA_DICH_VU": "18.0119.0028",
                "MA_NHOM": "2",
                "TEN_DICH_VU": "Chụp X-quang",
                "DON_VI_TINH": "Lần",
                "PHAM_VI": "1",
                "SO_LUONG": "1",
                "DON_GIA_BV": str(amount),
                "DON_GIA_BH": str(amount),
                "TYLE_TT_DV": "100",
                "TYLE_TT_BH": "100",
                "THANH_TIEN_BV": str(amount),
                "THANH_TIEN_BH": str(amount),
                "MUC_HUONG": "80",
                "T_NGUONKHAC_NSNN": "0",
                "T_NGUONKHAC_VTNN": "0",
                "T_NGUONKHAC_VTTN": "0",
                "T_NGUONKHAC_CL": "0",
                "T_NGUONKHAC": "0",
                "T_BNTT": "0",
                "T_BNCCT": str(amount * Decimal("0.2")),
                "T_BHTT": str(amount * Decimal("0.8")),
                "MA_KHOA": "K01",
                "MA_BAC_SI": "000001/HNO-CCHN",
                "NGUOI_THUC_HIEN": "000002/HNO-CCHN",
                "NGAY_YL": "202603020805",
                "NGAY_TH_YL": "202603020810",
                "NGAY_KQ": "202603020830",
                "MA_PTTT": "1",
            }
        )
    head = {
        "MA_LK": f"LK{i:06d}",
        "STT": "1",
        "MA_BN": f"BN{i:06d}",
        "HO_TEN": "NGUYỄN VĂN MẪU",
        "SO_CCCD": "001090000001",
        "NGAY_SINH": "199001010000",
        "GIOI_TINH": "1",
        "MA_QUOCTICH": "000",
        "MA_DANTOC": "01",
        "MA_NGHE_NGHIEP": "00000",
        "DIA_CHI": "Hà Nội",
        "MATINH_CU_TRU": "01",
        "MAHUYEN_CU_TRU": "001",
        "MAXA_CU_TRU": "00001",
        "LY_DO_VV": "Ho",
        "CHAN_DOAN_VAO": "Viêm phế quản",
        "CHAN_DOAN_RV": "Viêm phế quản cấp",
        "MA_BENH_CHINH": "J20.9",
        "MA_DOITUONG_KCB": "1.1",
        "NGAY_VAO": "202603020800",
        "NGAY_RA": "202603021000",
        "SO_NGAY_DTRI": "0",
        "KET_QUA_DTRI": "2",
        "MA_LOAI_RV": "1",
        "T_THUOC": "0",
        "T_VTYT": "0",
        "T_TONGCHI_BV": str(total),
        "T_TONGCHI_BH": str(total),
        "T_BNTT": "0",
        "T_BNCCT": str(total * Decimal("0.2")),
        "T_BHTT": str(total * Decimal("0.8")),
        "T_NGUONKHAC": "0",
        "T_BHTT_GDV": str(total * Decimal("0.8")),
        "NAM_QT": "2026",
        "THANG_QT": "3",
        "MA_LOAI_KCB": "01",
        "MA_KHOA": "K01",
        "MA_CSKCB": "99001",
        "CAN_NANG": "62.50",
        "MA_HSBA": f"HS{i:06d}",
    }
    head.update(xml1)
    return {"XML1": [head], "XML3": xml3}


def envelope(path: Path, claims: list[Claim]) -> Path:
    write_envelope(claims, ma_cskcb="99001", ngay_lap="20260303", out=path)
    return path
