"""Reading the lists departments publish into registry facts, row by row.

Two forms (``docs/exchange.md`` lists the columns):

* a **licence list** (CSV or XLSX): licences granted, suspended or revoked, one per
  row, ``TRANG_THAI`` saying which (``active``/``suspended``/``revoked``, or
  ``cấp``/``đình chỉ``/``thu hồi``);
* the facility personnel form **M02** (BHXH template, Bảng 2): each row a person
  registered to practise at ``MA_CSKCB`` in ``MA_KHOA`` from ``TU_NGAY`` to
  ``DEN_NGAY``.

A bad row is reported (file, row, column, value, reason in Vietnamese and English)
and left out; the other rows are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from giamdinh.errors import ReferenceDataError
from giamdinh.exchange.registry import (
    Fact,
    FactError,
    LicenceFact,
    RegistrationFact,
    StatusFact,
)
from giamdinh.refdata.readers import RawTable, read_table_file

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator
    from pathlib import Path

FORMS = ("licences", "M02")

_STATUS_WORDS = {
    "active": "active",
    "cap": "active",
    "cấp": "active",
    "cấp mới": "active",
    "hoạt động": "active",
    "suspended": "suspended",
    "đình chỉ": "suspended",
    "revoked": "revoked",
    "thu hồi": "revoked",
}
_WEEKDAYS = {"2": "1", "3": "2", "4": "3", "5": "4", "6": "5", "7": "6", "CN": "7"}
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
#: Hours of a full-time M02 registration that gives no clock hours.
DEFAULT_FULL_TIME = ("07:00", "17:00")
DEFAULT_DAYS = "12345"


@dataclass(frozen=True, slots=True, kw_only=True)
class RowProblem:
    """One bad row: where, what, why."""

    file: str
    row: int
    column: str | None
    value: str
    message: str
    message_en: str


@dataclass(slots=True)
class ImportReport:
    """What a file gave: the facts read and every row left out."""

    file: str
    form: str
    rows: int = 0
    facts: list[Fact] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


class _RowError(Exception):
    def __init__(
        self, column: str | None, value: str, message: str, message_en: str
    ) -> None:
        super().__init__(message_en)
        self.column = column
        self.value = value
        self.message = message
        self.message_en = message_en


def _rows(raw: RawTable) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (row number as a spreadsheet shows it, cells by upper-case column)."""
    for number, cells in raw.rows:
        row = {h: c for h, c in zip(raw.header, cells, strict=False) if h}
        if any(row.values()):
            yield number, row


def _form_of(path: Path, header: Collection[str]) -> str:
    if path.stem.upper().startswith("M02"):
        return "M02"
    return "M02" if "MA_CSKCB" in header and "TRANG_THAI" not in header else "licences"


def _need(row: dict[str, str], column: str) -> str:
    value = row.get(column, "")
    if not value:
        raise _RowError(column, "", f"thiếu {column}", f"{column} missing")
    return value


def _date(row: dict[str, str], column: str, *, required: bool = True) -> str | None:
    text = row.get(column, "")
    if not text:
        if required:
            raise _RowError(column, "", f"thiếu {column}", f"{column} missing")
        return None
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text[:10], pattern).date().isoformat()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    raise _RowError(
        column,
        text,
        f"{column} không phải ngày (YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY)",
        f"{column} is not a date (YYYY-MM-DD, YYYYMMDD, DD/MM/YYYY)",
    )


def _licence_facts(row: dict[str, str], *, province: str, source: str) -> list[Fact]:
    word = _need(row, "TRANG_THAI").lower()
    status = _STATUS_WORDS.get(word)
    if status is None:
        raise _RowError(
            "TRANG_THAI",
            word,
            "TRANG_THAI phải là active/suspended/revoked (cấp/đình chỉ/thu hồi)",
            "TRANG_THAI must be active/suspended/revoked",
        )
    issuer = row.get("NOI_CAP") or province
    if status == "active":
        return [
            LicenceFact.parse(
                {
                    "macchn": _need(row, "MACCHN"),
                    "so_dinh_danh": _need(row, "SO_DINH_DANH"),
                    "ho_ten": _need(row, "HO_TEN"),
                    "issuing_province": issuer,
                    "chuc_danh": _need(row, "CHUC_DANH"),
                    "pham_vi": row.get("PHAM_VI", ""),
                    "ngay_cap": _date(row, "NGAY_CAP"),
                    "ngay_het_han": _date(row, "NGAY_HET_HAN", required=False),
                    "source": source,
                }
            )
        ]
    return [
        StatusFact.parse(
            {
                "macchn": _need(row, "MACCHN"),
                "issuing_province": issuer,
                "status": status,
                "valid_from": _date(row, "TU_NGAY"),
                "valid_to": _date(row, "DEN_NGAY", required=False),
                "decision_no": _need(row, "SO_QUYET_DINH"),
                "decision_date": _date(row, "NGAY_QUYET_DINH", required=False),
                "source": source,
            }
        )
    ]


