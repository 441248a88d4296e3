"""Secure streaming reader of claim files (``GIAMDINHHS`` envelopes and bare tables).

Reads the files hospitals send under QĐ 130/4750 — ``GIAMDINHHS`` envelopes with one
``HOSO`` per claim and each table base64-encoded in ``FILEHOSO/NOIDUNGFILE`` — and bare
inner table files (XML0 check-in, XML1 … XML15), told apart by their root element. Older
QĐ 4210 shapes are read too: list files without the ``CHITIEU_*`` wrapper (e.g.
``<DSACH_CHI_TIET_DVKT><CHI_TIET_DVKT>…``) and the 4210 field names that have a plain
4750 counterpart (``MA_THE`` → ``MA_THE_BHYT``, ``TEN_BENH`` → ``CHAN_DOAN_RV`` …; see
``LEGACY_RENAMES``), with an ``IN042`` finding saying so.

Public API:

- ``read_file(path, *, settings=None) -> FileResult``: one file, with its typed Arrow
  tables (``FileResult.tables``).
- ``read_files(paths, *, settings=None) -> Iterator[FileResult]``: one result per file,
  each with its own tables; a bad file never stops the iteration.
- ``read_batch(paths, *, settings=None) -> BatchResult``: the fast path for ingestion:
  many files, Arrow arrays built **once** for the whole batch (``BatchResult.tables``);
  the per-file results carry hash, claims, findings and status, no tables.
- ``iter_claim_records(path, *, settings=None) -> Iterator[ClaimRecords]``: the accepted
  claims of a file as plain records (shared contract 2: table → records, field → text
  exactly as read), e.g. to write them back with ``giamdinh.standard.writer``.
- ``concat_tables(parts)``: one Arrow table per logical table from many results.
- ``table_schema(table)`` / ``empty_table(table)``: the Arrow schema of a table.

Output (shared contract 4): per logical table one ``pyarrow.Table`` whose columns are
the spec fields in upper case, typed by kind (string → ``string``, integer → ``int64``,
decimal → ``decimal128(18, 3)``, date → ``date32``, timestamp → ``timestamp[s]``,
naive local clock time as written; list fields stay ``string``). An empty element of a
typed field is null; text that does not parse is null and kept in ``<FIELD>__raw``
(present for every typed field, null when the value parsed or was empty). A string
field is ``""`` for an empty element and null when the element is missing. Then
``_file`` (the path as given), ``_hoso`` (int32: 0-based index of the ``HOSO`` in the
envelope; in a bare table file, the index of the record's ``MA_LK`` in order of first
appearance) and ``_envelope_cskcb`` (``MACSKCB`` of the envelope, null for a bare
file). Dates and timestamps must be real calendar values: ``20260230`` is not parsed.

Security: DOCTYPE and ENTITY declarations are refused outright (before parsing), and
lxml runs with ``resolve_entities=False, no_network=True, load_dtd=False,
huge_tree=False`` (so no external entity, no entity expansion, no network; a single text
node is limited to libxml2's 10 MB, so one base64 ``NOIDUNGFILE`` cannot exceed about
7.5 MB decoded whatever ``max_inner_file_bytes`` says). The file size is checked against
``Settings.max_file_bytes`` before it is read, and the length of every base64 payload is
checked against ``Settings.max_inner_file_bytes`` before it is decoded. Only UTF-8 is
accepted (declared encoding, byte-order mark and the bytes themselves are checked).

Repair: a namespace declaration whose URI holds whitespace (hospital systems write
``xmlns:xsi="http://www.w3.org/2001/XMLSchema instance"`` on every inner table) is not
a valid URI and libxml2 refuses the whole document. The reader never uses namespaces,
so before parsing it percent-encodes the whitespace of such a declaration's URI (a byte
search for ``xmlns``, then only declarations inside a start tag) and notes it with an
``IN043`` (info) finding per file, table and declaration; nothing else is repaired and
lxml's recover mode stays off. An inner table written as plain XML elements inside
``NOIDUNGFILE`` instead of base64 is refused with ``IN035``, naming the root seen.

Problems are never exceptions: each is a ``Finding`` with an ``IN`` code (see
``giamdinh.standard.codes``) naming file, ``MA_LK``, table, ``STT`` and field. A
refused file keeps nothing; a refused ``HOSO`` is dropped alone and the rest of the
file goes on.
"""

from __future__ import annotations

import binascii
import functools
import gc
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from giamdinh.config import Settings, get_settings
from giamdinh.domain import Finding, Location, Severity
from giamdinh.standard import codes
from giamdinh.standard.spec import ENVELOPE_TABLES, TABLES, FieldKind, table_for_root

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from giamdinh.standard.writer import ClaimRecords

_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}
DECIMAL_TYPE = pa.decimal128(18, 3)
ARROW_TYPES: dict[FieldKind, pa.DataType] = {
    FieldKind.STRING: pa.string(),
    FieldKind.INTEGER: pa.int64(),
    FieldKind.DECIMAL: DECIMAL_TYPE,
    FieldKind.DATE: pa.date32(),
    FieldKind.TIMESTAMP: pa.timestamp("s"),
}
PROVENANCE_COLUMNS = ("_file", "_hoso", "_envelope_cskcb")
Source = Path | str | tuple[str, bytes] | tuple[str, bytes, str]
"""A file to read: a path, or ``(name, content)`` for bytes already in memory, or
``(name, content, sha256)`` when the caller has already hashed them (hex SHA-256 of
``content``; it becomes ``FileResult.sha256`` as given)."""
ENVELOPE_ROOT = "GIAMDINHHS"

# QĐ 4210 names with a plain 4750 counterpart, per table (research note §9). Only
# renames whose meaning did not change are applied; other 4210 fields are reported as
# unknown (IN040). A rename applies only when the 4750 field is absent from the record.
LEGACY_RENAMES: dict[str, dict[str, str]] = {
    "XML1": {
        "MA_THE": "MA_THE_BHYT",
        "MA_BENH": "MA_BENH_CHINH",
        "MA_BENHKHAC": "MA_BENH_KT",
        "TEN_BENH": "CHAN_DOAN_RV",
        "T_TONGCHI": "T_TONGCHI_BV",
    },
    "XML2": {"THANH_TIEN": "THANH_TIEN_BV", "TYLE_TT": "TYLE_TT_BH"},
    "XML3": {
        "DON_GIA": "DON_GIA_BV",
        "THANH_TIEN": "THANH_TIEN_BV",
        "TYLE_TT": "TYLE_TT_BH",
    },
    "XML5": {"DIEN_BIEN": "DIEN_BIEN_LS", "NGAY_YL": "THOI_DIEM_DBLS"},
}
for _table, _renames in LEGACY_RENAMES.items():
    assert not set(_renames) & set(TABLES[_table].field_names), _table  # noqa: S101
_LEGACY_ROOTS: dict[str, str] = {
    spec.list_tag: name
    for name, spec in TABLES.items()
    if spec.list_tag is not None and name != "XML0"
}

