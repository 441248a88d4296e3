"""Reception checks of the insurer's portal (Cổng tiếp nhận), vectorised over Arrow.

The portal refuses a claim file when a field is missing, too long, badly formatted or
outside its code list, when a table names a claim (``MA_LK``) that has no summary
record (XML1), or when the summary totals of XML1 differ from the sums of the lines.
This module repeats those checks on the typed Arrow tables of
``giamdinh.standard.reader`` (one table per logical table, contract 4) so a hospital
sees what would be refused before it sends, and so the claim store never accepts a
claim the portal would reject.

The rules are data: the portal's validation sheet (``data/portal_ctn_qd4750.csv``,
columns ``required``, ``maxlen`` and ``portal_validation``) and the code lists
(``data/portal_*.csv``). Replacing a file is how an amendment is applied; the
sentences of the sheet are parsed by :func:`parse_requirement` and
:func:`parse_validation`. Every check is a vectorised mask over a whole column; Python
only loops over the offending rows to build :class:`~giamdinh.domain.Finding` objects.

Codes (documented in ``docs/store.md``) are stable: ``RC1xx``
field-level, ``RC12x`` date order, ``RC13x`` code lists, ``RC14x`` keys and
``RC150`` summary totals.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from giamdinh.domain import Basis, Finding, Location, Severity
from giamdinh.domain.money import format_dong
from giamdinh.errors import ReferenceDataError
from giamdinh.standard.spec import TABLES, FieldKind

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

__all__ = [
    "CODES",
    "CheckKind",
    "Condition",
    "FieldRule",
    "PortalRules",
    "ReceptionCode",
    "check_reception",
    "load_portal_rules",
    "parse_requirement",
    "parse_validation",
    "rejected_hosos",
    "render_codes_markdown",
]

_DATA = "giamdinh.standard.data"
PORTAL_SHEET = "portal_ctn_qd4750.csv"
ENUMERATIONS = "portal_enumerations_xml130.csv"
MA_LOAI_KCB_LIST = "portal_ma_loai_kcb.csv"
MA_DOITUONG_KCB_LIST = "portal_ma_doituong_kcb_qd3276_2025.csv"
REQUIREMENTS = "reception_requirements.csv"

#: Money difference tolerated between an XML1 total and the sum of its lines (đồng).
TOTAL_TOLERANCE = Decimal(1)

_BASIS_APPENDIX = Basis(
    document="QĐ 130/QĐ-BYT, sửa đổi bởi QĐ 4750/QĐ-BYT",
    article="Phụ lục: bảng chỉ tiêu dữ liệu",
    date=date(2023, 12, 29),
)
_BASIS_PORTAL = Basis(
    document="BHXH VN: quy tắc kiểm tra của Cổng tiếp nhận (Validate CTN QĐ 4750)",
)
_BASIS_DEADLINE = Basis(
    document="TT 12/2026/TT-BTC", article="Điều 9", clause="khoản 2"
)


# --------------------------------------------------------------------------- codes


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceptionCode:
    """One reception finding code: its severity and its message templates."""

    code: str
    severity: Severity
    title: str
    message: str
    message_en: str


def _code(
    code: str, severity: Severity, title: str, message: str, message_en: str
) -> ReceptionCode:
    return ReceptionCode(
        code=code,
        severity=severity,
        title=title,
        message=message,
        message_en=message_en,
    )


_R = Severity.REFUSE
#: Every reception code, in documentation order. Never renumber; add new codes.
CODES: dict[str, ReceptionCode] = {
    c.code: c
    for c in (
        _code(
            "RC101",
            _R,
            "required field empty",
            "Thiếu trường bắt buộc {field}",
            "Required field {field} is empty",
        ),
        _code(
            "RC102",
            _R,
            "conditionally required field empty",
            "Thiếu trường {field} (bắt buộc khi {condition})",
            "Field {field} is empty but required when {condition}",
        ),
        _code(
            "RC103",
            _R,
            "value longer than the portal's maximum",
            "{field} dài {length} ký tự, vượt tối đa {max_length}",
            "{field} has {length} characters, more than the maximum {max_length}",
        ),
        _code(
            "RC104",
            _R,
            "number does not parse",
            "{field} không phải là số hợp lệ: '{value}' (chỉ gồm chữ số, "
            "dấu thập phân là '.')",
            "{field} is not a valid number: '{value}' (digits only; the decimal "
            "separator is '.')",
        ),
        _code(
            "RC105",
            _R,
            "date or timestamp malformed or not a calendar value",
            "{field} sai định dạng ngày/giờ ({expected}): '{value}'",
            "{field} is not a valid date/time ({expected}): '{value}'",
        ),
        _code(
            "RC106",
            _R,
            "date inside a ';' list malformed",
            "{field} có ngày sai định dạng yyyymmdd: '{value}'",
            "{field} contains a date not in yyyymmdd form: '{value}'",
        ),
        _code(
            "RC110",
            _R,
            "SO_CCCD format",
            "{field} phải gồm 9 hoặc 12 chữ số, hoặc 1 chữ in hoa và 7 chữ số: "
            "'{value}'",
            "{field} must be 9 or 12 digits, or 1 capital letter and 7 digits: "
            "'{value}'",
        ),
        _code(
            "RC111",
            _R,
            "10-digit code format (MA_TTDV)",
            "{field} phải gồm đúng 10 chữ số: '{value}'",
            "{field} must be exactly 10 digits: '{value}'",
        ),
        _code(
            "RC112",
            _R,
            "GOI_VTYT format",
            "{field} phải là 'G' và số từ 1 đến 999: '{value}'",
            "{field} must be 'G' followed by a number from 1 to 999: '{value}'",
        ),
        _code(
            "RC113",
            _R,
            "flag must be empty or 1",
            "{field} chỉ được để trống hoặc bằng 1: '{value}'",
            "{field} must be empty or 1: '{value}'",
        ),
        _code(
            "RC114",
            _R,
            "social-insurance number: digits, not all zeros",
            "{field} phải gồm chữ số và không được toàn số 0: '{value}'",
            "{field} must be digits and not all zeros: '{value}'",
        ),
        _code(
            "RC120",
            _R,
            "date earlier than the date it must follow",
            "{field} ({value}) sớm hơn {other} ({other_value})",
            "{field} ({value}) is earlier than {other} ({other_value})",
        ),
        _code(
            "RC121",
            _R,
            "number of days longer than the period it counts",
            "{field} = {value} ngày, vượt số ngày từ {start} ({start_value}) đến "
            "{end} ({end_value}) là {days}",
            "{field} = {value} days, more than the {days} days from {start} "
            "({start_value}) to {end} ({end_value})",
        ),
        _code(
            "RC130",
            _R,
            "value not in the code list",
            "{field} = '{value}' không có trong danh mục {code_system}",
            "{field} = '{value}' is not in the code list {code_system}",
        ),
        _code(
            "RC131",
            _R,
            "code not in force on the claim date",
            "{field} = '{value}' chưa/không còn hiệu lực ngày {on}",
            "{field} = '{value}' is not in force on {on}",
        ),
        _code(
            "RC132",
            Severity.INFO,
            "withdrawal of a payment request (MA_DOITUONG_KCB 8)",
            "Hồ sơ {ma_lk} là đề nghị thu hồi thanh toán (MA_DOITUONG_KCB = 8)",
            "Claim {ma_lk} withdraws a payment request (MA_DOITUONG_KCB = 8)",
        ),
        _code(
            "RC140",
            _R,
            "MA_LK absent from XML1 of the same HOSO",
            "{table} dòng STT {stt}: MA_LK '{ma_lk}' không có trong bảng XML1 "
            "của cùng hồ sơ",
            "{table} line STT {stt}: MA_LK '{ma_lk}' has no XML1 record in the "
            "same HOSO",
        ),
        _code(
            "RC141",
            _R,
            "HOSO without exactly one XML1 record",
            "Hồ sơ thứ {hoso} có {count} bản ghi XML1 (phải đúng 1)",
            "HOSO #{hoso} has {count} XML1 records (exactly 1 required)",
        ),
        _code(
            "RC142",
            Severity.REVIEW,
            "same MA_LK in several HOSOs of one file",
            "MA_LK '{ma_lk}' xuất hiện ở {count} hồ sơ trong cùng một tệp",
            "MA_LK '{ma_lk}' appears in {count} HOSOs of the same file",
        ),
        _code(
            "RC143",
            _R,
            "value differs from the same field of XML1",
            "{field} của {table} = '{value}' khác {field} của XML1 = '{other_value}'",
            "{field} of {table} = '{value}' differs from XML1's {field} = "
            "'{other_value}'",
        ),
        _code(
            "RC150",
            _R,
            "XML1 total differs from the sum of the lines",
            "{field} = {declared} khác tổng các dòng chi tiết {computed} "
            "(chênh {difference})",
            "{field} = {declared} differs from the sum of the lines {computed} "
            "(difference {difference})",
        ),
    )
}


# ------------------------------------------------------------------ portal rules


class CheckKind(StrEnum):
    """Machine-checkable rules read from the ``portal_validation`` column."""

    CCCD = "cccd"
    TEN_DIGITS = "ten_digits"
    GOI_VTYT = "goi_vtyt"
    NULL_OR_ONE = "null_or_one"
    NOT_BEFORE = "not_before"
    CODE_LIST = "code_list"
    DIGITS_NOT_ZERO = "digits_not_zero"
    SAME_AS_XML1 = "same_as_xml1"
    DAYS_WITHIN = "days_within"
    ONE_OF = "one_of"


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """When a conditionally required field is required.

    ``op`` is ``in`` / ``not_in`` (``field`` has / has not one of ``values``),
    ``not_null`` (``field`` has data) or ``all_null`` (every field in ``fields`` is
    empty).
    """

    op: str
    fields: tuple[str, ...]
    values: tuple[str, ...] = ()

    def describe(self) -> str:
        """Return the condition as short text, e.g. ``MA_NHOM in (1, 2)``."""
        if self.op == "in":
            return f"{self.fields[0]} ∈ {{{', '.join(self.values)}}}"
        if self.op == "not_in":
            return f"{self.fields[0]} ∉ {{{', '.join(self.values)}}}"
        if self.op == "not_null":
            return f"{self.fields[0]} có dữ liệu"
        return " và ".join(self.fields) + " để trống"


@dataclass(frozen=True, slots=True, kw_only=True)
class Requirement:
    """A field's requirement over a period: one row of ``reception_requirements.csv``.

    It replaces the sheet's ``required`` cell for claims whose date (``NGAY_RA``,
    else ``NGAY_VAO``, see :func:`check_reception`) is within
    ``valid_from``–``valid_to`` (both inclusive, ``None`` = open).
    """

    required: bool
    condition: Condition | None
    text: str
    valid_from: date | None
    valid_to: date | None
    basis: Basis
    note: str

    def period(self) -> str:
        """Return the period as text, e.g. ``từ 01/07/2025``."""
        start = self.valid_from.strftime("%d/%m/%Y") if self.valid_from else None
        end = self.valid_to.strftime("%d/%m/%Y") if self.valid_to else None
        if start and end:
            return f"{start}–{end}"
        if start:
            return f"từ {start}"
        return f"đến {end}" if end else "luôn"


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldRule:
    """The portal's rule for one field of one table.

    ``required``/``condition``/``required_text`` are the sheet's; ``periods`` are
    the effective-dated requirements that replace them for a period.
    """

    table: str
    field: str
    portal_type: str
    max_length: int | None
    required: bool
    condition: Condition | None
    required_text: str
    validation_text: str
    checks: tuple[tuple[CheckKind, str], ...] = ()
    periods: tuple[Requirement, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PortalRules:
    """All the data the reception checks use.

    Attributes:
        fields: per table, the rules of its fields in sheet order.
        code_lists: per code system, the allowed codes (as text).
        code_periods: per code system and code, the first and last day it is in
            force (``None`` = open), for code lists that change over time.
        unparsed: ``(table, field, text)`` of sheet sentences that are not
            machine-checkable (documented, not enforced).
    """

    fields: dict[str, tuple[FieldRule, ...]]
    code_lists: dict[str, frozenset[str]]
    code_periods: dict[str, dict[str, tuple[date | None, date | None]]] = field(
        default_factory=dict
    )
    unparsed: tuple[tuple[str, str, str], ...] = ()


_FIELD = r"([A-Z][A-Z0-9_]*)"
_VALUES = r"([0-9A-Za-z_.]+(?:\s*,\s*[0-9A-Za-z_.]+)*)"
_REQUIREMENT_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"khi\s+{_FIELD}\s+và\s+{_FIELD}\s*=\s*null", re.I), "all_null"),
    (re.compile(rf"khi\s+{_FIELD}\s+not\s+null", re.I), "not_null"),
    (re.compile(rf"khi\s+trường\s+{_FIELD}\s+có\s+dữ\s+liệu", re.I), "not_null"),
    (re.compile(rf"trừ\s+mã\s+nhóm\s+{_VALUES}", re.I), "not_in_nhom"),
    (
        re.compile(rf"không\s+bắt\s+buộc\s+khi\s+{_FIELD}\s*=\s*{_VALUES}", re.I),
        "not_in",
    ),
    (re.compile(rf"bắt\s+buộc\s+(?:khi|nếu)\s+{_FIELD}\s*=\s*{_VALUES}", re.I), "in"),
    (re.compile(rf"bắt\s+buộc\s+{_FIELD}\s*=\s*{_VALUES}", re.I), "in"),
    (re.compile(rf"trường\s+hợp\s+{_FIELD}\s*=\s*{_VALUES}", re.I), "in"),
)


def _split_values(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def parse_requirement(text: str) -> tuple[bool, Condition | None, bool]:
    """Parse the ``required`` cell of the portal sheet.

    Args:
        text: the cell, e.g. ``"x"``, ``""`` or ``"Bắt buộc khi MA_NHOM = 12"``.

    Returns:
        ``(always_required, condition, understood)``: ``condition`` is set for a
        conditional requirement; ``understood`` is false for a sentence the checks
        cannot enforce (e.g. "Như QĐ 4210", whose rule is not in the sheet).
    """
    cell = text.strip()
    if not cell or cell.lower() == "x":
        return bool(cell), None, True
    condition = _parse_condition(cell)
    return False, condition, condition is not None


def _parse_condition(cell: str) -> Condition | None:
    for pattern, kind in _REQUIREMENT_PATTERNS:
        match = pattern.search(cell)
        if match is None:
            continue
        if kind == "all_null":
            return Condition(op="all_null", fields=match.groups())
        if kind == "not_null":
            return Condition(op="not_null", fields=(match.group(1),))
        if kind == "not_in_nhom":
            values = _split_values(match.group(1))
            return Condition(op="not_in", fields=("MA_NHOM",), values=values)
        values = _split_values(match.group(2))
        return Condition(op=kind, fields=(match.group(1),), values=values)
    return None


_CCCD_TEXT = re.compile(r"9\s*,\s*12\s+ký\s+tự\s+số", re.I)
_TEN_DIGITS_TEXT = re.compile(r"10\s+ký\s+tự\s+dạng\s+số", re.I)
_GOI_TEXT = re.compile(r"Ký\s+tự\s+G\s*\+\s*số\s+từ\s+1\s*-\s*999", re.I)
_NULL_OR_ONE_TEXT = re.compile(r"Null\s+hoặc\s*=\s*1", re.I)
_NOT_BEFORE_TEXT = re.compile(rf">=\s*{_FIELD}")
_CODE_LIST_TEXT = re.compile(r"Check\s+Danh\s+mục", re.I)
_DIGITS_NOT_ZERO_TEXT = re.compile(
    r"là\s+Số.*không\s+được\s+để\s+tất\s+cả\s*=\s*0", re.I
)
_SAME_AS_XML1_TEXT = re.compile(
    r"phải\s+giống\s+thông\s+tin\s+này\s+ở\s+bảng\s+1", re.I
)
_DAYS_WITHIN_TEXT = re.compile(
    rf"nhỏ\s+hơn\s+hoặc\s+bằng.*?\b{_FIELD}\s+trừ\s+đi.*?\b{_FIELD}\b", re.S
)
_ONE_OF_TEXT = re.compile(r"Bắt\s+buộc\s+là\s+([A-Z0-9]+)\s+hoặc\s+null", re.I)


def parse_validation(text: str) -> tuple[tuple[CheckKind, str], ...]:
    """Parse the ``portal_validation`` cell into machine checks.

    Args:
        text: the cell, e.g. ``">= NGAY_YL"`` or ``"Null hoặc = 1"``.

    Returns:
        ``(kind, argument)`` pairs; the argument is the other field for
        ``not_before`` and empty otherwise. Sentences that are not understood give
        no check.
    """
    checks: list[tuple[CheckKind, str]] = []
    if _CCCD_TEXT.search(text):
        checks.append((CheckKind.CCCD, ""))
    if _TEN_DIGITS_TEXT.search(text):
        checks.append((CheckKind.TEN_DIGITS, ""))
    if _GOI_TEXT.search(text):
        checks.append((CheckKind.GOI_VTYT, ""))
    if _NULL_OR_ONE_TEXT.search(text):
        checks.append((CheckKind.NULL_OR_ONE, ""))
    checks.extend((CheckKind.NOT_BEFORE, m) for m in _NOT_BEFORE_TEXT.findall(text))
    if _CODE_LIST_TEXT.search(text):
        checks.append((CheckKind.CODE_LIST, ""))
    if _DIGITS_NOT_ZERO_TEXT.search(text.replace("ko ", "không ")):
        checks.append((CheckKind.DIGITS_NOT_ZERO, ""))
    if _SAME_AS_XML1_TEXT.search(text):
        checks.append((CheckKind.SAME_AS_XML1, ""))
    days = _DAYS_WITHIN_TEXT.search(text)
    if days is not None:
        checks.append((CheckKind.DAYS_WITHIN, f"{days.group(2)},{days.group(1)}"))
    one_of = _ONE_OF_TEXT.search(text)
    if one_of is not None:
        checks.append((CheckKind.ONE_OF, one_of.group(1)))
    return tuple(checks)


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


_VALID_FROM = re.compile(r"from\s+(\d{2})/(\d{2})/(\d{4})", re.I)
_VALID_UNTIL = re.compile(r"until\s+(\d{2})/(\d{2})/(\d{4})", re.I)


def _dmy(match: re.Match[str] | None) -> date | None:
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    return date(year, month, day)


_NOT_UNDERSTOOD_OK = re.compile(r"^$|Như|Giữ nguyên|Theo File|Sửa thành Không", re.I)


def _iso(text: str, *, where: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        msg = f"{REQUIREMENTS} {where}: '{text}' is not a yyyy-mm-dd date"
        raise ReferenceDataError(msg) from error


def load_requirements() -> dict[tuple[str, str], tuple[Requirement, ...]]:
    """Load the effective-dated reception requirements, per (table, field).

    Each row of ``data/reception_requirements.csv`` says what a field requires
    (``required``, ``optional`` or a condition as the sheet writes it, e.g.
    ``Bắt buộc khi MA_NHOM = 12``) from ``valid_from`` to ``valid_to`` (inclusive,
    empty = open) and on which legal basis.

    Raises:
        ReferenceDataError: A row that cannot be understood, or two rows of one
            field whose periods overlap.
    """
    out: dict[tuple[str, str], list[Requirement]] = {}
    for number, row in enumerate(_read_csv(REQUIREMENTS), start=2):
        where = f"line {number}"
        text = row["requirement"].strip()
        if text.lower() in {"required", "optional"}:
            required, condition = text.lower() == "required", None
        else:
            required, condition, understood = parse_requirement(text)
            if not understood or condition is None:
                msg = f"{REQUIREMENTS} {where}: requirement '{text}' not understood"
                raise ReferenceDataError(msg)
        start = _iso(row["valid_from"], where=where)
        end = _iso(row["valid_to"], where=where)
        if start and end and end < start:
            msg = f"{REQUIREMENTS} {where}: valid_to is before valid_from"
            raise ReferenceDataError(msg)
        key = (row["table"].strip(), row["field"].strip())
        out.setdefault(key, []).append(
            Requirement(
                required=required,
                condition=condition,
                text=text,
                valid_from=start,
                valid_to=end,
                basis=Basis(
                    document=row["document"].strip(),
                    article=row["article"].strip(),
                    date=_iso(row["document_date"], where=where),
                ),
                note=row["note"].strip(),
            )
        )
    for key, rows in out.items():
        rows.sort(key=lambda r: r.valid_from or date.min)
        for before, after in itertools.pairwise(rows):
            if (
                before.valid_to is None
                or after.valid_from is None
                or before.valid_to >= after.valid_from
            ):
                msg = f"{REQUIREMENTS}: periods of {key[0]}.{key[1]} overlap"
                raise ReferenceDataError(msg)
    return {key: tuple(rows) for key, rows in out.items()}


@lru_cache(maxsize=1)
def load_portal_rules() -> PortalRules:
    """Load the portal sheet and the code lists shipped in ``standard/data``.

    Returns:
        The parsed rules (cached: the files are read once per process).
    """
    fields: dict[str, list[FieldRule]] = {}
    unparsed: list[tuple[str, str, str]] = []
    dated = dict(load_requirements())
    for row in _read_csv(PORTAL_SHEET):
        cell = row["required"]
        required, condition, understood = parse_requirement(cell)
        if not understood:
            unparsed.append((row["table"], row["field"], row["required"]))
        maxlen = row["maxlen"].strip()
        checks = parse_validation(row["portal_validation"])
        if not checks and not _NOT_UNDERSTOOD_OK.search(row["portal_validation"]):
            unparsed.append((row["table"], row["field"], row["portal_validation"]))
        fields.setdefault(row["table"], []).append(
            FieldRule(
                table=row["table"],
                field=row["field"].strip(),
                portal_type=row["type"],
                max_length=int(maxlen) if maxlen.isdigit() else None,
                required=required,
                condition=condition,
                required_text=cell,
                validation_text=row["portal_validation"],
                checks=checks,
                periods=dated.pop((row["table"], row["field"].strip()), ()),
            )
        )
    if dated:
        missing = ", ".join(f"{t}.{f}" for t, f in sorted(dated))
        msg = f"{REQUIREMENTS}: no such field in the portal sheet: {missing}"
        raise ReferenceDataError(msg)

    code_lists: dict[str, set[str]] = {}
    for row in _read_csv(ENUMERATIONS):
        code_lists.setdefault(row["code_system"], set()).add(row["code"].strip())

    periods: dict[str, tuple[date | None, date | None]] = {}
    loai: dict[str, tuple[date | None, date | None]] = {}
    for row in _read_csv(MA_LOAI_KCB_LIST):
        version = row["version"]
        if version not in periods:
            periods[version] = (
                _dmy(_VALID_FROM.search(row["valid"])),
                _dmy(_VALID_UNTIL.search(row["valid"])),
            )
        start, end = periods[version]
        code = row["code"].strip()
        old_start, old_end = loai.get(code, (start, end))
        loai[code] = (
            None if start is None or old_start is None else min(start, old_start),
            None if end is None or old_end is None else max(end, old_end),
        )
    code_lists["MA_LOAI_KCB"] = set(loai)
    code_lists["MA_DOITUONG_KCB"] = {
        row["ma_doituong_kcb"].strip() for row in _read_csv(MA_DOITUONG_KCB_LIST)
    }
    return PortalRules(
        fields={k: tuple(v) for k, v in fields.items()},
        code_lists={k: frozenset(v) for k, v in code_lists.items()},
        code_periods={"MA_LOAI_KCB": loai},
        unparsed=tuple(unparsed),
    )


#: Field name → code system, for the enumerations checked in every table that has
#: the field.
ENUMERATED_FIELDS: dict[str, str] = {
    "GIOI_TINH": "GIOI_TINH",
    "GIOI_TINH_CON": "GIOI_TINH",
    "MA_NHOM": "MA_NHOM",
    "PHAM_VI": "PHAM_VI",
    "MA_PTTT": "MA_PTTT",
    "PP_VO_CAM": "PP_VO_CAM",
    "KET_QUA_DTRI": "KET_QUA_DTRI",
    "MA_LOAI_RV": "MA_LOAI_RV",
    "MA_LOAI_KCB": "MA_LOAI_KCB",
    "MA_DOITUONG_KCB": "MA_DOITUONG_KCB",
    "NGUON_CTRA": "NGUON_CTRA",
    "MA_LYDO_CT": "MA_LYDO_CT",
}

#: ``;``-separated list fields whose items are ``yyyymmdd`` dates.
DATE_LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "XML1": ("GT_THE_TU", "GT_THE_DEN"),
}

#: Timestamps where the standard allows unknown parts written as ``00`` / ``0000``
#: (QĐ 130: unknown day or month of birth).
_PARTIAL_TIMESTAMPS = frozenset({"NGAY_SINH"})
_PARTIAL_RE = r"^\d{4}(0[0-9]|1[0-2])([0-2][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9]$"

#: Summary fields of XML1 and how they are computed from the lines (§6.4).
SUMMARY_TOTALS: tuple[str, ...] = (
    "T_THUOC",
    "T_VTYT",
    "T_TONGCHI_BV",
    "T_TONGCHI_BH",
    "T_BNTT",
    "T_BNCCT",
    "T_BHTT",
    "T_NGUONKHAC",
)
#: ``MA_NHOM`` of supply lines in XML3 (summed into ``T_VTYT``).
SUPPLY_GROUPS = (10, 11)


# ------------------------------------------------------------------- helpers


class _Ctx:
    """Collects the findings of one run and renders them."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def emit(
        self,
        code: str,
        *,
        location: Location,
        evidence: dict[str, Any],
        fmt: dict[str, Any],
        ma_cskcb: str | None = None,
    ) -> None:
        spec = CODES[code]
        values = {"field": location.field, "table": location.table, **fmt}
        self.findings.append(
            Finding(
                code=code,
                severity=spec.severity,
                message=spec.message.format(**values),
                message_en=spec.message_en.format(**values),
                location=location,
                evidence=evidence,
                basis=(_BASIS_APPENDIX, _BASIS_PORTAL),
                ma_cskcb=ma_cskcb,
            )
        )


