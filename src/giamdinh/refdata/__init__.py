"""Effective-dated reference data: ICD-10, techniques, facility catalogues, licences.

Public API:

- :class:`ReferenceSet` — every ``ref_*`` table of one assessment as Arrow, with
  ``tables()``, ``register(con)``, ``lookup(kind, code, as_of)`` and ``missing``;
- :func:`load_folder` / :class:`FileReport` / :class:`Problem` — check one
  facility's reference folder; a bad row or file is reported (with its
  :class:`Outcome`), never a reason to refuse the folder; ``ReferenceSet.problems``,
  ``present``/``absent``/``unusable`` and ``not_checked(table)`` expose the loading
  report as data;
- ``COLUMN_DECISIONS`` / ``ACQUISITION_FORM_LIST`` — which column each file must
  fill and why, and which acquisition forms hold a machine under a contract;
- :func:`load_national` — the national tables shipped with the package;
- :func:`read_published_norms` / ``NORM_TABLES`` — published norms (staff minutes,
  expected supply quantities) as reference tables, added with
  :meth:`ReferenceSet.with_norms`;
- :func:`parse_service_code`, :func:`icd_nodot`, :func:`parse_machine_code` — codes.
"""

from pathlib import Path

from giamdinh.refdata.codes import (
    MachineCode,
    ServiceCode,
    ServiceCodeKind,
    ServiceVariant,
    base_service_code_sql,
    icd_dotted,
    icd_nodot,
    icd_nodot_sql,
    machine_group_sql,
    parse_machine_code,
    parse_service_code,
)
from giamdinh.refdata.facility import (
    OPEN_START,
    FileReport,
    FileStatus,
    Outcome,
    Problem,
    load_file,
    load_folder,
)
from giamdinh.refdata.national import NATIONAL_TABLES, load_national
from giamdinh.refdata.norm_tables import (
    NORM_FILES,
    NORM_SCHEMAS,
    NORM_STAFF_MINUTES,
    NORM_SUPPLY_QUANTITIES,
    NORM_TABLES,
    read_published_norms,
)
from giamdinh.refdata.reference_set import (
    FACILITY_TABLES,
    FILE_KINDS,
    LookupKind,
    NotChecked,
    ReferenceSet,
    as_of_predicate,
)
from giamdinh.refdata.specs import (
    ACQUISITION_FORM_LIST,
    COLUMN_DECISIONS,
    CONTRACT_FORMS,
    FILE_SPECS,
    FileSpec,
    Requirement,
)

SAMPLES_DIR = Path(__file__).parent / "samples"
"""Sample reference folders shipped with the package (``facility_99001``)."""

__all__ = [
    "ACQUISITION_FORM_LIST",
    "COLUMN_DECISIONS",
    "CONTRACT_FORMS",
    "FACILITY_TABLES",
    "FILE_KINDS",
    "FILE_SPECS",
    "NATIONAL_TABLES",
    "NORM_FILES",
    "NORM_SCHEMAS",
    "NORM_STAFF_MINUTES",
    "NORM_SUPPLY_QUANTITIES",
    "NORM_TABLES",
    "OPEN_START",
    "SAMPLES_DIR",
    "FileReport",
    "FileSpec",
    "FileStatus",
    "LookupKind",
    "MachineCode",
    "NotChecked",
    "Outcome",
    "Problem",
    "ReferenceSet",
    "Requirement",
    "ServiceCode",
    "ServiceCodeKind",
    "ServiceVariant",
    "as_of_predicate",
    "base_service_code_sql",
    "icd_dotted",
    "icd_nodot",
    "icd_nodot_sql",
    "load_file",
    "load_folder",
    "load_national",
    "machine_group_sql",
    "parse_machine_code",
    "parse_service_code",
    "read_published_norms",
]
