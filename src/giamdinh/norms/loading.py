"""Start a real programme: the assignment list and a price book from CSV or XLSX.

Both files are read as reference files are (``,`` or ``;``, UTF-8 or Windows-1258,
XLSX first sheet, title rows above the header skipped) and validated row by row;
every problem is a :class:`~giamdinh.domain.Finding` naming the file, the row and
the column. A file with an error is not loaded.

Assignment list (the Ministry's decision assigning techniques to hospitals):

======================  =====================================================
``MA_KY_THUAT``         technique ``XX.YYYY`` (required)
``TEN_KY_THUAT``        its name (required for a technique not yet known)
``MA_BENH_VIEN``        hospital code (required)
``TEN_BENH_VIEN``       its name (required for a hospital not yet known)
``DAU_MOI``             ``1`` focal hospital (default), ``0`` participating
``HAN_NOP``             deadline of the draft ``yyyymmdd`` (optional)
======================  =====================================================

Price book (one dated book per file):

======================  =====================================================
``LOAI``                ``labour`` (rate per minute by title), ``item`` (drug,
                        chemical, supply), ``tariff`` (electricity, water…),
                        ``equipment`` (purchase value), ``rate``
                        (``management``: share of direct + salary costs)
``MA``                  the code the norm lines use (required)
``TEN``, ``DON_VI``     name and unit
``DON_GIA``             price in đồng, a rate for ``rate`` (required, ≥ 0)
``NAM_SU_DUNG``         equipment: useful life in years
``PHUT_NAM``            equipment: minutes available per year
``TY_LE_BAO_DUONG``     equipment: maintenance per year as a share of value
``NGUON``               where the price comes from (decision, invoice…)
======================  =====================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from giamdinh.domain import Finding, Location, Severity
from giamdinh.errors import ReferenceDataError
from giamdinh.norms.model import Price, PriceBook
from giamdinh.refdata.readers import RawTable, read_table_file

if TYPE_CHECKING:
    from pathlib import Path

ASSIGNMENT_COLUMNS = (
    "MA_KY_THUAT",
    "TEN_KY_THUAT",
    "MA_BENH_VIEN",
    "TEN_BENH_VIEN",
    "DAU_MOI",
    "HAN_NOP",
)
PRICE_COLUMNS = (
    "LOAI",
    "MA",
    "TEN",
    "DON_VI",
    "DON_GIA",
    "NAM_SU_DUNG",
    "PHUT_NAM",
    "TY_LE_BAO_DUONG",
    "NGUON",
)
PRICE_KINDS = frozenset({"labour", "item", "tariff", "equipment", "rate"})
_TECHNIQUE_RE = re.compile(r"^\d{2}\.\d{3}[0-9a-z]$")
_DAY_RE = re.compile(r"^\d{8}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class AssignmentRow:
    """One row of the assignment list."""

    row: int
    technique_code: str
    technique_name: str | None
    hospital_code: str
    hospital_name: str | None
    is_focal: bool
    deadline: date | None


class _Problems:
    def __init__(self, file: str, table: str) -> None:
        self.file = file
        self.table = table
        self.items: list[Finding] = []

    def add(self, code: str, row: int, column: str, vi: str, en: str) -> None:
        self.items.append(
            Finding(
                code=code,
                severity=Severity.REFUSE,
                message=vi,
                message_en=en,
                location=Location(
                    file=self.file, table=self.table, stt=row, field=column
                ),
            )
        )


def _read(
    path: Path, columns: tuple[str, ...], required: tuple[str, ...], table: str
) -> tuple[RawTable | None, _Problems]:
    problems = _Problems(path.name, table)
    try:
        raw = read_table_file(path, expected=frozenset(columns))
    except ReferenceDataError as exc:
        problems.add("NM200", 1, "", f"không đọc được tệp: {exc}", f"{exc}")
        return None, problems
    for column in required:
        if column not in raw.header:
            problems.add(
                "NM201",
                raw.header_row,
                column,
                f"thiếu cột bắt buộc {column}",
                f"required column {column} is missing",
            )
    return (None if problems.items else raw), problems


def _cells(raw: RawTable, cells: tuple[str, ...]) -> dict[str, str]:
    return {
        name: (cells[i] if i < len(cells) else "")
        for i, name in enumerate(raw.header)
        if name
    }


def _day(text: str) -> date | None:
    if not _DAY_RE.match(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def read_assignments(path: Path) -> tuple[list[AssignmentRow], list[Finding]]:
    """Read and check an assignment list; rows are returned only if all are valid.

    Args:
        path: the ``.csv`` or ``.xlsx`` file.

    Returns:
        The rows (empty when any problem was found) and the problems.
    """
    raw, problems = _read(
        path, ASSIGNMENT_COLUMNS, ("MA_KY_THUAT", "MA_BENH_VIEN"), "PhanCong"
    )
    if raw is None:
        return [], problems.items
    rows: list[AssignmentRow] = []
    seen: dict[tuple[str, str], int] = {}
    focal: dict[str, int] = {}
    for number, cells in raw.rows:
        cell = _cells(raw, cells)
        technique = cell.get("MA_KY_THUAT", "")
        hospital = cell.get("MA_BENH_VIEN", "")
        if not _TECHNIQUE_RE.match(technique):
            problems.add(
                "NM202",
                number,
                "MA_KY_THUAT",
                f"mã kỹ thuật {technique!r} không có dạng XX.YYYY",
                f"technique code {technique!r} is not XX.YYYY",
            )
        if not hospital:
            problems.add(
                "NM203",
                number,
                "MA_BENH_VIEN",
                "MA_BENH_VIEN không được để trống",
                "MA_BENH_VIEN must not be empty",
            )
        flag = cell.get("DAU_MOI", "") or "1"
        if flag not in {"0", "1"}:
            problems.add(
                "NM204",
                number,
                "DAU_MOI",
                f"DAU_MOI {flag!r} phải là 1 (đầu mối) hoặc 0 (phối hợp)",
                f"DAU_MOI {flag!r} must be 1 (focal) or 0 (participating)",
            )
        text = cell.get("HAN_NOP", "")
        deadline = _day(text) if text else None
        if text and deadline is None:
            problems.add(
                "NM205",
                number,
                "HAN_NOP",
                f"hạn nộp {text!r} không phải ngày yyyymmdd",
                f"deadline {text!r} is not a day yyyymmdd",
            )
        key = (technique, hospital)
        if key in seen:
            problems.add(
                "NM206",
                number,
                "MA_BENH_VIEN",
                f"trùng với dòng {seen[key]} ({technique} × {hospital})",
                f"duplicates row {seen[key]} ({technique} × {hospital})",
            )
        seen.setdefault(key, number)
        if flag == "1":
            if technique in focal:
                problems.add(
                    "NM207",
                    number,
                    "DAU_MOI",
                    f"kỹ thuật {technique} đã có bệnh viện đầu mối ở dòng "
                    f"{focal[technique]}",
                    f"technique {technique} already has a focal hospital on row "
                    f"{focal[technique]}",
                )
            focal.setdefault(technique, number)
        rows.append(
            AssignmentRow(
                row=number,
                technique_code=technique,
                technique_name=cell.get("TEN_KY_THUAT") or None,
                hospital_code=hospital,
                hospital_name=cell.get("TEN_BENH_VIEN") or None,
                is_focal=flag != "0",
                deadline=deadline,
            )
        )
    return ([] if problems.items else rows), problems.items


def _decimal(
    problems: _Problems, number: int, column: str, text: str
) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(" ", ""))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        problems.add(
            "NM211",
            number,
            column,
            f"{column} {text!r} không phải số không âm",
            f"{column} {text!r} is not a non-negative number",
        )
        return None
    return value


def read_price_book(
    path: Path,
    *,
    code: str,
    name: str,
    valid_from: date,
    valid_to: date | None = None,
) -> tuple[PriceBook | None, list[Finding]]:
    """Read and check a price book; ``None`` when any problem was found.

    Args:
        path: the ``.csv`` or ``.xlsx`` file.
        code: the book's code (e.g. ``QG-2026``).
        name: what it is (e.g. the decision it follows).
        valid_from: first day its prices apply.
        valid_to: last day, if known.
    """
    raw, problems = _read(path, PRICE_COLUMNS, ("LOAI", "MA", "DON_GIA"), "BangGia")
    if raw is None:
        return None, problems.items
    if valid_to is not None and valid_to < valid_from:
        problems.add(
            "NM212",
            raw.header_row,
            "",
            "ngày hết hiệu lực trước ngày hiệu lực",
            "the book ends before it starts",
        )
    prices: list[Price] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in raw.rows:
        cell = _cells(raw, cells)
        kind = cell.get("LOAI", "").lower()
        resource = cell.get("MA", "")
        if kind not in PRICE_KINDS:
            problems.add(
                "NM210",
                number,
                "LOAI",
                f"LOAI {kind!r} không thuộc {', '.join(sorted(PRICE_KINDS))}",
                f"LOAI {kind!r} is not one of {', '.join(sorted(PRICE_KINDS))}",
            )
        if not resource:
            problems.add(
                "NM213", number, "MA", "MA không được để trống", "MA must not be empty"
            )
        price = _decimal(problems, number, "DON_GIA", cell.get("DON_GIA", ""))
        if price is None and not cell.get("DON_GIA"):
            problems.add(
                "NM213",
                number,
                "DON_GIA",
                "DON_GIA không được để trống",
                "DON_GIA must not be empty",
            )
        life = _decimal(problems, number, "NAM_SU_DUNG", cell.get("NAM_SU_DUNG", ""))
        minutes = _decimal(problems, number, "PHUT_NAM", cell.get("PHUT_NAM", ""))
        upkeep = _decimal(
            problems, number, "TY_LE_BAO_DUONG", cell.get("TY_LE_BAO_DUONG", "")
        )
        if kind == "equipment":
            for column, value in (("NAM_SU_DUNG", life), ("PHUT_NAM", minutes)):
                if not value and not any(
                    f.location.stt == number and f.location.field == column
                    for f in problems.items
                ):
                    problems.add(
                        "NM214",
                        number,
                        column,
                        f"thiết bị cần {column} lớn hơn 0",
                        f"equipment needs {column} above 0",
                    )
        key = (kind, resource)
        if key in seen:
            problems.add(
                "NM215",
                number,
                "MA",
                f"trùng với dòng {seen[key]} ({kind} {resource})",
                f"duplicates row {seen[key]} ({kind} {resource})",
            )
        seen.setdefault(key, number)
        if price is not None:
            prices.append(
                Price(
                    kind=kind,
                    code=resource,
                    price=price,
                    name=cell.get("TEN") or None,
                    unit=cell.get("DON_VI") or None,
                    useful_life_years=life,
                    minutes_per_year=minutes,
                    maintenance_rate=upkeep,
                    source=cell.get("NGUON") or None,
                )
            )
    if problems.items:
        return None, problems.items
    book = PriceBook(
        code=code,
        name=name,
        valid_from=valid_from,
        valid_to=valid_to,
        prices=tuple(prices),
    )
    return book, []