# NOTE: operands are Arrow scalars of the column's type: a Python scalar makes pyarrow
# try (and fail) optional imports on every call, which costs more than the kernel.
_ZERO = pa.scalar(0, pa.int32())


def _is_text(arr: pa.ChunkedArray | pa.Array) -> bool:
    return bool(pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type))


def _empty_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Mask of null or blank strings."""
    blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(arr)), _ZERO)
    return pc.or_kleene(pc.is_null(arr), blank)


def _missing(table: pa.Table, name: str) -> pa.ChunkedArray:
    """Mask of rows where ``name`` has no data (typed null with no raw text)."""
    arr = table.column(name)
    if _is_text(arr):
        return _empty_text(arr)
    mask = pc.is_null(arr)
    raw = f"{name}__raw"
    if raw in table.column_names:
        mask = pc.and_(mask, pc.is_null(table.column(raw)))
    return mask


def _present(table: pa.Table, name: str) -> pa.ChunkedArray:
    return pc.invert(_missing(table, name))


def _parsed(table: pa.Table, name: str) -> pa.ChunkedArray:
    """Mask of rows where ``name`` has a usable value.

    Non-blank text, or a typed value that parsed: text that did not parse is for
    RC104/RC105 to report, never a value for another check.
    """
    arr = table.column(name)
    if _is_text(arr):
        return pc.invert(_empty_text(arr))
    return pc.is_valid(arr)


def _as_text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    return arr if _is_text(arr) else pc.cast(arr, pa.string())


def _matches_any(arr: pa.ChunkedArray, values: Sequence[str]) -> pa.ChunkedArray:
    """Mask of rows whose value (compared as text) is one of ``values``."""
    if pa.types.is_integer(arr.type):
        ints = [int(v) for v in values if v.lstrip("-").isdigit()]
        return pc.is_in(arr, value_set=pa.array(ints, arr.type))
    text = pc.utf8_trim_whitespace(_as_text(arr))
    return pc.is_in(text, value_set=pa.array(list(values), pa.string()))


def _true(mask: pa.ChunkedArray | pa.Array) -> pa.Array:
    """Indices of rows where ``mask`` is true (null counts as false)."""
    filled = pc.fill_null(mask, fill_value=False)
    return pc.indices_nonzero(filled)


class _Rows:
    """Lazy access to the location columns of one table for offending rows."""

    def __init__(self, table_name: str, table: pa.Table) -> None:
        self.name = table_name
        self.table = table

    def _column(self, name: str, idx: pa.Array) -> list[Any]:
        if name not in self.table.column_names:
            return [None] * len(idx)
        return list(self.table.column(name).take(idx).to_pylist())

    def rows(self, mask: pa.ChunkedArray | pa.Array) -> Iterable[dict[str, Any]]:
        idx = _true(mask)
        if len(idx) == 0:
            return []
        cols = {
            "file": self._column("_file", idx),
            "hoso": self._column("_hoso", idx),
            "ma_lk": self._column("MA_LK", idx),
            "stt": self._column("STT", idx),
            # The envelope's facility, else the record's own (a bare table file);
            # always the text as written (a leading zero stays).
            "cskcb": [
                envelope or own or None
                for envelope, own in zip(
                    self._column("_envelope_cskcb", idx),
                    self._column("MA_CSKCB", idx),
                    strict=True,
                )
            ],
            "index": idx.to_pylist(),
        }
        return [
            dict(zip(cols, vals, strict=True))
            for vals in zip(*cols.values(), strict=True)
        ]

    def values(self, name: str, mask: pa.ChunkedArray | pa.Array) -> list[Any]:
        return self._column(name, _true(mask))

    def location(self, row: dict[str, Any], field_name: str | None) -> Location:
        stt = row["stt"]
        return Location(
            file=row["file"],
            ma_lk=row["ma_lk"],
            table=self.name,
            stt=int(stt) if isinstance(stt, int) else None,
            field=field_name,
        )


def _text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y%m%d%H%M")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


def _emit_rows(
    ctx: _Ctx,
    rows: _Rows,
    mask: pa.ChunkedArray | pa.Array,
    *,
    code: str,
    field_name: str | None,
    value_column: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    values = rows.values(value_column, mask) if value_column is not None else None
    for i, row in enumerate(rows.rows(mask)):
        value = _text_value(values[i]) if values is not None else ""
        evidence: dict[str, Any] = {"hoso": row["hoso"]}
        if value_column is not None:
            evidence["value"] = value
        if extra:
            evidence.update(extra)
        ctx.emit(
            code,
            location=rows.location(row, field_name),
            evidence=evidence,
            fmt={
                "value": value,
                "ma_lk": row["ma_lk"],
                "stt": row["stt"],
                **(extra or {}),
            },
            ma_cskcb=row["cskcb"],
        )


# -------------------------------------------------------------- field checks


def _check_required(
    ctx: _Ctx, rows: _Rows, rule: FieldRule, ends: Callable[[], pa.ChunkedArray]
) -> None:
    """Report empty required fields: the sheet's rule, or a period's replacing it.

    With effective-dated requirements, each row is judged by the requirement in
    force on its claim's date (``ends()``: NGAY_RA, else NGAY_VAO of the claim's
    XML1); a row whose claim date is unknown is not judged (RC105/RC140 say why).
    """
    if not rule.periods:
        _report_requirement(ctx, rows, rule.field, rule.required, rule.condition)
        return
    day = ends()
    outside = pc.is_valid(day)
    for period in rule.periods:
        inside = pc.is_valid(day)
        if period.valid_from is not None:
            start = pa.scalar(period.valid_from, pa.date32())
            inside = pc.and_(inside, pc.greater_equal(day, start))
        if period.valid_to is not None:
            end = pa.scalar(period.valid_to, pa.date32())
            inside = pc.and_(inside, pc.less_equal(day, end))
        outside = pc.and_(outside, pc.invert(inside))
        _report_requirement(
            ctx, rows, rule.field, period.required, period.condition, scope=inside
        )
    _report_requirement(
        ctx, rows, rule.field, rule.required, rule.condition, scope=outside
    )


def _report_requirement(
    ctx: _Ctx,
    rows: _Rows,
    name: str,
    required: bool,  # noqa: FBT001 - the requirement's own flag
    condition: Condition | None,
    *,
    scope: pa.ChunkedArray | None = None,
) -> None:
    """Report rows (within ``scope``) where ``name`` is empty but required."""
    table = rows.table
    if required:
        mask = _missing(table, name)
        if scope is not None:
            mask = pc.and_(mask, scope)
        _emit_rows(ctx, rows, mask, code="RC101", field_name=name)
        return
    cond = condition
    if cond is None or any(f not in table.column_names for f in cond.fields):
        return
    if cond.op == "all_null":
        applies = _missing(table, cond.fields[0])
        for other in cond.fields[1:]:
            applies = pc.and_(applies, _missing(table, other))
    elif cond.op == "not_null":
        applies = _present(table, cond.fields[0])
    elif cond.op == "in":
        applies = _matches_any(table.column(cond.fields[0]), cond.values)
    else:
        applies = pc.and_(
            _present(table, cond.fields[0]),
            pc.invert(_matches_any(table.column(cond.fields[0]), cond.values)),
        )
    mask = pc.and_(applies, _missing(table, name))
    if scope is not None:
        mask = pc.and_(mask, scope)
    _emit_rows(
        ctx,
        rows,
        mask,
        code="RC102",
        field_name=name,
        extra={"condition": cond.describe()},
    )


def _check_length(ctx: _Ctx, rows: _Rows, rule: FieldRule) -> None:
    arr = rows.table.column(rule.field)
    if rule.max_length is None:
        return
    if pa.types.is_integer(arr.type):
        # The digits of the integer as written without sign or leading zeros.
        arr = pc.cast(pc.abs(arr), pa.string())
    elif not _is_text(arr):
        return
    lengths = pc.utf8_length(arr)
    mask = pc.greater(lengths, pa.scalar(rule.max_length, lengths.type))
    if not pc.any(mask).as_py():
        return
    found = rows.values(rule.field, mask)
    for value, row in zip(found, rows.rows(mask), strict=True):
        text = str(value)
        shown = text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "…"
        ctx.emit(
            "RC103",
            location=rows.location(row, rule.field),
            evidence={
                "hoso": row["hoso"],
                "value": shown,
                "length": len(text),
                "max_length": rule.max_length,
            },
            fmt={"length": len(text), "max_length": rule.max_length},
            ma_cskcb=row["cskcb"],
        )


_SHOWN = 80
_DATE_FORMATS = {"date": ("yyyymmdd", 8), "timestamp": ("yyyymmddHHMM", 12)}


def _check_parse(ctx: _Ctx, rows: _Rows, name: str) -> None:
    """Report values that the reader could not type (kept in ``<FIELD>__raw``)."""
    table = rows.table
    raw_name = f"{name}__raw"
    if raw_name not in table.column_names:
        return
    raw = table.column(raw_name)
    mask = pc.is_valid(raw)
    if not pc.any(mask).as_py():
        return
    typ = table.column(name).type
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        kind = "timestamp" if pa.types.is_timestamp(typ) else "date"
        expected = _DATE_FORMATS[kind][0]
        if name in _PARTIAL_TIMESTAMPS:
            partial = pc.match_substring_regex(
                pc.utf8_trim_whitespace(raw), pattern=_PARTIAL_RE
            )
            mask = pc.and_(mask, pc.invert(pc.fill_null(partial, fill_value=False)))
        _emit_rows(
            ctx,
            rows,
            mask,
            code="RC105",
            field_name=name,
            value_column=raw_name,
            extra={"expected": expected},
        )
    else:
        _emit_rows(
            ctx, rows, mask, code="RC104", field_name=name, value_column=raw_name
        )


_CCCD_RE = r"^([0-9]{9}|[0-9]{12}|[A-Z][0-9]{7})$"
_TEN_DIGITS_RE = r"^[0-9]{10}$"
_GOI_RE = r"^G([1-9][0-9]{0,2})$"


def _check_pattern(
    ctx: _Ctx, rows: _Rows, name: str, *, pattern: str, code: str
) -> None:
    arr = _as_text(rows.table.column(name))
    ok = pc.match_substring_regex(arr, pattern=pattern)
    mask = pc.and_(
        _parsed(rows.table, name), pc.invert(pc.fill_null(ok, fill_value=False))
    )
    _emit_rows(ctx, rows, mask, code=code, field_name=name, value_column=name)


def _check_null_or_one(ctx: _Ctx, rows: _Rows, name: str) -> None:
    table = rows.table
    arr = table.column(name)
    is_one = _matches_any(arr, ["1"])
    mask = pc.and_(pc.is_valid(arr), pc.invert(is_one))
    if _is_text(arr):
        mask = pc.and_(_present(table, name), pc.invert(is_one))
    # NOTE: values that did not parse are null here; RC104 reports them.
    _emit_rows(ctx, rows, mask, code="RC113", field_name=name, value_column=name)


def _check_not_before(ctx: _Ctx, rows: _Rows, name: str, other: str) -> None:
    table = rows.table
    if other not in table.column_names:
        return
    left, right = _comparable(table.column(name), table.column(other))
    if left is None or right is None:
        return
    mask = pc.less(left, right)
    if not pc.any(mask).as_py():
        return
    others = rows.values(other, mask)
    values = rows.values(name, mask)
    for value, other_value, row in zip(values, others, rows.rows(mask), strict=True):
        shown, other_shown = _text_value(value), _text_value(other_value)
        ctx.emit(
            "RC120",
            location=rows.location(row, name),
            evidence={
                "hoso": row["hoso"],
                "value": shown,
                "other": other,
                "other_value": other_shown,
            },
            fmt={"value": shown, "other": other, "other_value": other_shown},
            ma_cskcb=row["cskcb"],
        )


def _comparable(
    left: pa.ChunkedArray, right: pa.ChunkedArray
) -> tuple[pa.ChunkedArray | None, pa.ChunkedArray | None]:
    """Return two date/time columns at the precision of the coarser one.

    A ``yyyymmdd`` date compared with a ``yyyymmddHHMM`` timestamp is compared as a
    date: the date says nothing of the hour, so a certificate dated the day of
    admission is not "earlier" than an admission at 08:00. ``(None, None)`` when
    either column is not a date or time.
    """
    if not (pa.types.is_temporal(left.type) and pa.types.is_temporal(right.type)):
        return None, None
    if left.type == right.type:
        return left, right
    if pa.types.is_date(left.type) or pa.types.is_date(right.type):
        target = pa.date32()
    else:
        target = pa.timestamp("s")
    return pc.cast(left, target), pc.cast(right, target)


def _claim_dates(
    table: pa.Table, names: Sequence[str] = ("NGAY_RA", "NGAY_VAO", "NGAY_YL")
) -> pa.ChunkedArray | None:
    """The date a claim is judged on: NGAY_RA, else NGAY_VAO, else NGAY_YL.

    A date written but not parsed (text in ``<FIELD>__raw``) is not skipped for the
    next one: the claim's date is then unknown (null), so no check guesses it.
    """
    result: pa.ChunkedArray | pa.Array | None = None
    for name in names:
        if name not in table.column_names:
            continue
        col = table.column(name)
        if not pa.types.is_temporal(col.type):
            continue
        as_date = pc.cast(col, pa.date32()) if not pa.types.is_date32(col.type) else col
        raw = f"{name}__raw"
        if raw in table.column_names:
            # Unparsed text: an explicit "unknown" that stops the fallback.
            as_date = pc.if_else(pc.is_valid(table.column(raw)), _UNKNOWN_DAY, as_date)
        result = as_date if result is None else pc.coalesce(result, as_date)
    if result is None:
        return None
    result = pc.if_else(pc.equal(result, _UNKNOWN_DAY), _NULL_DAY, result)
    return result if isinstance(result, pa.ChunkedArray) else pa.chunked_array([result])


# A day no claim has: marks a date written but not parsed while the fallback runs.
_UNKNOWN_DAY = pa.scalar(date(1, 1, 1), pa.date32())
_NULL_DAY = pa.scalar(None, pa.date32())


def _check_code_list(
    ctx: _Ctx, rows: _Rows, name: str, system: str, rules: PortalRules
) -> None:
    allowed = rules.code_lists.get(system)
    if not allowed:
        return
    table = rows.table
    arr = table.column(name)
    known = _matches_any(arr, sorted(allowed))
    mask = pc.and_(pc.is_valid(arr), pc.invert(known))
    if _is_text(arr):
        mask = pc.and_(_present(table, name), pc.invert(known))
    _emit_rows(
        ctx,
        rows,
        mask,
        code="RC130",
        field_name=name,
        value_column=name,
        extra={"code_system": system},
    )
    periods = rules.code_periods.get(system)
    on = _claim_dates(table)
    if not periods or on is None:
        return
    for code, (start, end) in sorted(periods.items()):
        if start is None and end is None:
            continue
        this_code = _matches_any(arr, [code])
        early = pc.less(on, pa.scalar(start, pa.date32())) if start else None
        late = pc.greater(on, pa.scalar(end, pa.date32())) if end else None
        if early is not None and late is not None:
            outside = pc.or_(early, late)
        else:
            outside = early if early is not None else late
        mask = pc.and_(this_code, outside)
        if not pc.any(mask).as_py():
            continue
        for row in rows.rows(mask):
            day = on[row["index"]].as_py()
            ctx.emit(
                "RC131",
                location=rows.location(row, name),
                evidence={
                    "hoso": row["hoso"],
                    "value": code,
                    "on": _text_value(day),
                    "valid_from": start.isoformat() if start else None,
                    "valid_to": end.isoformat() if end else None,
                },
                fmt={"value": code, "on": day.isoformat() if day else "?"},
                ma_cskcb=row["cskcb"],
            )


def _check_withdrawal(ctx: _Ctx, rows: _Rows) -> None:
    if "MA_DOITUONG_KCB" not in rows.table.column_names:
        return
    mask = _matches_any(rows.table.column("MA_DOITUONG_KCB"), ["8"])
    _emit_rows(ctx, rows, mask, code="RC132", field_name="MA_DOITUONG_KCB")


_DATE_ITEM_RE = r"^[0-9]{8}$"


def _check_date_lists(ctx: _Ctx, rows: _Rows, name: str) -> None:
    arr = rows.table.column(name)
    if not _is_text(arr):
        return
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    parts = pc.split_pattern(arr, pattern=";")
    items = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    parents = pc.list_parent_indices(parts)
    shaped = pc.match_substring_regex(items, pattern=_DATE_ITEM_RE)
    parsed = pc.strptime(items, format="%Y%m%d", unit="s", error_is_null=True)
    # NOTE: Arrow's strptime rolls 20260231 over to 2026-03-03; printing the
    # parsed value back and comparing rejects such impossible calendar days.
    same = pc.equal(pc.strftime(parsed, format="%Y%m%d"), items)
    bad_item = pc.or_kleene(
        pc.invert(shaped), pc.invert(pc.fill_null(same, fill_value=False))
    )
    bad_item = pc.and_(bad_item, pc.greater(pc.utf8_length(items), _ZERO))
    bad_rows = pc.unique(pc.filter(parents, pc.fill_null(bad_item, fill_value=False)))
    if len(bad_rows) == 0:
        return
    mask = pc.is_in(
        pa.array(range(len(arr)), pa.int64()), value_set=pc.cast(bad_rows, pa.int64())
    )
    _emit_rows(ctx, rows, mask, code="RC106", field_name=name, value_column=name)


_PATTERNS = {
    CheckKind.CCCD: (_CCCD_RE, "RC110"),
    CheckKind.TEN_DIGITS: (_TEN_DIGITS_RE, "RC111"),
    CheckKind.GOI_VTYT: (_GOI_RE, "RC112"),
}


def _run_check(ctx: _Ctx, rows: _Rows, name: str, kind: CheckKind, arg: str) -> None:
    if kind in _PATTERNS:
        pattern, code = _PATTERNS[kind]
        _check_pattern(ctx, rows, name, pattern=pattern, code=code)
    elif kind is CheckKind.NULL_OR_ONE:
        _check_null_or_one(ctx, rows, name)
    elif kind is CheckKind.NOT_BEFORE:
        _check_not_before(ctx, rows, name, arg)
    elif kind is CheckKind.DIGITS_NOT_ZERO:
        _check_digits_not_zero(ctx, rows, name)
    elif kind is CheckKind.DAYS_WITHIN:
        start, end = arg.split(",")
        _check_days_within(ctx, rows, name, start, end)
    elif kind is CheckKind.ONE_OF:
        _check_one_of(ctx, rows, name, arg)
    # SAME_AS_XML1 needs XML1: see _check_same_as_xml1; CODE_LIST: _check_code_list.


def _check_digits_not_zero(ctx: _Ctx, rows: _Rows, name: str) -> None:
    arr = _as_text(rows.table.column(name))
    digits = pc.fill_null(
        pc.match_substring_regex(arr, pattern=r"^[0-9]+$"), fill_value=False
    )
    zeros = pc.fill_null(
        pc.match_substring_regex(arr, pattern=r"^0+$"), fill_value=False
    )
    bad = pc.or_(pc.invert(digits), zeros)
    mask = pc.and_(_parsed(rows.table, name), bad)
    _emit_rows(ctx, rows, mask, code="RC114", field_name=name, value_column=name)


def _check_one_of(ctx: _Ctx, rows: _Rows, name: str, value: str) -> None:
    """The field is empty or exactly ``value`` (reported as a one-code list)."""
    arr = pc.utf8_trim_whitespace(_as_text(rows.table.column(name)))
    mask = pc.and_(
        _parsed(rows.table, name),
        pc.not_equal(arr, pa.scalar(value, pa.string())),
    )
    _emit_rows(
        ctx,
        rows,
        mask,
        code="RC130",
        field_name=name,
        value_column=name,
        extra={"code_system": f"{{{value}}}"},
    )


def _check_days_within(ctx: _Ctx, rows: _Rows, name: str, start: str, end: str) -> None:
    """A number of days is at most the days from ``start`` to ``end``."""
    table = rows.table
    if start not in table.column_names or end not in table.column_names:
        return
    first, last = table.column(start), table.column(end)
    count = table.column(name)
    if not (
        pa.types.is_temporal(first.type)
        and pa.types.is_temporal(last.type)
        and pa.types.is_integer(count.type)
    ):
        return
    span = pc.days_between(pc.cast(first, pa.date32()), pc.cast(last, pa.date32()))
    mask = pc.greater(pc.cast(count, pa.int64()), pc.cast(span, pa.int64()))
    if not pc.any(mask).as_py():
        return
    values = zip(
        rows.values(name, mask),
        rows.values(start, mask),
        rows.values(end, mask),
        pc.filter(span, pc.fill_null(mask, fill_value=False)).to_pylist(),
        strict=True,
    )
    for (value, first_day, last_day, days), row in zip(
        values, rows.rows(mask), strict=True
    ):
        fmt = {
            "value": value,
            "start": start,
            "start_value": _text_value(first_day),
            "end": end,
            "end_value": _text_value(last_day),
            "days": days,
        }
        ctx.emit(
            "RC121",
            location=rows.location(row, name),
            evidence={"hoso": row["hoso"], **fmt},
            fmt=fmt,
            ma_cskcb=row["cskcb"],
        )


def _check_table(
    ctx: _Ctx,
    name: str,
    table: pa.Table,
    rules: PortalRules,
    ends: Callable[[], pa.ChunkedArray],
) -> None:
    rows = _Rows(name, table)
    columns = set(table.column_names)
    for rule in rules.fields.get(name, ()):
        if rule.field not in columns:
            continue
        _check_required(ctx, rows, rule, ends)
        _check_length(ctx, rows, rule)
        for kind, arg in rule.checks:
            _run_check(ctx, rows, rule.field, kind, arg)
    for col in table.column_names:
        if col.startswith("_") or col.endswith("__raw"):
            continue
        _check_parse(ctx, rows, col)
        system = ENUMERATED_FIELDS.get(col)
        if system is not None:
            _check_code_list(ctx, rows, col, system, rules)
    for col in DATE_LIST_FIELDS.get(name, ()):
        if col in columns:
            _check_date_lists(ctx, rows, col)
    if name == "XML1":
        _check_withdrawal(ctx, rows)


# ---------------------------------------------------------------- cross-table


def _keys(table: pa.Table) -> bool:
    return all(c in table.column_names for c in (*_KEYS, "MA_LK"))


_KEYS = ("_kfile", "_khoso")
_BARE = -1


def _with_keys(table: pa.Table) -> pa.Table:
    """Add the claim-unit keys ``_kfile``/``_khoso`` used by the cross-table checks.

    Rows of an envelope are keyed by file and HOSO. Rows of a bare table file (no
    envelope facility code) are keyed by ``MA_LK`` alone across every bare file of
    the batch, since a claim sent as bare files spreads over several files.
    """
    if "_file" not in table.column_names or "_hoso" not in table.column_names:
        return table
    n = table.num_rows
    if "_envelope_cskcb" in table.column_names:
        envelope = pc.is_valid(table.column("_envelope_cskcb"))
    else:
        envelope = pa.array([False] * n, pa.bool_())
    kfile = pc.if_else(
        envelope,
        pc.cast(table.column("_file"), pa.string()),
        pa.scalar("", pa.string()),
    )
    khoso = pc.if_else(
        envelope,
        pc.cast(table.column("_hoso"), pa.int64()),
        pa.scalar(_BARE, pa.int64()),
    )
    return table.append_column("_kfile", kfile).append_column("_khoso", khoso)


def _check_hoso_xml1(ctx: _Ctx, tables: Mapping[str, pa.Table]) -> None:
    """Each HOSO needs exactly one XML1 record; each MA_LK one HOSO per file."""
    xml1 = tables.get("XML1")
    hosos: set[tuple[str, int]] = set()
    cskcb: dict[tuple[str, int], str | None] = {}
    for name, table in tables.items():
        if name == "XML0" or not _keys(table):
            continue
        grouped = table.group_by(list(_KEYS)).aggregate([])
        files = grouped.column("_kfile").to_pylist()
        idx = grouped.column("_khoso").to_pylist()
        hosos.update((f, h) for f, h in zip(files, idx, strict=True) if h != _BARE)
    counts: dict[tuple[str, int], int] = {}
    if xml1 is not None and _keys(xml1):
        agg = xml1.group_by(list(_KEYS)).aggregate([([], "count_all")])
        for f, h, n in zip(
            agg.column("_kfile").to_pylist(),
            agg.column("_khoso").to_pylist(),
            agg.column("count_all").to_pylist(),
            strict=True,
        ):
            counts[(f, h)] = n
        if "_envelope_cskcb" in xml1.column_names:
            for f, h, c in zip(
                xml1.column("_file").to_pylist(),
                xml1.column("_hoso").to_pylist(),
                xml1.column("_envelope_cskcb").to_pylist(),
                strict=True,
            ):
                cskcb[(f, h)] = c
        enveloped = pc.and_(
            pc.is_valid(xml1.column("MA_LK")),
            pc.not_equal(xml1.column("_khoso"), pa.scalar(_BARE, pa.int64())),
        )
        dup = (
            xml1.filter(enveloped)
            .group_by(["_file", "MA_LK"])
            .aggregate([("_hoso", "count_distinct"), ("_hoso", "min")])
        )
        dup = dup.filter(
            pc.greater(dup.column("_hoso_count_distinct"), pa.scalar(1, pa.int64()))
        )
        for f, lk, n, first in zip(
            dup.column("_file").to_pylist(),
            dup.column("MA_LK").to_pylist(),
            dup.column("_hoso_count_distinct").to_pylist(),
            dup.column("_hoso_min").to_pylist(),
            strict=True,
        ):
            ctx.emit(
                "RC142",
                location=Location(file=f, ma_lk=lk, table="XML1", field="MA_LK"),
                evidence={"hoso": first, "count": n},
                fmt={"ma_lk": lk, "count": n},
                ma_cskcb=cskcb.get((f, first)),
            )
    for key in sorted(hosos, key=lambda k: (str(k[0]), k[1])):
        n = counts.get(key, 0)
        if n != 1:
            ctx.emit(
                "RC141",
                location=Location(file=key[0], table="XML1"),
                evidence={"hoso": key[1], "count": n},
                fmt={"hoso": key[1], "count": n},
                ma_cskcb=cskcb.get(key),
            )


def _check_keys(ctx: _Ctx, tables: Mapping[str, pa.Table]) -> None:
    """Every table's MA_LK must exist in XML1 of the same HOSO."""
    xml1 = tables.get("XML1")
    if xml1 is None or not _keys(xml1):
        return
    known = xml1.select([*_KEYS, "MA_LK"]).group_by([*_KEYS, "MA_LK"]).aggregate([])
    for name, table in tables.items():
        if name in ("XML0", "XML1") or not _keys(table) or table.num_rows == 0:
            continue
        probe = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
        probe = probe.select([*_KEYS, "MA_LK", "_row"]).filter(
            pc.is_valid(table.column("MA_LK"))
        )
        orphans = probe.join(known, keys=[*_KEYS, "MA_LK"], join_type="left anti")
        if orphans.num_rows == 0:
            continue
        mask = pc.is_in(
            pa.array(range(table.num_rows), pa.int64()),
            value_set=orphans.column("_row"),
        )
        rows = _Rows(name, table)
        _emit_rows(
            ctx, rows, mask, code="RC140", field_name="MA_LK", value_column="MA_LK"
        )