_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_B64_ALPHABET = re.compile(r"[^A-Za-z0-9+/=]")
_INT_RE = r"^[+-]?\d{1,18}$"
_DEC_RE = r"^[+-]?\d{1,15}(\.\d{0,3}0*)?$"
_TRUNCATION_WINDOW = 8  # an error this close to the end: the file stops early
_B64_SPACE = re.compile(r"[ \t\r\n]+")
# A namespace declaration and its quoted URI (``<`` cannot occur in an attribute).
_XMLNS_ATTR = re.compile(
    rb"(xmlns(?::[A-Za-z_][A-Za-z0-9_.\-]*)?)[ \t\r\n]*=[ \t\r\n]*"
    rb"(?:\"([^\"<]*)\"|'([^'<]*)')"
)
_URI_SPACE = re.compile(rb"[ \t\r\n]")
# Whether any element sits below the field level (record fields with children).
_DEPTH_2 = etree.XPath("boolean(/*/*/*)")
_DEPTH_3 = etree.XPath("boolean(/*/*/*/*)")
_DEPTH_4 = etree.XPath("boolean(/*/*/*/*/*)")


class FileStatus(StrEnum):
    """Outcome of reading one file."""

    OK = "ok"
    PARTIAL = "partial"
    REJECTED = "rejected"


class FileShape(StrEnum):
    """What kind of file it was."""

    ENVELOPE = "envelope"
    TABLE = "table"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimRef:
    """One accepted claim of a file: its ``MA_LK``, ``_hoso`` index and content.

    ``content`` is the SHA-256 of the claim's records as read (every table, each
    field's text exactly as written, missing and empty told apart; the order of the
    tables does not matter, the order of records does): two claims with the same
    ``content`` say the same thing, however the files around them differ.
    """

    ma_lk: str
    hoso: int
    content: str = ""


@dataclass(slots=True, kw_only=True)
class FileResult:
    """What reading one file gave.

    Attributes:
        path: The path as given (also the ``_file`` column).
        sha256: Hex SHA-256 of the file's bytes (``""`` when it could not be read).
        size: Size in bytes.
        shape: Envelope, bare table, or unknown (refused before its shape was known).
        table: For a bare table file, its table name (``"XML3"`` …).
        ma_cskcb: Facility code (``MACSKCB`` of the envelope; for a bare file, the
            single ``MA_CSKCB`` of its records if there is exactly one).
        ngay_lap: ``NGAYLAP`` of the envelope.
        legacy_4210: Whether any table was in a QĐ 4210 shape.
        claims: The accepted claims, in file order.
        rejected_hoso: ``_hoso`` indexes of the refused ``HOSO`` of an envelope.
        tables: Typed Arrow tables per logical table (empty in ``read_batch``).
        findings: Every problem found, in file order.
        status: ``ok`` (nothing refused), ``partial`` (some claims refused) or
            ``rejected`` (the file, or every claim in it, refused).
    """

    path: str
    sha256: str = ""
    size: int = 0
    shape: FileShape = FileShape.UNKNOWN
    table: str | None = None
    ma_cskcb: str | None = None
    ngay_lap: str | None = None
    legacy_4210: bool = False
    claims: list[ClaimRef] = field(default_factory=list)
    rejected_hoso: list[int] = field(default_factory=list)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    status: FileStatus = FileStatus.OK


@dataclass(slots=True, kw_only=True)
class BatchResult:
    """Many files read together: per-file results and one Arrow table per table."""

    files: list[FileResult]
    tables: dict[str, pa.Table]

    @property
    def findings(self) -> list[Finding]:
        """Return the findings of every file, in order."""
        return [f for result in self.files for f in result.findings]


class _RefusedError(Exception):
    """Internal: the current unit (file or HOSO) is refused with this finding."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.code)
        self.finding = finding


def _finding(code: str, location: Location, **evidence: Any) -> Finding:
    spec = codes.get(code)
    values = {k: ("" if v is None else v) for k, v in evidence.items()}
    return Finding(
        code=code,
        severity=spec.severity,
        message=spec.message.format(**values),
        message_en=spec.message_en.format(**values),
        location=location,
        evidence=evidence,
    )


# --------------------------------------------------------------------------- bytes


def _line_offset(data: bytes, line: int) -> int:
    offset = 0
    for _ in range(max(line - 1, 0)):
        nxt = data.find(b"\n", offset)
        if nxt < 0:
            return len(data)
        offset = nxt + 1
    return offset


def _check_bytes(data: bytes, loc: Location) -> str:
    """Refuse empty, non-UTF-8 or DOCTYPE-bearing XML; return the root tag."""
    if not data or data.isspace():
        raise _RefusedError(_finding("IN003", loc))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:64]:
        raise _RefusedError(_finding("IN005", loc, encoding="UTF-16/UTF-32"))
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    declared = _DECL.match(body[:512])
    if declared is not None:
        name = declared.group(1).decode("ascii").lower().replace("_", "-")
        if name not in {"utf-8", "utf8"}:
            raise _RefusedError(
                _finding("IN005", loc, encoding=declared.group(1).decode())
            )
    return _root_tag(body, loc)


def _root_tag(data: bytes, loc: Location) -> str:
    """Return the root element's name, refusing DOCTYPE/ENTITY in the prolog."""
    pos = 0
    size = len(data)
    while True:
        start = data.find(b"<", pos)
        if start < 0 or start + 1 >= size:
            raise _RefusedError(_finding("IN001", loc, detail="no root element"))
        nxt = data[start + 1 : start + 2]
        if nxt == b"?":
            end = data.find(b"?>", start + 2)
            if end < 0:
                raise _RefusedError(
                    _finding("IN002", loc, detail="unterminated declaration")
                )
            pos = end + 2
        elif data.startswith(b"<!--", start):
            end = data.find(b"-->", start + 4)
            if end < 0:
                raise _RefusedError(
                    _finding("IN002", loc, detail="unterminated comment")
                )
            pos = end + 3
        elif nxt == b"!":
            raise _RefusedError(_finding("IN007", loc))
        else:
            match = re.match(
                rb"[A-Za-z_][A-Za-z0-9_.\-]*", data[start + 1 : start + 257]
            )
            if match is None:
                raise _RefusedError(
                    _finding("IN001", loc, detail="invalid root element")
                )
            return match.group().decode("ascii")


