"""Column lists of the facility reference files (forms 01/DM–06/DM and two more).

The official columns of M01–M06 come from ``data/bhxh_facility_catalogue_templates.csv``
(BHXH templates, TT 12/2026/TT-BTC forms 01/DM–06/DM); ``licences.csv`` and
``equipment_sources.csv`` are the project's own files (contract 5 of the brief).
Arrow column names are the official names lower-cased.

Which column a row must fill, and why, is data: ``data/reference_columns.csv`` holds
one decision per column (type, required ``yes``/``no``/``conditional``, the
condition, whether it is a code, the reason) and ``data/acquisition_forms.csv`` the
acquisition forms of a machine with whether each holds it under a contract.
``docs/refdata.md`` renders both tables.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
COLUMNS_FILE = DATA_DIR / "reference_columns.csv"
ACQUISITION_FILE = DATA_DIR / "acquisition_forms.csv"
_WHEN_RE = re.compile(r"^(?P<column>[A-Z_]+)=(?P<values>[a-z_|]+)$")


class ColumnType(StrEnum):
    """How a reference column is typed in Arrow."""

    STRING = "string"
    DATE = "date"
    INTEGER = "integer"
    MONEY = "money"


class Requirement(StrEnum):
    """Whether a row must fill a column."""

    YES = "yes"
    """Every row: a row without it is not loaded; a file without the column is not
    loaded at all."""
    NO = "no"
    """Never: an empty cell is normal, a bad value is ignored and the row kept."""
    CONDITIONAL = "conditional"
    """Rows meeting the condition: such a row without it is not loaded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnDecision:
    """Whether and why a reference column is required (one row of the data file).

    Attributes:
        file: the file kind (``M05``, ``equipment_sources``…).
        column: the official column name.
        type: how it is typed.
        required: yes, no or conditional.
        when: the condition of a conditional column (``HINH_THUC=thue|…``, or
            ``facility code not given`` for ``MA_CSKCB``).
        code: whether it holds a code whose leading zeros matter (read as text;
            an Excel number in it is reported).
        why: the reason, from the law or from the rule that reads it.
    """

    file: str
    column: str
    type: ColumnType
    required: Requirement
    when: str
    code: bool
    why: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AcquisitionForm:
    """How a facility came to hold a machine (``HINH_THUC``).

    Attributes:
        code: the value of ``HINH_THUC``.
        contract: whether the machine is held under a contract with a term, so the
            contract dates ``HD_TU``/``HD_DEN`` are required.
        name_vi: the form in Vietnamese.
        name_en: the form in English.
        basis: the legal text that governs it.
    """

    code: str
    contract: bool
    name_vi: str
    name_en: str
    basis: str


def _yes_no(value: str, *, where: str) -> bool:
    if value not in {"yes", "no"}:
        msg = f"{where}: expected yes or no, not {value!r}"
        raise ValueError(msg)
    return value == "yes"


def _read_decisions() -> tuple[ColumnDecision, ...]:
    with COLUMNS_FILE.open(encoding="utf-8", newline="") as fh:
        return tuple(
            ColumnDecision(
                file=row["file"],
                column=row["column"],
                type=ColumnType(row["type"]),
                required=Requirement(row["required"]),
                when=row["when"],
                code=_yes_no(row["code"], where=f"{row['file']}.{row['column']}"),
                why=row["why"],
            )
            for row in csv.DictReader(fh)
        )


def _read_forms() -> tuple[AcquisitionForm, ...]:
    with ACQUISITION_FILE.open(encoding="utf-8", newline="") as fh:
        return tuple(
            AcquisitionForm(
                code=row["code"],
                contract=_yes_no(row["contract"], where=row["code"]),
                name_vi=row["name_vi"],
                name_en=row["name_en"],
                basis=row["basis"],
            )
            for row in csv.DictReader(fh)
        )


COLUMN_DECISIONS: tuple[ColumnDecision, ...] = _read_decisions()
"""One decision per column of every reference file, in template order."""

ACQUISITION_FORM_LIST: tuple[AcquisitionForm, ...] = _read_forms()
"""The acquisition forms of a machine (``HINH_THUC``), purchases first."""

ACQUISITION_FORMS = frozenset(f.code for f in ACQUISITION_FORM_LIST)
CONTRACT_FORMS = frozenset(f.code for f in ACQUISITION_FORM_LIST if f.contract)
"""Acquisition forms that hold a machine under a contract (contract dates required)."""

