"""Facility reference files → typed, effective-dated Arrow tables.

A file is read as hospitals really fill it: a bad row is left out and reported, and
the rest of the file loads. Only a file that cannot be used at all (unreadable, or
missing a column every row needs) is not loaded, and then only that file. Every
problem is kept with its file, row, column, value and what the loader did about it
(:class:`Outcome`), so that an operator can fix them all at once and a caller can
show them row by row. Overlapping validity periods of the same key are found with
one DuckDB self-join, not a Python loop.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata.readers import RawTable, read_table_file
from giamdinh.refdata.specs import (
    FACILITY_FORMS,
    FILE_SPECS,
    ColumnType,
    FileSpec,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Iterator
    from pathlib import Path

MONEY_TYPE = pa.decimal128(18, 3)
#: Idle checking connections, shared by the threads (see ``_checking``).
_idle: list[duckdb.DuckDBPyConnection] = []
_idle_lock = threading.Lock()
ROW_COLUMN = "_row"
FILE_COLUMN = "_file"
_MAX_MESSAGE_PROBLEMS = 20
OPEN_START = date.min
"""``valid_from`` of a row whose start is optional and empty (a machine bought, not
held under a contract): valid from the beginning, so the one as-of predicate
``valid_from <= d`` still holds."""


class Outcome(StrEnum):
    """What the loader did about a problem."""

    FILE_NOT_LOADED = "file_not_loaded"
    """The file cannot be used (unreadable, or a column every row needs is
    missing): its table is empty and its rules report "not checked"."""
    COLUMN_IGNORED = "column_ignored"
    """A header column is not used (it appears twice: the first one is read)."""
    ROW_SKIPPED = "row_skipped"
    """The row is not loaded: a cell it needs is empty or invalid."""
    VALUE_IGNORED = "value_ignored"
    """The row is loaded with this cell left empty (an optional cell is invalid)."""
    KEPT = "kept"
    """The row is loaded as written, but should be checked (an Excel number in a
    code column, a period overlapping another row of the same key)."""

    @property
    def text(self) -> str:
        """Return what was done, in Vietnamese."""
        return _OUTCOME_TEXT[self][0]

    @property
    def text_en(self) -> str:
        """Return what was done, in English."""
        return _OUTCOME_TEXT[self][1]


_OUTCOME_TEXT: dict[Outcome, tuple[str, str]] = {
    Outcome.FILE_NOT_LOADED: ("tệp không được nạp", "file not loaded"),
    Outcome.COLUMN_IGNORED: ("cột bị bỏ qua", "column ignored"),
    Outcome.ROW_SKIPPED: ("dòng không được nạp", "row not loaded"),
    Outcome.VALUE_IGNORED: (
        "bỏ qua giá trị, dòng vẫn được nạp",
        "value ignored, row loaded",
    ),
    Outcome.KEPT: ("dòng vẫn được nạp như đã ghi", "row loaded as written"),
}


class FileStatus(StrEnum):
    """Whether a reference file fed its table."""

    LOADED = "loaded"
    """Found and read (some rows may have been left out)."""
    ABSENT = "absent"
    """Not in the folder: the rules that need it report "not checked"."""
    UNUSABLE = "unusable"
    """Found but not loaded: the rules that need it report "not checked"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One problem in a reference file, located by file, row and column.

    Attributes:
        file: the file name.
        message: what is wrong, in Vietnamese.
        message_en: what is wrong, in English.
        outcome: what the loader did about it.
        row: the row number a person sees in the file (header = 1), if any.
        column: the official column name, if any.
        value: the cell as written, if any.
    """

    file: str
    message: str
    message_en: str
    outcome: Outcome
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def describe(self, *, english: bool = False) -> str:
        """Return 'file, row N, column C: message (what was done)'."""
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = self.message_en if english else self.message
        done = self.outcome.text_en if english else self.outcome.text
        return f"{', '.join(where)}: {text} ({done})"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileReport:
    """What loading one reference file found.

    Attributes:
        name: ``M01``…``M06``, ``licences`` or ``equipment_sources``.
        table: the reference table name (``ref_services``…).
        file: the file read, or ``None`` when it is missing.
        path: the path of the file read, or ``None`` when it is missing.
        rows: number of data rows loaded.
        rows_skipped: number of data rows left out (each has a problem).
        keys: number of distinct keys (items).
        closed_periods: rows whose period is closed (``DEN_NGAY`` set).
        first_day: earliest ``valid_from`` (open starts aside).
        last_day: latest ``valid_to`` (``None`` when some period is open).
        problems: every problem found, each with what was done about it.
        notes: remarks that are not problems (extra columns, encoding).
    """

    name: str
    table: str
    file: str | None
    path: Path | None = None
    rows: int = 0
    rows_skipped: int = 0
    keys: int = 0
    closed_periods: int = 0
    first_day: date | None = None
    last_day: date | None = None
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        """Return whether the file was not found (its checks are "not checked")."""
        return self.file is None

    @property
    def unusable(self) -> bool:
        """Return whether the file was found but could not be loaded at all."""
        return any(p.outcome is Outcome.FILE_NOT_LOADED for p in self.problems)

    @property
    def status(self) -> FileStatus:
        """Return whether the file fed its table (loaded, absent or unusable)."""
        if self.missing:
            return FileStatus.ABSENT
        return FileStatus.UNUSABLE if self.unusable else FileStatus.LOADED

    @property
    def ok(self) -> bool:
        """Return whether the file loaded without problems."""
        return not self.problems


def file_statuses(reports: Iterable[FileReport]) -> dict[str, FileStatus]:
    """Return each file kind's status over one or several folders.

    A kind is ``loaded`` when some folder loaded it, else ``unusable`` when some
    folder had it but could not use it, else ``absent``.
    """
    seen: dict[str, set[FileStatus]] = defaultdict(set)
    for report in reports:
        seen[report.name].add(report.status)
    out: dict[str, FileStatus] = {}
    for name, statuses in seen.items():
        for status in (FileStatus.LOADED, FileStatus.UNUSABLE, FileStatus.ABSENT):
            if status in statuses:
                out[name] = status
                break
    return out


def empty_table(spec: FileSpec) -> pa.Table:
    """Return the empty table of a spec (used when its file is missing)."""
    return pa.table(
        {name: pa.array([], type=typ) for name, typ in _schema_of(spec, ()).items()}
    )


def _arrow_type(kind: ColumnType) -> pa.DataType:
    if kind is ColumnType.DATE:
        return pa.date32()
    if kind is ColumnType.INTEGER:
        return pa.int64()
    if kind is ColumnType.MONEY:
        return MONEY_TYPE
    return pa.string()


def _schema_of(spec: FileSpec, extras: tuple[str, ...]) -> dict[str, pa.DataType]:
    schema: dict[str, pa.DataType] = {}
    for col in (*spec.columns, *extras):
        schema[col.lower()] = _arrow_type(spec.types.get(col, ColumnType.STRING))
    if spec.facility:
        schema["ma_cskcb"] = pa.string()
    schema["valid_from"] = pa.date32()
    schema["valid_to"] = pa.date32()
    schema[FILE_COLUMN] = pa.string()
    schema[ROW_COLUMN] = pa.int32()
    return schema


def build_table(
    raw: RawTable, spec: FileSpec, *, ma_cskcb: str | None = None
) -> tuple[pa.Table, list[Problem], list[str]]:
    """Type and check one file's cells; return the loaded rows, problems and notes.

    Args:
        raw: the text cells of the file.
        spec: the file's official columns and checks.
        ma_cskcb: facility code used when the file has no ``MA_CSKCB`` value.

    Returns:
        The typed table of the rows loaded (a row with a problem that makes it
        unusable is left out; an invalid optional cell is left empty), every
        problem with what was done about it, and informational notes. A file
        missing a column every row needs yields an empty table and problems whose
        outcome is ``file_not_loaded``.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    official = set(spec.columns)
    index: dict[str, int] = {}
    for pos, name in enumerate(raw.header):
        canonical = spec.aliases.get(name, name)
        if not canonical:
            continue
        if canonical in index:
            problems.append(
                Problem(
                    file=raw.file,
                    row=raw.header_row,
                    column=name,
                    value=name,
                    message=f"cột {canonical} xuất hiện hai lần; đọc cột thứ nhất",
                    message_en=f"column {canonical} appears twice; the first is read",
                    outcome=Outcome.COLUMN_IGNORED,
                )
            )
            continue
        index[canonical] = pos
    absent = [col for col in spec.required if col not in index]
    problems.extend(
        Problem(
            file=raw.file,
            row=raw.header_row,
            column=col,
            message=f"thiếu cột bắt buộc {col} (mọi dòng đều cần)",
            message_en=f"required column {col} is missing (every row needs it)",
            outcome=Outcome.FILE_NOT_LOADED,
        )
        for col in absent
    )
    if spec.facility and "MA_CSKCB" not in index and not ma_cskcb:
        problems.append(
            Problem(
                file=raw.file,
                row=raw.header_row,
                column="MA_CSKCB",
                message="thiếu cột MA_CSKCB và không có mã cơ sở KCB (--ma-cskcb)",
                message_en=(
                    "column MA_CSKCB is missing and no facility code was given "
                    "(--ma-cskcb)"
                ),
                outcome=Outcome.FILE_NOT_LOADED,
            )
        )
    if any(p.outcome is Outcome.FILE_NOT_LOADED for p in problems):
        return empty_table(spec), problems, notes
    extras = tuple(c for c in index if c not in official and c != "MA_CSKCB")
    if extras:
        notes.append(f"extra columns kept: {', '.join(extras)}")
    if raw.encoding not in {"utf-8-sig", "xlsx"}:
        notes.append(f"decoded as {raw.encoding}")
    if raw.header_row > 1:
        notes.append(f"header on row {raw.header_row}; title rows above it skipped")
    if raw.padded:
        notes.append(
            f"{raw.padded} Excel number cell(s) read with the leading zeros of "
            "their number format (e.g. 00000)"
        )
    schema = _schema_of(spec, extras)
    table, cell_problems = _typed_table(
        raw, spec=spec, index=index, extras=extras, schema=schema, ma_cskcb=ma_cskcb
    )
    problems.extend(cell_problems)
    problems.extend(find_overlaps(table, spec=spec, file=raw.file))
    order = {col: i for i, col in enumerate((*spec.columns, *extras))}
    problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", len(order))))
    return table, problems, notes


