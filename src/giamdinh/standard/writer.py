"""Write claims as the standard's XML: inner table files and ``GIAMDINHHS`` envelopes.

Input is the plain claim record of the shared contract: one claim is
``dict[str, list[dict[str, str]]]`` (table name → records; each record field name → text
exactly as it goes in the XML, ``""`` = empty element). XML1 has one record.

Public API:

- ``render_table(table, records) -> bytes``: one inner file (UTF-8, XML declaration,
  the table's root/list/record tags, every spec field in spec order; a field missing
  from a record is written as an empty element).
- ``write_envelope(claims, *, ma_cskcb, ngay_lap, out) -> int``: one ``GIAMDINHHS`` file
  with one ``HOSO`` per claim (tables in the order XML1…XML15, each base64-encoded in
  ``FILEHOSO/NOIDUNGFILE``) written to a binary stream or a path; returns the number of
  claims written. Memory stays flat: claims are rendered one at a time into a spooled
  temporary file because ``SOLUONGHOSO`` comes before the list.
- ``envelope_bytes(claims, *, ma_cskcb, ngay_lap) -> bytes``: the same, as bytes.

Text is escaped for XML (``&``, ``<``, ``>``; carriage returns as ``&#13;`` so that they
survive parsing). Characters XML 1.0 cannot carry (C0 controls other than tab, line
feed and carriage return; lone surrogates; U+FFFE/U+FFFF) and field names the spec does
not know are programmer faults and raise ``ValueError`` naming table, record and field.
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO, TYPE_CHECKING

from giamdinh.standard.spec import ENVELOPE_TABLES, TABLES

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

ClaimRecords = dict[str, list[dict[str, str]]]
"""One claim: table name → records; record field name → text as written."""

XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: A character to escape or refuse: values without any are written as they are.
_SPECIAL_CHARS = re.compile(
    "[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
)
_FIELD_SETS: dict[str, frozenset[str]] = {}
_FIELD_NAMES: dict[str, tuple[str, ...]] = {}
_ENVELOPE_ORDER = sorted(ENVELOPE_TABLES, key=lambda name: int(name[3:]))
_SPOOL_BYTES = 8 * 1024 * 1024


def escape_text(value: str) -> str:
    """Return ``value`` escaped as XML element content.

    Raises:
        ValueError: If ``value`` holds a character XML 1.0 cannot represent.
    """
    bad = _INVALID_XML_CHARS.search(value)
    if bad is not None:
        msg = (
            f"character U+{ord(bad.group()):04X} at position {bad.start()} "
            "cannot be written in XML 1.0"
        )
        raise ValueError(msg)
    return value.translate(_ESCAPES)


def _render_record(
    table: str, names: Sequence[str], record: Mapping[str, str], index: int
) -> str:
    known = _FIELD_SETS.get(table)
    if known is None:
        known = _FIELD_SETS[table] = frozenset(names)
    unknown = record.keys() - known
    if unknown:
        msg = f"{table} record {index}: fields not in the spec: {sorted(unknown)}"
        raise ValueError(msg)
    values = [record.get(name, "") for name in names]
    if _SPECIAL_CHARS.search("".join(values)) is None:
        # Fast path: nothing to escape or refuse in the whole record.
        return "\n".join(
            [
                f"<{name}>{value}</{name}>" if value else f"<{name} />"
                for name, value in zip(names, values, strict=True)
            ]
        )
    parts: list[str] = []
    for name, value in zip(names, values, strict=True):
        if not value:
            parts.append(f"<{name} />")
            continue
        try:
            text = escape_text(value)
        except ValueError as error:
            msg = f"{table} record {index} field {name}: {error}"
            raise ValueError(msg) from error
        parts.append(f"<{name}>{text}</{name}>")
    return "\n".join(parts)


def render_table(table: str, records: Sequence[Mapping[str, str]]) -> bytes:
    """Return one inner table file (UTF-8 bytes) holding ``records``.

    Args:
        table: ``"XML0"`` … ``"XML15"`` (not XML12).
        records: The records, each field name → text. Tables whose root is the record
            (XML1, XML7, XML8, XML10, XML11, XML13, XML14) take exactly one.

    Raises:
        ValueError: Unknown table, wrong number of records for a single-record table,
            unknown field, or a character XML cannot carry.
    """
    spec = TABLES.get(table)
    if spec is None:
        msg = f"unknown table {table!r}; expected one of {sorted(TABLES)}"
        raise ValueError(msg)
    names = _FIELD_NAMES.get(table)
    if names is None:
        names = _FIELD_NAMES[table] = spec.field_names
    if spec.single_record:
        if len(records) != 1:
            msg = f"{table} holds exactly one record, got {len(records)}"
            raise ValueError(msg)
        body = _render_record(table, names, records[0], 0)
        text = f"<{spec.root_tag}>\n{body}\n</{spec.root_tag}>\n"
    else:
        items = [
            f"<{spec.record_tag}>\n{_render_record(table, names, rec, i)}\n"
            f"</{spec.record_tag}>"
            for i, rec in enumerate(records)
        ]
        inner = "\n".join(items)
        list_body = (
            f"<{spec.list_tag}>\n{inner}\n</{spec.list_tag}>"
            if items
            else (f"<{spec.list_tag} />")
        )
        text = f"<{spec.root_tag}>\n{list_body}\n</{spec.root_tag}>\n"
    return XML_DECLARATION + text.encode("utf-8")


def _render_hoso(claim: Mapping[str, Sequence[Mapping[str, str]]], index: int) -> bytes:
    unknown = set(claim) - ENVELOPE_TABLES
    if unknown:
        msg = (
            f"claim {index}: tables {sorted(unknown)} cannot go in an envelope "
            f"(allowed: {_ENVELOPE_ORDER})"
        )
        raise ValueError(msg)
    if "XML1" not in claim:
        msg = f"claim {index}: XML1 (the summary table) is required"
        raise ValueError(msg)
    parts = [b"<HOSO>"]
    for table in _ENVELOPE_ORDER:
        records = claim.get(table)
        if records is None:
            continue
        payload = base64.b64encode(render_table(table, records))
        parts.append(
            b"<FILEHOSO><LOAIHOSO>"
            + table.encode("ascii")
            + b"</LOAIHOSO><NOIDUNGFILE>"
            + payload
            + b"</NOIDUNGFILE></FILEHOSO>"
        )
    parts.append(b"</HOSO>\n")
    return b"".join(parts)


def _header(ma_cskcb: str, ngay_lap: str, count: int) -> bytes:
    return (
        XML_DECLARATION
        + (
            '<GIAMDINHHS xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema">\n'
            f"<THONGTINDONVI><MACSKCB>{escape_text(ma_cskcb)}</MACSKCB></THONGTINDONVI>\n"
            f"<THONGTINHOSO>\n<NGAYLAP>{escape_text(ngay_lap)}</NGAYLAP>\n"
            f"<SOLUONGHOSO>{count}</SOLUONGHOSO>\n<DANHSACHHOSO>\n"
        ).encode()
    )


_FOOTER = b"</DANHSACHHOSO>\n</THONGTINHOSO>\n<CHUKYDONVI />\n</GIAMDINHHS>\n"


def _write_to(
    claims: Iterable[Mapping[str, Sequence[Mapping[str, str]]]],
    *,
    ma_cskcb: str,
    ngay_lap: str,
    out: IO[bytes],
) -> int:
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
        count = 0
        for index, claim in enumerate(claims):
            spool.write(_render_hoso(claim, index))
            count += 1
        out.write(_header(ma_cskcb, ngay_lap, count))
        spool.seek(0)
        shutil.copyfileobj(spool, out)
        out.write(_FOOTER)
    return count


def write_envelope(
    claims: Iterable[Mapping[str, Sequence[Mapping[str, str]]]],
    *,
    ma_cskcb: str,
    ngay_lap: str,
    out: IO[bytes] | Path,
) -> int:
    """Write one ``GIAMDINHHS`` file with one ``HOSO`` per claim.

    Args:
        claims: Claim records (table → records); XML1 is required in each, XML0 and
            XML12 are not allowed (they are never in an envelope).
        ma_cskcb: Facility code written in ``THONGTINDONVI/MACSKCB``.
        ngay_lap: Date the file was made, ``yyyymmdd`` (``NGAYLAP``).
        out: A binary stream, or a path (written atomically: a temporary file beside
            it is renamed into place once complete).

    Returns:
        The number of claims written (``SOLUONGHOSO``).

    Raises:
        ValueError: A claim breaks the writer's preconditions (see ``render_table``).
    """
    if isinstance(out, Path):
        tmp = out.with_name(f".{out.name}.part")
        try:
            with tmp.open("wb") as handle:
                count = _write_to(
                    claims, ma_cskcb=ma_cskcb, ngay_lap=ngay_lap, out=handle
                )
            tmp.replace(out)
        finally:
            tmp.unlink(missing_ok=True)
        return count
    return _write_to(claims, ma_cskcb=ma_cskcb, ngay_lap=ngay_lap, out=out)


def envelope_bytes(
    claims: Iterable[Mapping[str, Sequence[Mapping[str, str]]]],
    *,
    ma_cskcb: str,
    ngay_lap: str,
) -> bytes:
    """Return one ``GIAMDINHHS`` file with one ``HOSO`` per claim, as bytes.

    See ``write_envelope`` for the arguments and errors.
    """
    parts = [_render_hoso(claim, index) for index, claim in enumerate(claims)]
    return _header(ma_cskcb, ngay_lap, len(parts)) + b"".join(parts) + _FOOTER


__all__ = [
    "ClaimRecords",
    "envelope_bytes",
    "escape_text",
    "render_table",
    "write_envelope",
]
