"""Use case: compute the inspection leads of a claim store, keep them, show them.

``compute_leads`` opens the store's catalogue (read-only), exposes the claim views
``xml1``/``xml3``/``xml4``, the national technique catalogue with its reference
minutes, the facilities' practitioner and machine catalogues (M02, M06) from one or
more reference folders, the published norms (optional) and the device records
(device-log CSV and DICOM headers, optional), runs every signal and writes the ranked
leads to ``<store>/leads/leads.parquet`` with a ``leads.json`` beside it saying which
store state and parameters produced them. ``load_leads`` reads them back.

A lead never refuses a line: its severity is ``review`` (joint verification with the
facility), per the MoH position that time is a reference only (seeds 001/002).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from giamdinh.errors import ConfigError, StoreError
from giamdinh.refdata import ReferenceSet
from giamdinh.refdata.facility import find_file, load_file, raise_for_problems
from giamdinh.refdata.specs import FILE_SPECS
from giamdinh.services.province import is_facility_folder
from giamdinh.signals import (
    LEADS_SCHEMA,
    SIGNALS,
    SignalParams,
    leads_from_table,
    read_device_records,
    run_signals,
)
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    import duckdb

    from giamdinh.domain import Finding
    from giamdinh.signals import Lead

LEADS_DIR = "leads"
LEADS_FILE = "leads.parquet"
LEADS_META = "leads.json"
_REFERENCE_TABLES = ("ref_practitioners", "ref_machines")
#: M05, read only when SG013 runs (a province has hundreds of catalogues).
_SERVICES_TABLE = "ref_services"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalsRun:
    """What one computation of the leads did.

    Attributes:
        leads: the ranked leads (``LEADS_SCHEMA``).
        path: where they were written.
        inputs: row counts of what was read (lines, M02 rows, device records…).
        findings: problems found in the device records (``SG901``).
        seconds: wall-clock time of the computation.
    """

    leads: pa.Table
    path: Path
    inputs: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Return the number of leads per code (every code listed, zeros included)."""
        codes = self.leads.column("code").to_pylist()
        return {code: codes.count(code) for code in SIGNALS}


#: Sub-folders and files of a province folder (as ``giamdinh synth`` writes one).
PROVINCE_REFERENCE = "reference"
PROVINCE_DEVICE_FOLDERS = ("device_logs", "dicom")
PROVINCE_TIER_FILES = ("facilities.csv", "co_so.csv")


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalInputs:
    """Where the optional inputs of the signals come from.

    Attributes:
        refs: reference folders (M02, M06 per facility).
        devices: device-log CSV / DICOM files or folders.
        facilities: CSV of facility tiers for the peer comparison.
        registry: the licence registry's database URL (``--registry-url``).
    """

    refs: tuple[Path, ...] = ()
    devices: tuple[Path, ...] = ()
    facilities: Path | None = None
    registry: str | None = None

    def merged(self, other: SignalInputs) -> SignalInputs:
        """Return these inputs plus ``other``'s (``self``'s tier file wins)."""
        return SignalInputs(
            refs=(*self.refs, *other.refs),
            devices=(*self.devices, *other.devices),
            facilities=self.facilities or other.facilities,
            registry=self.registry or other.registry,
        )

    def missing(self) -> list[tuple[str, str]]:
        """Return, Vietnamese then English, what each absent input leaves unchecked."""
        out: list[tuple[str, str]] = []
        if not self.refs:
            out.append(
                (
                    "không có danh mục cơ sở (--refs): bỏ qua SG002 (thời gian đăng ký)"
                    " và SG007 (không đăng ký hành nghề)",
                    "no reference folders (--refs): SG002 (declared time) and SG007 "
                    "(not registered) are skipped",
                )
            )
        if not self.devices:
            out.append(
                (
                    "không có nhật ký thiết bị (--devices): SG004 dùng thời gian trên "
                    "hồ sơ, bỏ qua SG005",
                    "no device records (--devices): SG004 uses claim times, SG005 is "
                    "skipped",
                )
            )
        if self.facilities is None:
            out.append(
                (
                    "không có hạng cơ sở (--facilities): SG008 so sánh mọi cơ sở như "
                    "một nhóm",
                    "no facility tiers (--facilities): SG008 compares all facilities "
                    "as one peer group",
                )
            )
        if self.registry is None:
            out.append(
                (
                    "không có sổ đăng ký hành nghề (--registry-url): bỏ qua SG009–SG012"
                    " (giấy phép bị đình chỉ/thu hồi, ngoài đăng ký, hai tỉnh, ngoài "
                    "phạm vi chức danh)",
                    "no licence registry (--registry-url): SG009–SG012 (suspended or "
                    "revoked licence, outside the registration, two provinces, "
                    "outside the title's scope) are skipped",
                )
            )
        return out


