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
    FileStatus,
    Outcome,
    Problem,
    empty_table,
    file_statuses,
    load_folder,
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
    from collections.abc import Callable, Iterable, Mapping
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


FILE_KINDS: tuple[str, ...] = tuple(FILE_SPECS)
"""The kinds of facility file, in folder order: ``M01``…``M06``, ``licences``,
``equipment_sources``."""
_KIND_OF_TABLE = {spec.table: name for name, spec in FILE_SPECS.items()}
_OWN_FILES = frozenset({"licences", "equipment_sources"})


@dataclass(frozen=True, slots=True, kw_only=True)
class NotChecked:
    """Why the rules reading a reference table cannot check it.

    Attributes:
        table: the reference table (``ref_licences``…).
        file: the file kind that feeds it (``licences``…), ``None`` for tables
            not read from a facility folder (published norms).
        status: ``absent`` or ``unusable`` (``absent`` also when no folder was
            given at all).
        message: the reason in Vietnamese, e.g. "thiếu tệp licences.csv".
        message_en: the reason in English, e.g. "licences.csv missing".
    """

    table: str
    file: str | None
    status: FileStatus
    message: str
    message_en: str


@dataclass(slots=True)
class ReferenceSet:
    """The reference tables of one assessment.

    Attributes:
        ma_cskcb: the facility whose catalogues are loaded (``None``: national only).
        folder: the reference folder read, if any.
        reports: one report per facility file (missing files included), the
            loading report: every bad row, cell or file with what was done.
        missing: names of reference tables no usable file fed (absent or
            unusable); rules that need them report "not checked"
            (``ref_licences``…).
        registry: where licence rows of the connected provinces' registry came
            from (``None``: the facility's ``licences.csv`` only). With a
            registry, a licence it does not know is "not checked".
    """

    _tables: dict[str, pa.Table]
    ma_cskcb: str | None = None
    folder: Path | None = None
    reports: tuple[FileReport, ...] = ()
    missing: frozenset[str] = frozenset()
    registry: str | None = None
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

        A bad row is left out and a bad file is not loaded, but neither stops the
        rest: every such problem is in :attr:`reports` (and :attr:`problems`),
        and the tables of files that were absent or unusable are in
        :attr:`missing` ("not checked").

        Raises:
            ReferenceDataError: the folder does not exist or holds none of
                M01–M06 (the wrong folder was given).
        """
        facility_tables, reports = load_folder(folder, ma_cskcb=ma_cskcb)
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
            missing=unchecked_tables(reports),
        )

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Return the loading report row by row: every problem of every file.

        Each :class:`Problem` names the file, row, column and value, says what is
        wrong in Vietnamese and English and what was done (``outcome``: row not
        loaded, value ignored, file not loaded…), in folder order.
        """
        return tuple(p for r in self.reports for p in r.problems)

    def file_status(self, kind: str) -> FileStatus:
        """Return whether a facility file fed its table (``loaded``…).

        Args:
            kind: ``M01``…``M06``, ``licences`` or ``equipment_sources``.

        Raises:
            ReferenceDataError: unknown kind.
        """
        if kind not in FILE_SPECS:
            msg = (
                f"unknown reference file {kind!r}; use one of: {', '.join(FILE_KINDS)}"
            )
            raise ReferenceDataError(msg)
        return file_statuses(self.reports).get(kind, FileStatus.ABSENT)

    @property
    def present(self) -> tuple[str, ...]:
        """Return the file kinds that were found and loaded, in folder order."""
        return self._kinds(FileStatus.LOADED)

    @property
    def absent(self) -> tuple[str, ...]:
        """Return the file kinds that were not found (or no folder was given)."""
        return self._kinds(FileStatus.ABSENT)

    @property
    def unusable(self) -> tuple[str, ...]:
        """Return the file kinds found but not loaded (unreadable, column missing)."""
        return self._kinds(FileStatus.UNUSABLE)

    def _kinds(self, status: FileStatus) -> tuple[str, ...]:
        statuses = file_statuses(self.reports)
        return tuple(
            k for k in FILE_KINDS if statuses.get(k, FileStatus.ABSENT) is status
        )

    def not_checked(self, table: str) -> NotChecked | None:
        """Return why rules reading ``table`` cannot check it, or ``None``.

        For a facility table: its file was absent ("licences.csv missing") or
        unusable (the report says why); for a published-norm table: not given.

        Args:
            table: a reference table name (``ref_licences``…).
        """
        if self.checked(table):
            return None
        kind = _KIND_OF_TABLE.get(table)
        if kind is None:
            return NotChecked(
                table=table,
                file=None,
                status=FileStatus.ABSENT,
                message=f"{table}: chưa có dữ liệu (định mức công bố chưa được nạp)",
                message_en=f"{table}: not given (published norms not loaded)",
            )
        status = self.file_status(kind)
        if status is FileStatus.UNUSABLE:
            bad = [
                (r.file or kind, p)
                for r in self.reports
                if r.name == kind
                for p in r.problems
                if p.outcome is Outcome.FILE_NOT_LOADED
            ]
            return NotChecked(
                table=table,
                file=kind,
                status=status,
                message="; ".join(
                    f"tệp {f} không dùng được: {p.message}" for f, p in bad
                ),
                message_en="; ".join(f"{f} unusable: {p.message_en}" for f, p in bad),
            )
        file = f"{kind}.csv" if kind in _OWN_FILES else f"{kind}.csv/.xlsx"
        if self.folder is None:
            return NotChecked(
                table=table,
                file=kind,
                status=status,
                message=f"không có thư mục tham chiếu (thiếu {file})",
                message_en=f"no reference folder given ({file} missing)",
            )
        return NotChecked(
            table=table,
            file=kind,
            status=status,
            message=f"thiếu tệp {file}",
            message_en=f"{file} missing",
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
            registry=self.registry,
        )

    def with_registry_licences(self, rows: pa.Table, *, registry: str) -> ReferenceSet:
        """Return a copy whose ``ref_licences`` adds the registry's licence rows.

        Args:
            rows: ``ref_licences`` rows of the licence registry (every province
                it holds), same columns as a loaded ``licences.csv``.
            registry: a name of the registry for the reports (no credentials).

        Returns:
            A new set: ``rows`` plus the facility's licence rows (if its file was
            loaded) of licences the registry does not know (the issuing
            province's registry is the authority on a licence it holds; a
            facility's file is a copy); ``ref_licences`` is no longer "not
            checked".
        """
        tables = dict(self._tables)
        own = tables.get("ref_licences")
        if own is not None and self.checked("ref_licences") and own.num_rows:
            known = pc.unique(rows.column("macchn"))
            own = own.filter(pc.invert(pc.is_in(own.column("macchn"), value_set=known)))
            tables["ref_licences"] = pa.concat_tables(
                [own, rows.select(own.schema.names).cast(own.schema)],
                promote_options="permissive",
            )
        else:
            tables["ref_licences"] = rows
        return ReferenceSet(
            tables,
            ma_cskcb=self.ma_cskcb,
            folder=self.folder,
            reports=self.reports,
            missing=self.missing - {"ref_licences"},
            registry=registry,
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


def unchecked_tables(reports: Iterable[FileReport]) -> frozenset[str]:
    """Return the facility tables no usable file fed, over one or many folders."""
    statuses = file_statuses(reports)
    return frozenset(
        spec.table
        for name, spec in FILE_SPECS.items()
        if statuses.get(name, FileStatus.ABSENT) is not FileStatus.LOADED
    )


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
