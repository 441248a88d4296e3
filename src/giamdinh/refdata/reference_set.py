"""``ReferenceSet``: all reference tables of one assessment, resolved as of a date.

The set holds Arrow tables by name (contract 5 of the brief): the national tables
shipped with the package and, when a reference folder is given, one facility's
catalogues (M01–M06), licences and equipment sources. Rules join them in SQL with
the standard predicate ``valid_from <= d and (valid_to is null or d <= valid_to)``;
:meth:`ReferenceSet.lookup` runs the same predicate in DuckDB.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata.codes import icd_nodot, parse_service_code
from giamdinh.refdata.facility import (
    FileReport,
    empty_table,
    load_folder,
    raise_for_problems,
)
from giamdinh.refdata.national import load_national
from giamdinh.refdata.norm_tables import (
    NORM_STAFF_MINUTES,
    NORM_SUPPLY_QUANTITIES,
    NORM_TABLES,
    conform_norm_table,
)
from giamdinh.refdata.specs import FILE_SPECS

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

FACILITY_TABLES: tuple[str, ...] = tuple(s.table for s in FILE_SPECS.values())


class LookupKind(StrEnum):
    """What :meth:`ReferenceSet.lookup` can look up, with the table it reads."""

    SERVICE = "service"
    PRACTITIONER = "practitioner"
    MACHINE = "machine"
    LICENCE = "licence"
    DEPARTMENT = "department"
    DRUG = "drug"
    SUPPLY = "supply"
    EQUIPMENT_SOURCE = "equipment_source"
    ICD10 = "icd10"
    TECHNIQUE = "technique"
    NORM_STAFF = "norm_staff"
    NORM_SUPPLY = "norm_supply"


def _strip(code: str) -> str:
    return code.strip()


def _technique_code(code: str) -> str:
    return parse_service_code(code).base


def _norm_technique(code: str) -> str:
    """Return ``XX.YYYY`` of a technique or service code (norms are per technique)."""
    parsed = parse_service_code(code)
    return parsed.ma_ky_thuat or code.strip()


# kind → (table, key column, normaliser of the searched code)
LOOKUPS: dict[LookupKind, tuple[str, str, Callable[[str], str]]] = {
    LookupKind.SERVICE: ("ref_services", "ma_dich_vu", _strip),
    LookupKind.PRACTITIONER: ("ref_practitioners", "macchn", _strip),
    LookupKind.MACHINE: ("ref_machines", "ma_may", _strip),
    LookupKind.LICENCE: ("ref_licences", "macchn", _strip),
    LookupKind.DEPARTMENT: ("ref_departments", "ma_khoa", _strip),
    LookupKind.DRUG: ("ref_drugs", "ma_thuoc", _strip),
    LookupKind.SUPPLY: ("ref_supplies", "ma_vat_tu", _strip),
    LookupKind.EQUIPMENT_SOURCE: ("ref_equipment_sources", "ma_may", _strip),
    LookupKind.ICD10: ("ref_icd10", "code_nodot", icd_nodot),
    LookupKind.TECHNIQUE: ("ref_techniques", "ma_dich_vu", _technique_code),
    LookupKind.NORM_STAFF: (NORM_STAFF_MINUTES, "technique_code", _norm_technique),
    LookupKind.NORM_SUPPLY: (NORM_SUPPLY_QUANTITIES, "technique_code", _norm_technique),
}


def as_of_predicate(alias: str, day: str) -> str:
    """Return the SQL "valid on day" predicate for a reference table alias.

    Args:
        alias: the table alias in the query (e.g. ``s``).
        day: a SQL expression of type DATE (e.g. ``cast(x.ngay_yl as date)``).

    Returns:
        ``a.valid_from <= d and (a.valid_to is null or d <= a.valid_to)``
    """
    return (
        f"{alias}.valid_from <= {day} and "
        f"({alias}.valid_to is null or {day} <= {alias}.valid_to)"
    )


@dataclass(slots=True)
class ReferenceSet:
    """The reference tables of one assessment.

    Attributes:
        ma_cskcb: the facility whose catalogues are loaded (``None``: national only).
        folder: the reference folder read, if any.
        reports: one report per facility file (missing files included).
        missing: names of reference tables whose file was not given; rules that
            need them report "not checked" (``ref_licences``…).
    """

    _tables: dict[str, pa.Table]
    ma_cskcb: str | None = None
    folder: Path | None = None
    reports: tuple[FileReport, ...] = ()
    missing: frozenset[str] = frozenset()
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def national(cls, *, cache_dir: Path | None = None) -> ReferenceSet:
        """Return a set with the national tables only; facility tables are empty.

        Every facility table is then listed in ``missing`` ("not checked").
        """
        tables = dict(load_national(cache_dir=cache_dir))
        for spec in FILE_SPECS.values():
            tables[spec.table] = empty_table(spec)
        return cls(tables, missing=frozenset(FACILITY_TABLES))

    @classmethod
    def load(
        cls,
        folder: Path,
        *,
        ma_cskcb: str | None = None,
        cache_dir: Path | None = None,
    ) -> ReferenceSet:
        """Load the national tables and one facility's reference folder.

        Args:
            folder: directory with ``M01``…``M06`` (``.csv``/``.xlsx``) and the
                optional ``licences.csv`` and ``equipment_sources.csv``.
            ma_cskcb: facility code for rows whose ``MA_CSKCB`` is empty.
            cache_dir: Parquet cache of the national tables (see
                :func:`giamdinh.refdata.national.load_national`).

        Returns:
            The reference set.

        Raises:
            ReferenceDataError: a file has problems (each named by file, row and
                column) or the folder holds none of M01–M06.
        """
        facility_tables, reports = load_folder(folder, ma_cskcb=ma_cskcb)
        raise_for_problems(reports)
        if all(r.missing for r in reports if r.name.startswith("M")):
            msg = (
                f"{folder}: no facility catalogue found; expected files named "
                "M01…M06 (.csv or .xlsx)"
            )
            raise ReferenceDataError(msg)
        tables = dict(load_national(cache_dir=cache_dir))
        tables.update(facility_tables)
        return cls(
            tables,
            ma_cskcb=ma_cskcb or _single_facility(facility_tables),
            folder=folder,
            reports=tuple(reports),
            missing=frozenset(r.table for r in reports if r.missing),
        )

    def tables(self) -> dict[str, pa.Table]:
        """Return every table by name (a new dict; the tables are shared)."""
        return dict(self._tables)

    def table(self, name: str) -> pa.Table:
        """Return one table by name.

        Raises:
            ReferenceDataError: no such reference table.
        """
        try:
            return self._tables[name]
        except KeyError:
            known = ", ".join(sorted(self._tables))
            msg = f"no reference table {name!r}; known: {known}"
            raise ReferenceDataError(msg) from None

    def checked(self, name: str) -> bool:
        """Return whether a reference table was given (not "not checked")."""
        return name in self._tables and name not in self.missing

    def with_norms(self, norms: Mapping[str, pa.Table]) -> ReferenceSet:
        """Return a copy of the set with published norm tables added.

        Args:
            norms: ``ref_norm_staff_minutes`` and/or ``ref_norm_supply_quantities``
                (from ``giamdinh.services.norms.norm_reference_tables`` or
                :func:`giamdinh.refdata.norm_tables.read_published_norms`). A norm
                table not given stays absent and ``checked()`` is false for it.

        Returns:
            A new set sharing the other tables; the original is unchanged.

        Raises:
            ReferenceDataError: a table is not a norm table or breaks its schema.
        """
        tables = dict(self._tables)
        for name, table in norms.items():
            tables[name] = conform_norm_table(name, table, source=name)
        return ReferenceSet(
            tables,
            ma_cskcb=self.ma_cskcb,
            folder=self.folder,
            reports=self.reports,
            missing=self.missing - frozenset(norms),
        )

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Register every table as a DuckDB view of the same name on ``con``."""
        for name, table in self._tables.items():
            con.register(name, table)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = duckdb.connect()
            self.register(con)
            self._con = con
        return self._con

    def sql(self, query: str, params: list[object] | None = None) -> pa.Table:
        """Run a read-only query over the reference tables and return Arrow.

        Args:
            query: DuckDB SQL naming ``ref_*`` tables.
            params: positional ``?`` parameters.

        Returns:
            The result as an Arrow table.
        """
        with self._lock:
            return self._connection().sql(query, params=params or []).to_arrow_table()

    def lookup(self, kind: LookupKind | str, code: str, as_of: date) -> pa.Table:
        """Return the rows of ``code`` valid on ``as_of`` (a SQL filter, not a loop).

        Args:
            kind: what to look up (``service``, ``practitioner``, ``icd10``…).
            code: the code; ICD-10 codes may be dotted or not, technique codes may
                carry ``_GT``/``_TB``/``.K.WWWWW``.
            as_of: the day the row must be valid on (both ends inclusive).

        Returns:
            Matching rows (zero, one, or several — e.g. a practitioner in two
            departments), ordered by ``valid_from``.

        Raises:
            ReferenceDataError: unknown kind.
        """
        try:
            lookup_kind = LookupKind(kind)
        except ValueError:
            known = ", ".join(k.value for k in LookupKind)
            msg = f"unknown reference kind {kind!r}; use one of: {known}"
            raise ReferenceDataError(msg) from None
        table, column, normalise = self._lookup_target(lookup_kind)
        # NOTE: table and column come from the fixed LOOKUPS map, never from input.
        query = (
            f"select * from {table} as r where r.{column} = ? and "  # noqa: S608
            f"{as_of_predicate('r', 'cast(? as date)')} order by r.valid_from"
        )
        return self.sql(query, [normalise(code), as_of, as_of])

    def history(self, kind: LookupKind | str, code: str) -> pa.Table:
        """Return every period of ``code`` (all rows, any date), oldest first."""
        table, column, normalise = self._lookup_target(LookupKind(kind))
        query = (
            f"select * from {table} as r where r.{column} = ? "  # noqa: S608
            "order by r.valid_from"
        )
        return self.sql(query, [normalise(code)])

    def _lookup_target(self, kind: LookupKind) -> tuple[str, str, Callable[[str], str]]:
        table, column, normalise = LOOKUPS[kind]
        if table in NORM_TABLES and table not in self._tables:
            msg = (
                f"{table}: chưa có định mức công bố, chưa kiểm tra / published norms "
                "not given — not checked (giamdinh norms publish, then --norms DIR)"
            )
            raise ReferenceDataError(msg)
        return table, column, normalise

    def close(self) -> None:
        """Close the private DuckDB connection used by lookups."""
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def _single_facility(tables: dict[str, pa.Table]) -> str | None:
    codes: set[str] = set()
    for name in FACILITY_TABLES:
        table = tables.get(name)
        if table is not None and "ma_cskcb" in table.column_names:
            unique = pc.unique(table.column("ma_cskcb").drop_null())
            codes.update(str(v) for v in unique.to_pylist() if v)
    return codes.pop() if len(codes) == 1 else None


def today() -> date:
    """Return today's date in Vietnam (UTC+7), the default "as of" day."""
    return (datetime.now(tz=UTC) + timedelta(hours=7)).date()