def _days(text: str) -> str:
    """Return ISO weekdays of ``12345``, ``T2-T6``, ``2,3,4`` or ``2-6``."""
    cleaned = text.upper().replace("THỨ", "").replace("T", "").replace(" ", "")
    if re.fullmatch(r"[1-7]{1,7}", cleaned):
        return cleaned
    out: set[str] = set()
    for part in cleaned.split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in _WEEKDAYS or last not in _WEEKDAYS:
                raise ValueError(part)
            out.update(
                str(d) for d in range(int(_WEEKDAYS[first]), int(_WEEKDAYS[last]) + 1)
            )
        elif part in _WEEKDAYS:
            out.add(_WEEKDAYS[part])
        else:
            raise ValueError(part)
    return "".join(sorted(out))


def _m02_facts(row: dict[str, str], *, source: str) -> list[Fact]:
    full_time = row.get("THOIGIAN_DK", "1") != "2"
    hours_text = row.get("GIO_LAM_VIEC") or row.get("THOIGIAN_NGAY", "")
    match = _HOURS.match(hours_text)
    if match:
        hour_from = f"{int(match[1]):02d}:{match[2]}"
        hour_to = f"{int(match[3]):02d}:{match[4]}"
    elif full_time:
        hour_from, hour_to = DEFAULT_FULL_TIME
    else:
        raise _RowError(
            "THOIGIAN_NGAY",
            hours_text,
            "đăng ký ngoài giờ cần giờ làm việc dạng HH:MM-HH:MM",
            "a part-time registration needs its hours as HH:MM-HH:MM",
        )
    days_text = row.get("NGAY_LAM_VIEC", "")
    try:
        days = _days(days_text) if days_text else DEFAULT_DAYS
    except ValueError:
        raise _RowError(
            "NGAY_LAM_VIEC",
            days_text,
            "ngày làm việc không đọc được (vd. T2-T6, 2,4,6, 12345)",
            "working days unreadable (e.g. T2-T6, 2,4,6, 12345)",
        ) from None
    identity = row.get("SO_CCCD") or row.get("SO_DINH_DANH") or ""
    if not identity:
        raise _RowError(
            "SO_CCCD",
            "",
            "thiếu SO_CCCD (số định danh)",
            "SO_CCCD (identity number) missing",
        )
    return [
        RegistrationFact.parse(
            {
                "ma_cskcb": _need(row, "MA_CSKCB"),
                "ma_khoa": row.get("MA_KHOA", ""),
                "so_dinh_danh": identity,
                "ho_ten": _need(row, "HO_TEN"),
                "macchn": _need(row, "MACCHN"),
                "full_time": full_time,
                "days": days,
                "hour_from": hour_from,
                "hour_to": hour_to,
                "valid_from": _date(row, "TU_NGAY"),
                "valid_to": _date(row, "DEN_NGAY", required=False),
                "source": source,
            }
        )
    ]


def detect_form(path: Path) -> str:
    """Return ``M02`` for a personnel form (its name or columns), else ``licences``."""
    return _form_of(path, read_table_file(path).header)


def read_file(path: Path, *, province: str, form: str | None = None) -> ImportReport:
    """Read one file into facts; every bad row goes to the report.

    Args:
        path: a ``.csv`` or ``.xlsx`` file.
        province: this instance's province (default issuer of licence rows).
        form: ``licences`` or ``M02`` (guessed from the name/columns if omitted).
    """
    try:
        raw = read_table_file(path)
    except ReferenceDataError as exc:
        # NOTE: a file that cannot be read is reported like a row; the batch goes on.
        report = ImportReport(file=path.name, form=form or "licences")
        report.problems.append(
            RowProblem(
                file=path.name,
                row=0,
                column=None,
                value="",
                message=f"không đọc được tệp: {exc}",
                message_en=f"the file cannot be read: {exc}",
            )
        )
        return report
    kind = form or _form_of(path, raw.header)
    report = ImportReport(file=path.name, form=kind)
    for number, row in _rows(raw):
        report.rows += 1
        source = f"{path.name}:{number}"
        try:
            if kind == "M02":
                report.facts.extend(_m02_facts(row, source=source))
            else:
                report.facts.extend(
                    _licence_facts(row, province=province, source=source)
                )
        except _RowError as error:
            report.problems.append(
                RowProblem(
                    file=path.name,
                    row=number,
                    column=error.column,
                    value=error.value,
                    message=error.message,
                    message_en=error.message_en,
                )
            )
        except FactError as error:
            report.problems.append(
                RowProblem(
                    file=path.name,
                    row=number,
                    column=None,
                    value="",
                    message=error.message,
                    message_en=error.message_en,
                )
            )
    return report


__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_FULL_TIME",
    "FORMS",
    "ImportReport",
    "RowProblem",
    "detect_form",
    "read_file",
]