def _check_same_as_xml1(
    ctx: _Ctx, tables: Mapping[str, pa.Table], rules: PortalRules
) -> None:
    """A field the sheet says must equal XML1's, when filled, equals it.

    Rows are matched to the one XML1 record of their file, HOSO and ``MA_LK`` (a
    key with several XML1 records is RC141/RC142's and is not compared). Texts are
    compared trimmed; dates and times at the coarser precision of the two.
    """
    xml1 = tables.get("XML1")
    if xml1 is None or not _keys(xml1) or xml1.num_rows == 0:
        return
    keys = [*_KEYS, "MA_LK"]
    counts = (
        xml1.select(keys)
        .group_by(keys, use_threads=False)
        .aggregate([([], "count_all")])
    )
    unique = counts.filter(
        pc.equal(counts.column("count_all"), pa.scalar(1, pa.int64()))
    ).select(keys)
    for name, table in tables.items():
        fields = [
            rule.field
            for rule in rules.fields.get(name, ())
            if (CheckKind.SAME_AS_XML1, "") in rule.checks
            and rule.field in table.column_names
            and rule.field in xml1.column_names
            and rule.field != "MA_LK"
        ]
        if not fields or not _keys(table) or table.num_rows == 0:
            continue
        ours = table.select([*keys, *fields]).append_column(
            "_row", pa.array(range(table.num_rows), pa.int64())
        )
        theirs = xml1.select([*keys, *fields]).join(
            unique, keys=keys, join_type="inner", use_threads=False
        )
        theirs = theirs.rename_columns([*keys, *(f"{f}__xml1" for f in fields)])
        joined = ours.join(
            theirs, keys=keys, join_type="inner", use_threads=False
        ).sort_by("_row")
        if joined.num_rows == 0:
            continue
        rows = _Rows(name, table)
        index = joined.column("_row")
        for field_name in fields:
            mine, other = _same_footing(
                joined.column(field_name), joined.column(f"{field_name}__xml1")
            )
            differ = pc.and_(
                pc.and_(pc.is_valid(mine), pc.is_valid(other)),
                pc.not_equal(mine, other),
            )
            differ = pc.fill_null(differ, fill_value=False)
            if not pc.any(differ).as_py():
                continue
            mask = pc.is_in(
                pa.array(range(table.num_rows), pa.int64()),
                value_set=pc.filter(index, differ),
            )
            others = dict(
                zip(
                    pc.filter(index, differ).to_pylist(),
                    pc.filter(joined.column(f"{field_name}__xml1"), differ).to_pylist(),
                    strict=True,
                )
            )
            values = rows.values(field_name, mask)
            for value, row in zip(values, rows.rows(mask), strict=True):
                shown = _text_value(value)
                other_shown = _text_value(others[row["index"]])
                ctx.emit(
                    "RC143",
                    location=rows.location(row, field_name),
                    evidence={
                        "hoso": row["hoso"],
                        "value": shown,
                        "other_value": other_shown,
                    },
                    fmt={"value": shown, "other_value": other_shown},
                    ma_cskcb=row["cskcb"],
                )