def province_inputs(root: Path) -> SignalInputs:
    """Find the signal inputs in a province folder (as ``giamdinh synth`` writes one).

    ``reference/`` (one folder per facility), ``device_logs/`` and ``dicom/``, and a
    facility tier list ``facilities.csv`` (or ``co_so.csv``) in the folder or in its
    ``reference/``. A folder that is itself a reference folder is taken as one.

    Raises:
        ConfigError: the folder does not exist or holds none of these.
    """
    if not root.is_dir():
        msg = f"province folder {root} does not exist: fix --province"
        raise ConfigError(msg)
    reference = root / PROVINCE_REFERENCE
    refs: tuple[Path, ...] = ()
    if reference.is_dir():
        refs = (reference,)
    elif is_facility_folder(root) or any(is_facility_folder(p) for p in _dirs(root)):
        refs = (root,)
    devices = tuple(
        root / name for name in PROVINCE_DEVICE_FOLDERS if (root / name).is_dir()
    )
    tiers = next(
        (
            folder / name
            for folder in (root, reference)
            for name in PROVINCE_TIER_FILES
            if (folder / name).is_file()
        ),
        None,
    )
    if not refs and not devices and tiers is None:
        msg = (
            f"{root} holds no reference/, device_logs/, dicom/ nor facilities.csv: "
            "fix --province"
        )
        raise ConfigError(msg)
    return SignalInputs(refs=refs, devices=devices, facilities=tiers)


def _dirs(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir())


def reference_folders(paths: Iterable[Path]) -> list[Path]:
    """Return the facility reference folders in ``paths`` (a folder or its children).

    A folder holding any of ``M01``…``M06`` is one facility's folder; otherwise each
    direct sub-folder holding them is (a province: one folder per facility); a
    province folder written by ``giamdinh synth`` is searched in its ``reference/``.

    Raises:
        ConfigError: a path does not exist or holds no facility catalogue.
    """
    found: list[Path] = []
    for given in paths:
        path = given
        if not path.is_dir():
            msg = f"reference folder {path} does not exist: fix --refs"
            raise ConfigError(msg)
        if is_facility_folder(path):
            found.append(path)
            continue
        children = [p for p in _dirs(path) if is_facility_folder(p)]
        if not children and (path / PROVINCE_REFERENCE).is_dir():
            path = path / PROVINCE_REFERENCE
            children = [p for p in _dirs(path) if is_facility_folder(p)]
        if not children:
            msg = (
                f"{given} holds no facility catalogue (M01…M06) and no sub-folder "
                "with one: fix --refs"
            )
            raise ConfigError(msg)
        found.extend(children)
    return found


def device_paths(paths: Iterable[Path]) -> list[Path]:
    """Return the device-record paths to read (a province folder: its logs only).

    A province folder's ``device_logs/`` and ``dicom/`` are read instead of the whole
    folder, whose other CSV files are no device logs.

    Raises:
        ConfigError: a path does not exist.
    """
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            msg = f"device records {path} do not exist: fix --devices"
            raise ConfigError(msg)
        subs = [path / n for n in PROVINCE_DEVICE_FOLDERS if (path / n).is_dir()]
        found.extend(subs or [path])
    return found