LICENCE_STATUSES = frozenset({"active", "suspended", "revoked"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FileSpec:
    """One reference file: its official columns, key, validity columns and checks.

    Attributes:
        name: ``M01``…``M06``, ``licences`` or ``equipment_sources``.
        table: the Arrow/DuckDB table name (``ref_services``…).
        title: what the file holds, in Vietnamese.
        columns: official column names in template order.
        required: columns that must exist and be non-empty on every row.
        key: columns identifying one item; its periods must not overlap.
        valid_from: column giving the first valid day.
        valid_to: column giving the last valid day (empty = open).
        types: non-string column types.
        aliases: other header spellings found in real files → official name.
        enums: allowed values of enumerated columns.
        facility: whether rows belong to one facility (``ma_cskcb`` column).
        optional: whether a missing file is only "not checked" (never an error).
        required_when: columns required on the rows where another column holds
            one of some values: column → (other column, values).
        codes: columns holding codes whose leading zeros matter.
    """

    name: str
    table: str
    title: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: tuple[str, ...]
    valid_from: str
    valid_to: str
    types: dict[str, ColumnType] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    enums: dict[str, frozenset[str]] = field(default_factory=dict)
    facility: bool = True
    optional: bool = True
    required_when: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    codes: frozenset[str] = frozenset()


def _condition(decision: ColumnDecision) -> tuple[str, frozenset[str]] | None:
    """Return (column, values) of a conditional decision; ``None`` for MA_CSKCB."""
    if decision.column == "MA_CSKCB":
        return None  # NOTE: required unless the caller gives the facility code
    match = _WHEN_RE.match(decision.when)
    if match is None:
        msg = (
            f"{decision.file}.{decision.column}: condition {decision.when!r} is not "
            "COLUMN=value|value"
        )
        raise ValueError(msg)
    return match["column"], frozenset(match["values"].split("|"))


def _spec(
    name: str,
    *,
    table: str,
    title: str,
    key: tuple[str, ...],
    valid_from: str = "TU_NGAY",
    valid_to: str = "DEN_NGAY",
    aliases: dict[str, str] | None = None,
    enums: dict[str, frozenset[str]] | None = None,
    facility: bool = True,
) -> FileSpec:
    """Build a file's spec from its column decisions."""
    decisions = [d for d in COLUMN_DECISIONS if d.file == name]
    conditions = {
        d.column: condition
        for d in decisions
        if d.required is Requirement.CONDITIONAL
        and (condition := _condition(d)) is not None
    }
    return FileSpec(
        name=name,
        table=table,
        title=title,
        columns=tuple(d.column for d in decisions),
        required=tuple(d.column for d in decisions if d.required is Requirement.YES),
        key=key,
        valid_from=valid_from,
        valid_to=valid_to,
        types={d.column: d.type for d in decisions if d.type is not ColumnType.STRING},
        aliases=aliases or {},
        enums=enums or {},
        facility=facility,
        required_when=conditions,
        codes=frozenset(d.column for d in decisions if d.code),
    )


M01 = _spec(
    "M01",
    table="ref_departments",
    title="Khoa, phòng, bàn khám, giường bệnh (Mẫu 01/DM)",
    key=("ma_cskcb", "ma_loai_kcb", "ma_khoa"),
)
M02 = _spec(
    "M02",
    table="ref_practitioners",
    title="Người hành nghề (Mẫu 02/DM)",
    key=("ma_cskcb", "macchn", "ma_khoa"),
    aliases={"MA_CCHN": "MACCHN", "SO_CCHN": "MACCHN"},
)
M03 = _spec(
    "M03",
    table="ref_drugs",
    title="Thuốc, máu, chế phẩm máu (Mẫu 03/DM)",
    key=("ma_cskcb", "ma_thuoc", "so_dang_ky", "tt_thau"),
)
M04 = _spec(
    "M04",
    table="ref_supplies",
    title="Vật tư, thiết bị y tế (Mẫu 04/DM)",
    key=("ma_cskcb", "ma_vat_tu", "ma_hieu", "tt_thau"),
)
M05 = _spec(
    "M05",
    table="ref_services",
    title="Dịch vụ kỹ thuật và giá phê duyệt (Mẫu 05/DM)",
    key=("ma_cskcb", "ma_dich_vu"),
    aliases={"MA_TUONG_DUONG": "MA_DICH_VU", "TEN_DVKT_PHEDUYET": "TEN_DICH_VU"},
)
M06 = _spec(
    "M06",
    table="ref_machines",
    title="Thiết bị y tế dùng để thực hiện DVKT (Mẫu 06/DM)",
    key=("ma_cskcb", "ma_may"),
)
LICENCES = _spec(
    "licences",
    table="ref_licences",
    title="Sổ đăng ký chứng chỉ/giấy phép hành nghề (Sở Y tế)",
    key=("macchn",),
    valid_from="NGAY_HIEU_LUC",
    valid_to="NGAY_HET_HIEU_LUC",
    enums={"TRANG_THAI": LICENCE_STATUSES},
    facility=False,
)
EQUIPMENT_SOURCES = _spec(
    "equipment_sources",
    table="ref_equipment_sources",
    title="Hình thức có máy (mua sắm, tặng cho, liên doanh liên kết, thuê, mượn)",
    key=("ma_may",),
    valid_from="HD_TU",
    valid_to="HD_DEN",
    enums={"HINH_THUC": ACQUISITION_FORMS},
    facility=False,
)

FILE_SPECS: dict[str, FileSpec] = {
    s.name: s for s in (M01, M02, M03, M04, M05, M06, LICENCES, EQUIPMENT_SOURCES)
}
FACILITY_FORMS: tuple[str, ...] = ("M01", "M02", "M03", "M04", "M05", "M06")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_columns_markdown() -> str:
    """Return the per-column decisions as a Markdown table (for ``docs/refdata.md``)."""
    lines = [
        "| file | column | type | required | why |",
        "|---|---|---|---|---|",
    ]
    for d in COLUMN_DECISIONS:
        required = d.required.value
        if d.required is Requirement.CONDITIONAL:
            required = f"conditional: {d.when}"
        column = f"`{d.column}`" + (" (code)" if d.code else "")
        lines.append(
            f"| {d.file} | {column} | {d.type.value} | {_cell(required)} | "
            f"{_cell(d.why)} |"
        )
    return "\n".join(lines) + "\n"


def render_acquisition_forms_markdown() -> str:
    """Return the acquisition forms as a Markdown table (for ``docs/refdata.md``)."""
    lines = [
        "| `HINH_THUC` | contract (`HD_TU`, `HD_DEN` required) | form | basis |",
        "|---|---|---|---|",
    ]
    lines.extend(
        f"| `{f.code}` | {'yes' if f.contract else 'no'} | {f.name_vi} / "
        f"{f.name_en} | {_cell(f.basis)} |"
        for f in ACQUISITION_FORM_LIST
    )
    return "\n".join(lines) + "\n"
