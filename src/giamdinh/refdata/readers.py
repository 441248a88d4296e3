"""Read reference files as they are really found: CSV (``,`` or ``;``) and XLSX.

CSV files may be UTF-8 with or without BOM, or (older exports) Windows-1258 or
Latin-1. Every cell is returned as text exactly as typed (stripped); XLSX dates and
numbers are turned into the text a CSV export would carry (``yyyymmdd``, ``12500``).
A code typed into Excel as a number has lost its leading zeros (``01929`` is stored
as 1929): such cells are shown as Excel shows them when their number format pads
with zeros (``00000``), and are otherwise listed in ``RawTable.numbers`` so that the
loader can say so rather than guess.
Row numbers are the ones a person sees in the file: the header is row 1, unless
title rows stand above it (exports often start with "DANH MỤC ..." and a blank
line): the header is then the first of the first rows that names at least two of the
expected columns, and the rows above it are skipped and reported.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from giamdinh.errors import ReferenceDataError

if TYPE_CHECKING:
    from pathlib import Path

_ENCODINGS = ("utf-8-sig", "cp1258", "latin-1")
_HEADER_SPACE_RE = re.compile(r"[\s\-]+")
_HEADER_SCAN = 10
"""How many rows from the top may hold the header (title rows above it)."""
_HEADER_MATCHES = 2
_ZERO_PAD_RE = re.compile(r"^0+$")
"""An Excel number format that pads integers with zeros (``00000``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawTable:
    """The text cells of one reference file.

    Attributes:
        file: the file name, as shown in messages.
        header: normalised header names (upper case, ``_`` for spaces).
        rows: one ``(row_number, cells)`` per data row; cells align with ``header``.
        encoding: the text encoding that decoded the file (``xlsx`` for workbooks).
        header_row: the row number of the header (1 unless title rows stand above).
        numbers: ``(row_number, position)`` of the XLSX cells that held a number
            (not a date) shown without zero padding.
        padded: how many XLSX number cells were read with the leading zeros of
            their number format (``00000`` shows 1929 as ``01929``).
    """

    file: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    encoding: str
    header_row: int = 1
    numbers: frozenset[tuple[int, int]] = frozenset()
    padded: int = 0


def normalise_header(name: str) -> str:
    """Return a header as an official name (``" ma dich vu"`` → ``MA_DICH_VU``)."""
    return _HEADER_SPACE_RE.sub("_", name.replace("\ufeff", "").strip()).upper()


def read_table_file(path: Path, *, expected: frozenset[str] = frozenset()) -> RawTable:
    """Read a ``.csv`` or ``.xlsx`` reference file into text cells.

    Args:
        path: the file to read.
        expected: official column names; when row 1 names fewer than two of them,
            the header is looked for in the first rows (title rows above it).

    Returns:
        Its header and rows.

    Raises:
        ReferenceDataError: the file cannot be read or has no header.
    """
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path, expected)
    if suffix == ".csv":
        return _read_csv(path, expected)
    msg = f"{path.name}: unsupported file type {suffix!r}; use .csv or .xlsx"
    raise ReferenceDataError(msg)


def _header_index(
    rows: list[tuple[int, tuple[str, ...]]], expected: frozenset[str]
) -> int:
    """Return the position in ``rows`` of the header row (0 when in doubt)."""
    if not expected:
        return 0
    for position, (_, cells) in enumerate(rows[:_HEADER_SCAN]):
        names = {normalise_header(c) for c in cells}
        if len(names & expected) >= _HEADER_MATCHES:
            return position
    return 0


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    for encoding in _ENCODINGS:
        try:
            # NFC: Windows-1258 writes tone marks as combining characters.
            return unicodedata.normalize("NFC", data.decode(encoding)), encoding
        except UnicodeDecodeError:
            continue
    msg = f"{path.name}: cannot decode the file (tried {', '.join(_ENCODINGS)})"
    raise ReferenceDataError(msg)  # pragma: no cover - latin-1 decodes anything


def _read_csv(path: Path, expected: frozenset[str]) -> RawTable:
    text, encoding = _decode(path)
    top = [line for line in text.splitlines()[:_HEADER_SCAN] if line.strip()]
    if not top:
        msg = f"{path.name}, row 1: the file is empty or has no header row"
        raise ReferenceDataError(msg)
    # The header row has the most separators; title rows above it have few or none.
    semicolons = max(line.count(";") for line in top)
    commas = max(line.count(",") for line in top)
    delimiter = ";" if semicolons > commas else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    numbered: list[tuple[int, tuple[str, ...]]] = []
    line = 0
    for cells in reader:
        row_number = line + 1
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        numbered.append((row_number, tuple(c.strip() for c in cells)))
    if not numbered:
        msg = f"{path.name}, row 1: the file is empty or has no header row"
        raise ReferenceDataError(msg)
    at = _header_index(numbered, expected)
    header_row, header_cells = numbered[at]
    return RawTable(
        file=path.name,
        header=tuple(normalise_header(h) for h in header_cells),
        rows=tuple(numbered[at + 1 :]),
        encoding=encoding,
        header_row=header_row,
    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y%m%d")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize()) if value % 1 else str(int(value))
    return unicodedata.normalize("NFC", str(value).strip())


def _number_text(value: float, number_format: str) -> tuple[str, bool]:
    """Return an Excel number as text, and whether its format padded it with zeros.

    ``1929`` formatted ``00000`` is shown by Excel as ``01929``: that is the text.
    """
    text = _cell_text(value)
    if _ZERO_PAD_RE.match(number_format) and text.isdigit():
        return text.zfill(len(number_format)), True
    return text, False


def _read_xlsx(path: Path, expected: frozenset[str]) -> RawTable:
    from openpyxl import load_workbook  # noqa: PLC0415 - only needed for workbooks

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad workbook
        msg = f"{path.name}: not a readable XLSX workbook ({exc})"
        raise ReferenceDataError(msg) from exc
    numbers: set[tuple[int, int]] = set()
    padded = 0
    try:
        sheet = workbook.worksheets[0]
        numbered: list[tuple[int, tuple[str, ...]]] = []
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            texts: list[str] = []
            for position, cell in enumerate(cells):
                value = cell.value
                if isinstance(value, int | float) and not isinstance(value, bool):
                    text, zero_padded = _number_text(
                        value, str(getattr(cell, "number_format", "General"))
                    )
                    padded += zero_padded
                    if not zero_padded:
                        numbers.add((number, position))
                    texts.append(text)
                else:
                    texts.append(_cell_text(value))
            if any(texts):
                numbered.append((number, tuple(texts)))
    finally:
        workbook.close()
    if not numbered:
        msg = f"{path.name}, row 1: the sheet is empty or has no header row"
        raise ReferenceDataError(msg)
    at = _header_index(numbered, expected)
    header_row, header_cells = numbered[at]
    return RawTable(
        file=path.name,
        header=tuple(normalise_header(h) for h in header_cells),
        rows=tuple(numbered[at + 1 :]),
        encoding="xlsx",
        header_row=header_row,
        numbers=frozenset(numbers),
        padded=padded,
    )