def _facility_tables(
    folders: Sequence[Path], *, services: bool = False
) -> dict[str, pa.Table]:
    """Concatenate M02 and M06 (and M05) of every facility folder, plus national.

    Only the forms the signals read are loaded and checked (a province has
    hundreds of folders): M02 and M06, and M05 when ``services`` (SG013); the
    national tables are loaded once.

    Raises:
        ReferenceDataError: a file has problems (file, row, column).
    """
    national = ReferenceSet.national()
    tables = {
        "ref_techniques": national.table("ref_techniques"),
        "ref_scope_of_practice": national.table("ref_scope_of_practice"),
    }
    wanted = (*_REFERENCE_TABLES, *((_SERVICES_TABLE,) if services else ()))
    specs = [s for s in FILE_SPECS.values() if s.table in wanted]
    parts: dict[str, list[pa.Table]] = {name: [] for name in wanted}
    for folder in folders:
        reports = []
        for spec in specs:
            path = find_file(folder, spec.name)
            if path is None:
                continue
            table, report = load_file(path, spec)
            reports.append(report)
            parts[spec.table].append(table)
        raise_for_problems(reports)
    for name, tables_of in parts.items():
        if tables_of:
            tables[name] = pa.concat_tables(tables_of, promote_options="permissive")
    return tables


def read_facility_tiers(path: Path) -> pa.Table:
    """Read a facility list (CSV with ``MA_CSKCB`` and ``TIER``/``HANG``/``TUYEN``).

    Raises:
        ConfigError: the file cannot be read or lacks the columns.
    """
    try:
        # NOTE: every column is text: type inference read MA_CSKCB 01929 as 1929.
        with pacsv.open_csv(path) as reader:
            names_in_file = reader.schema.names
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                strings_can_be_null=True,
                column_types=dict.fromkeys(names_in_file, pa.string()),
            ),
        )
    except (OSError, pa.ArrowInvalid) as exc:
        msg = f"cannot read the facility list {path}: {exc}"
        raise ConfigError(msg) from exc
    names = {n.lower(): n for n in table.column_names}
    tier = next((names[k] for k in ("tier", "hang", "tuyen") if k in names), None)
    if "ma_cskcb" not in names or tier is None:
        msg = f"{path}: a facility list needs the columns MA_CSKCB and TIER (or HANG)"
        raise ConfigError(msg)
    return pa.table(
        {
            "ma_cskcb": table.column(names["ma_cskcb"]).cast(pa.string()),
            "tier": table.column(tier).cast(pa.string()),
        }
    )


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    rows = con.execute(query).fetchall()
    return int(rows[0][0]) if rows else 0


def compute_leads(
    *,
    store_dir: Path,
    refs: Sequence[Path] = (),
    devices: Sequence[Path] = (),
    facilities: Path | None = None,
    norms: pa.Table | None = None,
    params: SignalParams | None = None,
    codes: Sequence[str] | None = None,
    registry_url: str | None = None,
) -> SignalsRun:
    """Compute, rank and store the leads of the claims in ``store_dir``.

    Args:
        store_dir: the claim store.
        refs: reference folders (one facility's, or a province's folder of them).
        devices: device-log CSV files, DICOM files, or folders of them.
        facilities: CSV of facility tiers for the peer comparison.
        norms: published staff minutes (``giamdinh.norms.publish``), if any.
        params: thresholds and conservative fractions (documented defaults).
        codes: the signals to run; all when omitted.
        registry_url: the licence registry's database (``giamdinh.exchange``):
            its licences, status periods, registrations and conflicts, own and
            pulled, feed SG009–SG012; without it they find nothing.

    Returns:
        The run: leads, where they were written, input counts, device findings.

    Raises:
        StoreError: the store is missing or empty.
        ConfigError: a path or a code is wrong.
        ReferenceDataError: a reference file has problems.
    """
    started = time.perf_counter()
    if not store_dir.is_dir():
        msg = f"claim store {store_dir} does not exist: fix --store or ingest first"
        raise StoreError(msg)
    store = ClaimStore.open(store_dir, create=False)
    tables = _facility_tables(
        reference_folders(refs), services=codes is None or "SG013" in codes
    )
    records = read_device_records(device_paths(devices))
    if registry_url is not None:
        # NOTE: imported here: the registry's database layer is only loaded when used.
        from giamdinh.services.exchange import (  # noqa: PLC0415
            registry_signal_inputs,
        )

        tables.update(registry_signal_inputs(registry_url))
    con = store.connect()
    try:
        for name, table in tables.items():
            con.register(name, table)
        con.register("device_log", records.table)
        if norms is not None:
            con.register("norm_staff_minutes", norms)
        if facilities is not None:
            con.register("ref_facilities", read_facility_tiers(facilities))
        leads = run_signals(con, params=params, codes=codes)
        inputs = {
            "lines": _count(con, "select count(*) from sg_lines"),
            "claims": _count(con, "select count(*) from xml1"),
            "practitioner_rows": _count(con, "select count(*) from sg_declared"),
            "device_records": records.table.num_rows,
            "device_files": records.files,
            "norm_rows": 0 if norms is None else norms.num_rows,
            "registry_licences": _rows(tables, "reg_licences"),
            "registry_registrations": _rows(tables, "reg_registrations"),
            "registry_conflicts": _rows(tables, "reg_conflicts"),
        }
        seq = store.manifest().seq
    finally:
        con.close()
    path = write_leads(
        leads,
        store_dir=store_dir,
        meta={
            "manifest_seq": seq,
            "computed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "params": _params_json(params or SignalParams()),
            "inputs": inputs,
            "codes": sorted(codes) if codes is not None else sorted(SIGNALS),
            "registry": registry_url is not None,
        },
    )
    return SignalsRun(
        leads=leads,
        path=path,
        inputs=inputs,
        findings=records.findings,
        seconds=time.perf_counter() - started,
    )