def _same_footing(
    left: pa.ChunkedArray, right: pa.ChunkedArray
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Return two columns comparable with ``==``: trimmed text, or coarser time."""
    a, b = _comparable(left, right)
    if a is not None and b is not None:
        return a, b
    if left.type == right.type and not _is_text(left):
        return left, right

    def text(arr: pa.ChunkedArray) -> pa.ChunkedArray:
        trimmed = pc.utf8_trim_whitespace(_as_text(arr))
        empty = pc.equal(pc.utf8_length(trimmed), _ZERO)
        return pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)

    return text(left), text(right)


_LINE_COLUMNS = (
    "THANH_TIEN_BV",
    "THANH_TIEN_BH",
    "T_BNTT",
    "T_BNCCT",
    "T_BHTT",
    "T_NGUONKHAC",
)
_MONEY = pa.decimal128(18, 3)


def _lines(table: pa.Table | None, *, is_drug: bool) -> pa.Table:
    """Project a line table (XML2/XML3) to the columns the totals need."""
    cols: dict[str, pa.Array | pa.ChunkedArray] = {}
    n = 0 if table is None else table.num_rows
    for name, typ in (
        ("_kfile", pa.string()),
        ("MA_LK", pa.string()),
        ("_khoso", pa.int64()),
    ):
        cols[name] = (
            table.column(name)
            if table is not None and name in table.column_names
            else pa.nulls(n, typ)
        )
    for name in _LINE_COLUMNS:
        if table is not None and name in table.column_names:
            col = table.column(name)
            cols[name] = (
                pc.cast(col, _MONEY)
                if pa.types.is_decimal(col.type)
                else pa.nulls(n, _MONEY)
            )
        else:
            cols[name] = pa.nulls(n, _MONEY)
        cols[f"bad_{name}"] = _unparsed(table, name, n)
    if table is not None and "MA_NHOM" in table.column_names and not is_drug:
        supply = _matches_any(table.column("MA_NHOM"), [str(g) for g in SUPPLY_GROUPS])
        cols["is_supply"] = pc.fill_null(supply, fill_value=False)
        cols["bad_MA_NHOM"] = _unparsed(table, "MA_NHOM", n)
    else:
        cols["is_supply"] = pa.array([False] * n, pa.bool_())
        cols["bad_MA_NHOM"] = pa.array([False] * n, pa.bool_())
    cols["is_drug"] = pa.array([is_drug] * n, pa.bool_())
    return pa.table(cols)


def _unparsed(table: pa.Table | None, name: str, n: int) -> pa.ChunkedArray | pa.Array:
    """Mask of rows whose ``name`` was written but did not parse (RC104/RC105)."""
    raw = f"{name}__raw"
    if table is None or raw not in table.column_names:
        return pa.array([False] * n, pa.bool_())
    return pc.is_valid(table.column(raw))


_TOTAL_KEYS = ["_kfile", "_khoso", "MA_LK"]
# Each XML1 total and the line column it sums, with the line kind it is limited to.
_TOTAL_SOURCES: dict[str, tuple[str, str | None]] = {
    "T_THUOC": ("THANH_TIEN_BV", "is_drug"),
    "T_VTYT": ("THANH_TIEN_BV", "is_supply"),
    "T_TONGCHI_BV": ("THANH_TIEN_BV", None),
    "T_TONGCHI_BH": ("THANH_TIEN_BH", None),
    "T_BNTT": ("T_BNTT", None),
    "T_BNCCT": ("T_BNCCT", None),
    "T_BHTT": ("T_BHTT", None),
    "T_NGUONKHAC": ("T_NGUONKHAC", None),
}
# A money value this large may be off by more than 0.25 as a float. (Arrow scalars
# made once: a Python operand makes pyarrow retry an optional import on every call.)
_FLOAT_EXACT_BELOW = pa.scalar(1e14, pa.float64())
_HALF = pa.scalar(0.5, pa.float64())
_ZERO_FLOAT = pa.scalar(0.0, pa.float64())


def _total_differences(
    summary: pa.Table, lines: pa.Table
) -> list[tuple[int, str, Decimal, Decimal]]:
    """Return ``(row, total, declared, computed)`` where they differ by > tolerance.

    ``computed`` sums the lines of the same file, HOSO and ``MA_LK`` (0 without
    lines; a null ``MA_LK`` matches nothing). A total is not compared when its
    declared value is null (empty, or written but not parsed) or when a line it sums
    did not parse: RC101/RC104 say so once. Sorted by row, then total name. Arrow
    group-by and join; floats only pick the candidates, which are then compared
    exactly as decimals.
    """
    lines = lines.filter(pc.is_valid(lines.column("MA_LK")))
    money_null = pa.nulls(lines.num_rows, _MONEY)
    sources: dict[str, pa.ChunkedArray | pa.Array] = {}
    for name, (column, only) in _TOTAL_SOURCES.items():
        values = lines.column(column)
        # A line amount that did not parse makes the sum unknown: RC104 reports the
        # line, and the total is not compared (no second report of one error).
        unknown = lines.column(f"bad_{column}")
        if only is not None:
            values = pc.if_else(lines.column(only), values, money_null)
            unknown = pc.and_(lines.column(only), unknown)
        if only == "is_supply":
            # A line whose group did not parse may or may not be a supply.
            unknown = pc.or_(unknown, lines.column("bad_MA_NHOM"))
        sources[name] = values
        sources[f"{name}_unknown"] = unknown
    sums = (
        pa.table({**{k: lines.column(k) for k in _TOTAL_KEYS}, **sources})
        .group_by(_TOTAL_KEYS, use_threads=False)
        .aggregate(
            [(name, "sum") for name in _TOTAL_SOURCES]
            + [(f"{name}_unknown", "any") for name in _TOTAL_SOURCES]
        )
    )
    keyed = summary.filter(pc.is_valid(summary.column("MA_LK")))
    joined = keyed.select(["_row", *_TOTAL_KEYS]).join(
        sums, keys=_TOTAL_KEYS, join_type="left outer", use_threads=False
    )
    row_numbers = summary.column("_row")
    # Where each XML1 row is in the join (null: no lines, or no MA_LK).
    position = pc.index_in(row_numbers, value_set=joined.column("_row"))
    out: list[tuple[int, str, Decimal, Decimal]] = []
    for name in _TOTAL_SOURCES:
        declared = summary.column(name)
        computed = joined.column(f"{name}_sum").take(position)
        unknown = joined.column(f"{name}_unknown_any").take(position)
        known = pc.invert(pc.fill_null(unknown, fill_value=False))
        computed_f = pc.fill_null(pc.cast(computed, pa.float64()), _ZERO_FLOAT)
        declared_f = pc.cast(declared, pa.float64())
        candidate = pc.and_kleene(
            pc.and_kleene(pc.is_valid(declared), known),
            pc.or_kleene(
                pc.greater(pc.abs(pc.subtract(declared_f, computed_f)), _HALF),
                pc.greater_equal(
                    pc.max_element_wise(pc.abs(declared_f), pc.abs(computed_f)),
                    _FLOAT_EXACT_BELOW,
                ),
            ),
        )
        for row, value, exact in zip(
            pc.filter(row_numbers, candidate).to_pylist(),
            pc.filter(declared, candidate).to_pylist(),
            pc.filter(computed, candidate).to_pylist(),
            strict=True,
        ):
            total = Decimal(0) if exact is None else Decimal(exact)
            if abs(Decimal(value) - total) > TOTAL_TOLERANCE:
                out.append((row, name, Decimal(value), total))
    out.sort(key=lambda item: (item[0], item[1]))
    return out


def _check_totals(ctx: _Ctx, tables: Mapping[str, pa.Table]) -> None:
    """XML1 totals must equal the sums of the XML2/XML3 lines (±1 đ)."""
    xml1 = tables.get("XML1")
    if xml1 is None or not _keys(xml1) or xml1.num_rows == 0:
        return
    present = [c for c in SUMMARY_TOTALS if c in xml1.column_names]
    if not present:
        return
    summary: dict[str, Any] = {
        "_row": pa.array(range(xml1.num_rows), pa.int64()),
        "_kfile": xml1.column("_kfile"),
        "_khoso": xml1.column("_khoso"),
        "MA_LK": xml1.column("MA_LK"),
    }
    for name in SUMMARY_TOTALS:
        col = xml1.column(name) if name in xml1.column_names else None
        ok = col is not None and pa.types.is_decimal(col.type)
        summary[name] = pc.cast(col, _MONEY) if ok else pa.nulls(xml1.num_rows, _MONEY)
    result = _total_differences(
        pa.table(summary),
        pa.concat_tables(
            [
                _lines(tables.get("XML2"), is_drug=True),
                _lines(tables.get("XML3"), is_drug=False),
            ]
        ),
    )
    if not result:
        return
    by_row: dict[int, list[tuple[str, Decimal, Decimal]]] = {}
    for row_index, field_name, declared, computed in result:
        by_row.setdefault(row_index, []).append(
            (field_name, Decimal(declared), Decimal(computed))
        )
    mask = pc.is_in(
        pa.array(range(xml1.num_rows), pa.int64()),
        value_set=pa.array(sorted(by_row), pa.int64()),
    )
    rows = _Rows("XML1", xml1)
    for row in rows.rows(mask):
        for field_name, declared, computed in by_row[row["index"]]:
            amounts = {
                "declared": declared,
                "computed": computed,
                "difference": declared - computed,
            }
            ctx.emit(
                "RC150",
                location=rows.location(row, field_name),
                evidence={
                    "hoso": row["hoso"],
                    **{k: _money(v) for k, v in amounts.items()},
                },
                fmt={k: format_dong(v) for k, v in amounts.items()},
                ma_cskcb=row["cskcb"],
            )


def _money(value: Decimal | int) -> str:
    """Return an amount as plain decimal text for evidence (``20000``, ``-2.5``)."""
    return f"{Decimal(value).normalize():f}"


# ---------------------------------------------------------------------- API


def check_reception(
    tables: Mapping[str, pa.Table], *, rules: PortalRules | None = None
) -> list[Finding]:
    """Run the portal's reception checks over the typed tables of a batch.

    Args:
        tables: per logical table name (``"XML1"``…), the Arrow table of the reader
            (contract 4: typed columns, ``<FIELD>__raw`` sidecars, ``_file``,
            ``_hoso``, ``_envelope_cskcb``). Several files may be mixed; keys are
            matched within one file and one HOSO.
        rules: the portal rules (default: the shipped sheet and code lists).

    Returns:
        The findings, every one with code ``RC…``, a location (file, ``MA_LK``,
        table, ``STT``, field) and the offending value in ``evidence`` (with
        ``evidence["hoso"]``, the 0-based HOSO index in the envelope).
    """
    portal = rules if rules is not None else load_portal_rules()
    ctx = _Ctx()
    keyed = {name: _with_keys(table) for name, table in tables.items()}
    claim_ends = _ClaimEnds(keyed.get("XML1"))
    for name in sorted(tables, key=_table_order):
        table = tables[name]
        if table.num_rows:
            _check_table(
                ctx, name, table, portal, functools.partial(claim_ends.of, keyed[name])
            )
    _check_hoso_xml1(ctx, keyed)
    _check_keys(ctx, keyed)
    _check_same_as_xml1(ctx, keyed, portal)
    _check_totals(ctx, keyed)
    return ctx.findings


class _ClaimEnds:
    """The date each row's claim is judged on, for effective-dated requirements.

    A claim's date is the day of its XML1 ``NGAY_RA``, else ``NGAY_VAO`` (the day
    it ended): a requirement relaxed on day D no longer applies to a claim that
    ended on or after D, even if it began before (an episode straddling D is judged
    leniently). Rows are matched to XML1 by file, HOSO and ``MA_LK`` (bare files by
    ``MA_LK``); a date that did not parse, or no XML1, leaves it unknown (null).
    """

    def __init__(self, xml1: pa.Table | None) -> None:
        self.xml1 = xml1
        self.ends: pa.Table | None = None

    def _table(self) -> pa.Table | None:
        if self.ends is None and self.xml1 is not None and _keys(self.xml1):
            day = _claim_dates(self.xml1, ("NGAY_RA", "NGAY_VAO"))
            if day is None:
                day = pa.chunked_array([pa.nulls(self.xml1.num_rows, pa.date32())])
            self.ends = (
                self.xml1.select([*_KEYS, "MA_LK"])
                .append_column("_end", day)
                .group_by([*_KEYS, "MA_LK"], use_threads=False)
                .aggregate([("_end", "max")])
            )
        return self.ends

    def of(self, table: pa.Table) -> pa.ChunkedArray:
        """Return, per row of ``table`` (with keys), its claim's date or null."""
        ends = self._table()
        n = table.num_rows
        if ends is None or not _keys(table):
            return pa.chunked_array([pa.nulls(n, pa.date32())])
        probe = table.select([*_KEYS, "MA_LK"]).append_column(
            "_row", pa.array(range(n), pa.int64())
        )
        joined = probe.join(
            ends, keys=[*_KEYS, "MA_LK"], join_type="left outer", use_threads=False
        ).sort_by("_row")
        return joined.column("_end_max")