_EXPECTED_VI = {
    ColumnType.DATE: "ngày yyyymmdd",
    ColumnType.INTEGER: "số nguyên",
    ColumnType.MONEY: "số tiền đồng (không âm, tối đa 3 chữ số thập phân)",
    ColumnType.STRING: "văn bản",
}
_DATE_TEXT = "^[0-9]{8}$"
_INT_TEXT = "^-?[0-9]{1,18}$"
_MONEY_TEXT = "^[0-9]{1,15}([.][0-9]{1,3})?$"


def _text_columns(raw: RawTable, index: dict[str, int]) -> dict[str, pa.Array]:
    """Return one Arrow text array per header column (empty cells are null)."""
    width = len(raw.header)
    padded = [cells + ("",) * (width - len(cells)) for _, cells in raw.rows]
    by_position = list(zip(*padded, strict=False)) if padded else [()] * width
    out: dict[str, pa.Array] = {}
    for name, pos in index.items():
        values = by_position[pos] if pos < len(by_position) else ()
        arr = pa.array(values, type=pa.string())
        out[name] = pc.if_else(pc.equal(arr, ""), None, arr)
    return out


_GROUPED_THOUSANDS = r"^[0-9]{1,3}(\.[0-9]{3})+$"


def _typed(text: pa.Array, kind: ColumnType) -> tuple[pa.Array, pa.Array | None, str]:
    """Return the typed array, a mask of bad non-empty cells and what was expected."""
    if kind is ColumnType.DATE:
        shaped = pc.match_substring_regex(text, _DATE_TEXT)
        candidate = pc.if_else(shaped, text, None)
        parsed = pc.strptime(candidate, format="%Y%m%d", unit="s", error_is_null=True)
        # strptime rolls 20250230 over to 2 March: a round trip rejects such days.
        same = pc.equal(pc.strftime(parsed, format="%Y%m%d"), candidate)
        parsed = pc.if_else(same, parsed, None)
        bad = pc.and_(pc.is_valid(text), pc.is_null(parsed))
        return pc.cast(parsed, pa.date32()), bad, "a date yyyymmdd"
    if kind is ColumnType.INTEGER:
        shaped = pc.match_substring_regex(text, _INT_TEXT)
        value = pc.cast(pc.if_else(shaped, text, None), pa.int64())
        return value, pc.and_(pc.is_valid(text), pc.invert(shaped)), "an integer"
    if kind is ColumnType.MONEY:
        clean = pc.replace_substring(text, " ", "")
        # NOTE: "73.300" is 73 300 đồng written with a thousands separator far
        # more often than 73.3 đồng: never guess, report it.
        grouped = pc.match_substring_regex(clean, _GROUPED_THOUSANDS)
        shaped = pc.and_(
            pc.match_substring_regex(clean, _MONEY_TEXT), pc.invert(grouped)
        )
        value = pc.cast(pc.if_else(shaped, clean, None), MONEY_TYPE)
        bad = pc.and_(pc.is_valid(text), pc.invert(shaped))
        expected = (
            "an amount in đồng (non-negative, at most 3 decimals, '.' is the "
            "decimal point: 73300, not 73.300)"
        )
        return value, bad, expected
    return text, None, ""