def _syntax_refusal(
    error: etree.XMLSyntaxError, data: bytes, loc: Location, *, inner: str | None = None
) -> _RefusedError:
    """Turn a parse error into the most precise refusal."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as decode_error:
        return _RefusedError(_finding("IN006", loc, offset=decode_error.start))
    detail = str(error.msg or error)[:200]
    if "huge" in detail.lower():
        return _RefusedError(_finding("IN012", loc, detail=detail))
    if inner is not None:
        return _RefusedError(_finding("IN027", loc, table=inner, detail=detail))
    line, column = error.position
    offset = _line_offset(data, line) + max(column - 1, 0)
    truncated = "Premature end of data" in detail or (
        offset >= len(data.rstrip()) - _TRUNCATION_WINDOW
        and "not defined" not in detail
    )
    return _RefusedError(
        _finding("IN002" if truncated else "IN001", loc, detail=detail)
    )


def _parser(*, remove_blank_text: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=remove_blank_text,
        **_PARSER_OPTIONS,
    )


def _no_markup_but_elements(data: bytes) -> bool:
    """Whether an XML text has no comment, CDATA or processing instruction.

    Only the XML declaration may start with ``<?``. In such a text libxml2's
    blank-text removal drops only whitespace between tags: whitespace that is all
    of an element's content is followed by its end tag and kept.
    """
    # One-byte searches (memchr) first: two-byte ones scan many times slower.
    if data.find(b"!") >= 0 and b"<!" in data:
        return False
    start = 0
    if data.startswith((b"<?", b"\xef\xbb\xbf<?")):
        start = data.find(b"?>") + 2  # the declaration (checked before parsing)
        if start < 2:  # noqa: PLR2004 - unterminated: the parser will say so
            return False
    return data.find(b"?", start) < 0 or data.find(b"<?", start) < 0


def _repair_namespaces(data: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    """Percent-encode whitespace in the URI of namespace declarations.

    libxml2 refuses a document whose namespace URI holds whitespace (``is not a
    valid URI``). Only ``xmlns`` / ``xmlns:prefix`` attributes inside a start tag
    whose quoted value holds a space, tab, CR or LF are changed; every other byte is
    kept. Costs one byte search when the text has no ``xmlns`` at all.

    Returns:
        The text to parse and, per repaired declaration, its name and URI as written.
    """
    found = data.find(b"xmlns")
    if found < 0:
        return data, []
    parts: list[bytes] = []
    repaired: list[tuple[str, str]] = []
    done = 0
    while found >= 0:
        match = _XMLNS_ATTR.match(data, found)
        if (
            match is not None
            and data[found - 1 : found] in (b" ", b"\t", b"\r", b"\n")
            and data.rfind(b"<", 0, found) > data.rfind(b">", 0, found)
        ):
            group = 2 if match.group(2) is not None else 3
            uri = match.group(group)
            if _URI_SPACE.search(uri) is not None:
                start, end = match.span(group)
                parts.append(data[done:start])
                parts.append(_URI_SPACE.sub(lambda m: b"%%%02X" % m.group()[0], uri))
                done = end
                repaired.append(
                    (
                        match.group(1).decode("ascii"),
                        uri.decode("utf-8", errors="replace"),
                    )
                )
        found = data.find(b"xmlns", found + 5)
    if not repaired:
        return data, []
    parts.append(data[done:])
    return b"".join(parts), repaired


def _repaired(data: bytes, table: str, staged: _Staged) -> bytes:
    """Return ``data`` with its namespace URIs repaired, noted in ``staged``."""
    data, repaired = _repair_namespaces(data)
    for declaration, uri in repaired:
        key = (table, declaration, uri)
        staged.repaired[key] = staged.repaired.get(key, 0) + 1
    return data


def _filehoso_parts(filehoso: etree._Element) -> tuple[str, str | None, str | None]:
    """Return ``LOAIHOSO``, the ``NOIDUNGFILE`` text and any inline root tag.

    The inline root is the tag of the first element inside ``NOIDUNGFILE`` when the
    table was written there as plain XML instead of base64 text (else None).
    """
    loaihoso = ""
    content: str | None = None
    inline: str | None = None
    for part in filehoso:  # cheaper than findtext() twice
        tag = part.tag
        if tag == "LOAIHOSO" and not loaihoso:
            loaihoso = (part.text or "").strip()
        elif tag == "NOIDUNGFILE" and content is None:
            content = part.text or ""
            if len(part):  # elements inside: the table written inline
                inline = str(part[0].tag)
    return loaihoso, content, inline


# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class _Staged:
    """Rows of one unit (HOSO or bare file), per table, before acceptance."""

    rows: dict[str, list[list[str | None]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    legacy: dict[str, set[str]] = field(default_factory=dict)
    unknown: dict[tuple[str, str], int] = field(default_factory=dict)
    # (table, declaration, URI as written) → times repaired (IN043).
    repaired: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # Per table, the rows as one UTF-8 text (see ``_joined``), once they are final.
    joined: dict[str, bytes] = field(default_factory=dict)


_INDEX: dict[str, dict[str, int]] = {
    name: {f: i for i, f in enumerate(spec.field_names)}
    for name, spec in TABLES.items()
}
_NAMES: dict[str, list[str]] = {
    name: list(spec.field_names) for name, spec in TABLES.items()
}
_NGAY_SINH = {name: _INDEX[name].get("NGAY_SINH") for name in TABLES}
_MA_LK = {name: _INDEX[name].get("MA_LK") for name in TABLES}
_STT = {name: _INDEX[name].get("STT") for name in TABLES}


def _stt_of(table: str, row: list[str | None]) -> int | None:
    index = _STT[table]
    value = row[index] if index is not None else None
    return int(value) if value is not None and value.isdigit() else None


def _extract(
    element: etree._Element,
    table: str,
    staged: _Staged,
    loc: Location,
    *,
    legacy_shape: bool,
    nested: bool,
) -> list[str | None]:
    """Return one record's texts in spec order (None = element missing).

    The fast path handles the usual record: known, unique, flat fields. Anything else
    (unknown or repeated field, child elements, comments) takes the careful path.
    """
    index = _INDEX[table]
    if nested:
        return _extract_careful(element, table, staged, loc, legacy_shape=legacy_shape)
    children = list(element)
    if [child.tag for child in children] == _NAMES[table]:
        # The usual record: every field, in spec order, once.
        row: list[str | None] = [
            "" if (text := child.text) is None else text for child in children
        ]
        if legacy_shape:
            _legacy_birth_date(table, row)
        return row
    get = index.get
    row = [None] * len(index)
    for child in children:
        position = get(child.tag)
        if position is None or row[position] is not None:
            return _extract_careful(
                element, table, staged, loc, legacy_shape=legacy_shape
            )
        text = child.text
        row[position] = "" if text is None else text
    if legacy_shape:
        _legacy_birth_date(table, row)
    return row


def _legacy_birth_date(table: str, row: list[str | None]) -> None:
    """Pad a 4210 ``NGAY_SINH`` (yyyymmdd) to 12 characters (``0000`` = unknown)."""
    position = _NGAY_SINH[table]
    if position is None:
        return
    value = row[position]
    if value is not None and len(value) == 8 and value.isdigit():  # noqa: PLR2004
        row[position] = value + "0000"


def _extract_careful(  # noqa: PLR0912 - one branch per irregularity
    element: etree._Element,
    table: str,
    staged: _Staged,
    loc: Location,
    *,
    legacy_shape: bool,
) -> list[str | None]:
    """Return one record's texts, reporting unknown, nested and repeated fields."""
    index = _INDEX[table]
    row: list[str | None] = [None] * len(index)
    duplicates: list[str] | None = None
    renames: dict[str, str] | None = None
    for child in element:
        tag = child.tag
        position = index.get(tag)
        if position is None:
            legacy = LEGACY_RENAMES.get(table, {}).get(tag)
            if legacy is not None:
                if renames is None:
                    renames = {}
                renames[legacy] = (
                    "".join(map(str, child.itertext()))
                    if len(child)
                    else (child.text or "")
                )
                staged.legacy.setdefault(table, set()).add(f"{tag}→{legacy}")
                continue
            key = (table, tag)
            staged.unknown[key] = staged.unknown.get(key, 0) + 1
            continue
        if row[position] is not None:
            if duplicates is None:
                duplicates = []
            duplicates.append(tag)
            continue
        if len(child):
            staged.findings.append(
                _finding(
                    "IN041", _loc(loc, table=table, field=tag), table=table, field=tag
                )
            )
            row[position] = "".join(map(str, child.itertext()))
        else:
            text = child.text
            row[position] = text if text is not None else ""
    if renames is not None:
        for name, text in renames.items():
            if row[index[name]] is None:
                row[index[name]] = text
    if legacy_shape or renames is not None:
        _legacy_birth_date(table, row)
    if duplicates is not None:
        name = duplicates[0]
        count = duplicates.count(name) + 1
        ma_lk_index = _MA_LK[table]
        raise _RefusedError(
            _finding(
                "IN032",
                _loc(
                    loc,
                    table=table,
                    field=name,
                    stt=_stt_of(table, row),
                    ma_lk=row[ma_lk_index] if ma_lk_index is not None else None,
                ),
                table=table,
                field=name,
                count=count,
            )
        )
    return row