def _table_order(name: str) -> tuple[int, str]:
    digits = name.removeprefix("XML")
    return (int(digits) if digits.isdigit() else 99, name)


def rejected_hosos(findings: Iterable[Finding]) -> set[tuple[str | None, int | None]]:
    """Return the ``(file, hoso)`` pairs that a ``refuse`` finding rejects.

    Args:
        findings: findings of :func:`check_reception`.

    Returns:
        Keys of the rejected HOSOs (a finding without HOSO index rejects
        ``(file, None)``, i.e. the whole file).
    """
    keys: set[tuple[str | None, int | None]] = set()
    for f in findings:
        if f.severity is Severity.REFUSE:
            hoso = f.evidence.get("hoso")
            keys.add((f.location.file, int(hoso) if hoso is not None else None))
    return keys


class Coverage(StrEnum):
    """How a requirement of the portal sheet is treated here."""

    IMPLEMENTED = "implemented"
    OVERRIDDEN = "overridden"
    NOT_EXPRESSIBLE = "not expressible"


@dataclass(frozen=True, slots=True, kw_only=True)
class SheetRequirement:
    """One requirement of the portal sheet (a non-empty cell) and how it is treated.

    ``aspect`` is ``required`` (the ``required`` cell), ``length`` (``maxlen``) or
    ``validation`` (``portal_validation``); ``how`` names the check (codes) or, for
    the other statuses, the legal text and period or the reason.
    """

    table: str
    field: str
    aspect: str
    text: str
    status: Coverage
    how: str