def _where(mask: pa.Array) -> list[int]:
    """Return the positions where ``mask`` is true (null counts as false)."""
    filled = pc.fill_null(mask, False)  # noqa: FBT003 - Arrow's positional fill value
    return [int(i) for i in pc.indices_nonzero(filled).to_pylist()]


@dataclass(slots=True)
class _Found:
    """Problems of one file's cells, and the rows they leave out."""

    file: str
    row_numbers: list[int]
    problems: list[Problem]
    skipped: set[int]

    def add(
        self,
        i: int,
        column: str,
        *,
        value: str | None,
        vi: str,
        en: str,
        outcome: Outcome,
    ) -> None:
        """Record a problem at position ``i``; a skipped row is left out."""
        if outcome is Outcome.ROW_SKIPPED:
            self.skipped.add(i)
        self.problems.append(
            Problem(
                file=self.file,
                row=self.row_numbers[i],
                column=column,
                value=value,
                message=vi,
                message_en=en,
                outcome=outcome,
            )
        )


def _typed_table(
    raw: RawTable,
    *,
    spec: FileSpec,
    index: dict[str, int],
    extras: tuple[str, ...],
    schema: dict[str, pa.DataType],
    ma_cskcb: str | None,
) -> tuple[pa.Table, list[Problem]]:
    """Type every column at once (Arrow compute), locate bad cells, drop bad rows.

    A bad cell in a column the row cannot do without (required, required by a
    condition, or a validity day) leaves the row out; elsewhere it is left empty
    and the row kept.
    """
    n = len(raw.rows)
    row_numbers = [number for number, _ in raw.rows]
    texts = _text_columns(raw, index)
    found = _Found(file=raw.file, row_numbers=row_numbers, problems=[], skipped=set())
    critical = {*spec.required, *spec.required_when, spec.valid_from, spec.valid_to}
    _check_widths(raw, found)
    arrays: dict[str, pa.Array] = {}
    for col in (*spec.columns, *extras):
        text = texts.get(col, pa.nulls(n, type=pa.string()))
        if col in spec.codes and col in index:
            _report_numbers(raw, found, column=col, position=index[col], text=text)
        if spec.facility and col == "MA_CSKCB":
            continue
        arrays[col.lower()] = _checked_column(
            text, spec=spec, column=col, critical=col in critical, found=found
        )
    for col, (driver, values) in spec.required_when.items():
        _check_condition(
            texts.get(col, pa.nulls(n, type=pa.string())),
            texts.get(driver, pa.nulls(n, type=pa.string())),
            column=col,
            driver=driver,
            values=values,
            found=found,
        )
    if spec.facility:
        facility = texts.get("MA_CSKCB", pa.nulls(n, type=pa.string()))
        if ma_cskcb:
            facility = pc.fill_null(facility, ma_cskcb)
        arrays["ma_cskcb"] = facility
        for i in _where(pc.is_null(facility)):
            found.add(
                i,
                "MA_CSKCB",
                value=None,
                vi="thiếu mã cơ sở KCB (MA_CSKCB)",
                en="the facility code MA_CSKCB is missing",
                outcome=Outcome.ROW_SKIPPED,
            )
    # An optional start left empty (a machine bought, not under contract) is open.
    start = pc.fill_null(arrays[spec.valid_from.lower()], pa.scalar(OPEN_START))
    end = arrays[spec.valid_to.lower()]
    for i in _where(pc.less(end, start)):
        first, last = start[i].as_py(), end[i].as_py()
        found.add(
            i,
            spec.valid_to,
            value=f"{last:%Y%m%d}",
            vi=f"ngày kết thúc {last:%Y%m%d} trước ngày bắt đầu {first:%Y%m%d}",
            en=f"end {last:%Y%m%d} is before start {first:%Y%m%d}",
            outcome=Outcome.ROW_SKIPPED,
        )
    arrays["valid_from"] = start
    arrays["valid_to"] = end
    arrays[FILE_COLUMN] = pa.array([raw.file] * n, type=pa.string())
    arrays[ROW_COLUMN] = pa.array(row_numbers, type=pa.int32())
    table = pa.table({name: arrays[name].cast(typ) for name, typ in schema.items()})
    if found.skipped:
        keep = pa.array([i not in found.skipped for i in range(n)], type=pa.bool_())
        table = table.filter(keep)
    return table, found.problems


