"""Files of a generated province: reference folders, device logs, DICOM, ground truth.

Every writer is deterministic (sorted keys, fixed UIDs derived from the seed, no clock)
so that the same configuration gives byte-identical files.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from typing import TYPE_CHECKING

from giamdinh.synth.clinical import (
    DEPARTMENTS,
    DRUGS,
    ROLE_DEPARTMENT,
    ROLE_SCOPE,
    Role,
)
from giamdinh.synth.province import Facility, Machine, Practitioner, Province, Tier

if TYPE_CHECKING:
    from pathlib import Path

CSV_ENCODING = "utf-8-sig"

M01_COLUMNS = [
    "STT",
    "MA_LOAI_KCB",
    "MA_KHOA",
    "TEN_KHOA",
    "BAN_KHAM",
    "GIUONG_PD",
    "GIUONG_2015",
    "GIUONG_TK",
    "GIUONG_HSTC",
    "GIUONG_HSCC",
    "LDLK",
    "LIEN_KHOA",
    "TU_NGAY",
    "DEN_NGAY",
    "MA_CSKCB",
]
M02_COLUMNS = [
    "STT",
    "MA_LOAI_KCB",
    "MA_KHOA",
    "TEN_KHOA",
    "MA_BHXH",
    "HO_TEN",
    "GIOI_TINH",
    "NGAY_SINH",
    "SO_CCCD",
    "CHUCDANH_NN",
    "VI_TRI",
    "MACCHN",
    "NGAYCAP_CCHN",
    "NOICAP_CCHN",
    "PHAMVI_CM",
    "PHAMVI_CMBS",
    "DVKT_KHAC",
    "VB_PHANCONG",
    "THOIGIAN_DK",
    "THOIGIAN_NGAY",
    "THOIGIAN_TUAN",
    "CSKCB_KHAC",
    "CSKCB_CGKT",
    "QD_CGKT",
    "TU_NGAY",
    "DEN_NGAY",
    "MA_CSKCB",
]
M03_COLUMNS = [
    "STT",
    "MA_THUOC",
    "TEN_HOAT_CHAT",
    "TEN_THUOC",
    "DON_VI_TINH",
    "HAM_LUONG",
    "DUONG_DUNG",
    "MA_DUONG_DUNG",
    "DANG_BAO_CHE",
    "SO_DANG_KY",
    "SO_LUONG",
    "DON_GIA",
    "DON_GIA_BH",
    "QUY_CACH",
    "NHA_SX",
    "NUOC_SX",
    "NHA_THAU",
    "TT_THAU",
    "TU_NGAY",
    "DEN_NGAY",
    "MA_CSKCB",
    "LOAI_THUOC",
    "LOAI_THAU",
    "HT_THAU",
]
M04_COLUMNS = [
    "STT",
    "MA_VAT_TU",
    "NHOM_VAT_TU",
    "TEN_VAT_TU",
    "MA_HIEU",
    "QUY_CACH",
    "HANG_SX",
    "NUOC_SX",
    "DON_VI_TINH",
    "DON_GIA",
    "DON_GIA_BH",
    "TYLE_TT_BH",
    "SO_LUONG",
    "DINH_MUC",
    "NHA_THAU",
    "TT_THAU",
    "TU_NGAY",
    "DEN_NGAY",
    "MA_CSKCB",
    "LOAI_THAU",
    "HT_THAU",
]
M05_COLUMNS = [
    "STT",
    "MA_DICH_VU",
    "TEN_DICH_VU",
    "TEN_DVKT_GIA",
    "DON_GIA",
    "QUY_TRINH",
    "CSKCB_CGKT",
    "CSKCB_CLS",
    "TU_NGAY",
    "DEN_NGAY",
    "MA_CSKCB",
    "MA_GIA",
    "TEN_GIA",
    "GIA_TT_BHYT",
    "PHAN_LOAI_PTTT",
]
M06_COLUMNS = [
    "STT",
    "TEN_TB",
    "KY_HIEU",
    "CONGTY_SX",
    "NUOC_SX",
    "NAM_SX",
    "NAM_SD",
    "MA_MAY",
    "SO_LUU_HANH",
    "HD_TU",
    "HD_DEN",
    "TU_NGAY",
    "DEN_NGAY",
    "MA_CSKCB",
]
LICENCE_COLUMNS = [
    "MACCHN",
    "HO_TEN",
    "NOICAP",
    "TRANG_THAI",
    "NGAY_HIEU_LUC",
    "NGAY_HET_HIEU_LUC",
    "PHAMVI_CM",
]
EQUIPMENT_COLUMNS = [
    "MA_MAY",
    "HINH_THUC",
    "NHA_CUNG_CAP",
    "HD_TU",
    "HD_DEN",
    "HET_VAT_TU",
]
MILESTONE_COLUMNS = ["MA_MAY", "MOC", "NGAY", "HINH_THUC", "SO_VAN_BAN", "GHI_CHU"]
MILESTONES_FILE = "machine_milestones.csv"
#: Truth of the lent analysers (one row per machine ever lent), from which the money
#: of each policy option can be worked out by hand from the claims.
LENT_TRUTH_FILE = "ground_truth_lent_machines.csv"
LENT_TRUTH_COLUMNS = (
    "MA_CSKCB",
    "MA_MAY",
    "scenario",
    "HD_TU",
    "HD_DEN",
    "HET_VAT_TU",
    "converted_on",
    "converted_to",
    "approved_on",
)
DEVICE_LOG_COLUMNS = ("MA_MAY", "STUDY_UID", "MA_LK", "STT", "START", "END")
GROUND_TRUTH_COLUMNS = ("ma_lk", "ma_cskcb", "table", "stt", "pattern", "detail")

_SUPPLIES = (
    (
        "N03.01.070",
        "N03",
        "Bơm tiêm nhựa 10ml",
        "BT10",
        "Hộp 100 cái",
        "Vinahankook",
        "Việt Nam",
        "Cái",
        "1050",
    ),
    (
        "N04.03.010",
        "N04",
        "Găng tay khám",
        "GT-M",
        "Hộp 50 đôi",
        "Vglove",
        "Việt Nam",
        "Đôi",
        "1800",
    ),
    (
        "N07.01.120",
        "N07",
        "Kìm sinh thiết dùng một lần",
        "FB-231D",
        "Hộp 20 cái",
        "Olympus",
        "Nhật Bản",
        "Cái",
        "650000",
    ),
)


#: The province's facility list with tiers (peer groups of the signals).
FACILITIES_FILE = "facilities.csv"
FACILITY_COLUMNS = ("MA_CSKCB", "TEN_CSKCB", "TIER")


def _ymd(day: date | None) -> str:
    return "" if day is None else day.strftime("%Y%m%d")


def _write_csv(
    path: Path, columns: list[str] | tuple[str, ...], rows: list[dict[str, str]]
) -> None:
    with path.open("w", encoding=CSV_ENCODING, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def write_reference(province: Province, root: Path) -> int:
    """Write one reference folder per facility; return the number of files written."""
    written = 0
    for facility in province.facilities:
        folder = root / facility.ma_cskcb
        folder.mkdir(parents=True, exist_ok=True)
        year = province.month_start.year
        files = {
            "M01.csv": (M01_COLUMNS, _m01(facility)),
            "M02.csv": (M02_COLUMNS, _m02(province, facility)),
            "M03.csv": (M03_COLUMNS, _m03(facility, year)),
            "M04.csv": (M04_COLUMNS, _m04(facility, year)),
            "M05.csv": (M05_COLUMNS, _m05(facility, year)),
            "M06.csv": (M06_COLUMNS, _m06(facility)),
            "licences.csv": (LICENCE_COLUMNS, _licences(province, facility)),
            "equipment_sources.csv": (EQUIPMENT_COLUMNS, _equipment(facility)),
            MILESTONES_FILE: (MILESTONE_COLUMNS, _milestones(facility)),
        }
        for name, (columns, rows) in files.items():
            _write_csv(folder / name, columns, rows)
            written += 1
    tiers = [
        {"MA_CSKCB": f.ma_cskcb, "TEN_CSKCB": f.name, "TIER": str(f.tier)}
        for f in province.facilities
    ]
    _write_csv(root / FACILITIES_FILE, FACILITY_COLUMNS, tiers)
    return written + 1


def _m01(facility: Facility) -> list[dict[str, str]]:
    rows = []
    exam_doctors = sum(
        len(facility.staff.get(r, []))
        for r in (Role.INTERNIST, Role.PEDIATRICIAN, Role.SURGEON, Role.OBGYN, Role.GP)
    )
    ldlk = sum(
        1
        for pool in facility.machines.values()
        for m in pool
        if m.form == "lien_doanh_lien_ket"
    )
    for i, code in enumerate(facility.departments, start=1):
        name, beds = DEPARTMENTS[code]
        bed_count = {"K02": 10, "K03": 60, "K18": 30, "K19": 40, "K27": 30}.get(code, 0)
        if facility.tier is Tier.DISTRICT:
            bed_count //= 2
        rows.append(
            {
                "STT": str(i),
                "MA_LOAI_KCB": "03" if beds else "01",
                "MA_KHOA": code,
                "TEN_KHOA": name,
                "BAN_KHAM": str(max(1, exam_doctors)) if code == "K01" else "0",
                "GIUONG_PD": str(bed_count),
                "GIUONG_2015": str(bed_count),
                "GIUONG_TK": "0",
                "GIUONG_HSTC": "4" if code == "K02" else "0",
                "GIUONG_HSCC": "6" if code == "K02" else "0",
                "LDLK": str(ldlk) if code == "K39" else "0",
                "TU_NGAY": "20200101",
                "MA_CSKCB": facility.ma_cskcb,
            }
        )
    return rows


def _registration(p: Practitioner, facility: Facility) -> tuple[str, str, str]:
    """Return (THOIGIAN_DK, THOIGIAN_NGAY, CSKCB_KHAC) of ``p`` at ``facility``."""
    others = ";".join(f for f in p.facilities if f != facility.ma_cskcb)
    if p.facilities[0] == facility.ma_cskcb:
        return "1", "8", others
    return "2", "4", others


def _m02(province: Province, facility: Facility) -> list[dict[str, str]]:
    rows = []
    for i, p in enumerate(facility.registered, start=1):
        dk, per_day, others = _registration(p, facility)
        department = ROLE_DEPARTMENT[p.role]
        title = ROLE_SCOPE[p.role][1]
        issued = p.licence[0][1]
        rows.append(
            {
                "STT": str(i),
                "MA_LOAI_KCB": "03" if DEPARTMENTS[department][1] else "01",
                "MA_KHOA": department,
                "TEN_KHOA": DEPARTMENTS[department][0],
                "MA_BHXH": p.bhxh,
                "HO_TEN": p.name,
                "GIOI_TINH": str(p.sex),
                "NGAY_SINH": _ymd(p.birth),
                "SO_CCCD": p.cccd,
                "CHUCDANH_NN": title,
                "VI_TRI": "Kỹ thuật viên" if "Kỹ thuật y" in title else "Bác sĩ",
                "MACCHN": p.macchn,
                "NGAYCAP_CCHN": _ymd(issued),
                "NOICAP_CCHN": "Bộ Y tế" if "/BYT-" in p.macchn else "Sở Y tế Tỉnh Mẫu",
                "PHAMVI_CM": p.scope,
                "THOIGIAN_DK": dk,
                "THOIGIAN_NGAY": per_day,
                "THOIGIAN_TUAN": str(int(per_day) * 5),
                "CSKCB_KHAC": others,
                "TU_NGAY": _ymd(max(issued, date(2020, 1, 1))),
                "MA_CSKCB": facility.ma_cskcb,
            }
        )
    _ = province
    return rows


def _m03(facility: Facility, year: int) -> list[dict[str, str]]:
    rows = []
    for i, drug in enumerate(sorted(DRUGS.values(), key=lambda d: d.code), start=1):
        rows.append(
            {
                "STT": str(i),
                "MA_THUOC": drug.code,
                "TEN_HOAT_CHAT": drug.active,
                "TEN_THUOC": drug.name,
                "DON_VI_TINH": drug.unit,
                "HAM_LUONG": drug.strength,
                "DUONG_DUNG": drug.route,
                "MA_DUONG_DUNG": drug.route_code,
                "DANG_BAO_CHE": drug.form,
                "SO_DANG_KY": drug.registration,
                "SO_LUONG": "10000",
                "DON_GIA": drug.price,
                "DON_GIA_BH": drug.price,
                "NHA_SX": drug.maker,
                "NUOC_SX": drug.country,
                "NHA_THAU": "Công ty CP Dược phẩm Trung ương",
                "TT_THAU": f"{facility.ma_cskcb}/QĐ-TTTH;G1;N4;{year - 1}",
                "TU_NGAY": f"{year - 1}0101",
                "MA_CSKCB": facility.ma_cskcb,
                "LOAI_THUOC": "1",
                "LOAI_THAU": "1",
                "HT_THAU": "1",
            }
        )
    return rows


def _m04(facility: Facility, year: int) -> list[dict[str, str]]:
    rows = []
    for i, (code, group, name, model, spec, maker, country, unit, price) in enumerate(
        _SUPPLIES, start=1
    ):
        rows.append(
            {
                "STT": str(i),
                "MA_VAT_TU": code,
                "NHOM_VAT_TU": group,
                "TEN_VAT_TU": name,
                "MA_HIEU": model,
                "QUY_CACH": spec,
                "HANG_SX": maker,
                "NUOC_SX": country,
                "DON_VI_TINH": unit,
                "DON_GIA": price,
                "DON_GIA_BH": price,
                "TYLE_TT_BH": "100",
                "SO_LUONG": "1000",
                "NHA_THAU": "Công ty TNHH Vật tư Y tế Miền Nam",
                "TT_THAU": f"{facility.ma_cskcb}/QĐ-TTTH;G2;N1;{year - 1}",
                "TU_NGAY": f"{year - 1}0101",
                "MA_CSKCB": facility.ma_cskcb,
                "LOAI_THAU": "1",
                "HT_THAU": "1",
            }
        )
    return rows


def _m05(facility: Facility, year: int) -> list[dict[str, str]]:
    return [
        {
            "STT": str(i),
            "MA_DICH_VU": item.code,
            "TEN_DICH_VU": item.name,
            "TEN_DVKT_GIA": item.price_name,
            "DON_GIA": str(item.price),
            "TU_NGAY": f"{year}0101",
            "MA_CSKCB": facility.ma_cskcb,
            "MA_GIA": item.ma_gia,
            "TEN_GIA": item.ten_gia,
            "GIA_TT_BHYT": str(item.price),
            "PHAN_LOAI_PTTT": item.phan_loai,
        }
        for i, item in enumerate(facility.catalogue.values(), start=1)
    ]


def declared_machines(facility: Facility) -> list[Machine]:
    """Return the machines the facility declares in M06, in a stable order."""
    machines = [m for pool in facility.machines.values() for m in pool]
    machines += [
        m for m in facility.odd_machines.values() if m.declared and m not in machines
    ]
    return sorted(machines, key=lambda m: m.ma_may)


def _m06(facility: Facility) -> list[dict[str, str]]:
    rows = []
    for i, m in enumerate(declared_machines(facility), start=1):
        contract = m.form in {"lien_doanh_lien_ket", "thue", "muon_nha_thau"}
        rows.append(
            {
                "STT": str(i),
                "TEN_TB": m.name,
                "KY_HIEU": m.model,
                "CONGTY_SX": m.maker,
                "NUOC_SX": m.country,
                "NAM_SX": str(m.year_made),
                "NAM_SD": str(m.year_used),
                "MA_MAY": m.ma_may,
                "SO_LUU_HANH": f"{m.year_made}/BYT-TB-CT",
                "HD_TU": _ymd(m.contract_from) if contract else "",
                "HD_DEN": _ymd(m.contract_to) if contract else "",
                "TU_NGAY": _ymd(m.valid_from),
                "DEN_NGAY": _ymd(m.valid_to),
                "MA_CSKCB": facility.ma_cskcb,
            }
        )
    return rows


def _licences(province: Province, facility: Facility) -> list[dict[str, str]]:
    rows = []
    for p in facility.registered:
        issuer = "Bộ Y tế" if "/BYT-" in p.macchn else "Sở Y tế Tỉnh Mẫu"
        for status, start, end in p.licence:
            rows.append(
                {
                    "MACCHN": p.macchn,
                    "HO_TEN": p.name,
                    "NOICAP": issuer,
                    "TRANG_THAI": status,
                    "NGAY_HIEU_LUC": _ymd(start),
                    "NGAY_HET_HIEU_LUC": _ymd(end),
                    "PHAMVI_CM": p.scope,
                }
            )
    _ = province
    return rows


def _equipment(facility: Facility) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for m in declared_machines(facility):
        rows.extend(
            {
                "MA_MAY": m.ma_may,
                "HINH_THUC": r.form,
                "NHA_CUNG_CAP": r.supplier,
                "HD_TU": _ymd(r.contract_from),
                "HD_DEN": _ymd(r.contract_to),
                "HET_VAT_TU": _ymd(r.het_vat_tu),
            }
            for r in m.earlier
        )
        rows.append(
            {
                "MA_MAY": m.ma_may,
                "HINH_THUC": m.form,
                "NHA_CUNG_CAP": m.supplier,
                "HD_TU": _ymd(m.contract_from),
                "HD_DEN": _ymd(m.contract_to),
                "HET_VAT_TU": _ymd(m.het_vat_tu),
            }
        )
    return rows


def _milestones(facility: Facility) -> list[dict[str, str]]:
    return [
        {
            "MA_MAY": m.ma_may,
            "MOC": s.moc,
            "NGAY": _ymd(s.ngay),
            "HINH_THUC": s.hinh_thuc,
            "SO_VAN_BAN": s.so_van_ban,
            "GHI_CHU": s.ghi_chu,
        }
        for m in declared_machines(facility)
        for s in m.milestones
    ]


def write_lent_truth(province: Province, path: Path) -> int:
    """Write one row per analyser ever lent by a reagent supplier; return the count.

    ``scenario`` is the machine's ``odd_machines`` key (``lent_ended``, ``lent``,
    ``lent_signed_after`` and ``LENT_SCENARIOS``); ``HD_TU``..``HD_DEN`` is the
    lent contract, ``converted_on`` the first day of the form it was converted to.
    """
    rows: list[dict[str, str]] = []
    for facility in province.facilities:
        for scenario, m in sorted(facility.odd_machines.items()):
            lent = [r for r in m.earlier if r.form == "muon_nha_thau"]
            if m.form != "muon_nha_thau" and not lent:
                continue
            approved = [s.ngay for s in m.milestones if s.moc == "phe_duyet"]
            contract_from = lent[-1].contract_from if lent else m.contract_from
            contract_to = lent[-1].contract_to if lent else m.contract_to
            het_vat_tu = lent[-1].het_vat_tu if lent else m.het_vat_tu
            rows.append(
                {
                    "MA_CSKCB": facility.ma_cskcb,
                    "MA_MAY": m.ma_may,
                    "scenario": scenario,
                    "HD_TU": _ymd(contract_from),
                    "HD_DEN": _ymd(contract_to),
                    "HET_VAT_TU": _ymd(het_vat_tu),
                    "converted_on": _ymd(m.contract_from) if lent else "",
                    "converted_to": m.form if lent else "",
                    "approved_on": _ymd(approved[0]) if approved else "",
                }
            )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(LENT_TRUTH_COLUMNS), lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


class DeviceLogs:
    """Per-machine CSV logs, buffered and appended in generation order."""

    def __init__(self, root: Path, *, flush_rows: int = 50_000) -> None:
        self.root = root
        self.flush_rows = flush_rows
        self._rows: dict[str, list[str]] = {}
        self._pending = 0
        self._started: set[str] = set()
        self.count = 0

    @staticmethod
    def file_name(ma_may: str) -> str:
        """Return the log file name of a machine (``Đ`` spelled ``D``)."""
        return ma_may.replace("Đ", "D").replace(";", "_").replace("/", "_") + ".csv"

    def add(
        self, ma_may: str, study_uid: str, *, ma_lk: str, stt: int, start: str, end: str
    ) -> None:
        """Queue one study."""
        self._rows.setdefault(ma_may, []).append(
            f"{ma_may},{study_uid},{ma_lk},{stt},{start},{end}\n"
        )
        self._pending += 1
        self.count += 1
        if self._pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Append the queued rows to their files."""
        self.root.mkdir(parents=True, exist_ok=True)
        for ma_may in sorted(self._rows):
            path = self.root / self.file_name(ma_may)
            with path.open("a", encoding="utf-8", newline="") as handle:
                if ma_may not in self._started:
                    handle.write(",".join(DEVICE_LOG_COLUMNS) + "\n")
                    self._started.add(ma_may)
                handle.writelines(self._rows[ma_may])
        self._rows.clear()
        self._pending = 0


def study_uid(seed: int, ma_lk: str, stt: int) -> str:
    """Return a stable DICOM UID (``2.25.<integer>``) for one study."""
    digest = hashlib.sha256(f"{seed}:{ma_lk}:{stt}".encode()).digest()
    return f"2.25.{int.from_bytes(digest[:15], 'big')}"


__all__ = [
    "CSV_ENCODING",
    "DEVICE_LOG_COLUMNS",
    "GROUND_TRUTH_COLUMNS",
    "LENT_TRUTH_COLUMNS",
    "LENT_TRUTH_FILE",
    "MILESTONES_FILE",
    "MILESTONE_COLUMNS",
    "DeviceLogs",
    "declared_machines",
    "study_uid",
    "write_lent_truth",
    "write_reference",
]