_AS_4210 = re.compile(r"^(Như|Giữ nguyên như)\s+(QĐ\s+)?4210$", re.I)
_FORMULA = re.compile(r"Theo\s+File\s+công\s+thức", re.I)
_CHECK_CODES: dict[CheckKind, str] = {
    CheckKind.CCCD: "RC110",
    CheckKind.TEN_DIGITS: "RC111",
    CheckKind.GOI_VTYT: "RC112",
    CheckKind.NULL_OR_ONE: "RC113",
    CheckKind.DIGITS_NOT_ZERO: "RC114",
    CheckKind.NOT_BEFORE: "RC120 (ngày so ở độ chính xác thô hơn)",
    CheckKind.DAYS_WITHIN: "RC121",
    CheckKind.SAME_AS_XML1: "RC143",
    CheckKind.ONE_OF: "RC130 (danh mục một giá trị)",
}
#: Sheet sentences that no check can enforce, and why (by table and field).
_NOT_EXPRESSIBLE: dict[tuple[str, str], str] = {
    ("XML1", "SO_NGAY_DTRI"): (
        "the formula covers only the QĐ 824/2023 types of care 01–09 (QĐ 1804/2026 "
        "added 10–16 from 01/08/2026) and does not say how days are counted for "
        "08 or for stays of a few hours; the day count is left to the assessment "
        "rules"
    ),
    ("XML8", "MA_LK"): (
        "the list of inpatient types of care ('03','04','06') predates QĐ 1804/2026 "
        "(codes 10–16 from 01/08/2026); refusing XML8 for a newer inpatient code "
        "would be wrong, and the sheet was not updated"
    ),
    ("XML7", "SO_NGAY_NGHI"): (
        "'if one of the 3 fields has data all 3 are required' does not name the "
        "other two fields (NGOAITRU_TUNGAY, NGOAITRU_DENNGAY are the likely ones); "
        "not enforced on a guess"
    ),
}