def _check_widths(raw: RawTable, found: _Found) -> None:
    """Leave out rows with filled cells beyond the header (shifted columns)."""
    width = len(raw.header)
    for i, (_, cells) in enumerate(raw.rows):
        beyond = [c for c in cells[width:] if c]
        if not beyond:
            continue  # NOTE: trailing empty cells (a trailing separator) are harmless
        found.add(
            i,
            raw.header[-1],
            value=", ".join(beyond),
            vi=(
                f"dòng có {len(cells)} ô nhưng tiêu đề chỉ có {width} cột "
                "(dấu phân cách trong một ô văn bản chưa được đặt trong ngoặc kép?)"
            ),
            en=(
                f"row has {len(cells)} cells but the header has {width} columns "
                "(an unquoted separator inside a text?)"
            ),
            outcome=Outcome.ROW_SKIPPED,
        )


def _report_numbers(
    raw: RawTable, found: _Found, *, column: str, position: int, text: pa.Array
) -> None:
    """Report code cells that Excel stored as numbers (leading zeros lost)."""
    if not raw.numbers:
        return
    for i, number in enumerate(found.row_numbers):
        if (number, position) not in raw.numbers:
            continue
        cell = text[i].as_py()
        found.add(
            i,
            column,
            value=cell,
            vi=(
                f"ô Excel chứa số {cell}, không phải văn bản: số 0 ở đầu mã (nếu có) "
                "đã mất; định dạng cột là Text rồi nhập lại mã"
            ),
            en=(
                f"the Excel cell holds the number {cell}, not text: a leading zero "
                "of the code, if any, is lost; format the column as Text and type "
                "the code again"
            ),
            outcome=Outcome.KEPT,
        )