def _loc(base: Location, **changes: Any) -> Location:
    # Built directly: ``dataclasses.replace`` costs several times more on this path.
    return Location(
        file=changes.get("file", base.file),
        ma_lk=changes.get("ma_lk", base.ma_lk),
        table=changes.get("table", base.table),
        stt=changes.get("stt", base.stt),
        field=changes.get("field", base.field),
        path=changes.get("path", base.path),
    )


# Tags of a whole inner file in the usual shape, in document order: the root, the
# list element (list tables only), then per record its element and every field.
_HEAD: dict[str, list[str]] = {
    name: [spec.root_tag]
    if spec.single_record
    else [spec.root_tag, spec.list_tag or spec.root_tag]
    for name, spec in TABLES.items()
}
_RECORD: dict[str, list[str]] = {
    name: ([] if spec.single_record else [spec.record_tag or ""])
    + list(spec.field_names)
    for name, spec in TABLES.items()
}
_PATTERNS: dict[tuple[str, int], list[str]] = {}


def _pattern(table: str, count: int) -> list[str]:
    """Return the tags of ``count`` usual records of ``table`` (cached for small)."""
    key = (table, count)
    found = _PATTERNS.get(key)
    if found is None:
        found = _RECORD[table] * count
        if count <= 64:  # noqa: PLR2004 - the usual claims; larger files are rare
            _PATTERNS[key] = found
    return found


def _usual_records(root: etree._Element, table: str) -> list[list[str | None]] | None:
    """Return the records of an inner file in the usual shape, else None.

    The usual shape: the spec's root (and list) element, then records whose fields
    are every spec field, in spec order, once, without child elements. One pass over
    the tree gives every element's tag and text (the parser dropped comments and
    processing instructions, so these are all elements); the tags must be exactly
    the expected sequence. Anything else takes the careful path, which reports what
    is irregular.
    """
    elements = list(root.iter())
    head = _HEAD[table]
    per = len(_RECORD[table])
    count, extra = divmod(len(elements) - len(head), per)
    if extra or count < 0 or (count != 1 and TABLES[table].single_record):
        return None
    tags = [element.tag for element in elements]
    if tags[: len(head)] != head or tags[len(head) :] != _pattern(table, count):
        return None
    texts: list[str | None] = [
        "" if (text := element.text) is None else text for element in elements
    ]
    first = len(head) + per - len(_NAMES[table])  # the first field of the first record
    width = len(_NAMES[table])
    return [texts[start : start + width] for start in range(first, len(texts), per)]


def _records_of(
    root: etree._Element,
    table: str,
    staged: _Staged,
    loc: Location,
    *,
    usual: bool = True,
) -> list[list[str | None]]:
    """Return the records of one parsed inner file whose root is already checked.

    With ``usual`` false the file is known not to be in the usual shape.
    """
    if usual:
        found = _usual_records(root, table)
        if found is not None:
            return found
    return _records_with_care(root, table, staged, loc)


def _records_with_care(
    root: etree._Element, table: str, staged: _Staged, loc: Location
) -> list[list[str | None]]:
    """Return the records of an inner file not in the usual shape, noting why."""
    spec = TABLES[table]
    if spec.single_record:
        nested = bool(_DEPTH_2(root))
        return [_extract(root, table, staged, loc, legacy_shape=False, nested=nested)]
    legacy_shape = root.tag == spec.list_tag
    nested = bool(_DEPTH_3(root) if legacy_shape else _DEPTH_4(root))
    if legacy_shape:
        containers = [root]
    else:
        containers = []
        for child in root:
            if child.tag == spec.list_tag:
                containers.append(child)
            elif child.tag != "CHUKYDONVI" and isinstance(child.tag, str):
                key = (table, child.tag)
                staged.unknown[key] = staged.unknown.get(key, 0) + 1
    rows: list[list[str | None]] = []
    for container in containers:
        for record in container:
            if record.tag == spec.record_tag:
                rows.append(
                    _extract(
                        record,
                        table,
                        staged,
                        loc,
                        legacy_shape=legacy_shape,
                        nested=nested,
                    )
                )
            elif isinstance(record.tag, str):
                key = (table, record.tag)
                staged.unknown[key] = staged.unknown.get(key, 0) + 1
    if legacy_shape:
        staged.legacy.setdefault(table, set())
    return rows


# --------------------------------------------------------------------------- batch


class _Batch:
    """Accumulates accepted rows of many files; builds Arrow arrays once."""

    def __init__(self) -> None:
        # Per table, the accepted rows of each unit as one UTF-8 text (``_joined``):
        # far cheaper to keep and to hand to Arrow than one string per field.
        self.texts: dict[str, list[bytes]] = {name: [] for name in TABLES}
        # Whether any of those rows has a missing field (``_MISSING``).
        self.missing: dict[str, bool] = dict.fromkeys(TABLES, False)
        self.hoso: dict[str, list[int]] = {name: [] for name in TABLES}
        self.file_index: dict[str, list[int]] = {name: [] for name in TABLES}
        self.files: list[str] = []
        self.cskcb: list[str | None] = []

    def add_file(self, path: str, cskcb: str | None) -> int:
        self.files.append(path)
        self.cskcb.append(cskcb)
        return len(self.files) - 1

    def accept(self, file_index: int, hoso: int, staged: _Staged) -> None:
        joined = _joined_tables(staged)
        for table, rows in staged.rows.items():
            if not rows:
                continue
            text = joined[table]
            self.texts[table].append(text)
            if _MISSING_BYTE in text:
                self.missing[table] = True
            self.hoso[table].extend([hoso] * len(rows))
            self.file_index[table].extend([file_index] * len(rows))

    def mark(self) -> dict[str, tuple[int, int]]:
        return {
            name: (len(texts), len(self.hoso[name]))
            for name, texts in self.texts.items()
        }

    def rollback(self, mark: dict[str, tuple[int, int]]) -> None:
        for name, (units, rows) in mark.items():
            del self.texts[name][units:]
            del self.hoso[name][rows:]
            del self.file_index[name][rows:]

    def set_cskcb(self, file_index: int, cskcb: str | None) -> None:
        self.cskcb[file_index] = cskcb

    def build(self) -> dict[str, pa.Table]:
        files = pa.array(self.files, pa.string())
        cskcb = pa.array(self.cskcb, pa.string())
        tables: dict[str, pa.Table] = {}
        for name, texts in self.texts.items():
            if not texts:
                continue
            take = pa.array(self.file_index[name], pa.int32())
            tables[name] = _build_table(
                name,
                texts,
                missing=self.missing[name],
                file_column=pc.take(files, take),
                hoso=pa.array(self.hoso[name], pa.int32()),
                cskcb_column=pc.take(cskcb, take),
            )
        return tables


