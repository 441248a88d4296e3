"""The registry as Arrow tables for the unauthorised-practice leads.

Every current fact, own and pulled, with the feed entry that stated it (province,
seq and hash, from the row's ``source`` ``<province>#<seq> …``), so that a lead
names the entries behind it. See ``giamdinh.signals.registry`` for the columns.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from sqlalchemy import select

from giamdinh.db.models.registry import (
    RegistryFeedEntry,
    RegistryLicence,
    RegistryLicenceStatus,
    RegistryRegistration,
)
from giamdinh.exchange.registry import registration_conflicts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_SOURCE = re.compile(r"^(\d{2})#(\d+)")

_FEED_FIELDS = [
    ("feed_province", pa.string()),
    ("feed_seq", pa.int64()),
    ("feed_hash", pa.string()),
]

SCHEMAS: dict[str, pa.Schema] = {
    "reg_licences": pa.schema(
        [
            ("macchn", pa.string()),
            ("so_dinh_danh", pa.string()),
            ("ho_ten", pa.string()),
            ("issuing_province", pa.string()),
            ("chuc_danh", pa.string()),
            ("scope_appendix", pa.string()),
            ("ngay_cap", pa.date32()),
            ("ngay_het_han", pa.date32()),
            *_FEED_FIELDS,
            ("source", pa.string()),
        ]
    ),
    "reg_status": pa.schema(
        [
            ("macchn", pa.string()),
            ("issuing_province", pa.string()),
            ("status", pa.string()),
            ("valid_from", pa.date32()),
            ("valid_to", pa.date32()),
            ("decision_no", pa.string()),
            ("decision_date", pa.date32()),
            *_FEED_FIELDS,
            ("source", pa.string()),
        ]
    ),
    "reg_registrations": pa.schema(
        [
            ("reg_id", pa.int64()),
            ("province", pa.string()),
            ("ma_cskcb", pa.string()),
            ("ma_khoa", pa.string()),
            ("so_dinh_danh", pa.string()),
            ("macchn", pa.string()),
            ("full_time", pa.bool_()),
            ("days", pa.string()),
            ("hour_from", pa.string()),
            ("hour_to", pa.string()),
            ("valid_from", pa.date32()),
            ("valid_to", pa.date32()),
            *_FEED_FIELDS,
            ("source", pa.string()),
        ]
    ),
    "reg_conflicts": pa.schema(
        [
            ("so_dinh_danh", pa.string()),
            ("first_id", pa.int64()),
            ("second_id", pa.int64()),
            ("days", pa.string()),
            ("hour_from", pa.string()),
            ("hour_to", pa.string()),
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
        ]
    ),
}

_COLUMNS = {
    "reg_licences": (
        RegistryLicence,
        (
            "macchn",
            "so_dinh_danh",
            "ho_ten",
            "issuing_province",
            "chuc_danh",
            "scope_appendix",
            "ngay_cap",
            "ngay_het_han",
        ),
    ),
    "reg_status": (
        RegistryLicenceStatus,
        (
            "macchn",
            "issuing_province",
            "status",
            "valid_from",
            "valid_to",
            "decision_no",
            "decision_date",
        ),
    ),
    "reg_registrations": (
        RegistryRegistration,
        (
            "id",
            "province",
            "ma_cskcb",
            "ma_khoa",
            "so_dinh_danh",
            "macchn",
            "full_time",
            "days",
            "hour_from",
            "hour_to",
            "valid_from",
            "valid_to",
        ),
    ),
}


def registry_tables(session: Session) -> dict[str, pa.Table]:
    """Return the current licences, status periods, registrations and conflicts.

    Each fact names its feed entry (``feed_province``, ``feed_seq``,
    ``feed_hash``); a fact whose source names no entry has them null.
    """
    rows: dict[str, list[dict[str, Any]]] = {}
    wanted: set[tuple[str, int]] = set()
    for name, (model, columns) in _COLUMNS.items():
        table = model.__table__
        query = select(*(table.c[c] for c in columns), table.c.source).where(
            table.c.replaced_at.is_(None)
        )
        out: list[dict[str, Any]] = []
        for record in session.execute(query.order_by(table.c.id)):
            item = dict(zip((*columns, "source"), record, strict=True))
            if "id" in item:
                item["reg_id"] = item.pop("id")
            match = _SOURCE.match(item["source"] or "")
            item["feed_province"] = match[1] if match else None
            item["feed_seq"] = int(match[2]) if match else None
            if match:
                wanted.add((match[1], int(match[2])))
            out.append(item)
        rows[name] = out
    hashes = _hashes(session, wanted)
    for items in rows.values():
        for item in items:
            key = (item["feed_province"], item["feed_seq"])
            item["feed_hash"] = hashes.get(key)
    rows["reg_conflicts"] = [
        {
            "so_dinh_danh": c.so_dinh_danh,
            "first_id": c.first.id,
            "second_id": c.second.id,
            "days": c.days,
            "hour_from": c.hours[0],
            "hour_to": c.hours[1],
            "period_start": c.period[0],
            "period_end": c.period[1],
        }
        for c in registration_conflicts(session)
    ]
    return {
        name: pa.Table.from_pylist(items, schema=SCHEMAS[name])
        for name, items in rows.items()
    }


def _hashes(
    session: Session, wanted: set[tuple[str, int]]
) -> dict[tuple[str, int], str]:
    """Return the hash of each wanted feed entry, per province in one query each."""
    out: dict[tuple[str, int], str] = {}
    for province in sorted({p for p, _ in wanted}):
        seqs = sorted(s for p, s in wanted if p == province)
        low, high = seqs[0], seqs[-1]
        query = select(RegistryFeedEntry.seq, RegistryFeedEntry.hash).where(
            RegistryFeedEntry.province == province,
            RegistryFeedEntry.seq >= low,
            RegistryFeedEntry.seq <= high,
        )
        for seq, digest in session.execute(query):
            if (province, seq) in wanted:
                out[province, seq] = digest
    return out


__all__ = ["SCHEMAS", "registry_tables"]