def _checked_column(
    text: pa.Array, *, spec: FileSpec, column: str, critical: bool, found: _Found
) -> pa.Array:
    """Return one column typed, with its bad, empty and out-of-list cells reported."""
    kind = spec.types.get(column, ColumnType.STRING)
    value, bad, expected = _typed(text, kind)
    if_bad = Outcome.ROW_SKIPPED if critical else Outcome.VALUE_IGNORED
    if bad is not None:
        for i in _where(bad):
            cell = text[i].as_py()
            found.add(
                i,
                column,
                value=cell,
                vi=f"giá trị {cell!r} không phải {_EXPECTED_VI[kind]}",
                en=f"{cell!r} is not {expected}",
                outcome=if_bad,
            )
    if column in spec.required:
        for i in _where(pc.is_null(text)):
            found.add(
                i,
                column,
                value=None,
                vi=f"{column} không được để trống",
                en=f"{column} must not be empty",
                outcome=Outcome.ROW_SKIPPED,
            )
    allowed = spec.enums.get(column)
    if allowed is not None:
        outside = pc.and_(
            pc.is_valid(text),
            pc.invert(pc.is_in(text, value_set=pa.array(sorted(allowed)))),
        )
        listed = ", ".join(sorted(allowed))
        for i in _where(outside):
            cell = text[i].as_py()
            found.add(
                i,
                column,
                value=cell,
                vi=f"giá trị {cell!r} không thuộc {listed}",
                en=f"{cell!r} is not one of {listed}",
                outcome=if_bad,
            )
        value = pc.if_else(outside, pa.scalar(None, type=value.type), value)
    return value


