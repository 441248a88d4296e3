"""Reference data of many facilities at once: the insurer's view of a province.

A hospital checks its own claims against its own reference folder. The insurer
assesses a whole store, where every claim names its facility (``MA_CSKCB``), so
the facility tables of every facility are loaded side by side: rules already
join on ``ma_cskcb``, so one facility's catalogue never answers for another's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from giamdinh.errors import ConfigError
from giamdinh.refdata import (
    FILE_SPECS,
    FileReport,
    load_folder,
    load_national,
)
from giamdinh.refdata.facility import empty_table
from giamdinh.refdata.reference_set import (
    FACILITY_TABLES,
    ReferenceSet,
    unchecked_tables,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from pathlib import Path

_FORM_NAMES = frozenset(
    name.upper() for name in ("M01", "M02", "M03", "M04", "M05", "M06")
)

FILE_SPECS_BY_TABLE = {spec.table: spec for spec in FILE_SPECS.values()}


def is_facility_folder(path: Path) -> bool:
    """Return whether ``path`` holds a facility's catalogue files (M01…M06)."""
    return path.is_dir() and any(
        p.is_file() and p.stem.upper() in _FORM_NAMES for p in path.iterdir()
    )


def facility_folders(paths: Iterable[Path]) -> list[Path]:
    """Return the facility folders in ``paths``: each path, or its sub-folders.

    Raises:
        ConfigError: a path does not exist or holds no facility catalogue.
    """
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            msg = f"reference folder {path} does not exist"
            raise ConfigError(msg)
        if is_facility_folder(path):
            found.append(path)
            continue
        children = sorted(p for p in path.iterdir() if is_facility_folder(p))
        if not children:
            msg = (
                f"{path} holds no facility catalogue (M01…M06) and no sub-folder "
                "with one (one folder per facility)"
            )
            raise ConfigError(msg)
        found.extend(children)
    return found


def load_reference(
    path: Path | None, *, registry_url: str | None = None
) -> ReferenceSet:
    """Return the reference set for a facility folder, a province folder, or none.

    Args:
        path: one facility's reference folder, a folder of such folders (one per
            facility), or ``None`` for the national tables only.
        registry_url: the licence registry's database: its licences (every
            province it holds) are added to ``ref_licences`` (see
            ``docs/exchange.md``).

    Returns:
        The national tables plus the facility tables of every folder found. A
        facility table is "missing" (its rules report "not checked") only when no
        facility gave a usable file for it. Bad rows and unusable files are left
        out and kept in the set's loading report (``reports``, ``problems``), one
        report per file of every facility (``FileReport.path`` names it).

    Raises:
        ConfigError: the path holds no facility catalogue.
        ReferenceDataError: a single facility folder holds none of M01–M06.
    """
    reference = _load_reference(path)
    if registry_url is None:
        return reference
    from giamdinh.services.exchange import registry_licences  # noqa: PLC0415

    return reference.with_registry_licences(
        registry_licences(registry_url), registry=_display(registry_url)
    )


def _display(url: str) -> str:
    """Return a database URL without its password."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    return make_url(url).render_as_string(hide_password=True)


def _load_reference(path: Path | None) -> ReferenceSet:
    if path is None:
        return ReferenceSet.national()
    folders = facility_folders([path])
    if len(folders) == 1:
        return ReferenceSet.load(folders[0])
    facility, reports = _gather(folders)
    tables = {**load_national(), **facility}
    return ReferenceSet(
        tables, folder=path, reports=tuple(reports), missing=unchecked_tables(reports)
    )


def _gather(
    folders: list[Path], only: Collection[str] | None = None
) -> tuple[dict[str, pa.Table], list[FileReport]]:
    """Load the facility tables of every folder; join each table's usable files."""
    names = [n for n in FACILITY_TABLES if only is None or n in only]
    parts: dict[str, list[pa.Table]] = {name: [] for name in names}
    reports: list[FileReport] = []
    for folder in folders:
        tables_of, reports_of = load_folder(folder, only=only)
        reports.extend(reports_of)
        for report in reports_of:
            if not report.missing and not report.unusable:
                parts[report.table].append(tables_of[report.table])
    tables = {
        name: pa.concat_tables(found, promote_options="permissive")
        if found
        else empty_table(FILE_SPECS_BY_TABLE[name])
        for name, found in parts.items()
    }
    return tables, reports


def facility_tables(path: Path, only: Collection[str]) -> dict[str, pa.Table]:
    """Return only the facility tables ``only`` of a facility or province folder.

    The same tables ``load_reference`` would give, without reading the other
    files or the national tables (a page needing two tables cannot wait for all).
    """
    return _gather(facility_folders([path]), only)[0]


__all__ = [
    "facility_folders",
    "facility_tables",
    "is_facility_folder",
    "load_reference",
]
