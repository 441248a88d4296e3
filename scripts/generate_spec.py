"""Generate the table specs of the claim standard from the official appendix.

Reads ``src/giamdinh/standard/data/fields_qd130_qd4750.csv`` (one row per field of the
QĐ 130/QĐ-BYT appendix, with the QĐ 4750/QĐ-BYT amendment column) and writes
``src/giamdinh/standard/data/spec_qd4750.json``, which ``giamdinh.standard.spec`` loads.

What the generator does, in order:

1. Keeps the appendix order of every table (fields QĐ 4750 inserted, which have no
   STT in the appendix, stay where the appendix puts them) and numbers the fields 1..n
   in that order (``stt``); the appendix number is kept as ``appendix_stt``.
2. Applies the QĐ 4750 amendment column where it retypes a field ("Đổi kiểu dữ liệu
   thành chuỗi") or resizes it ("Tăng kích thước tối đa lên N").
3. Classifies each field's *kind* (string, integer, decimal, date ``yyyymmdd``,
   timestamp ``yyyymmddHHMM``) and whether it is a ``;``-separated list. The appendix
   text is not machine-readable for this, so the decisions are the reviewed tables
   below; the text is only used to *check* them: a field whose description mentions a
   date/time format or a ``;`` separator but that no table covers is reported as
   unclassified. Fields that copy a Bảng 1 field ("Sử dụng thông tin tại trường …")
   inherit its list flag.
4. Adds the root/list/record tags of each inner file (research note §3).

Usage::

    python scripts/generate_spec.py           # write the JSON, print the report
    python scripts/generate_spec.py --check   # exit 1 if the checked-in JSON is stale
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "giamdinh" / "standard" / "data"
SOURCE = DATA / "fields_qd130_qd4750.csv"
TARGET = DATA / "spec_qd4750.json"

# --- Tags of each inner file (research note §3; BHXH letter for QĐ 4750 §2.4/3.5). ---
# name -> (title, root tag, list tag, record tag, sent in a GIAMDINHHS envelope)
TAGS: dict[str, tuple[str, str, str | None, str | None, bool]] = {
    "XML0": (
        "Bảng check-in – trạng thái KCB",
        "CHI_TIEU_TRANG_THAI_KCB",
        "DSACH_TRANG_THAI_KCB",
        "TRANG_THAI_KCB",
        False,
    ),
    "XML1": ("Bảng 1 – chỉ tiêu tổng hợp KBCB", "TONG_HOP", None, None, True),
    "XML2": (
        "Bảng 2 – chi tiết thuốc",
        "CHITIEU_CHITIET_THUOC",
        "DSACH_CHI_TIET_THUOC",
        "CHI_TIET_THUOC",
        True,
    ),
    "XML3": (
        "Bảng 3 – chi tiết DVKT và VTYT",
        "CHITIEU_CHITIET_DVKT_VTYT",
        "DSACH_CHI_TIET_DVKT",
        "CHI_TIET_DVKT",
        True,
    ),
    "XML4": (
        "Bảng 4 – chi tiết dịch vụ cận lâm sàng",
        "CHITIEU_CHITIET_DICHVUCANLAMSANG",
        "DSACH_CHI_TIET_CLS",
        "CHI_TIET_CLS",
        True,
    ),
    "XML5": (
        "Bảng 5 – chi tiết diễn biến lâm sàng",
        "CHITIEU_CHITIET_DIENBIENLAMSANG",
        "DSACH_CHI_TIET_DIEN_BIEN_BENH",
        "CHI_TIET_DIEN_BIEN_BENH",
        True,
    ),
    "XML6": (
        "Bảng 6 – hồ sơ bệnh án chăm sóc và điều trị HIV/AIDS",
        "CHI_TIEU_HO_SO_BENH_AN_CHAM_SOC_VA_DIEU_TRI_HIV_AIDS",
        "DSACH_HO_SO_BENH_AN_CHAM_SOC_VA_DIEU_TRI_HIV_AIDS",
        "HO_SO_BENH_AN_CHAM_SOC_VA_DIEU_TRI_HIV_AIDS",
        True,
    ),
    "XML7": (
        "Bảng 7 – giấy ra viện",
        "CHI_TIEU_DU_LIEU_GIAY_RA_VIEN",
        None,
        None,
        True,
    ),
    "XML8": (
        "Bảng 8 – tóm tắt hồ sơ bệnh án",
        "CHI_TIEU_DU_LIEU_TOM_TAT_HO_SO_BENH_AN",
        None,
        None,
        True,
    ),
    "XML9": (
        "Bảng 9 – giấy chứng sinh",
        "CHI_TIEU_DU_LIEU_GIAY_CHUNG_SINH",
        "DSACH_GIAYCHUNGSINH",
        "DU_LIEU_GIAY_CHUNG_SINH",
        True,
    ),
    "XML10": (
        "Bảng 10 – giấy chứng nhận nghỉ dưỡng thai",
        "CHI_TIEU_DU_LIEU_GIAY_NGHI_DUONG_THAI",
        None,
        None,
        True,
    ),
    "XML11": (
        "Bảng 11 – giấy chứng nhận nghỉ việc hưởng BHXH",
        "CHI_TIEU_DU_LIEU_GIAY_CHUNG_NHAN_NGHI_VIEC_HUONG_BAO_HIEM_XA_HOI",
        None,
        None,
        True,
    ),
    # XML12 (giám định y khoa) is typed on the portal by assessment councils and is
    # never sent by a facility: no tags, documented only.
    "XML12": ("Bảng 12 – giám định y khoa (nhập trên Cổng)", "", None, None, False),
    "XML13": (
        "Bảng 13 – giấy chuyển tuyến",
        "CHI_TIEU_GIAYCHUYENTUYEN",
        None,
        None,
        True,
    ),
    "XML14": (
        "Bảng 14 – giấy hẹn khám lại",
        "CHI_TIEU_GIAYHEN_KHAMLAI",
        None,
        None,
        True,
    ),
    "XML15": (
        "Bảng 15 – điều trị bệnh lao",
        "CHI_TIEU_DIEUTRI_BENHLAO",
        "DSACH_CHITIET_DIEUTRI_BENHLAO",
        "CHITIET_DIEUTRI_BENHLAO",
        True,
    ),
}

# --- Reviewed classification tables. ``*`` means every table; a (table, field) entry
# overrides a field-wide one. Reviewed against the appendix text (research note §4). ---

# 12 characters yyyymmddHHMM.
TIMESTAMP: set[str] = {
    "NGAY_SINH",  # 12 chars since QĐ 130 (0000 for unknown hour/minute/day/month)
    "NGAY_VAO",
    "NGAY_VAO_NOI_TRU",
    "NGAY_RA",
    "NGAY_YL",
    "NGAY_TH_YL",
    "NGAY_KQ",
    "NGAY_TTOAN",
    "THOI_DIEM_DBLS",
    "THOIGIAN_DINHCHI",  # XML7: "gồm 12 ký tự … yyyymmddHHMM"
    "NGAY_SINH_CON",  # XML9: 12 chars
    "NGAY_HEN_KL",  # XML14: 12 chars
}
# 8 characters yyyymmdd.
DATE: set[str] = {
    "GT_THE_TU",
    "GT_THE_DEN",
    "NAM_NAM_LIEN_TUC",
    "NGAY_TAI_KHAM",
    "NGAY_CT",
    "TU_NGAY",
    "DEN_NGAY",
    "NGOAITRU_TUNGAY",
    "NGOAITRU_DENNGAY",
    "NGAY_SINHCON",
    "NGAY_CONCHET",
    "NGAYSINH_NND",
    "NGAYCAP_CCCD_NND",
    "NGAYKD_HIV",
    "BDDT_ARV",
    "NGAYBD_DTRI_LAO",
    "NGAYKT_DTRI_LAO",
    "NGAY_XN_TLVR",
    "NGAY_KQ_XN_TLVR",
    "NGAY_XN_PCR",
    "NGAY_KQ_XN_PCR",
    "NGAY_NHAN_TT_MANG_THAI",
    "NGAY_BAT_DAU_DT_CTX",
    "NGAY_BAT_DAU_XU_TRI",
    "NGAY_KET_THUC_XU_TRI",
    "NGAY_CHUYEN_PHAC_DO",
    "NGAY_HOP",
    "NGAY_CAP_CCCD",
    "NGAY_CHUNG_TU",
    "NGAY_DE_NGHI",
}
# Per-table exceptions to the two sets above.
KIND_OVERRIDES: dict[tuple[str, str], str] = {
    ("XML12", "NGAY_SINH"): "date",  # Bảng 12: "Chuỗi 8 … yyyymmdd"
}
# Fields whose text mentions a date format but that must stay strings, with the reason.
STRING_DESPITE_FORMAT: dict[str, str] = {
    "NGAY_MIEN_CCT": "8 chars (yyyymmdd) when a certificate exists, else 12 chars",
    "MA_DICH_VU": "service code XX.YYYY.ZZZZ; the text quotes year-like patterns",
    "MA_PTTT_QT": "ICD-9 CM codes; the text quotes decision dates",
    "MA_MAY": "machine code; the text shows a yyyyy placeholder for a serial",
    "TT_THAU": "tender reference; the text quotes the decision year",
}
# Decimal numbers: money, quantities, unit prices, rates and weights.
DECIMAL: set[str] = {
    "SO_LUONG",
    "DON_GIA",
    "DON_GIA_BV",
    "DON_GIA_BH",
    "THANH_TIEN_BV",
    "THANH_TIEN_BH",
    "T_THUOC",
    "T_VTYT",
    "T_TONGCHI_BV",
    "T_TONGCHI_BH",
    "T_BNTT",
    "T_BNCCT",
    "T_BHTT",
    "T_NGUONKHAC",
    "T_NGUONKHAC_NSNN",
    "T_NGUONKHAC_VTNN",
    "T_NGUONKHAC_VTTN",
    "T_NGUONKHAC_CL",
    "T_BHTT_GDV",
    "T_TRANTT",
    "TYLE_TT_BH",
    "TYLE_TT_DV",
    "MUC_HUONG",
    "TYLE_TTCT_CU",
    "TYLE_TTCT_MOI",
    "TONG_TYLE_TTCT",
    "CAN_NANG",  # kg with 2 decimals, "Chuỗi 6" in the appendix
    "CAN_NANG_CON",  # grams; a list in XML1 (one weight per child)
}
# Numbers in the appendix ("Số") that are identifiers: leading zeros and letters matter.
# QĐ 4750 retyped SO_CCCD to a string in XML0, XML1, XML6 and XML12 but not in XML15.
STRING_IDENTIFIERS: dict[str, str] = {
    "SO_CCCD": "identity/passport number; 4750 retyped it elsewhere, not in XML15",
}
# ``;``-separated multi-valued fields, per table (research note §4 and the appendix
# text "cách nhau bằng dấu chấm phẩy"). Fields of XML13/XML14 that copy a Bảng 1 field
# ("Sử dụng thông tin tại trường … trong Bảng 1") inherit its list flag.
LISTS: dict[str, set[str]] = {
    "XML1": {
        "MA_THE_BHYT",
        "MA_DKBD",
        "GT_THE_TU",
        "GT_THE_DEN",
        "MA_BENH_KT",
        "MA_BENH_YHCT",
        "MA_PTTT_QT",
        "MA_KHOA",
        "CAN_NANG_CON",
        "NGAY_TAI_KHAM",
    },
    "XML2": {"MA_PP_CHEBIEN", "MA_BAC_SI", "MA_DICH_VU"},
    "XML3": {"MA_PTTT_QT", "MA_GIUONG", "MA_BAC_SI", "NGUOI_THUC_HIEN", "MA_MAY"},
    "XML5": {"NGUOI_THUC_HIEN"},
    "XML6": {"MA_THE_BHYT", "MA_TINH_TRANG_DK", "MA_XU_TRI"},
    "XML11": {"MA_THE_BHYT"},
    "XML12": {"MA_DOI_TUONG", "DANG_HUONG_CHE_DO", "SO_VAN_BAN_CAN_CU"},
}
# Text mentions ";" but the field is one composite value, not a list.
NOT_LISTS: dict[str, str] = {
    "TT_THAU": "one tender reference whose parts are joined by ';' (fixed positions)",
}

RETYPE_TO_STRING = re.compile(r"Đổi kiểu dữ liệu thành chuỗi", re.IGNORECASE)
RESIZE = re.compile(r"Tăng kích thước tối đa lên\s+(\d+)", re.IGNORECASE)
INHERIT = re.compile(
    r"Sử dụng thông tin tại trường\s+([A-Z_]+)\s+trong Bảng\s+(\d+)", re.IGNORECASE
)
MENTIONS_TIMESTAMP = re.compile(r"yyyymmddhhmm|gồm 12 ký tự", re.IGNORECASE)
MENTIONS_DATE = re.compile(r"yyyymmdd(?!hh)|gồm 08 ký tự", re.IGNORECASE)
MENTIONS_LIST = re.compile(r"chấm phẩy")


def _base_kind(table: str, name: str, *, numeric: bool) -> str:
    """Return the kind from the reviewed tables (before list handling)."""
    override = KIND_OVERRIDES.get((table, name))
    if override is not None:
        return override
    if name in TIMESTAMP:
        return "timestamp"
    if name in DATE:
        return "date"
    if name in DECIMAL:
        return "decimal"
    return "integer" if numeric else "string"


def _type_and_length(
    table: str, row: dict[str, str], report: list[str]
) -> tuple[bool, int | None]:
    """Return (is a number, max length) after the QĐ 4750 amendment."""
    name = row["field"].strip()
    amendment = row["amend_qd4750"].strip()
    numeric = row["type_qd130"].strip() == "Số"
    if RETYPE_TO_STRING.search(amendment):
        numeric = False
    if numeric and name in STRING_IDENTIFIERS:
        report.append(f"{table}.{name}: 'Số' kept as string (identifier)")
        numeric = False
    raw_len = row["maxlen_qd130"].strip()
    max_length = int(raw_len) if raw_len.isdigit() else None
    resize = RESIZE.search(amendment)
    if resize is not None:
        max_length = int(resize.group(1))
    return numeric, max_length


def _check_text(
    table: str, field: dict[str, object], text: str, report: list[str]
) -> None:
    """Report fields whose text hints at a kind or list flag no table gave them."""
    name = str(field["name"])
    kind = field["kind"]
    if (
        kind not in {"timestamp", "date"}
        and name not in STRING_DESPITE_FORMAT
        and (MENTIONS_TIMESTAMP.search(text) or MENTIONS_DATE.search(text))
    ):
        report.append(f"UNCLASSIFIED {table}.{name}: text mentions a date/time format")
    if not field["is_list"] and name not in NOT_LISTS and MENTIONS_LIST.search(text):
        report.append(f"UNCLASSIFIED {table}.{name}: text mentions ';' lists")
    max_length = field["max_length"]
    if kind == "timestamp" and max_length not in (12, None):
        report.append(f"{table}.{name}: timestamp with max length {max_length}")
    if kind == "date" and not field["is_list"] and max_length not in (8, None):
        report.append(f"{table}.{name}: date with max length {max_length}")


def _field(
    table: str,
    position: int,
    row: dict[str, str],
    *,
    resolved: dict[tuple[str, str], tuple[str, bool]],
    report: list[str],
) -> dict[str, object]:
    """Classify one appendix row into a field of the spec."""
    name = row["field"].strip()
    amendment = row["amend_qd4750"].strip()
    description = row["desc_qd130"].strip()
    numeric, max_length = _type_and_length(table, row, report)
    kind = _base_kind(table, name, numeric=numeric)
    is_list = name in LISTS.get(table, set())
    inherit = INHERIT.search(description)
    if inherit is not None:
        source_key = (f"XML{inherit.group(2)}", inherit.group(1).upper())
        source_kind, source_list = resolved.get(source_key, (kind, is_list))
        is_list = is_list or source_list
        if source_kind != kind and (table, name) not in KIND_OVERRIDES:
            report.append(
                f"{table}.{name}: kind {kind} differs from {source_key[0]}."
                f"{source_key[1]} ({source_kind}) it copies; kept {kind}"
            )
    resolved[(table, name)] = (kind, is_list)
    appendix_stt = row["stt"].strip()
    field: dict[str, object] = {
        "name": name,
        "stt": position,
        "appendix_stt": int(appendix_stt) if appendix_stt else None,
        "kind": kind,
        "max_length": max_length,
        "is_list": is_list,
        "type_qd130": row["type_qd130"].strip(),
        "maxlen_qd130": row["maxlen_qd130"].strip(),
        "description": description,
        "amendment": amendment,
    }
    if inherit is None:
        _check_text(table, field, f"{description} {amendment}", report)
    return field


def build() -> tuple[dict[str, object], list[str]]:
    """Build the spec document and the review report from the appendix CSV."""
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_table: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_table.setdefault(row["table"], []).append(row)
    report: list[str] = []
    unknown = sorted(set(by_table) - set(TAGS))
    if unknown:
        report.append(f"tables in the appendix without tags: {unknown}")
    resolved: dict[tuple[str, str], tuple[str, bool]] = {}
    tables: list[dict[str, object]] = []
    for table in sorted(TAGS, key=lambda t: int(t.removeprefix("XML"))):
        title, root, list_tag, record_tag, sent = TAGS[table]
        fields = [
            _field(table, position, row, resolved=resolved, report=report)
            for position, row in enumerate(by_table.get(table, []), start=1)
        ]
        names = {f["name"] for f in fields}
        report.extend(
            f"{table}.{listed}: in LISTS but not in the appendix"
            for listed in sorted(LISTS.get(table, set()) - names)
        )
        tables.append(
            {
                "name": table,
                "title": title,
                "root_tag": root or None,
                "list_tag": list_tag,
                "record_tag": record_tag,
                "sent_in_envelope": sent,
                "fields": fields,
            }
        )
    spec: dict[str, object] = {
        "standard": "QĐ 130/QĐ-BYT (2023) as amended by QĐ 4750/QĐ-BYT (29/12/2023)",
        "generated_by": "scripts/generate_spec.py",
        "source": "fields_qd130_qd4750.csv",
        "tables": tables,
    }
    return spec, report


def render(spec: dict[str, object]) -> str:
    """Return the JSON text exactly as it is checked in."""
    return json.dumps(spec, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or check) the generated spec and print the review report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the checked-in JSON is stale"
    )
    args = parser.parse_args(argv)
    spec, report = build()
    text = render(spec)
    for line in report:
        print(line, file=sys.stderr)
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(
                f"{TARGET.name} is stale: run scripts/generate_spec.py", file=sys.stderr
            )
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    tables: list[dict[str, list[object]]] = spec["tables"]  # type: ignore[assignment]
    counts = {t["name"]: len(t["fields"]) for t in tables}
    print(f"wrote {TARGET.relative_to(ROOT)}: {counts}")
    print(f"{sum(1 for r in report if r.startswith('UNCLASSIFIED'))} unclassified")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
