"""The replay as a workbook: a sheet per view of the comparison, bilingual headers.

Sheets: the summary per option (with the change against the rules in force), money
by facility and month, by rule, by machine, the lines whose decision changes, and
the options themselves (title, hash, texts, changes); at most ``CHANGED_PER_OPTION``
changed lines per option, the rest named in a last row. Money cells are numbers
formatted ``#,##0``; codes are text cells (a facility code keeps its zeros). The
workbook is written row by row (``write_only``), so its size does not grow memory.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    import pyarrow as pa

MONEY_FORMAT = "#,##0"
MAX_ROWS = 1_048_000
"""Rows a sheet may hold (Excel's limit is 1,048,576); the Parquet files hold all."""
CHANGED_PER_OPTION = 50_000
"""Changed lines shown per option in the workbook; a last row says how many more
the option's Parquet file holds (a sheet of millions of lines is read by no one,
and writing it took most of a large replay's time)."""

Column = tuple[str, str, str]
"""(source column, header, kind: text | money | int)."""

MONEY_COLUMNS: tuple[Column, ...] = (
    ("claimed", "Đề nghị / Claimed", "money"),
    ("payable", "Thanh toán / Payable", "money"),
    ("refused", "Từ chối / Refused", "money"),
    ("adjusted", "Điều chỉnh / Adjusted", "money"),
    ("under_review", "Chờ giám định / Under review", "money"),
    ("payable_change", "Δ thanh toán / Δ payable", "money"),
    ("refused_change", "Δ từ chối / Δ refused", "money"),
    ("under_review_change", "Δ chờ giám định / Δ under review", "money"),
)
SUMMARY: tuple[Column, ...] = (
    ("option", "Phương án / Option", "text"),
    ("title", "Tên / Title", "text"),
    *MONEY_COLUMNS,
    ("lines_changed", "Dòng thay đổi / Lines changed", "int"),
    ("claims_changed", "Hồ sơ thay đổi / Claims changed", "int"),
    ("patients_changed", "Người bệnh / Patients affected", "int"),
    ("facilities_changed", "Cơ sở / Facilities affected", "int"),
)
FACILITY_MONTH: tuple[Column, ...] = (
    ("option", "Phương án / Option", "text"),
    ("ma_cskcb", "Cơ sở (MA_CSKCB) / Facility", "text"),
    ("month", "Tháng / Month", "text"),
    ("lines", "Dòng / Lines", "int"),
    ("patients", "Người bệnh / Patients", "int"),
    *MONEY_COLUMNS,
    ("lines_changed", "Dòng thay đổi / Lines changed", "int"),
    ("patients_changed", "Người bệnh bị ảnh hưởng / Patients affected", "int"),
)
RULES: tuple[Column, ...] = (
    ("option", "Phương án / Option", "text"),
    ("rule_id", "Quy tắc / Rule", "text"),
    ("severity", "Mức / Severity", "text"),
    ("findings", "Phát hiện / Findings", "int"),
    ("claims", "Hồ sơ / Claims", "int"),
    ("amount", "Số tiền / Amount", "money"),
)
MACHINES: tuple[Column, ...] = (
    ("option", "Phương án / Option", "text"),
    ("ma_cskcb", "Cơ sở (MA_CSKCB) / Facility", "text"),
    ("ma_may", "Máy (MA_MAY) / Machine", "text"),
    ("lines", "Dòng / Lines", "int"),
    ("patients", "Người bệnh / Patients", "int"),
    *MONEY_COLUMNS,
    ("lines_changed", "Dòng thay đổi / Lines changed", "int"),
)
CHANGED: tuple[Column, ...] = (
    ("option", "Phương án / Option", "text"),
    ("ma_cskcb", "Cơ sở (MA_CSKCB) / Facility", "text"),
    ("ma_lk", "MA_LK", "text"),
    ("tbl", "Bảng / Table", "text"),
    ("stt", "STT", "int"),
    ("code", "Mã dịch vụ / Service code", "text"),
    ("ma_may", "Máy (MA_MAY) / Machine", "text"),
    ("month", "Tháng / Month", "text"),
    ("base_status", "Hiện hành / In force", "text"),
    ("status", "Theo phương án / Under the option", "text"),
    ("base_payable", "Thanh toán hiện hành / Payable in force", "money"),
    ("payable", "Thanh toán theo phương án / Payable under the option", "money"),
    ("base_refused", "Từ chối hiện hành / Refused in force", "money"),
    ("refused", "Từ chối theo phương án / Refused under the option", "money"),
    ("base_under_review", "Chờ giám định hiện hành / Under review in force", "money"),
    (
        "under_review",
        "Chờ giám định theo phương án / Under review under the option",
        "money",
    ),
)
OPTIONS: tuple[Column, ...] = (
    ("option", "Phương án / Option", "text"),
    ("title", "Tên / Title", "text"),
    ("title_en", "Title (English)", "text"),
    ("sha256", "SHA-256", "text"),
    ("rule_set", "Bộ quy tắc / Rule set", "text"),
    ("rules_run", "Quy tắc chạy lại / Rules run", "text"),
    ("basis", "Căn cứ / Texts", "text"),
    ("summary", "Nội dung / Summary", "text"),
)


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "money":
        return float(value) if isinstance(value, Decimal) else value
    if kind == "text":
        return str(value)
    return value


def _write(
    book: Any, name: str, columns: Sequence[Column], rows: Iterable[dict[str, Any]]
) -> int:
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    sheet = book.create_sheet(name)
    for index, (_, _, kind) in enumerate(columns, start=1):
        width = 30 if kind == "text" and index <= 2 else 16  # noqa: PLR2004
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    head = []
    for _, header, _ in columns:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in rows:
        if count >= MAX_ROWS:
            break
        cells = []
        for key, _, kind in columns:
            cell = WriteOnlyCell(sheet, value=_cell(row.get(key), kind))
            if kind == "money":
                cell.number_format = MONEY_FORMAT
            elif kind == "text":
                cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    last = get_column_letter(len(columns))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    return count


def _rows(table: pa.Table, option: str) -> Iterable[dict[str, Any]]:
    for batch in table.to_batches(max_chunksize=10_000):
        for row in batch.to_pylist():
            yield {"option": option, **row}


def write_workbook(
    path: Path,
    *,
    summary: list[dict[str, Any]],
    options: list[dict[str, Any]],
    by_facility_month: list[tuple[str, pa.Table]],
    by_rule: list[tuple[str, pa.Table]],
    by_machine: list[tuple[str, pa.Table]],
    changed: list[tuple[str, Path]],
) -> Path:
    """Write the replay workbook at ``path`` and return it.

    Args:
        path: the ``.xlsx`` to write.
        summary: one row per option (``SUMMARY`` keys).
        options: one row per option (``OPTIONS`` keys).
        by_facility_month: (option, table) pairs.
        by_rule: (option, table) pairs.
        by_machine: (option, table) pairs.
        changed: (option, Parquet file of changed lines) pairs.
    """
    from openpyxl import Workbook  # noqa: PLC0415

    book = Workbook(write_only=True)
    _write(book, "Tong hop", SUMMARY, summary)
    _write(
        book,
        "Co so - thang",
        FACILITY_MONTH,
        (r for option, t in by_facility_month for r in _rows(t, option)),
    )
    _write(book, "Quy tac", RULES, (r for o, t in by_rule for r in _rows(t, o)))
    _write(book, "May", MACHINES, (r for o, t in by_machine for r in _rows(t, o)))

    def changed_rows() -> Iterable[dict[str, Any]]:
        for option, file in changed:
            source = pq.ParquetFile(file)
            total = source.metadata.num_rows
            shown = 0
            for batch in source.iter_batches(batch_size=10_000):
                for row in batch.to_pylist():
                    if shown == CHANGED_PER_OPTION:
                        break
                    shown += 1
                    yield {"option": option, **row}
            if total > shown:
                yield {
                    "option": option,
                    "ma_cskcb": (
                        f"… {total - shown:,} dòng nữa trong {file.name} / "
                        f"{total - shown:,} more lines in {file.name}"
                    ),
                }

    _write(book, "Dong thay doi", CHANGED, changed_rows())
    _write(book, "Phuong an", OPTIONS, options)
    book.save(path)
    return path
