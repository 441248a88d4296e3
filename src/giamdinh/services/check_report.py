"""The check workbook (``giamdinh check --format xlsx``): what a BHYT office works in.

Four sheets, each a filterable table with a frozen header:

- ``Hồ sơ`` (claims): one row per claim with its file, the portal's verdict and
  the money claimed / payable / refused / adjusted / under review;
- ``Phát hiện`` (findings): one row per finding on a line, with the rule, the
  legal basis, the refusal code, the amount and the message in Vietnamese;
- ``Lỗi tiếp nhận`` (reception): every reader and portal problem, in the
  portal's terms (code, table, field, the value as written);
- ``Chưa kiểm tra`` (not checked): each rule that could not run on a claim, and why.

Codes are written as text cells (a leading zero survives, Excel does not turn
``01929`` into 1929) and money as numbers in đồng with a thousands format.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from openpyxl.worksheet.worksheet import Worksheet

    from giamdinh.services.check_model import CheckOutput, ProblemOut

MONEY_FORMAT = "#,##0"
TEXT_FORMAT = "@"
SHEETS = ("Hồ sơ", "Phát hiện", "Lỗi tiếp nhận", "Chưa kiểm tra")

_RECEPTION = {"accepted": "Tiếp nhận", "rejected": "Cổng từ chối"}
_MONEY_STATE = {"assessed": "", "not_assessable": "Không xác định (số liệu lỗi)"}
_SEVERITY = {
    "refuse": "Từ chối",
    "adjust": "Điều chỉnh",
    "review": "Giám định chung",
    "info": "Thông tin",
}

# (header, kind) per column: kind "text" (a code, kept as text), "money", "int".
_CLAIMS = (
    ("MA_LK", "text"),
    ("MA_CSKCB", "text"),
    ("Tệp", "text"),
    ("Tiếp nhận", "text"),
    ("Số tiền", "text"),
    ("Đề nghị", "money"),
    ("Chấp nhận", "money"),
    ("Từ chối", "money"),
    ("Điều chỉnh", "money"),
    ("Chờ giám định", "money"),
    ("Số phát hiện", "int"),
    ("Lỗi tiếp nhận", "int"),
    ("Chưa kiểm tra", "int"),
)
_FINDINGS = (
    ("MA_LK", "text"),
    ("MA_CSKCB", "text"),
    ("Bảng", "text"),
    ("STT", "int"),
    ("Mã DV/thuốc/VTYT", "text"),
    ("Quy tắc", "text"),
    ("Phiên bản", "int"),
    ("Mức", "text"),
    ("Mã lý do", "text"),
    ("Số tiền", "money"),
    ("Nội dung", "text"),
    ("Căn cứ", "text"),
    ("Message (English)", "text"),
)
_PROBLEMS = (
    ("Tệp", "text"),
    ("MA_LK", "text"),
    ("Mã lỗi", "text"),
    ("Mức", "text"),
    ("Bảng", "text"),
    ("STT", "int"),
    ("Trường", "text"),
    ("Giá trị", "text"),
    ("Nội dung", "text"),
    ("Message (English)", "text"),
)
_GAPS = (
    ("MA_LK", "text"),
    ("MA_CSKCB", "text"),
    ("Quy tắc", "text"),
    ("Bảng", "text"),
    ("Trường", "text"),
    ("Tệp tham chiếu", "text"),
    ("Lý do", "text"),
    ("Reason (English)", "text"),
)
_WIDTH = {"text": 16, "money": 14, "int": 8}
_WIDE_TEXT = {"Nội dung", "Căn cứ", "Message (English)", "Lý do", "Reason (English)"}


def _sheet(
    sheet: Worksheet, columns: tuple[tuple[str, str], ...], rows: list[list[Any]]
) -> None:
    """Fill a sheet: bold frozen header, typed cells, an autofilter."""
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    sheet.append([name for name, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                (float(v) if isinstance(v, Decimal) else v)
                if kind != "text" or v is None
                else str(v)
                for v, (_, kind) in zip(row, columns, strict=True)
            ]
        )
    for index, (name, kind) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = (
            60 if name in _WIDE_TEXT else _WIDTH[kind]
        )
        number_format = {"money": MONEY_FORMAT, "text": TEXT_FORMAT}.get(kind)
        if number_format is None:
            continue
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = number_format
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _problem_row(path: str | None, problem: ProblemOut) -> list[Any]:
    return [
        path,
        problem.ma_lk,
        problem.code,
        _SEVERITY.get(problem.severity.value, problem.severity.value),
        problem.table,
        problem.stt,
        problem.field,
        problem.value,
        problem.message,
        problem.message_en,
    ]


def write_check_workbook(output: CheckOutput, path: Path) -> Path:
    """Write the check output as the four-sheet workbook at ``path``.

    Returns:
        ``path``.
    """
    from openpyxl import Workbook  # noqa: PLC0415

    book = Workbook()
    claims = book.active
    assert claims is not None  # noqa: S101 - a new workbook has one sheet
    claims.title = SHEETS[0]
    _sheet(
        claims,
        _CLAIMS,
        [
            [
                c.ma_lk,
                c.ma_cskcb,
                c.file,
                _RECEPTION[c.reception],
                _MONEY_STATE[c.money],
                c.claimed,
                c.payable,
                c.refused,
                c.adjusted,
                c.under_review,
                len(c.findings),
                len(c.reception_errors),
                len(c.not_checked),
            ]
            for c in output.claims
        ],
    )
    _sheet(
        book.create_sheet(SHEETS[1]),
        _FINDINGS,
        [
            [
                c.ma_lk,
                c.ma_cskcb,
                f.table,
                f.stt,
                f.code,
                f.rule_id,
                f.rule_version,
                _SEVERITY.get(f.severity.value, f.severity.value),
                f.refusal_code,
                f.amount,
                f.message,
                "; ".join(
                    " ".join(p for p in (b.document, b.article, b.date) if p)
                    for b in f.basis
                ),
                f.message_en,
            ]
            for c in output.claims
            for f in c.findings
        ],
    )
    problems = [_problem_row(f.path, e) for f in output.files for e in f.errors]
    problems += [
        _problem_row(c.file, e) for c in output.claims for e in c.reception_errors
    ]
    _sheet(book.create_sheet(SHEETS[2]), _PROBLEMS, problems)
    _sheet(
        book.create_sheet(SHEETS[3]),
        _GAPS,
        [
            [
                c.ma_lk,
                c.ma_cskcb,
                g.rule_id,
                g.table,
                g.field,
                g.reference,
                g.reason,
                g.reason_en,
            ]
            for c in output.claims
            for g in c.not_checked
        ],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
