"""The decisions as the feedback list the portal uses (Mẫu 09/BH), in XLSX.

Mẫu 09/BH, "Bảng kê chi tiết điều chỉnh", is a form of Thông tư 12/2026/TT-BTC
(Phụ lục I; used by Điều 10 khoản 3, applied from 01/04/2026): the lines the
insurer did not accept as sent, with the field, the original and the adjusted
value and the reason; the facility adjusts or explains and signs. The official
column headers were not available here: the 22 columns below are those that the
portal's electronic template uses as implemented by hospital-system vendors
(two independent implementations agree); ``XML1_ID`` and ``ID_CP`` are the
portal's own identifiers and stay empty in a list made outside it.

One row per decided line (the newest decision), the money field being
``T_BHTT`` (the fund's share of the line): ``TT_GOC`` the amount at stake,
``TT_DIEUCHINH`` what the decision pays of it, ``TIEN_XUAT_TOAN`` what it does
not pay (refused plus adjusted), ``TUCHOI`` 1 when any of it is refused.
A second sheet lists the cases with their money; codes are text cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from decimal import Decimal
    from pathlib import Path

FEEDBACK_COLUMNS = (
    "STT",
    "MA_LK",
    "XML1_ID",
    "MA_BN",
    "HO_TEN",
    "MA_THE",
    "NGAY_VAO",
    "NGAY_RA",
    "KY_QT",
    "TRANGTHAI_HS",
    "SOBANG_XML",
    "ID_CP",
    "STT_XML",
    "NGAY_YL",
    "TRUONG_TT_GOC",
    "TT_GOC",
    "TRUONG_TT_DIEUCHINH",
    "TT_DIEUCHINH",
    "LYDO_DIEUCHINH",
    "TUCHOI",
    "LYDO",
    "TIEN_XUAT_TOAN",
)
#: Columns that hold codes or identifiers: written as text, never as numbers.
TEXT_COLUMNS = frozenset(
    {"MA_LK", "XML1_ID", "MA_BN", "MA_THE", "ID_CP", "NGAY_VAO", "NGAY_RA", "NGAY_YL"}
)
MONEY_COLUMNS = frozenset({"TT_GOC", "TT_DIEUCHINH", "TIEN_XUAT_TOAN"})
CASE_COLUMNS = (
    ("Mã hồ sơ / case", "text"),
    ("Cơ sở / MA_CSKCB", "text"),
    ("Trạng thái / state", "text"),
    ("Vòng / round", "number"),
    ("Nguồn / source", "text"),
    ("Số dòng / lines", "number"),
    ("Đang xem xét / at stake", "money"),
    ("Chấp nhận / payable", "money"),
    ("Từ chối / refused", "money"),
    ("Điều chỉnh / adjusted", "money"),
    ("Chưa quyết định / open", "money"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackLine:
    """One decided line, with what the claim says of its patient and dates."""

    ma_lk: str
    ma_bn: str | None
    ho_ten: str | None
    ma_the: str | None
    ngay_vao: str | None
    ngay_ra: str | None
    ky_qt: str | None
    tbl: str
    stt: int
    ngay_yl: str | None
    stake: Decimal
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    reason: str
    basis: str | None
    case: str
    decided_on: date

    def cells(self, number: int) -> list[object]:
        """Return the row's cells in ``FEEDBACK_COLUMNS`` order."""
        withheld = self.refused + self.adjusted
        why = self.reason if not self.basis else f"{self.reason} — {self.basis}"
        return [
            number,
            self.ma_lk,
            None,
            self.ma_bn,
            self.ho_ten,
            self.ma_the,
            self.ngay_vao,
            self.ngay_ra,
            self.ky_qt,
            None,
            int(self.tbl.removeprefix("XML")),
            None,
            self.stt,
            self.ngay_yl,
            "T_BHTT",
            self.stake,
            "T_BHTT" if self.adjusted > 0 else None,
            self.payable if self.adjusted > 0 else None,
            why if self.adjusted > 0 else None,
            1 if self.refused > 0 else 0,
            f"{why} [{self.case}]",
            withheld,
        ]


def write_feedback(
    path: Path,
    lines: Sequence[FeedbackLine],
    cases: Sequence[Sequence[object]],
) -> Path:
    """Write the feedback list and the cases sheet to ``path`` (XLSX)."""
    from openpyxl import Workbook  # noqa: PLC0415 - only this command needs it
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has a sheet
    sheet.title = "Mau09BH"
    sheet.append(list(FEEDBACK_COLUMNS))
    for number, line in enumerate(lines, start=1):
        sheet.append(line.cells(number))
    for index, name in enumerate(FEEDBACK_COLUMNS, start=1):
        column = get_column_letter(index)
        for cell in sheet[column][1:]:
            if name in TEXT_COLUMNS and cell.value is not None:
                cell.value = str(cell.value)
                cell.number_format = "@"
            elif name in MONEY_COLUMNS:
                cell.number_format = "#,##0"
        sheet.column_dimensions[column].width = max(10, len(name) + 2)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    summary = book.create_sheet("HoSo")
    summary.append([name for name, _ in CASE_COLUMNS])
    for row in cases:
        summary.append(list(row))
    for index, (_, kind) in enumerate(CASE_COLUMNS, start=1):
        column = get_column_letter(index)
        summary.column_dimensions[column].width = 18
        for cell in summary[column][1:]:
            if kind == "money":
                cell.number_format = "#,##0"
            elif kind == "text":
                cell.number_format = "@"
    summary.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


__all__ = ["FEEDBACK_COLUMNS", "FeedbackLine", "write_feedback"]