def _rows(tables: dict[str, pa.Table], name: str) -> int:
    table = tables.get(name)
    return 0 if table is None else table.num_rows


def _params_json(params: SignalParams) -> dict[str, Any]:
    data: dict[str, Any] = {f.name: getattr(params, f.name) for f in fields(params)}
    data["group_floor_minutes"] = dict(params.group_floor_minutes)
    return data


def write_leads(leads: pa.Table, *, store_dir: Path, meta: dict[str, Any]) -> Path:
    """Write the leads and their metadata under ``<store>/leads/``, atomically."""
    folder = store_dir / LEADS_DIR
    folder.mkdir(exist_ok=True)
    target = folder / LEADS_FILE
    tmp = folder / f".{LEADS_FILE}.tmp"
    pq.write_table(leads.cast(LEADS_SCHEMA), tmp)
    tmp.replace(target)
    meta_tmp = folder / f".{LEADS_META}.tmp"
    meta_tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")
    meta_tmp.replace(folder / LEADS_META)
    return target


def load_leads(store_dir: Path) -> pa.Table:
    """Read the leads last computed for ``store_dir``.

    Raises:
        StoreError: no leads were computed for this store yet.
    """
    path = store_dir / LEADS_DIR / LEADS_FILE
    if not path.is_file():
        msg = f"no leads in {store_dir}: run 'giamdinh signals --store {store_dir}'"
        raise StoreError(msg)
    return pq.read_table(path).cast(LEADS_SCHEMA)


def top_leads(leads: pa.Table, *, top: int | None = None) -> list[Lead]:
    """Return the ``top`` highest-ranked leads (all when ``None``)."""
    ranked = leads.sort_by([("rank", "ascending")])
    if top is not None:
        ranked = ranked.slice(0, max(top, 0))
    return leads_from_table(ranked)


def leads_as_json(leads: Sequence[Lead]) -> list[dict[str, Any]]:
    """Return leads as JSON-ready dicts (money as a string, dates ISO)."""
    return [
        {
            "lead_id": lead.lead_id,
            "code": lead.code,
            "name": lead.name,
            "severity": str(lead.severity),
            "practitioner": lead.practitioner,
            "machine": lead.machine,
            "ma_cskcb": lead.ma_cskcb,
            "ma_dich_vu": lead.ma_dich_vu,
            "period_start": lead.period.start.isoformat(),
            "period_end": None
            if lead.period.end is None
            else lead.period.end.isoformat(),
            "amount": str(lead.amount),
            "score": lead.score,
            "outlier_score": lead.outlier_score,
            "message": lead.message,
            "message_en": lead.message_en,
            "arithmetic": lead.arithmetic,
            "evidence": lead.evidence,
            "n_lines": len(lead.lines) if lead.n_lines is None else lead.n_lines,
            "claims": list(lead.claims),
            "lines": [{"ma_lk": x.ma_lk, "stt": x.stt} for x in lead.lines],
        }
        for lead in leads
    ]