def sheet_coverage(rules: PortalRules | None = None) -> list[SheetRequirement]:
    """Return every requirement of the portal sheet with how it is treated.

    Each non-empty ``required`` cell, numeric ``maxlen`` and ``portal_validation``
    cell is one requirement: implemented (which check), overridden for a period
    (by a row of ``reception_requirements.csv``: legal text and period) or not
    expressible (the sheet's text and why). None is left silent.
    """
    portal = rules if rules is not None else load_portal_rules()
    out: list[SheetRequirement] = []
    for table_name in sorted(portal.fields, key=_table_order):
        spec = TABLES.get(table_name)
        kinds = {f.name: f for f in spec.fields} if spec is not None else {}
        for rule in portal.fields[table_name]:

            def add(
                aspect: str,
                text: str,
                status: Coverage,
                how: str,
                *,
                table_name: str = table_name,
                rule: FieldRule = rule,
            ) -> None:
                out.append(
                    SheetRequirement(
                        table=table_name,
                        field=rule.field,
                        aspect=aspect,
                        text=" ".join(text.split()),
                        status=status,
                        how=how,
                    )
                )

            unread = (
                "XML12 is never sent in an envelope (IN021) and is not read"
                if table_name == "XML12"
                else f"{table_name} is not a table of the QĐ 4750 appendix"
                if spec is None
                else f"{rule.field} is not a field of {table_name} in the appendix"
                if rule.field not in kinds
                else None
            )
            cells = [
                ("required", rule.required_text),
                ("length", str(rule.max_length) if rule.max_length else ""),
                ("validation", rule.validation_text),
            ]
            for aspect, text in cells:
                if not text.strip():
                    continue
                if unread is not None:
                    add(aspect, text, Coverage.NOT_EXPRESSIBLE, unread)
                elif aspect == "required":
                    _cover_required(rule, text, add)
                elif aspect == "length":
                    info = kinds[rule.field]
                    _cover_length(info.kind, is_list=info.is_list, add=add, text=text)
                else:
                    _cover_validation(rule, text, add, kinds=set(kinds))
    return out