@functools.cache
def table_schema(table: str) -> pa.Schema:
    """Return the Arrow schema of a logical table as the reader writes it."""
    spec = TABLES[table]
    fields = [
        pa.field(f.name, pa.string() if f.is_list else ARROW_TYPES[f.kind])
        for f in spec.fields
    ]
    fields.extend(
        pa.field(f"{f.name}__raw", pa.string())
        for f in spec.fields
        if f.kind is not FieldKind.STRING and not f.is_list
    )
    fields.extend(
        [
            pa.field("_file", pa.string()),
            pa.field("_hoso", pa.int32()),
            pa.field("_envelope_cskcb", pa.string()),
        ]
    )
    return pa.schema(fields)


def empty_table(table: str) -> pa.Table:
    """Return an empty Arrow table with the schema of ``table``."""
    return table_schema(table).empty_table()


def _typed(kind: FieldKind, text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Return (typed values, raw text where non-empty text did not parse).

    Only array operands are used: a Python scalar operand makes pyarrow try an
    import on every call, which costs more than the computation on small batches.
    """
    size = len(text)
    no_text = pa.nulls(size, pa.string())
    stripped = pc.utf8_trim_whitespace(text)
    present = pc.and_kleene(
        pc.is_valid(stripped), pc.cast(pc.utf8_length(stripped), pa.bool_())
    )
    if kind is FieldKind.INTEGER:
        ok = pc.and_kleene(present, pc.match_substring_regex(stripped, _INT_RE))
        values = pc.cast(pc.if_else(ok, stripped, no_text), pa.int64())
    elif kind is FieldKind.DECIMAL:
        ok = pc.and_kleene(present, pc.match_substring_regex(stripped, _DEC_RE))
        values = pc.cast(pc.if_else(ok, stripped, no_text), DECIMAL_TYPE)
    else:
        fmt, width = ("%Y%m%d", 8) if kind is FieldKind.DATE else ("%Y%m%d%H%M", 12)
        shaped = pc.and_kleene(
            present, pc.match_substring_regex(stripped, rf"^\d{{{width}}}$")
        )
        candidate = pc.if_else(shaped, stripped, no_text)
        parsed = pc.strptime(candidate, format=fmt, unit="s", error_is_null=True)
        # strptime checks each field's range but takes day 31 in any month and
        # normalises (20260230 → 20260302): the day must come back as written. (Much
        # cheaper than formatting the value back with strftime.)
        day = pc.cast(pc.utf8_slice_codeunits(candidate, 6, 8), pa.int64())
        same = pc.equal(pc.day(parsed), day)
        ok = pc.and_kleene(pc.is_valid(same), same)
        parsed = pc.if_else(ok, parsed, pa.nulls(size, pa.timestamp("s")))
        values = pc.cast(parsed, pa.date32()) if kind is FieldKind.DATE else parsed
    bad = pc.and_kleene(present, pc.invert(ok))
    raw = pc.if_else(bad, text, no_text)
    return values, raw


def _build_table(
    table: str,
    texts: list[bytes],
    *,
    missing: bool,
    file_column: pa.Array,
    hoso: pa.Array,
    cskcb_column: pa.Array,
) -> pa.Table:
    spec = TABLES[table]
    width = len(spec.fields)
    size = len(hoso)
    # Every row has one text per field: split the joined texts into one array of all
    # fields in C++ (much cheaper than converting a Python string per field), then
    # take each column out with a stride.
    rows = pc.split_pattern(pa.array(texts, pa.string()), _ROW_SEP).flatten()
    flat = pc.split_pattern(rows, _FIELD_SEP).flatten()
    if len(flat) != size * width:  # pragma: no cover - XML text holds no separator
        msg = f"{table}: {len(flat)} field texts for {size} rows of {width}"
        raise AssertionError(msg)
    if missing:
        flat = pc.if_else(
            pc.equal(flat, pa.scalar(_MISSING, pa.string())),
            pa.nulls(len(flat), pa.string()),
            flat,
        )
    # One take puts the texts in column order, string fields first, then the typed
    # fields grouped by kind; each column is then a zero-copy slice. The typed
    # fields of one kind are parsed together, as one long array: the same work in a
    # few calls instead of a dozen per field.
    order = _COLUMN_ORDER[table]
    starts = np.arange(0, size * width, width, dtype=np.int64)
    by_column = flat.take(pa.array((order[:, None] + starts[None, :]).ravel()))
    columns: list[pa.Array | None] = [None] * width
    raw_of: dict[int, pa.Array] = {}
    strings = _STRING_POSITIONS[table]
    for n, position in enumerate(strings):
        columns[position] = by_column.slice(n * size, size)
    offset = len(strings) * size
    for kind, positions in _TYPED_POSITIONS[table].items():
        text = by_column.slice(offset, len(positions) * size)
        offset += len(positions) * size
        if not pc.max(pc.utf8_length(text)).as_py():
            # Every value missing or empty: nothing to parse.
            typed = pa.nulls(len(text), ARROW_TYPES[kind])
            raw = pa.nulls(len(text), pa.string())
        else:
            typed, raw = _typed(kind, text)
        for n, position in enumerate(positions):
            columns[position] = typed.slice(n * size, size)
            raw_of[position] = raw.slice(n * size, size)
    raws = [raw_of[p] for p in sorted(raw_of)]
    return pa.Table.from_arrays(
        [*columns, *raws, file_column, hoso, cskcb_column], schema=table_schema(table)
    )


_STRING_POSITIONS: dict[str, list[int]] = {
    name: [
        i for i, f in enumerate(spec.fields) if f.kind is FieldKind.STRING or f.is_list
    ]
    for name, spec in TABLES.items()
}
_TYPED_POSITIONS: dict[str, dict[FieldKind, list[int]]] = {}
for _name, _spec in TABLES.items():
    _kinds: dict[FieldKind, list[int]] = {}
    for _i, _f in enumerate(_spec.fields):
        if _f.kind is not FieldKind.STRING and not _f.is_list:
            _kinds.setdefault(_f.kind, []).append(_i)
    _TYPED_POSITIONS[_name] = _kinds
_COLUMN_ORDER: dict[str, np.ndarray[Any, np.dtype[np.int64]]] = {
    name: np.array(
        _STRING_POSITIONS[name]
        + [p for positions in _TYPED_POSITIONS[name].values() for p in positions],
        dtype=np.int64,
    )
    for name in TABLES
}


def concat_tables(parts: Iterable[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    """Concatenate per-table Arrow tables of many results into one per table."""
    grouped: dict[str, list[pa.Table]] = {}
    for part in parts:
        for name, table in part.items():
            grouped.setdefault(name, []).append(table)
    return {name: pa.concat_tables(tables) for name, tables in grouped.items()}


# --------------------------------------------------------------------------- files


class _FileReader:
    """Reads one file into a batch, producing its FileResult."""

    def __init__(self, settings: Settings, batch: _Batch) -> None:
        self.settings = settings
        self.batch = batch
        self.records_out: list[tuple[int, _Staged]] | None = None
        # One parser for every inner file of the reader (lxml parsers are reusable).
        self._inner_parser = _parser()
        self._lean_parser = _parser(remove_blank_text=True)

    def read(self, source: Source) -> FileResult:
        name = source[0] if isinstance(source, tuple) else str(source)
        result = FileResult(path=name)
        loc = Location(file=name)
        mark = self.batch.mark()
        file_index = self.batch.add_file(name, None)
        try:
            if isinstance(source, tuple):
                digest = source[2] if len(source) == 3 else None  # noqa: PLR2004
                data = self._given(source[1], result, loc, digest)
            else:
                data = self._load(Path(source), result, loc)
            root = _check_bytes(data, loc)
            if root == ENVELOPE_ROOT:
                result.shape = FileShape.ENVELOPE
                self._envelope(data, result, loc, file_index)
            else:
                table = table_for_root(root) or _LEGACY_ROOTS.get(root)
                if table is None:
                    raise _RefusedError(_finding("IN008", loc, root=root))  # noqa: TRY301
                result.shape = FileShape.TABLE
                result.table = table
                self._bare(data, table, result, _loc(loc, table=table), file_index)
        except _RefusedError as refused:
            self.batch.rollback(mark)
            if self.records_out is not None:
                self.records_out.clear()
            result.findings.append(refused.finding)
            result.claims.clear()
            result.status = FileStatus.REJECTED
            return result
        if any(f.severity is Severity.REFUSE for f in result.findings):
            result.status = FileStatus.PARTIAL if result.claims else FileStatus.REJECTED
        return result

    def _load(self, path: Path, result: FileResult, loc: Location) -> bytes:
        try:
            size = path.stat().st_size
        except OSError as error:
            raise _RefusedError(
                _finding("IN001", loc, detail=f"cannot read: {error.strerror}")
            ) from error
        result.size = size
        limit = self.settings.max_file_bytes
        if size > limit:
            raise _RefusedError(_finding("IN004", loc, size=size, limit=limit))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise _RefusedError(
                _finding("IN001", loc, detail=f"cannot read: {error.strerror}")
            ) from error
        return self._given(data, result, loc)

    def _given(
        self, data: bytes, result: FileResult, loc: Location, digest: str | None = None
    ) -> bytes:
        result.size = len(data)
        limit = self.settings.max_file_bytes
        if len(data) > limit:
            raise _RefusedError(_finding("IN004", loc, size=len(data), limit=limit))
        result.sha256 = digest or hashlib.sha256(data).hexdigest()
        return data

    # ---------------------------------------------------------------- envelope

    def _envelope(  # noqa: PLR0912 - one branch per envelope element
        self, data: bytes, result: FileResult, loc: Location, file_index: int
    ) -> None:
        declared: str | None = None
        hoso_index = 0
        pending: list[tuple[int, _Staged]] = []
        data, repaired = _repair_namespaces(data)
        for (declaration, uri), count in Counter(repaired).items():
            result.findings.append(
                _finding(
                    "IN043",
                    loc,
                    table=ENVELOPE_ROOT,
                    declaration=declaration,
                    uri=uri,
                    count=count,
                )
            )
        events = etree.iterparse(
            io.BytesIO(data),
            events=("end",),
            tag=("HOSO", "MACSKCB", "NGAYLAP", "SOLUONGHOSO"),
            remove_comments=True,
            remove_pis=True,
            **_PARSER_OPTIONS,
        )
        try:
            for _event, element in events:
                tag = element.tag
                if tag == "HOSO":
                    parent = element.getparent()
                    if parent is None or parent.tag != "DANHSACHHOSO":
                        raise _RefusedError(
                            _finding("IN009", loc, detail="HOSO outside DANHSACHHOSO")
                        )
                    staged = self._hoso(element, result, loc, hoso_index)
                    if staged is not None:
                        pending.append((hoso_index, staged))
                    hoso_index += 1
                    element.clear(keep_tail=False)
                    while element.getprevious() is not None:
                        del parent[0]
                elif tag == "MACSKCB":
                    result.ma_cskcb = (element.text or "").strip() or None
                elif tag == "NGAYLAP":
                    result.ngay_lap = (element.text or "").strip()
                else:
                    declared = (element.text or "").strip()
        except etree.XMLSyntaxError as error:
            raise _syntax_refusal(error, data, loc) from error
        if hoso_index == 0:
            raise _RefusedError(_finding("IN009", loc, detail="no HOSO"))
        if result.ma_cskcb is None:
            result.findings.append(_finding("IN011", loc))
        if declared is not None and declared != str(hoso_index):
            result.findings.append(
                _finding("IN010", loc, declared=declared, actual=hoso_index)
            )
        self.batch.set_cskcb(file_index, result.ma_cskcb)
        for index, staged in pending:
            self.batch.accept(file_index, index, staged)
            if self.records_out is not None:
                self.records_out.append((index, staged))
        self._unit_notes(pending, result, loc)

    def _unit_notes(
        self, units: list[tuple[int, _Staged]], result: FileResult, loc: Location
    ) -> None:
        """Add the per-file summaries of unknown fields and 4210 renames."""
        unknown: Counter[tuple[str, str]] = Counter()
        repaired: Counter[tuple[str, str, str]] = Counter()
        legacy: dict[str, set[str]] = {}
        for _index, staged in units:
            unknown.update(staged.unknown)
            repaired.update(staged.repaired)
            for table, names in staged.legacy.items():
                legacy.setdefault(table, set()).update(names)
        for (table, declaration, uri), count in repaired.items():
            result.findings.append(
                _finding(
                    "IN043",
                    _loc(loc, table=table),
                    table=table,
                    declaration=declaration,
                    uri=uri,
                    count=count,
                )
            )
        for (table, name), count in unknown.items():
            result.findings.append(
                _finding(
                    "IN040",
                    _loc(loc, table=table, field=name),
                    table=table,
                    field=name,
                    count=count,
                )
            )
        for table, names in sorted(legacy.items()):
            result.legacy_4210 = True
            result.findings.append(
                _finding(
                    "IN042",
                    _loc(loc, table=table),
                    table=table,
                    renamed=", ".join(sorted(names)) or "-",
                )
            )

    def _hoso(
        self, element: etree._Element, result: FileResult, loc: Location, index: int
    ) -> _Staged | None:
        """Read one HOSO; return its staged rows, or None when it is refused."""
        staged = _Staged()
        ma_lk: str | None = None
        try:
            payloads = self._payloads(element, loc)
            if "XML1" not in payloads:
                raise _RefusedError(_finding("IN029", loc))  # noqa: TRY301
            order = ["XML1", *(t for t in payloads if t != "XML1")]
            for table in order:
                rows = self._inner(
                    payloads[table], table, staged, _loc(loc, table=table)
                )
                staged.rows[table] = rows
                if table == "XML1":
                    ma_lk = rows[0][_INDEX["XML1"]["MA_LK"]]
                    if ma_lk is None or not ma_lk.strip():
                        raise _RefusedError(_finding("IN030", _loc(loc, table="XML1")))  # noqa: TRY301
                    loc = _loc(loc, ma_lk=ma_lk)
                else:
                    self._check_ma_lk(table, rows, ma_lk, loc)
        except _RefusedError as refused:
            finding = refused.finding
            if finding.location.ma_lk is None and ma_lk is not None:
                finding = _with_ma_lk(finding, ma_lk)
            result.findings.append(finding)
            result.rejected_hoso.append(index)
            return None
        result.findings.extend(staged.findings)
        result.claims.append(
            ClaimRef(ma_lk=ma_lk or "", hoso=index, content=_content(staged))
        )
        return staged

    def _check_ma_lk(
        self,
        table: str,
        rows: list[list[str | None]],
        ma_lk: str | None,
        loc: Location,
    ) -> None:
        position = _MA_LK[table]
        if position is None:
            return
        for row in rows:
            found = row[position]
            if found != ma_lk:
                raise _RefusedError(
                    _finding(
                        "IN031",
                        _loc(
                            loc,
                            table=table,
                            field="MA_LK",
                            stt=_stt_of(table, row),
                        ),
                        table=table,
                        found=found,
                        expected=ma_lk,
                    )
                )

    def _payloads(self, hoso: etree._Element, loc: Location) -> dict[str, str]:
        """Return the base64 payloads of a HOSO by table, checking names and sizes."""
        seen: dict[str, str] = {}
        counts: Counter[str] = Counter()
        for filehoso in hoso:
            if filehoso.tag != "FILEHOSO":
                continue
            loaihoso, content, inline = _filehoso_parts(filehoso)
            if not loaihoso:
                raise _RefusedError(_finding("IN024", loc, detail="LOAIHOSO missing"))
            if loaihoso == "XML12":
                raise _RefusedError(_finding("IN021", _loc(loc, table="XML12")))
            if loaihoso == "XML0":
                raise _RefusedError(_finding("IN022", _loc(loc, table="XML0")))
            if loaihoso not in ENVELOPE_TABLES:
                raise _RefusedError(_finding("IN020", loc, loaihoso=loaihoso[:50]))
            counts[loaihoso] += 1
            if counts[loaihoso] > 1:
                raise _RefusedError(
                    _finding(
                        "IN023",
                        _loc(loc, table=loaihoso),
                        table=loaihoso,
                        count=counts[loaihoso],
                    )
                )
            if inline is not None:
                raise _RefusedError(
                    _finding(
                        "IN035",
                        _loc(loc, table=loaihoso),
                        table=loaihoso,
                        root=inline[:100],
                    )
                )
            if content is None or not content.strip():
                raise _RefusedError(
                    _finding(
                        "IN024",
                        _loc(loc, table=loaihoso),
                        detail=f"NOIDUNGFILE of {loaihoso} empty",
                    )
                )
            seen[loaihoso] = content
        if not seen:
            raise _RefusedError(_finding("IN024", loc, detail="no FILEHOSO"))
        return seen

    def _decode(self, text: str, table: str, loc: Location) -> bytes:
        # The base64 text stays a str: a2b_base64 takes ASCII text as it is, and
        # encoding it to bytes first would copy it.
        if "\n" in text or " " in text or "\r" in text or "\t" in text:
            text = _B64_SPACE.sub("", text)
        limit = self.settings.max_inner_file_bytes
        estimate = len(text) // 4 * 3
        if estimate > limit:
            raise _RefusedError(
                _finding("IN026", loc, table=table, size=estimate, limit=limit)
            )
        try:
            return binascii.a2b_base64(text, strict_mode=True)
        except (binascii.Error, ValueError) as error:
            bad = _B64_ALPHABET.search(text)
            detail = (
                f"character {bad.group()!r} at {bad.start()}"
                if bad is not None
                else str(error)[:120]
            )
            raise _RefusedError(
                _finding("IN025", loc, table=table, detail=detail)
            ) from error

    def _inner(
        self, payload: str, table: str, staged: _Staged, loc: Location
    ) -> list[list[str | None]]:
        data = self._decode(payload, table, loc)
        root_tag = _check_bytes(data, loc)
        data = _repaired(data, table, staged)
        spec = TABLES[table]
        if root_tag not in (spec.root_tag, spec.list_tag):
            raise _RefusedError(
                _finding(
                    "IN028",
                    loc,
                    table=table,
                    root=root_tag,
                    expected=spec.root_tag,
                )
            )
        rows: list[list[str | None]] | None = None
        lean = _no_markup_but_elements(data)
        try:
            if lean:
                # Blank text between elements is dropped while parsing (about a
                # third fewer nodes to build); a field's own text, even blank, is
                # kept. Only the usual shape is read from this tree.
                rows = _usual_records(etree.fromstring(data, self._lean_parser), table)
            if rows is None:
                root = etree.fromstring(data, self._inner_parser)
                rows = _records_of(root, table, staged, loc, usual=not lean)
        except etree.XMLSyntaxError as error:
            raise _syntax_refusal(error, data, loc, inner=table) from error
        if spec.single_record and len(rows) != 1:
            raise _RefusedError(
                _finding("IN033", loc, table=table, detail="one record expected")
            )
        return rows

    # ---------------------------------------------------------------- bare tables

    def _bare(
        self,
        data: bytes,
        table: str,
        result: FileResult,
        loc: Location,
        file_index: int,
    ) -> None:
        staged = _Staged()
        data = _repaired(data, table, staged)
        try:
            root = etree.fromstring(data, _parser())
        except etree.XMLSyntaxError as error:
            raise _syntax_refusal(error, data, loc) from error
        rows = _records_of(root, table, staged, loc)
        position = _MA_LK[table]
        groups: dict[str, list[list[str | None]]] = {}
        order: list[str] = []
        for row in rows:
            ma_lk = row[position] if position is not None else None
            if ma_lk is None or not ma_lk.strip():
                result.findings.append(
                    _finding(
                        "IN034",
                        _loc(loc, stt=_stt_of(table, row), field="MA_LK"),
                        table=table,
                    )
                )
                continue
            if ma_lk not in groups:
                groups[ma_lk] = []
                order.append(ma_lk)
            groups[ma_lk].append(row)
        result.findings.extend(staged.findings)
        units: list[tuple[int, _Staged]] = []
        for index, ma_lk in enumerate(order):
            unit = _Staged(rows={table: groups[ma_lk]})
            units.append((index, unit))
            result.claims.append(
                ClaimRef(ma_lk=ma_lk, hoso=index, content=_content(unit))
            )
        cskcb_index = _INDEX[table].get("MA_CSKCB")
        if cskcb_index is not None:
            values = {r[cskcb_index] for r in rows if r[cskcb_index]}
            if len(values) == 1:
                result.ma_cskcb = values.pop()
        for index, unit in units:
            self.batch.accept(file_index, index, unit)
            if self.records_out is not None:
                self.records_out.append((index, unit))
        staged_summary = _Staged(
            unknown=staged.unknown, legacy=staged.legacy, repaired=staged.repaired
        )
        self._unit_notes([(0, staged_summary)], result, loc)


_FIELD_SEP = "\x1f"
_ROW_SEP = "\x1e"
_TABLE_SEP = "\x1d"
_MISSING = "\x00"
_MISSING_BYTE = b"\x00"


def _joined(rows: list[list[str | None]]) -> str:
    """Return rows as one text: fields joined with U+001F, rows with U+001E.

    A missing field (None) is U+0000. None of these can occur in XML 1.0 text, so
    the text is unambiguous (and splits back into exactly the fields).
    """
    try:
        return _ROW_SEP.join(map(_FIELD_SEP.join, rows))  # type: ignore[arg-type]
    except TypeError:  # a missing field (None)
        return _ROW_SEP.join(
            _FIELD_SEP.join([_MISSING if v is None else v for v in row]) for row in rows
        )


def _joined_tables(staged: _Staged) -> dict[str, bytes]:
    """Return (and keep) ``_joined`` of every table of a unit whose rows are final.

    As UTF-8: encoded once here, then both hashed and handed to Arrow.
    """
    joined = staged.joined
    for table, rows in staged.rows.items():
        if table not in joined:
            joined[table] = _joined(rows).encode()
    return joined


def _content(staged: _Staged) -> str:
    """Return the SHA-256 of a claim's records (see ``ClaimRef.content``).

    Per table in name order: U+001D, the table name, U+001E and its ``_joined``
    rows. Much cheaper than hashing the typed Arrow values later.
    """
    joined = _joined_tables(staged)
    digest = hashlib.sha256()
    for table in sorted(joined):
        digest.update(f"{_TABLE_SEP}{table}{_ROW_SEP}".encode())
        digest.update(joined[table])
    return digest.hexdigest()


def _with_ma_lk(finding: Finding, ma_lk: str) -> Finding:
    return Finding(
        code=finding.code,
        severity=finding.severity,
        message=finding.message,
        message_en=finding.message_en,
        location=_loc(finding.location, ma_lk=ma_lk),
        evidence=finding.evidence,
    )


# --------------------------------------------------------------------------- API


def read_file(path: Source, *, settings: Settings | None = None) -> FileResult:
    """Read one claim file (envelope or bare table) with its typed Arrow tables.

    Args:
        path: The file to read, or ``(name, bytes)`` for content already in memory
            (an upload); ``name`` becomes ``_file`` and the findings' file.
        settings: Size limits (``max_file_bytes``, ``max_inner_file_bytes``); the
            process settings when omitted.

    Returns:
        The result: hash, facility, accepted claims, findings, status and
        ``tables`` (one Arrow table per logical table present).
    """
    batch = _Batch()
    result = _FileReader(settings or get_settings(), batch).read(path)
    result.tables = batch.build()
    return result


def read_bytes(
    data: bytes, *, name: str = "<bytes>", settings: Settings | None = None
) -> FileResult:
    """Read claim-file content already in memory; see ``read_file``."""
    return read_file((name, data), settings=settings)


def read_files(
    paths: Iterable[Source], *, settings: Settings | None = None
) -> Iterator[FileResult]:
    """Yield ``read_file`` for each path, in order; a bad file never stops the loop."""
    active = settings or get_settings()
    for path in paths:
        yield read_file(path, settings=active)


def read_batch(
    paths: Iterable[Source], *, settings: Settings | None = None
) -> BatchResult:
    """Read many files and build one Arrow table per logical table for all of them.

    Faster than ``read_files`` for many small files: arrays are built once. The
    per-file results hold no ``tables``; ``_file`` tells the rows of each file apart.
    Memory grows with the batch: use ``iter_batches`` for an unbounded stream.
    """
    batch = _Batch()
    reader = _FileReader(settings or get_settings(), batch)
    # The batch holds hundreds of thousands of small lists and strings that live until
    # the Arrow build, and none of them form cycles: the cyclic collector would only
    # traverse them again and again (5-10% of the read). Cycles, if any, are collected
    # once it is back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        files = [reader.read(path) for path in paths]
    finally:
        if collecting:
            gc.enable()
    return BatchResult(files=files, tables=batch.build())


def iter_batches(
    paths: Iterable[Source],
    *,
    files_per_batch: int = 500,
    settings: Settings | None = None,
) -> Iterator[BatchResult]:
    """Yield ``read_batch`` results of at most ``files_per_batch`` files each.

    Memory stays flat however many files there are: each batch's rows are released
    once the caller has consumed its tables.
    """
    if files_per_batch < 1:
        msg = f"files_per_batch must be at least 1, got {files_per_batch}"
        raise ValueError(msg)
    active = settings or get_settings()
    chunk: list[Source] = []
    for path in paths:
        chunk.append(path)
        if len(chunk) >= files_per_batch:
            yield read_batch(chunk, settings=active)
            chunk = []
    if chunk:
        yield read_batch(chunk, settings=active)


def iter_claim_records(
    path: Source, *, settings: Settings | None = None
) -> Iterator[ClaimRecords]:
    """Yield the accepted claims of a file as plain claim records (contract 2).

    Each claim maps table name → records; each record maps the fields present in the
    file (spec fields only; 4210 names renamed) to their text exactly as read. For a
    bare table file, one claim per ``MA_LK`` holding that one table.
    """
    reader = _FileReader(settings or get_settings(), _Batch())
    reader.records_out = []
    reader.read(path)
    for _index, staged in reader.records_out:
        claim: ClaimRecords = {}
        for table, rows in staged.rows.items():
            names = TABLES[table].field_names
            claim[table] = [
                {
                    name: value
                    for name, value in zip(names, row, strict=True)
                    if value is not None
                }
                for row in rows
            ]
        yield claim


__all__ = [
    "ARROW_TYPES",
    "DECIMAL_TYPE",
    "LEGACY_RENAMES",
    "PROVENANCE_COLUMNS",
    "BatchResult",
    "ClaimRef",
    "FileResult",
    "FileShape",
    "FileStatus",
    "Source",
    "concat_tables",
    "empty_table",
    "iter_batches",
    "iter_claim_records",
    "read_batch",
    "read_bytes",
    "read_file",
    "read_files",
    "table_schema",
]
