"""Excel in and out: the draft template hospitals fill in, and the exports.

The draft workbook has three sheets (column codes in row 1, data from row 2):

* ``ThongTin`` (general): ``TRUONG`` (field code) | ``GIA_TRI`` (value) | ``MO_TA``;
  fields ``MA_KY_THUAT``, ``TEN_KY_THUAT``, ``MA_BENH_VIEN``, ``TEN_BENH_VIEN``,
  ``SAN_LUONG_NAM``, ``PHIEN_BAN_QTKT``, ``PHUONG_PHAP``, ``KY_TU_NGAY``,
  ``KY_DEN_NGAY``, ``GHI_CHU``.
* ``DinhMuc`` (the bill of resources): one line per row, columns
  :data:`LINE_COLUMNS`.
* ``BangChung`` (evidence documents): ``STT``, ``LOAI``, ``TEN``, ``THAM_CHIEU``,
  ``GHI_CHU``.

Reading validates every row and returns :class:`~giamdinh.domain.Finding` objects
whose location names the file, the sheet (``table``), the row (``stt``, the Excel row
number) and the column (``field``); a workbook with an error is not imported.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from giamdinh.domain import Finding, Location, Severity
from giamdinh.norms.model import DraftSpec, Evidence, LineCategory, NormLineSpec

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from openpyxl.worksheet.worksheet import Worksheet

    from giamdinh.norms.consolidate import Consolidation, VolumeBand
    from giamdinh.norms.cost import CostBreakdown
    from giamdinh.norms.progress import ProgressReport

SHEET_INFO = "ThongTin"
SHEET_LINES = "DinhMuc"
SHEET_EVIDENCE = "BangChung"
SHEET_HELP = "HuongDan"

INFO_FIELDS: tuple[tuple[str, str], ...] = (
    ("MA_KY_THUAT", "Mã kỹ thuật XX.YYYY hoặc mã dịch vụ XX.YYYY.ZZZZ (bắt buộc)"),
    ("TEN_KY_THUAT", "Tên kỹ thuật"),
    ("MA_BENH_VIEN", "Mã bệnh viện trong chương trình (bắt buộc)"),
    ("TEN_BENH_VIEN", "Tên bệnh viện"),
    ("SAN_LUONG_NAM", "Số lần thực hiện kỹ thuật trong năm tham chiếu"),
    ("PHIEN_BAN_QTKT", "Quy trình kỹ thuật áp dụng (quyết định, phiên bản)"),
    ("PHUONG_PHAP", "Phương pháp xác định: micro-costing, TDABC, chuyên gia"),
    ("KY_TU_NGAY", "Kỳ tham chiếu từ ngày (yyyy-mm-dd)"),
    ("KY_DEN_NGAY", "Kỳ tham chiếu đến ngày (yyyy-mm-dd)"),
    ("GHI_CHU", "Ghi chú"),
)

# column code, line attribute, description
LINE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("STT", "line_no", "Số thứ tự dòng (bắt buộc, không trùng)"),
    ("NHOM", "category", "Nhóm: " + ", ".join(c.value for c in LineCategory)),
    ("MA", "resource_code", "Mã chức danh / thuốc / vật tư / thiết bị / loại chi phí"),
    ("TEN", "resource_name", "Tên"),
    ("DON_VI", "unit", "Đơn vị tính"),
    ("SO_LUONG", "quantity", "Số lượng cho một lần dịch vụ"),
    ("SO_NGUOI", "persons", "Nhân lực: số người"),
    ("SO_PHUT", "minutes", "Nhân lực, thiết bị: số phút cho một lần dịch vụ"),
    ("DON_GIA", "unit_price", "Đơn giá bệnh viện kê khai (đồng)"),
    ("GIA_TRI_MUA", "purchase_value", "Thiết bị: nguyên giá (đồng)"),
    ("NAM_SU_DUNG", "useful_life_years", "Thiết bị: số năm sử dụng"),
    ("PHUT_NAM", "minutes_per_year", "Thiết bị: số phút hoạt động trong năm"),
    ("TY_LE_SU_DUNG", "utilisation", "Thiết bị: công suất sử dụng (0-1)"),
    ("TY_LE_BAO_DUONG", "maintenance_rate", "Thiết bị: chi phí bảo dưỡng/năm (0-1)"),
    ("KET_CAU_GIA", "included_in_price", "1 = kết cấu trong giá, 0 = thanh toán riêng"),
    ("GHI_CHU", "note", "Ghi chú"),
)
DECIMAL_COLUMNS = frozenset(
    {
        "SO_LUONG",
        "SO_NGUOI",
        "SO_PHUT",
        "DON_GIA",
        "GIA_TRI_MUA",
        "NAM_SU_DUNG",
        "PHUT_NAM",
        "TY_LE_SU_DUNG",
        "TY_LE_BAO_DUONG",
    }
)
EVIDENCE_COLUMNS = ("STT", "LOAI", "TEN", "THAM_CHIEU", "GHI_CHU")
TECHNIQUE_CODE = re.compile(r"^\d{2}\.\d{4}(\.\d{4})?$")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


# --- writing ------------------------------------------------------------------------


def _header(sheet: Worksheet, names: Sequence[str]) -> None:
    sheet.append(list(names))
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    sheet.freeze_panes = "A2"


def _cell(value: object) -> Any:
    if isinstance(value, LineCategory):
        return value.value
    if isinstance(value, bool):
        return 1 if value else 0
    return value


def write_draft_workbook(path: Path, draft: DraftSpec | None = None) -> Path:
    """Write the draft template; filled with ``draft`` when given (blank otherwise).

    Args:
        path: Where to write the ``.xlsx``.
        draft: A draft to pre-fill (export of a stored draft, or a starting point).
    """
    book = Workbook()
    info = book.active
    assert info is not None  # noqa: S101 - a new workbook always has a sheet
    info.title = SHEET_INFO
    _header(info, ("TRUONG", "GIA_TRI", "MO_TA"))
    values: dict[str, object] = {}
    if draft is not None:
        values = {
            "MA_KY_THUAT": draft.technique_code,
            "TEN_KY_THUAT": draft.technique_name,
            "MA_BENH_VIEN": draft.hospital_code,
            "TEN_BENH_VIEN": draft.hospital_name,
            "SAN_LUONG_NAM": draft.annual_volume,
            "PHIEN_BAN_QTKT": draft.guidance_version,
            "PHUONG_PHAP": draft.method,
            "KY_TU_NGAY": draft.period_from.isoformat() if draft.period_from else None,
            "KY_DEN_NGAY": draft.period_to.isoformat() if draft.period_to else None,
            "GHI_CHU": draft.note,
        }
    for code, description in INFO_FIELDS:
        info.append([code, values.get(code), description])
    info.column_dimensions["A"].width = 18
    info.column_dimensions["B"].width = 40
    info.column_dimensions["C"].width = 60

    lines = book.create_sheet(SHEET_LINES)
    _header(lines, [code for code, _attr, _desc in LINE_COLUMNS])
    for line in draft.lines if draft is not None else ():
        lines.append([_cell(getattr(line, attr)) for _code, attr, _d in LINE_COLUMNS])
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(c.value for c in LineCategory) + '"',
        allow_blank=True,
    )
    validation.add("B2:B2000")
    lines.add_data_validation(validation)

    evidence = book.create_sheet(SHEET_EVIDENCE)
    _header(evidence, EVIDENCE_COLUMNS)
    for number, item in enumerate(draft.evidence if draft else (), start=1):
        evidence.append([number, item.kind, item.title, item.reference, item.note])

    help_sheet = book.create_sheet(SHEET_HELP)
    _header(help_sheet, ("COT", "MO_TA"))
    for code, _attr, description in LINE_COLUMNS:
        help_sheet.append([code, description])
    help_sheet.append(["", ""])
    help_sheet.append(
        ["BangChung.LOAI", "time_study, issue_records, invoices, machine_log, expert"]
    )
    help_sheet.column_dimensions["B"].width = 90
    book.save(path)
    return path


# --- reading ------------------------------------------------------------------------


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Finding] = []

    def add(
        self,
        code: str,
        *,
        sheet: str,
        row: int | None,
        column: str | None,
        vi: str,
        en: str,
        severity: Severity = Severity.REFUSE,
        value: object = None,
    ) -> None:
        self.items.append(
            Finding(
                code=code,
                severity=severity,
                message=vi,
                message_en=en,
                location=Location(file=self.file, table=sheet, stt=row, field=column),
                evidence={} if value is None else {"value": str(value)},
            )
        )

    def blocking(self) -> bool:
        return any(f.severity is Severity.REFUSE for f in self.items)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _decimal(
    value: object, problems: _Problems, *, sheet: str, row: int, column: str
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        else:
            number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        problems.add(
            "NM121", sheet=sheet, row=row, column=column, value=value,
            vi=f"Giá trị '{value}' không phải là số",
            en=f"value '{value}' is not a number",
        )  # fmt: skip
        return None
    if not number.is_finite() or number < 0:
        problems.add(
            "NM121", sheet=sheet, row=row, column=column, value=value,
            vi=f"Giá trị '{value}' phải là số không âm",
            en=f"value '{value}' must be a non-negative number",
        )  # fmt: skip
        return None
    return number.normalize() if number == number.to_integral_value() else number


def _date(value: object, problems: _Problems, *, row: int) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(
            "NM121", sheet=SHEET_INFO, row=row, column="GIA_TRI", value=value,
            vi=f"Ngày '{value}' không đúng định dạng yyyy-mm-dd",
            en=f"date '{value}' is not yyyy-mm-dd",
        )  # fmt: skip
        return None


def _header_map(
    sheet: Worksheet, expected: Sequence[str], problems: _Problems
) -> dict[str, int]:
    first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found = {str(v).strip().upper(): i for i, v in enumerate(first) if v is not None}
    for name in expected:
        if name not in found:
            problems.add(
                "NM102", sheet=sheet.title, row=1, column=name,
                vi=f"Thiếu cột {name} ở dòng tiêu đề",
                en=f"column {name} is missing from the header row",
            )  # fmt: skip
    return found


def _read_info(sheet: Worksheet, problems: _Problems) -> dict[str, tuple[object, int]]:
    info: dict[str, tuple[object, int]] = {}
    for row_number, row in enumerate(
        sheet.iter_rows(min_row=2, values_only=True), start=2
    ):
        if not row or row[0] is None:
            continue
        key = str(row[0]).strip().upper()
        info[key] = (row[1] if len(row) > 1 else None, row_number)
    for key in ("MA_KY_THUAT", "MA_BENH_VIEN"):
        value, row_number = info.get(key, (None, None))  # type: ignore[assignment]
        if _text(value) is None:
            problems.add(
                "NM110", sheet=SHEET_INFO, row=row_number, column="GIA_TRI",
                vi=f"Thiếu {key} (bắt buộc)", en=f"{key} is required",
            )  # fmt: skip
    code, row_number = info.get("MA_KY_THUAT", (None, 0))
    text = _text(code)
    if text is not None and not TECHNIQUE_CODE.match(text):
        problems.add(
            "NM111", sheet=SHEET_INFO, row=row_number, column="GIA_TRI", value=text,
            vi=f"Mã kỹ thuật '{text}' phải có dạng XX.YYYY hoặc XX.YYYY.ZZZZ",
            en=f"technique code '{text}' must be XX.YYYY or XX.YYYY.ZZZZ",
        )  # fmt: skip
    return info


def _check_line(line: NormLineSpec, row: int, problems: _Problems) -> None:
    def need(
        column: str, value: Decimal | str | None, what_vi: str, what_en: str
    ) -> None:
        if value is None or (isinstance(value, Decimal) and value <= 0):
            problems.add(
                "NM122", sheet=SHEET_LINES, row=row, column=column,
                vi=f"Dòng nhóm {line.category.value} cần {what_vi} lớn hơn 0",
                en=f"a {line.category.value} line needs {what_en} greater than 0",
            )  # fmt: skip

    if line.category is LineCategory.LABOUR:
        need("SO_PHUT", line.minutes, "số phút", "minutes")
        need("SO_NGUOI", line.persons, "số người", "persons")
    elif line.category is LineCategory.EQUIPMENT:
        need("SO_PHUT", line.minutes, "số phút sử dụng máy", "machine minutes")
        need("GIA_TRI_MUA", line.purchase_value, "nguyên giá", "a purchase value")
        need("NAM_SU_DUNG", line.useful_life_years, "số năm sử dụng", "a useful life")
        need(
            "PHUT_NAM",
            line.minutes_per_year,
            "số phút hoạt động/năm",
            "minutes per year",
        )
        need("TY_LE_SU_DUNG", line.utilisation, "công suất sử dụng", "a utilisation")
        for column, value in (
            ("TY_LE_SU_DUNG", line.utilisation),
            ("TY_LE_BAO_DUONG", line.maintenance_rate),
        ):
            if value is not None and value > 1:
                problems.add(
                    "NM123", sheet=SHEET_LINES, row=row, column=column, value=value,
                    vi=f"{column} là tỷ lệ từ 0 đến 1, nhận được {value}",
                    en=f"{column} is a share between 0 and 1, got {value}",
                )  # fmt: skip
    else:
        need("SO_LUONG", line.quantity, "số lượng", "a quantity")
        need("DON_VI", line.unit, "đơn vị tính", "a unit")


def _read_lines(sheet: Worksheet, problems: _Problems) -> list[NormLineSpec]:
    columns = _header_map(sheet, [c for c, _a, _d in LINE_COLUMNS], problems)
    if any(c not in columns for c in ("STT", "NHOM", "MA")):
        return []
    lines: list[NormLineSpec] = []
    seen: dict[int, int] = {}
    for row_number, row in enumerate(
        sheet.iter_rows(min_row=2, values_only=True), start=2
    ):

        def get(code: str, row: tuple[object, ...] = row) -> object:
            index = columns.get(code)
            return row[index] if index is not None and index < len(row) else None

        if all(v is None or str(v).strip() == "" for v in row):
            continue
        before = len(problems.items)
        line_no = _decimal(
            get("STT"), problems, sheet=SHEET_LINES, row=row_number, column="STT"
        )
        if line_no is None or line_no != line_no.to_integral_value():
            problems.add(
                "NM110", sheet=SHEET_LINES, row=row_number, column="STT",
                vi="STT phải là số nguyên", en="STT must be a whole number",
            )  # fmt: skip
        elif int(line_no) in seen:
            problems.add(
                "NM124", sheet=SHEET_LINES, row=row_number, column="STT", value=line_no,
                vi=f"STT {line_no} trùng với dòng {seen[int(line_no)]}",
                en=f"STT {line_no} repeats row {seen[int(line_no)]}",
            )  # fmt: skip
        else:
            seen[int(line_no)] = row_number
        category_text = (_text(get("NHOM")) or "").lower()
        try:
            category = LineCategory(category_text)
        except ValueError:
            problems.add(
                "NM120", sheet=SHEET_LINES, row=row_number, column="NHOM",
                value=category_text,
                vi=f"Nhóm '{category_text}' không hợp lệ; dùng một trong: "
                + ", ".join(c.value for c in LineCategory),
                en=f"category '{category_text}' is not one of: "
                + ", ".join(c.value for c in LineCategory),
            )  # fmt: skip
            continue
        code = _text(get("MA"))
        if code is None:
            problems.add(
                "NM110", sheet=SHEET_LINES, row=row_number, column="MA",
                vi="Thiếu mã (MA)", en="the resource code (MA) is required",
            )  # fmt: skip
            continue
        numbers = {
            column: _decimal(
                get(column), problems, sheet=SHEET_LINES, row=row_number, column=column
            )
            for column in DECIMAL_COLUMNS
        }
        included = _text(get("KET_CAU_GIA"))
        line = NormLineSpec(
            line_no=int(line_no) if line_no is not None else 0,
            category=category,
            resource_code=code,
            resource_name=_text(get("TEN")),
            unit=_text(get("DON_VI")),
            quantity=numbers["SO_LUONG"],
            persons=numbers["SO_NGUOI"],
            minutes=numbers["SO_PHUT"],
            unit_price=numbers["DON_GIA"],
            purchase_value=numbers["GIA_TRI_MUA"],
            useful_life_years=numbers["NAM_SU_DUNG"],
            minutes_per_year=numbers["PHUT_NAM"],
            utilisation=numbers["TY_LE_SU_DUNG"],
            maintenance_rate=numbers["TY_LE_BAO_DUONG"],
            included_in_price=included not in {"0", "false", "khong", "không"},
            note=_text(get("GHI_CHU")),
        )
        _check_line(line, row_number, problems)
        if len(problems.items) == before:
            lines.append(line)
    return lines


def _read_evidence(sheet: Worksheet, problems: _Problems) -> list[Evidence]:
    columns = _header_map(sheet, EVIDENCE_COLUMNS, problems)
    items: list[Evidence] = []
    for row_number, row in enumerate(
        sheet.iter_rows(min_row=2, values_only=True), start=2
    ):
        values = {
            c: _text(row[i]) if i < len(row) else None for c, i in columns.items()
        }
        if not any(values.values()):
            continue
        if values.get("LOAI") is None or values.get("TEN") is None:
            problems.add(
                "NM110", sheet=SHEET_EVIDENCE, row=row_number, column="TEN",
                vi="Bằng chứng cần LOAI và TEN", en="evidence needs LOAI and TEN",
            )  # fmt: skip
            continue
        items.append(
            Evidence(
                kind=values["LOAI"] or "",
                title=values["TEN"] or "",
                reference=values.get("THAM_CHIEU"),
                note=values.get("GHI_CHU"),
            )
        )
    return items


def read_draft_workbook(path: Path) -> tuple[DraftSpec | None, list[Finding]]:
    """Read and validate a filled draft workbook.

    Returns:
        The draft (``None`` when any error blocks the import) and every finding:
        errors (``refuse``) and warnings (``review``, e.g. no evidence attached).
    """
    problems = _Problems(str(path))
    try:
        book = load_workbook(path, data_only=True, read_only=False)
    except Exception as exc:
        problems.add(
            "NM100", sheet="", row=None, column=None,
            vi=f"Không đọc được tệp Excel: {exc}",
            en=f"cannot read the workbook: {exc}",
        )  # fmt: skip
        return None, problems.items
    for name in (SHEET_INFO, SHEET_LINES):
        if name not in book.sheetnames:
            problems.add(
                "NM101", sheet=name, row=None, column=None,
                vi=f"Thiếu trang tính {name}", en=f"sheet {name} is missing",
            )  # fmt: skip
    if problems.blocking():
        return None, problems.items
    info = _read_info(book[SHEET_INFO], problems)
    lines = _read_lines(book[SHEET_LINES], problems)
    evidence = (
        _read_evidence(book[SHEET_EVIDENCE], problems)
        if SHEET_EVIDENCE in book.sheetnames
        else []
    )
    if not lines and not problems.blocking():
        problems.add(
            "NM130", sheet=SHEET_LINES, row=None, column=None,
            vi="Dự thảo không có dòng định mức nào", en="the draft has no lines",
        )  # fmt: skip
    if not evidence:
        problems.add(
            "NM131", sheet=SHEET_EVIDENCE, row=None, column=None,
            severity=Severity.REVIEW,
            vi="Chưa có bằng chứng về nguồn lực tiêu hao (tiêu chí đủ điều kiện)",
            en="no evidence of the resources consumed (a qualification criterion)",
        )  # fmt: skip
    volume_value, volume_row = info.get("SAN_LUONG_NAM", (None, 0))
    volume = _decimal(
        volume_value, problems, sheet=SHEET_INFO, row=volume_row, column="GIA_TRI"
    )
    period_from = _date(
        info.get("KY_TU_NGAY", (None, 0))[0],
        problems,
        row=info.get("KY_TU_NGAY", (None, 0))[1],
    )
    period_to = _date(
        info.get("KY_DEN_NGAY", (None, 0))[0],
        problems,
        row=info.get("KY_DEN_NGAY", (None, 0))[1],
    )
    if problems.blocking():
        return None, problems.items

    def field(key: str) -> str | None:
        return _text(info.get(key, (None, 0))[0])

    draft = DraftSpec(
        technique_code=field("MA_KY_THUAT") or "",
        technique_name=field("TEN_KY_THUAT"),
        hospital_code=field("MA_BENH_VIEN") or "",
        hospital_name=field("TEN_BENH_VIEN"),
        annual_volume=volume,
        guidance_version=field("PHIEN_BAN_QTKT"),
        method=field("PHUONG_PHAP"),
        period_from=period_from,
        period_to=period_to,
        note=field("GHI_CHU"),
        lines=tuple(sorted(lines, key=lambda line: line.line_no)),
        evidence=tuple(evidence),
    )  # fmt: skip
    return draft, problems.items


# --- exports ------------------------------------------------------------------------


def write_consolidation_workbook(
    path: Path,
    consolidation: Consolidation,
    *,
    cost: CostBreakdown | None = None,
    bands: Sequence[VolumeBand] = (),
) -> Path:
    """Export a consolidated norm: national lines, side-by-side drafts, cost, bands."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has a sheet
    sheet.title = "DinhMucQuocGia"
    _header(
        sheet,
        ("STT", "NHOM", "MA", "TEN", "DON_VI", "GIA_TRI", "SO_NGUOI", "PHUONG_PHAP",
         "N", "N_DU_THAO", "MIN", "P25", "TRUNG_VI", "P75", "MAX", "NGOAI_LAI",
         "CO_DIEU_KIEN", "GIA_TRI_TINH", "DIEU_CHINH", "LY_DO", "NGUOI_DIEU_CHINH",
         "GHI_CHU"),
    )  # fmt: skip
    for number, line in enumerate(consolidation.lines, start=1):
        s = line.stats
        sheet.append(
            [number, s.category.value, s.resource_code, s.resource_name, s.unit,
             line.value, line.persons, line.method.value, s.n, s.n_drafts, s.minimum,
             s.p25, s.median, s.p75, s.maximum, ", ".join(s.outliers),
             1 if s.conditional else 0, line.computed,
             line.override.value if line.override else None,
             line.override.reason if line.override else None,
             line.override.by if line.override else None, line.note]
        )  # fmt: skip
    compare_sheet = book.create_sheet("SoSanh")
    hospitals = list(consolidation.hospitals)
    _header(compare_sheet, ["NHOM", "MA", "TEN", "DON_VI", *hospitals, "TRUNG_VI"])
    for line in consolidation.lines:
        s = line.stats
        compare_sheet.append(
            [s.category.value, s.resource_code, s.resource_name, s.unit,
             *[s.values.get(h) for h in hospitals], s.median]
        )  # fmt: skip
        for index, hospital in enumerate(hospitals, start=5):
            if hospital in s.outliers:
                compare_sheet.cell(
                    row=compare_sheet.max_row, column=index
                ).fill = PatternFill("solid", fgColor="F8CBAD")
    if cost is not None:
        cost_sheet = book.create_sheet("ChiPhi")
        _header(cost_sheet, ("THANH_PHAN", "TEN", "SO_TIEN"))
        for component, value in cost.components.items():
            cost_sheet.append([component.value, component.label_vi, value])
        cost_sheet.append(["unit_cost", "Tổng chi phí một lần dịch vụ", cost.unit_cost])
        cost_sheet.append(["variable", "Phần biến đổi", cost.variable])
        cost_sheet.append(["fixed", "Phần cố định", cost.fixed])
        cost_sheet.append(["excluded", "Ngoài kết cấu giá", cost.excluded_from_price])
        cost_sheet.append(["price_book", "Bảng giá", cost.price_book])
    if bands:
        band_sheet = book.create_sheet("BacSanLuong")
        _header(
            band_sheet, ("TU", "DEN", "SAN_LUONG_DAI_DIEN", "CHI_PHI", "PHAN_CO_DINH")
        )
        for band in bands:
            band_sheet.append(
                [band.low, band.high, band.representative, band.unit_cost, band.fixed]
            )
    book.save(path)
    return path