def _dated(rule: FieldRule) -> str:
    return "; ".join(f"{p.text} {p.period()}: {p.basis.cite()}" for p in rule.periods)


def _cover_required(rule: FieldRule, text: str, add: Callable[..., None]) -> None:
    if rule.periods:
        outside = "RC101" if rule.required else "RC102" if rule.condition else "-"
        add("required", text, Coverage.OVERRIDDEN, f"{_dated(rule)}; else {outside}")
    elif rule.required:
        add("required", text, Coverage.IMPLEMENTED, "RC101")
    elif rule.condition is not None:
        how = f"RC102 (khi {rule.condition.describe()})"
        add("required", text, Coverage.IMPLEMENTED, how)
    else:
        add(
            "required",
            text,
            Coverage.NOT_EXPRESSIBLE,
            "refers to the QĐ 4210 rule, whose text the sheet does not give",
        )


def _cover_length(
    kind: FieldKind, *, is_list: bool, add: Callable[..., None], text: str
) -> None:
    if kind is FieldKind.STRING or is_list:
        add("length", text, Coverage.IMPLEMENTED, "RC103")
    elif kind is FieldKind.INTEGER:
        add("length", text, Coverage.IMPLEMENTED, "RC103 (digits of the integer)")
    elif kind in (FieldKind.DATE, FieldKind.TIMESTAMP):
        add(
            "length",
            text,
            Coverage.IMPLEMENTED,
            "RC105 (the yyyymmdd / yyyymmddHHMM format fixes the length)",
        )
    else:
        add(
            "length",
            text,
            Coverage.NOT_EXPRESSIBLE,
            "the sheet does not say whether the decimal separator and decimals "
            "count; the reader keeps the parsed decimal (at most 15 integer and 3 "
            "decimal digits, else RC104), not the text",
        )


def _cover_validation(  # noqa: PLR0912 - one branch per kind of sentence
    rule: FieldRule, text: str, add: Callable[..., None], *, kinds: set[str]
) -> None:
    reason = _NOT_EXPRESSIBLE.get((rule.table, rule.field))
    if reason is not None:
        add("validation", text, Coverage.NOT_EXPRESSIBLE, reason)
        return
    if "Sửa thành Không bắt buộc" in text and rule.periods:
        add("validation", text, Coverage.OVERRIDDEN, _dated(rule))
        return
    hows: list[str] = []
    missing: list[str] = []
    for kind, arg in rule.checks:
        if kind is CheckKind.CODE_LIST:
            system = ENUMERATED_FIELDS.get(rule.field)
            if system is not None:
                hows.append(f"RC130 ({system})")
            else:
                missing.append(
                    "no code list for this field is shipped (the sheet names none: "
                    "a facility's own department or test list)"
                )
        elif kind is CheckKind.SAME_AS_XML1 and rule.field not in _XML1_FIELDS:
            missing.append(f"XML1 has no field {rule.field}")
        elif kind is CheckKind.NOT_BEFORE and arg not in kinds:
            missing.append(f"{rule.table} has no field {arg}")
        else:
            hows.append(_CHECK_CODES.get(kind, kind.value))
    if rule.field in ENUMERATED_FIELDS and re.search(r"GIOI_TINH|Bảng 1", text):
        hows.append(f"RC130 ({ENUMERATED_FIELDS[rule.field]})")
    if not hows and not missing and rule.condition is not None and "khi" in text:
        hows.append(f"RC102 (khi {rule.condition.describe()})")
    if hows:
        add("validation", text, Coverage.IMPLEMENTED, ", ".join(dict.fromkeys(hows)))
    elif missing:
        add("validation", text, Coverage.NOT_EXPRESSIBLE, "; ".join(missing))
    elif text.strip().startswith(("Như", "Giữ nguyên")):
        add(
            "validation",
            text,
            Coverage.NOT_EXPRESSIBLE,
            "refers to the QĐ 4210 rule (directly or through another field), whose "
            "text the sheet does not give",
        )
    elif _FORMULA.search(text):
        add(
            "validation",
            text,
            Coverage.NOT_EXPRESSIBLE,
            "refers to the portal's formula file, which is not published with the "
            "sheet (the XML1 totals are checked against the lines by RC150)",
        )
    else:
        add("validation", text, Coverage.NOT_EXPRESSIBLE, "not understood")


_XML1_FIELDS = frozenset(TABLES["XML1"].field_names)


def coverage_counts(items: Sequence[SheetRequirement]) -> dict[Coverage, int]:
    """Return how many requirements have each status."""
    counts = dict.fromkeys(Coverage, 0)
    for item in items:
        counts[item.status] += 1
    return counts


def render_coverage_markdown() -> str:
    """Render every portal-sheet requirement and its treatment as Markdown."""
    items = sheet_coverage()
    counts = coverage_counts(items)
    lines = [
        f"{len(items)} requirements: "
        + ", ".join(f"{n} {status.value}" for status, n in counts.items())
        + ".",
        "",
        "| table | field | aspect | sheet text | status | check, legal text, reason |",
        "|---|---|---|---|---|---|",
    ]
    lines.extend(
        f"| {i.table} | `{i.field}` | {i.aspect} | {_cell(i.text)} | "
        f"{i.status.value} | {_cell(i.how, limit=400)} |"
        for i in items
    )
    return "\n".join(lines) + "\n"


def _cell(text: str, *, limit: int = 160) -> str:
    text = text.replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_requirements_markdown() -> str:
    """Render the effective-dated requirement rows as Markdown."""
    lines = [
        "| table | field | requirement | period | legal source | note |",
        "|---|---|---|---|---|---|",
    ]
    for (table, name), rows in sorted(
        load_requirements().items(), key=lambda kv: (_table_order(kv[0][0]), kv[0][1])
    ):
        lines.extend(
            f"| {table} | `{name}` | {r.text} | {r.period()} | "
            f"{_cell(r.basis.cite(), limit=400)} | {_cell(r.note, limit=600)} |"
            for r in rows
        )
    return "\n".join(lines) + "\n"


def render_codes_markdown() -> str:
    """Render the table of reception codes as Markdown (for ``docs/store.md``).

    Returns:
        One Markdown table row per code: code, severity, title, message (vi).
    """
    lines = [
        "| code | severity | what | message (vi) |",
        "|---|---|---|---|",
    ]
    lines.extend(
        f"| `{c.code}` | {c.severity.value} | {c.title} | {c.message} |"
        for c in CODES.values()
    )
    return "\n".join(lines) + "\n"