def _check_condition(
    text: pa.Array,
    driver_text: pa.Array,
    *,
    column: str,
    driver: str,
    values: frozenset[str],
    found: _Found,
) -> None:
    """Leave out rows where ``driver`` needs ``column`` and it is empty."""
    needs = pc.is_in(driver_text, value_set=pa.array(sorted(values)))
    for i in _where(pc.and_(needs, pc.is_null(text))):
        form = driver_text[i].as_py()
        found.add(
            i,
            column,
            value=None,
            vi=f"{column} phải có khi {driver} là {form} (có hợp đồng)",
            en=f"{column} is required when {driver} is {form} (held under a contract)",
            outcome=Outcome.ROW_SKIPPED,
        )


@contextmanager
def _checking(table: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a checking connection with ``table`` registered as ``t``.

    NOTE: opening a DuckDB connection costs ~50 ms, more than checking a small
    file, so connections are reused from a pool shared by the threads. Not one
    per thread: a connection left in a thread-local is destroyed when its worker
    thread is torn down at interpreter exit, which aborts the process.
    """
    with _idle_lock:
        con = _idle.pop() if _idle else None
    if con is None:
        con = duckdb.connect()
    con.register("t", table)
    try:
        yield con
    finally:
        con.unregister("t")
        with _idle_lock:
            _idle.append(con)


def find_overlaps(table: pa.Table, *, spec: FileSpec, file: str) -> list[Problem]:
    """Return one problem per pair of rows of the same key whose periods overlap.

    Both rows stay loaded (which one is right is the facility's call), so a rule
    may see two rows of the key on the overlapping days. The check is one DuckDB
    self-join on the key (both ends inclusive, ``NULL`` end open), so it scales with
    the catalogue, not with the square of it.
    """
    key_cols = [c for c in spec.key if c in table.column_names]
    if not key_cols or table.num_rows == 0:
        return []
    same_key = " and ".join(f"a.{c} is not distinct from b.{c}" for c in key_cols)
    key_text = " || '/' || ".join(f"coalesce(a.{c}, '')" for c in key_cols)
    # NOTE: column names come from the fixed FileSpec, never from user input.
    sql = f"""
        select a._row as first_row, b._row as second_row, {key_text} as key_value
        from t as a join t as b
          on {same_key} and a._row < b._row
        where a.valid_from is not null and b.valid_from is not null
          and a.valid_from <= coalesce(b.valid_to, date '9999-12-31')
          and b.valid_from <= coalesce(a.valid_to, date '9999-12-31')
        order by b._row, a._row
    """  # noqa: S608
    with _checking(table) as con:
        pairs = con.execute(sql).fetchall()
    key_names = "+".join(c.upper() for c in key_cols)
    return [
        Problem(
            file=file,
            row=second,
            column=spec.valid_from,
            message=(
                f"thời gian hiệu lực chồng lấn với dòng {first} cùng khóa "
                f"{key_names}={key!r}; đóng dòng cũ bằng {spec.valid_to} ngày trước "
                f"{spec.valid_from} của dòng mới"
            ),
            message_en=(
                f"validity period overlaps row {first} with the same key "
                f"{key_names}={key!r}; close the old row with {spec.valid_to} the day "
                f"before the new row's {spec.valid_from}"
            ),
            outcome=Outcome.KEPT,
            value=key,
        )
        for first, second, key in pairs
    ]


def _summary(
    table: pa.Table, spec: FileSpec
) -> tuple[int, int, date | None, date | None]:
    if table.num_rows == 0:
        return 0, 0, None, None
    key_cols = ", ".join(c for c in spec.key if c in table.column_names)
    with _checking(table) as con:
        (row,) = con.execute(
            f"""
            select count(distinct ({key_cols})), count(valid_to),
                   min(valid_from) filter (where valid_from > date '0001-01-01'),
                   case when count(*) = count(valid_to) then max(valid_to) end
            from t
            """  # noqa: S608 - key columns come from the fixed FileSpec
        ).fetchall()
    return int(row[0]), int(row[1]), row[2], row[3]


def load_file(
    path: Path, spec: FileSpec, *, ma_cskcb: str | None = None
) -> tuple[pa.Table, FileReport]:
    """Load and check one reference file.

    Args:
        path: the ``.csv`` or ``.xlsx`` file.
        spec: which reference file it is.
        ma_cskcb: facility code used where the file's ``MA_CSKCB`` is empty.

    Returns:
        The typed table of the rows loaded and a report of what was found. A file
        that cannot be read yields an empty table and one ``file_not_loaded``
        problem; it never raises.
    """
    try:
        raw = read_table_file(path, expected=frozenset((*spec.columns, *spec.aliases)))
    except ReferenceDataError as exc:
        problem = Problem(
            file=path.name,
            message=f"không đọc được tệp: {exc}",
            message_en=f"the file cannot be read: {exc}",
            outcome=Outcome.FILE_NOT_LOADED,
        )
        return empty_table(spec), FileReport(
            name=spec.name,
            table=spec.table,
            file=path.name,
            path=path,
            problems=(problem,),
        )
    table, problems, notes = build_table(raw, spec, ma_cskcb=ma_cskcb)
    keys, closed, first, last = _summary(table, spec)
    report = FileReport(
        name=spec.name,
        table=spec.table,
        file=path.name,
        path=path,
        rows=table.num_rows,
        rows_skipped=len(raw.rows) - table.num_rows,
        keys=keys,
        closed_periods=closed,
        first_day=first,
        last_day=last,
        problems=tuple(problems),
        notes=tuple(notes),
    )
    return table, report


def find_file(folder: Path, name: str) -> Path | None:
    """Find a reference file by name in a folder (case-insensitive, .csv or .xlsx).

    ``M05.csv``, ``m05.xlsx`` and ``M05_dich_vu.csv`` all match ``M05``; an exact
    name wins over a prefixed one.
    """
    candidates = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in {".csv", ".xlsx"}
    )
    lowered = name.lower()
    exact = [p for p in candidates if p.stem.lower() == lowered]
    if exact:
        return exact[0]
    prefixed = [
        p
        for p in candidates
        if p.stem.lower().startswith(lowered + "_") and name in FACILITY_FORMS
    ]
    return prefixed[0] if prefixed else None


def load_folder(
    folder: Path,
    *,
    ma_cskcb: str | None = None,
    only: Collection[str] | None = None,
) -> tuple[dict[str, pa.Table], list[FileReport]]:
    """Load every reference file of a facility folder (M01–M06 and the optional two).

    Missing files yield an empty table and a report with ``missing=True``; they are
    "not checked", never silently passed. A bad row or an unusable file is reported
    and never stops the other rows and files from loading.

    Args:
        folder: the reference folder.
        ma_cskcb: facility code for rows whose ``MA_CSKCB`` is empty.
        only: load only these reference tables (``ref_machines``…); all when
            ``None``.

    Returns:
        Tables by reference-table name, and one report per expected file.

    Raises:
        ReferenceDataError: the folder does not exist.
    """
    if not folder.is_dir():
        msg = f"{folder}: reference folder not found (expected M01…M06 .csv/.xlsx)"
        raise ReferenceDataError(msg)
    tables: dict[str, pa.Table] = {}
    reports: list[FileReport] = []
    for spec in FILE_SPECS.values():
        if only is not None and spec.table not in only:
            continue
        path = find_file(folder, spec.name)
        if path is None:
            tables[spec.table] = empty_table(spec)
            reports.append(FileReport(name=spec.name, table=spec.table, file=None))
            continue
        table, report = load_file(path, spec, ma_cskcb=ma_cskcb)
        tables[spec.table] = table
        reports.append(report)
    return tables, reports


def raise_for_problems(reports: list[FileReport]) -> None:
    """Raise one ``ReferenceDataError`` listing the problems of all reports, if any.

    For callers that accept no problem at all; :meth:`ReferenceSet.load` does not
    raise for problems, it keeps them in the loading report.
    """
    problems = [p for r in reports for p in r.problems]
    if not problems:
        return
    shown = [p.describe() for p in problems[:_MAX_MESSAGE_PROBLEMS]]
    more = len(problems) - len(shown)
    tail = f"\n… and {more} more" if more else ""
    msg = (
        f"{len(problems)} problem(s) in the reference files; fix them and load "
        "again:\n" + "\n".join(shown) + tail
    )
    raise ReferenceDataError(msg)
