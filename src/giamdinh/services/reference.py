"""Use cases over reference data: check a facility folder, show a code as of a date."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata import (
    LookupKind,
    ReferenceSet,
    load_folder,
    parse_machine_code,
    parse_service_code,
    read_published_norms,
)
from giamdinh.refdata.codes import icd_nodot
from giamdinh.refdata.reference_set import LOOKUPS

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from giamdinh.refdata import FileReport


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderCheck:
    """The result of checking one reference folder.

    Attributes:
        folder: the folder checked.
        reports: one report per expected file (missing ones included).
    """

    folder: Path
    reports: tuple[FileReport, ...]

    @property
    def problem_count(self) -> int:
        """Return the number of problems in all files."""
        return sum(len(r.problems) for r in self.reports)

    @property
    def ok(self) -> bool:
        """Return whether every present file loaded without problems."""
        return self.problem_count == 0 and any(
            not r.missing for r in self.reports if r.name.startswith("M")
        )

    @property
    def rows_skipped(self) -> int:
        """Return the number of rows left out of every file (each has a problem)."""
        return sum(r.rows_skipped for r in self.reports)

    @property
    def not_checked(self) -> tuple[str, ...]:
        """Return the files absent or unusable (their rules report "not checked")."""
        return tuple(r.name for r in self.reports if r.missing or r.unusable)


def check_reference_folder(folder: Path, *, ma_cskcb: str | None = None) -> FolderCheck:
    """Check every file of a facility reference folder without stopping at errors.

    Args:
        folder: directory holding ``M01``…``M06``, ``licences.csv``,
            ``equipment_sources.csv``.
        ma_cskcb: facility code for rows whose ``MA_CSKCB`` is empty.

    Returns:
        One report per expected file.
    """
    _, reports = load_folder(folder, ma_cskcb=ma_cskcb)
    return FolderCheck(folder=folder, reports=tuple(reports))


def open_reference(
    folder: Path | None,
    *,
    ma_cskcb: str | None = None,
    norms: Path | None = None,
) -> ReferenceSet:
    """Return the national reference set, plus a facility folder when given.

    Args:
        folder: a facility's reference folder, or ``None`` for national only.
        ma_cskcb: facility code for rows whose ``MA_CSKCB`` is empty.
        norms: a folder written by ``giamdinh norms publish`` (the tables
            ``ref_norm_staff_minutes`` and ``ref_norm_supply_quantities``).

    Bad rows and unusable files do not stop the loading: they are in the set's
    loading report (``refs.reports``, ``refs.problems``).

    Raises:
        ReferenceDataError: the folder does not exist or holds none of M01–M06.
    """
    refs = (
        ReferenceSet.national()
        if folder is None
        else ReferenceSet.load(folder, ma_cskcb=ma_cskcb)
    )
    if norms is not None:
        refs = refs.with_norms(read_published_norms(norms))
    return refs


@dataclass(frozen=True, slots=True, kw_only=True)
class Shown:
    """What ``reference show`` displays: the rows valid on a day and related facts.

    Attributes:
        kind: what was looked up.
        code: the code as given.
        as_of: the day.
        rows: rows valid on that day (column → value).
        history: every period of the code (``valid_from``, ``valid_to`` and the
            main value), so a change declared as two rows is visible.
        related: related tables by title (guidance, licence, acquisition…).
        notes: facts worth saying (parsed code parts, "not checked" tables).
    """

    kind: LookupKind
    code: str
    as_of: date
    rows: list[dict[str, Any]]
    history: list[dict[str, Any]] = field(default_factory=list)
    related: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


_FACILITY_KINDS = {
    LookupKind.SERVICE: "ref_services",
    LookupKind.PRACTITIONER: "ref_practitioners",
    LookupKind.MACHINE: "ref_machines",
    LookupKind.LICENCE: "ref_licences",
    LookupKind.DEPARTMENT: "ref_departments",
    LookupKind.DRUG: "ref_drugs",
    LookupKind.SUPPLY: "ref_supplies",
    LookupKind.EQUIPMENT_SOURCE: "ref_equipment_sources",
}


def show_reference(refs: ReferenceSet, *, kind: str, code: str, as_of: date) -> Shown:
    """Look a code up as of a day, with the facts an assessor needs beside it.

    Args:
        refs: the reference set.
        kind: ``service``, ``practitioner``, ``machine``, ``licence``,
            ``department``, ``drug``, ``supply``, ``equipment_source``, ``icd10``,
            ``technique``, ``norm_staff`` or ``norm_supply`` (published norms of
            the technique ``XX.YYYY`` of a code).
        code: the code.
        as_of: the day.

    Returns:
        The rows valid that day and related facts.

    Raises:
        ReferenceDataError: unknown kind.
    """
    try:
        lookup_kind = LookupKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in LookupKind)
        msg = f"unknown reference kind {kind!r}; use one of: {known}"
        raise ReferenceDataError(msg) from None
    rows = refs.lookup(lookup_kind, code, as_of).to_pylist()
    history = refs.history(lookup_kind, code).to_pylist()
    shown = Shown(
        kind=lookup_kind,
        code=code,
        as_of=as_of,
        rows=[_public(r) for r in rows],
        history=[_period(r) for r in history],
    )
    table = _FACILITY_KINDS.get(lookup_kind)
    if table is not None and not refs.checked(table):
        shown.notes.append(
            f"{table}: file not given — not checked (thiếu tệp, chưa kiểm tra)"
        )
    _add_related(refs, shown)
    return shown


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in row.items() if not k.startswith("_") and v not in ("", None)
    }


def _period(row: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "valid_from",
        "valid_to",
        "don_gia",
        "trang_thai",
        "version",
        "phamvi_cm",
        "norm_version",
        "title",
        "resource_code",
    )
    out = {k: row[k] for k in keep if k in row}
    if "_file" in row:
        out["file_row"] = f"{row['_file']}:{row['_row']}"
    return out


def _add_related(refs: ReferenceSet, shown: Shown) -> None:  # noqa: PLR0912
    kind, code, day = shown.kind, shown.code, shown.as_of
    if kind in {LookupKind.SERVICE, LookupKind.TECHNIQUE}:
        parsed = parse_service_code(code)
        shown.notes.append(
            f"MA_DICH_VU {parsed.raw}: kind={parsed.kind}, base={parsed.base}, "
            f"variant={parsed.variant}"
            + (f", performed at {parsed.performed_at}" if parsed.performed_at else "")
        )
        if kind is LookupKind.SERVICE:
            technique = refs.lookup(LookupKind.TECHNIQUE, code, day).to_pylist()
            shown.related["technique"] = [_public(r) for r in technique]
        base = parsed.base
        for title, table in (
            ("indications", "ref_technique_indications"),
            ("companions", "ref_technique_companions"),
        ):
            rows = refs.sql(
                f"select * from {table} where ma_dich_vu = ? "  # noqa: S608
                "and valid_from <= ? and (valid_to is null or ? <= valid_to)",
                [base, day, day],
            ).to_pylist()
            if rows:
                shown.related[title] = [_public(r) for r in rows]
        for title, norm_kind in (
            ("norm staff minutes", LookupKind.NORM_STAFF),
            ("norm supply quantities", LookupKind.NORM_SUPPLY),
        ):
            if refs.checked(LOOKUPS[norm_kind][0]):
                found = refs.lookup(norm_kind, code, day).to_pylist()
                if found:
                    shown.related[title] = [_public(r) for r in found]
                else:
                    shown.notes.append(f"{title}: no published norm on that day")
    elif kind is LookupKind.PRACTITIONER:
        licence = refs.lookup(LookupKind.LICENCE, code, day).to_pylist()
        if refs.checked("ref_licences"):
            shown.related["licence"] = [_public(r) for r in licence]
        else:
            shown.notes.append("ref_licences: licences.csv not given — not checked")
    elif kind is LookupKind.MACHINE:
        parsed_machine = parse_machine_code(code)
        if parsed_machine is None:
            shown.notes.append("MA_MAY does not have the shape XX.n.YYYYY.Z")
        else:
            shown.notes.append(
                f"MA_MAY: group={parsed_machine.group}, "
                f"funding={parsed_machine.funding}, "
                f"facility={parsed_machine.facility}, serial={parsed_machine.serial}"
            )
        if refs.checked("ref_equipment_sources"):
            source = refs.lookup(LookupKind.EQUIPMENT_SOURCE, code, day).to_pylist()
            shown.related["acquisition"] = [_public(r) for r in source]
        else:
            shown.notes.append(
                "ref_equipment_sources: equipment_sources.csv not given — not checked"
            )
    elif kind is LookupKind.ICD10:
        pairs = refs.sql(
            "select related_code, main_code from ref_icd10_pairs "
            "where code_nodot = ? or related_code = ?",
            [icd_nodot(code), icd_nodot(code)],
        ).to_pylist()
        if pairs:
            shown.related["dagger/asterisk pairs (A1)"] = pairs
