"""The conversion milestones of lent machines (``machine_milestones.csv``).

Machines placed by reagent suppliers were to convert to a form of using public
assets that Decree 151/2017/NĐ-CP allows (joint venture or association, lease) or
be bought. A facility records each step of a machine's conversion in
``machine_milestones.csv``, beside ``equipment_sources.csv`` in its reference
folder. Columns:

``MA_MAY`` (required)
    the machine, as in M06 and the claims.
``MOC`` (required)
    the step: ``de_an`` (the scheme for the new form drafted and submitted),
    ``phe_duyet`` (the scheme approved by the competent authority), ``hop_dong``
    (the new contract signed), ``ban_giao`` (the machine in use under the new
    form; from that day ``equipment_sources.csv`` has a row of the new form).
``NGAY`` (required)
    the day of the step, ``YYYYMMDD``.
``HINH_THUC``
    the form converted to (``lien_doanh_lien_ket``, ``thue``, ``ngan_sach``…).
``SO_VAN_BAN``, ``GHI_CHU``
    the decision or contract number, a note; shown only.

A row that cannot be read is reported (file, row, column, value) and left out;
the other rows load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from giamdinh.errors import ReferenceDataError
from giamdinh.refdata.readers import read_table_file

if TYPE_CHECKING:
    from pathlib import Path

MILESTONES_FILE = "machine_milestones.csv"
COLUMNS = frozenset({"MA_MAY", "MOC", "NGAY", "HINH_THUC", "SO_VAN_BAN", "GHI_CHU"})
VIEW = "ref_machine_milestones"
STEPS: dict[str, tuple[str, str]] = {
    "de_an": ("Trình đề án chuyển đổi", "conversion scheme submitted"),
    "phe_duyet": ("Đề án được phê duyệt", "scheme approved"),
    "hop_dong": ("Ký hợp đồng theo hình thức mới", "new contract signed"),
    "ban_giao": ("Đưa vào sử dụng theo hình thức mới", "in use under the new form"),
}
FORMS = frozenset(
    {
        "ngan_sach",
        "xa_hoi_hoa",
        "quy_phat_trien",
        "tang_cho",
        "lien_doanh_lien_ket",
        "thue",
    }
)
SCHEMA = pa.schema(
    [
        ("ma_may", pa.string()),
        ("moc", pa.string()),
        ("ngay", pa.date32()),
        ("hinh_thuc", pa.string()),
        ("so_van_ban", pa.string()),
        ("ghi_chu", pa.string()),
        ("file", pa.string()),
        ("row", pa.int32()),
    ]
)


@dataclass(frozen=True, slots=True, kw_only=True)
class MilestoneProblem:
    """A row of ``machine_milestones.csv`` that was left out, and why."""

    file: str
    row: int
    column: str
    value: str
    message: str
    message_en: str


def _day(text: str) -> date | None:
    for fmt in ("%Y%m%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    return None


def _problem(cells: dict[str, str]) -> tuple[str, str, str] | None:
    """Return (column, Vietnamese, English) of what makes a row unusable, if any."""
    if not cells.get("MA_MAY"):
        return "MA_MAY", "thiếu mã máy", "the machine code is missing"
    if cells.get("MOC", "") not in STEPS:
        steps = sorted(STEPS)
        return "MOC", f"mốc phải là một trong {steps}", f"MOC must be one of {steps}"
    if _day(cells.get("NGAY", "")) is None:
        return "NGAY", "ngày không đọc được (YYYYMMDD)", "the day cannot be read"
    form = cells.get("HINH_THUC", "")
    if form and form not in FORMS:
        forms = sorted(FORMS)
        return (
            "HINH_THUC",
            f"hình thức phải là một trong {forms}",
            f"HINH_THUC must be one of {forms}",
        )
    return None


def read_milestones(root: Path | None) -> tuple[pa.Table, list[MilestoneProblem]]:
    """Read every ``machine_milestones.csv`` under ``root`` (any depth).

    Returns:
        The rows (``SCHEMA``) and the problems of the rows left out.
    """
    rows: list[dict[str, object]] = []
    problems: list[MilestoneProblem] = []
    files = (
        sorted(root.rglob(MILESTONES_FILE))
        if root is not None and root.is_dir()
        else []
    )
    for path in files:
        try:
            raw = read_table_file(path, expected=COLUMNS)
        except ReferenceDataError as exc:
            problems.append(
                MilestoneProblem(
                    file=str(path),
                    row=0,
                    column="",
                    value="",
                    message=f"không đọc được tệp: {exc}",
                    message_en=f"the file cannot be read: {exc}",
                )
            )
            continue
        for number, values in raw.rows:
            cells = dict(zip(raw.header, values, strict=False))
            if not any(cells.values()):
                continue
            problem = _problem(cells)
            if problem is not None:
                column, vi, en = problem
                problems.append(
                    MilestoneProblem(
                        file=str(path),
                        row=number,
                        column=column,
                        value=cells.get(column, ""),
                        message=vi,
                        message_en=en,
                    )
                )
                continue
            form = cells.get("HINH_THUC", "")
            rows.append(
                {
                    "ma_may": cells["MA_MAY"],
                    "moc": cells["MOC"],
                    "ngay": _day(cells["NGAY"]),
                    "hinh_thuc": form or None,
                    "so_van_ban": cells.get("SO_VAN_BAN") or None,
                    "ghi_chu": cells.get("GHI_CHU") or None,
                    "file": str(path),
                    "row": number,
                }
            )
    return pa.Table.from_pylist(rows, schema=SCHEMA), problems