def write_progress_workbook(path: Path, report: ProgressReport) -> Path:
    """Export the progress report: by hospital, by chapter, overdue items."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook always has a sheet
    sheet.title = "TheoBenhVien"
    columns = ("MA", "TEN", "DA_GIAO", "DU_DIEU_KIEN", "DA_GUI_DU_THAO",
               "KHONG_DU_DK", "QUA_HAN", "DU_THAO_PHOI_HOP")  # fmt: skip
    for title, rows in (
        ("TheoBenhVien", report.by_hospital),
        ("TheoChuong", report.by_chapter),
    ):
        target = sheet if title == "TheoBenhVien" else book.create_sheet(title)
        _header(target, columns)
        for row in (*rows, report.total):
            target.append(
                [row.key, row.name, row.assigned, row.qualified, row.drafts_sent,
                 sum(row.not_qualified.values()), row.overdue, row.participating_drafts]
            )  # fmt: skip
    overdue = book.create_sheet("QuaHan")
    _header(
        overdue,
        (
            "MA_KY_THUAT",
            "TEN_KY_THUAT",
            "MA_BENH_VIEN",
            "TRANG_THAI",
            "HAN",
            "SO_NGAY_QUA_HAN",
        ),
    )
    for item in report.overdue:
        overdue.append(
            [item.technique_code, item.technique_name, item.hospital_code,
             item.state.value, item.deadline, item.days_overdue]
        )  # fmt: skip
    meta = book.create_sheet("ThongTin")
    meta.append(["NGAY_BAO_CAO", report.as_of])
    meta.append(["TOM_TAT", report.headline()])
    book.save(path)
    return path
