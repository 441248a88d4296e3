"""Table specs of the claim standard (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT).

The specs are *generated*: ``scripts/generate_spec.py`` reads the official appendix
(``data/fields_qd130_qd4750.csv``) and writes ``data/spec_qd4750.json``, which this
module loads once into frozen dataclasses. A new amendment is a data change: update the
CSV (or the reviewed tables of the generator), regenerate, and a test fails until the
checked-in JSON is current.

Public API:

- ``TABLES: dict[str, TableSpec]``: the tables a facility sends, keyed ``"XML0"``,
  ``"XML1"`` … ``"XML11"``, ``"XML13"`` … ``"XML15"`` (``XML0`` is the check-in file,
  sent on its own; the others travel inside a ``GIAMDINHHS`` envelope).
- ``DOCUMENTED_TABLES``: the same plus ``XML12`` (medical assessment), which is typed on
  the insurer's portal and never sent, so no reader or writer handles it.
- ``ENVELOPE_TABLES``: names allowed as ``LOAIHOSO`` inside an envelope (XML1–XML15
  without XML12).
- ``table_for_root(tag)``: the table whose inner file has that root tag, or ``None``.

Kinds (``FieldKind``): ``string``; ``integer``; ``decimal`` (money, quantities, unit
prices, rates, weights); ``date`` (8 characters ``yyyymmdd``); ``timestamp`` (12
characters ``yyyymmddHHMM``). ``is_list`` marks ``;``-separated multi-valued fields,
whose kind is the kind of each item; lists are kept as raw text by the reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

SPEC_RESOURCE = "spec_qd4750.json"


class FieldKind(StrEnum):
    """How the text of a field is to be read."""

    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    TIMESTAMP = "timestamp"

    @property
    def description(self) -> str:
        """Return what the kind means, in English."""
        return _KIND_DESCRIPTION[self]


_KIND_DESCRIPTION = {
    FieldKind.STRING: "free text or a code, kept as written",
    FieldKind.INTEGER: "whole number (codes typed 'Số' in the appendix, counts)",
    FieldKind.DECIMAL: "decimal number with '.' (money, quantity, unit price, rate)",
    FieldKind.DATE: "date, 8 characters yyyymmdd",
    FieldKind.TIMESTAMP: "local clock time, 12 characters yyyymmddHHMM",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """One field of a table, in the order of the appendix.

    Attributes:
        name: The standard's field name (``MA_LK``, ``NGAY_YL`` …), also the XML tag.
        stt: 1-based position of the field in its record (the order it is written).
        kind: How its text is read (see ``FieldKind``).
        max_length: Maximum length in characters after QĐ 4750, ``None`` = unlimited.
        is_list: Whether the field holds several values separated by ``;``.
        description: The appendix text (Vietnamese, verbatim).
        appendix_stt: The number printed in the appendix (``None`` for fields QĐ 4750
            inserted without a number).
        amendment: The QĐ 4750 amendment text for this field, if any.
    """

    name: str
    stt: int
    kind: FieldKind
    max_length: int | None
    is_list: bool
    description: str
    appendix_stt: int | None = None
    amendment: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSpec:
    """One table (one inner XML file) of the standard.

    Attributes:
        name: ``"XML0"`` … ``"XML15"`` (the ``LOAIHOSO`` value).
        root_tag: Root element of the inner file.
        list_tag: Element holding the repeated records, ``None`` when the root is the
            only record (XML1, XML7, XML8, XML10, XML11, XML13, XML14).
        record_tag: Element of one record, ``None`` when the root is the record.
        fields: The fields in the order they are written.
        title: The table's Vietnamese title.
        sent_in_envelope: Whether the table travels inside ``GIAMDINHHS``.
    """

    name: str
    root_tag: str
    list_tag: str | None
    record_tag: str | None
    fields: tuple[FieldSpec, ...]
    title: str = ""
    sent_in_envelope: bool = True

    @property
    def field_names(self) -> tuple[str, ...]:
        """Return the field names in order."""
        return tuple(f.name for f in self.fields)

    @property
    def single_record(self) -> bool:
        """Return whether the root element is the (only) record."""
        return self.record_tag is None

    def field(self, name: str) -> FieldSpec:
        """Return the field called ``name``.

        Raises:
            KeyError: If the table has no such field.
        """
        for spec in self.fields:
            if spec.name == name:
                return spec
        msg = f"{self.name} has no field {name!r}"
        raise KeyError(msg)


def _load() -> dict[str, TableSpec]:
    raw = (
        resources.files("giamdinh.standard")
        .joinpath("data", SPEC_RESOURCE)
        .read_text(encoding="utf-8")
    )
    document: dict[str, Any] = json.loads(raw)
    tables: dict[str, TableSpec] = {}
    for table in document["tables"]:
        fields = tuple(
            FieldSpec(
                name=f["name"],
                stt=f["stt"],
                kind=FieldKind(f["kind"]),
                max_length=f["max_length"],
                is_list=f["is_list"],
                description=f["description"],
                appendix_stt=f["appendix_stt"],
                amendment=f["amendment"],
            )
            for f in table["fields"]
        )
        tables[table["name"]] = TableSpec(
            name=table["name"],
            root_tag=table["root_tag"] or "",
            list_tag=table["list_tag"],
            record_tag=table["record_tag"],
            fields=fields,
            title=table["title"],
            sent_in_envelope=table["sent_in_envelope"],
        )
    return tables


DOCUMENTED_TABLES: dict[str, TableSpec] = _load()
"""Every table of the appendix, including XML12 (portal only, never sent)."""

TABLES: dict[str, TableSpec] = {
    name: spec for name, spec in DOCUMENTED_TABLES.items() if name != "XML12"
}
"""The 16 tables a facility sends: XML0 (check-in), XML1–XML11, XML13–XML15."""

ENVELOPE_TABLES: frozenset[str] = frozenset(
    name for name, spec in TABLES.items() if spec.sent_in_envelope
)
"""Values allowed in ``LOAIHOSO`` inside a ``GIAMDINHHS`` envelope."""

_BY_ROOT: dict[str, str] = {spec.root_tag: name for name, spec in TABLES.items()}


def table_for_root(tag: str) -> str | None:
    """Return the table whose inner file has root element ``tag``, or ``None``."""
    return _BY_ROOT.get(tag)


__all__ = [
    "DOCUMENTED_TABLES",
    "ENVELOPE_TABLES",
    "TABLES",
    "FieldKind",
    "FieldSpec",
    "TableSpec",
    "table_for_root",
]
