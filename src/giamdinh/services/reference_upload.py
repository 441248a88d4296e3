"""A facility's reference folder, sent from the web: staged, loaded, then swapped in.

The facility uploads the files its checks and the insurer's assessment read
(``docs/refdata.md``): the forms ``M01``…``M06`` (``.csv`` or ``.xlsx``; ``M05_…``
also names ``M05``), ``licences`` and ``equipment_sources`` — one by one or in a
zip. They are written to a staging folder and loaded exactly as a check loads
them (``giamdinh.services.reference.check_reference_folder``): every problem is
reported with its file, row, column, value and what the loader did (a bad row is
left out, the rest is loaded). Then ``<reference_dirs>/<MA_CSKCB>`` is replaced
by the staged folder: the current folder is renamed into
``<reference_dirs>/.backup/<MA_CSKCB>/<UTC time>`` and the staged one renamed
into place, two renames on one file system under a per-facility lock.

Decisions:

- **Only the facility uploads its own folder** (a facility account; the
  insurer's accounts read any facility's report, ``reference_report``).
- **An upload updates the files it brings**: the other files of the current
  folder are carried over (``replace_all`` starts from an empty folder). The
  upload with the report says which files were carried over.
- **Rows of another facility are refused.** The province's assessment loads
  every facility's folder side by side, so a row whose ``MA_CSKCB`` is another
  facility's would declare that facility's catalogue: the upload is refused,
  naming the rows, and the current folder is kept.
- **A folder with no usable form is not swapped in** (none of ``M01``…``M06``
  loads): the report says why and the current folder is kept.
- The ten newest backups of a facility are kept.
- Every replacement is an entry of the audit chain (``reference.replace``).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import secrets
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from giamdinh.errors import ConfigError, ForbiddenError
from giamdinh.refdata import FILE_SPECS, load_folder
from giamdinh.refdata.specs import FACILITY_FORMS
from giamdinh.review.workflow import Role
from giamdinh.services.uploads import (
    Saved,
    Upload,
    ZipLimits,
    extract_zip,
    remove_tree,
    save_uploads,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from giamdinh.refdata import FileReport
    from giamdinh.review.workflow import Actor
    from giamdinh.services.context import AppContext

BACKUPS = ".backup"
STAGING = ".staging"
UPLOAD_META = ".giamdinh-upload.json"
KEEP_BACKUPS = 10
REFERENCE_SUFFIXES = frozenset({".csv", ".xlsx", ".zip"})
TABLE_SUFFIXES = frozenset({".csv", ".xlsx"})
FACILITY_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,19}$")
_SHOWN_ROWS = 5
EXPECTED = "M01…M06 (.csv, .xlsx), licences, equipment_sources"


class ReferenceNotFoundError(ConfigError):
    """No such facility folder, or one the user may not see."""


class ReferenceFileOut(BaseModel):
    """One expected reference file: found or not, what was loaded."""

    kind: str = Field(description="M01…M06, licences, equipment_sources")
    title: str
    file: str | None
    status: Literal["loaded", "absent", "unusable"]
    rows: int
    rows_skipped: int
    keys: int
    first_day: date | None
    last_day: date | None
    notes: list[str]
    problems: int


class ReferenceProblemRow(BaseModel):
    """One problem of the loading report, and what the loader did."""

    file: str
    row: int | None = Field(description="the row a person sees (header = 1)")
    column: str | None
    value: str | None
    message: str
    message_en: str
    outcome: str
    outcome_vi: str
    outcome_en: str


class UploadedFile(BaseModel):
    """A file of an upload as kept in the folder."""

    name: str
    kind: str
    size: int
    sha256: str


class FolderUpload(BaseModel):
    """Who last replaced a folder, when, with what (``.giamdinh-upload.json``)."""

    username: str
    at: datetime
    files: list[UploadedFile]
    carried_over: list[str]
    backup: str | None


class ReferenceReport(BaseModel):
    """A facility folder's loading report, file by file and row by row."""

    ma_cskcb: str
    exists: bool
    files: list[ReferenceFileOut]
    problems: list[ReferenceProblemRow]
    upload: FolderUpload | None = None
    backups: list[str] = Field(default_factory=list)

    @property
    def usable(self) -> bool:
        """Return whether some form M01…M06 loaded."""
        return any(f.status == "loaded" for f in self.files if f.kind in FACILITY_FORMS)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceUploadResult:
    """What an upload did: the folder's report as sent, and whether it is in use."""

    applied: bool
    report: ReferenceReport
    message: str = ""
    uploaded: list[str] = field(default_factory=list)
    carried_over: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    backup: str | None = None


# ------------------------------------------------------------------- access


def _code(ma_cskcb: str) -> str:
    if not FACILITY_CODE.match(ma_cskcb):
        raise ReferenceNotFoundError(
            "không có danh mục của cơ sở này / no reference folder for this facility"
        )
    return ma_cskcb


def _readable_code(actor: Actor, ma_cskcb: str | None) -> str:
    """Return the facility whose report ``actor`` asks for."""
    if actor.role is Role.FACILITY:
        if ma_cskcb and ma_cskcb != actor.ma_cskcb:
            raise ReferenceNotFoundError(
                "không có danh mục của cơ sở này / no reference folder for this "
                "facility"
            )
        if not actor.ma_cskcb:
            msg = "tài khoản không gắn với cơ sở / the account has no facility"
            raise ForbiddenError(msg)
        return _code(actor.ma_cskcb)
    if actor.role not in {Role.ASSESSOR, Role.SUPERVISOR}:
        msg = (
            "tài khoản của bạn không xem danh mục cơ sở / your account does not "
            "see facility reference files"
        )
        raise ForbiddenError(msg)
    if not ma_cskcb:
        msg = "chọn một cơ sở / choose a facility"
        raise ConfigError(msg)
    return _code(ma_cskcb)


def reference_facilities(actor: Actor, context: AppContext) -> list[str]:
    """Return the facilities whose report ``actor`` may read (folders that exist).

    Raises:
        ForbiddenError: the role reads no facility's reference files.
    """
    if actor.role is Role.FACILITY:
        return [actor.ma_cskcb] if actor.ma_cskcb else []
    if actor.role not in {Role.ASSESSOR, Role.SUPERVISOR}:
        msg = (
            "tài khoản của bạn không xem danh mục cơ sở / your account does not "
            "see facility reference files"
        )
        raise ForbiddenError(msg)
    root = context.reference_dirs
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and FACILITY_CODE.match(p.name)
    )


# ------------------------------------------------------------------ reports


def _file_out(report: FileReport) -> ReferenceFileOut:
    spec = FILE_SPECS[report.name]
    return ReferenceFileOut(
        kind=report.name,
        title=spec.title,
        file=report.file,
        status=report.status.value,
        rows=report.rows,
        rows_skipped=report.rows_skipped,
        keys=report.keys,
        first_day=report.first_day,
        last_day=report.last_day,
        notes=list(report.notes),
        problems=len(report.problems),
    )


def _report(
    ma_cskcb: str, folder: Path, reports: Sequence[FileReport], *, exists: bool
) -> ReferenceReport:
    upload = None
    meta = folder / UPLOAD_META
    if meta.is_file():
        try:
            upload = FolderUpload.model_validate_json(meta.read_text(encoding="utf-8"))
        except ValueError:
            upload = None
    return ReferenceReport(
        ma_cskcb=ma_cskcb,
        exists=exists,
        files=[_file_out(r) for r in reports],
        problems=[
            ReferenceProblemRow(
                file=p.file,
                row=p.row,
                column=p.column,
                value=p.value,
                message=p.message,
                message_en=p.message_en,
                outcome=p.outcome.value,
                outcome_vi=p.outcome.text,
                outcome_en=p.outcome.text_en,
            )
            for r in reports
            for p in r.problems
        ],
        upload=upload,
    )


def _absent_report(ma_cskcb: str) -> ReferenceReport:
    from giamdinh.refdata import FileReport  # noqa: PLC0415

    reports = [
        FileReport(name=spec.name, table=spec.table, file=None)
        for spec in FILE_SPECS.values()
    ]
    return _report(ma_cskcb, Path("/nonexistent"), reports, exists=False)


def _backups(root: Path, ma_cskcb: str) -> list[str]:
    folder = root / BACKUPS / ma_cskcb
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if p.is_dir()), reverse=True)


def reference_report(
    actor: Actor, context: AppContext, ma_cskcb: str | None = None
) -> ReferenceReport:
    """Return the loading report of a facility's current reference folder.

    A facility account reads its own; assessors and supervisors any facility's.

    Raises:
        ForbiddenError: the role reads no facility's reference files.
        ReferenceNotFoundError: a facility account names another facility.
        ConfigError: an insurer's account names no facility.
    """
    from giamdinh.services.reference import check_reference_folder  # noqa: PLC0415

    code = _readable_code(actor, ma_cskcb)
    folder = context.reference_dirs / code
    if not folder.is_dir():
        report = _absent_report(code)
    else:
        checked = check_reference_folder(folder)
        report = _report(code, folder, checked.reports, exists=True)
    report.backups = _backups(context.reference_dirs, code)
    return report


# ------------------------------------------------------------------- upload


def kind_of(name: str) -> str | None:
    """Return the reference file a name is (``M05``, ``licences``…), or ``None``.

    As the loader finds them: case-insensitive, ``.csv`` or ``.xlsx``, and
    ``M05_dich_vu.csv`` names ``M05``.
    """
    path = PurePosixPath(name)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return None
    stem = path.stem.lower()
    for spec in FILE_SPECS.values():
        if stem == spec.name.lower():
            return spec.name
    for form in FACILITY_FORMS:
        if stem.startswith(form.lower() + "_"):
            return form
    return None


def _not_reference(name: str) -> str:
    return (
        f"{name}: không phải tệp danh mục (cần {EXPECTED}) / {name}: not a reference "
        f"file (expected {EXPECTED})"
    )


def _zip_member(parts: tuple[str, ...]) -> str | None:
    name = parts[-1]
    if parts[0] == "__MACOSX" or name.startswith("._"):
        return "tệp phụ của macOS / a macOS side file"
    if kind_of(name) is None:
        return f"không phải tệp danh mục (cần {EXPECTED}) / not a reference file"
    return None


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Staged:
    files: dict[str, Saved]
    skipped: list[tuple[str, str, str]]


def _stage_files(
    files: Sequence[Upload], work: Path, *, limit: int, limits: ZipLimits
) -> _Staged:
    """Write the uploads, open the zips; return one file per kind."""
    saved = save_uploads(
        files, work / "upload", limit=limit, suffixes=REFERENCE_SUFFIXES
    )
    candidates: list[Saved] = []
    skipped: list[tuple[str, str, str]] = []
    for item in saved:
        if item.path.suffix.lower() == ".zip":
            extracted = extract_zip(
                item.path,
                work / "unzipped" / item.name,
                zip_name=item.name,
                keep=_zip_member,
                limits=limits,
                flatten=True,
            )
            candidates.extend(extracted.files)
            skipped.extend(
                (f"{item.name}/{m}", vi, en) for m, vi, en in extracted.skipped
            )
        elif kind_of(item.name) is None:
            raise ConfigError(_not_reference(item.name))
        else:
            candidates.append(item)
    by_kind: dict[str, Saved] = {}
    for item in candidates:
        kind = kind_of(item.name)
        if kind is None:
            continue
        if kind in by_kind:
            first = by_kind[kind].name
            msg = (
                f"{first} và {item.name} cùng là {kind}: gửi một tệp cho mỗi loại / "
                f"{first} and {item.name} are both {kind}: send one file of each kind"
            )
            raise ConfigError(msg)
        by_kind[kind] = item
    if not by_kind:
        msg = (
            f"không có tệp danh mục nào (cần {EXPECTED}) / no reference file "
            f"(expected {EXPECTED})"
        )
        raise ConfigError(msg)
    return _Staged(files=by_kind, skipped=skipped)


def _build_folder(
    staged: _Staged, folder: Path, current: Path, *, replace_all: bool
) -> list[str]:
    """Fill the new folder: the uploaded files, and the current ones kept."""
    folder.mkdir(parents=True)
    for item in staged.files.values():
        shutil.copyfile(item.path, folder / PurePosixPath(item.name).name)
    carried: list[str] = []
    if replace_all or not current.is_dir():
        return carried
    for path in sorted(current.iterdir()):
        if not path.is_file() or path.name == UPLOAD_META:
            continue
        kind = kind_of(path.name)
        if kind in staged.files or (folder / path.name).exists():
            continue
        shutil.copy2(path, folder / path.name)
        if kind is not None:
            carried.append(path.name)
    return carried


def _foreign_rows(tables: dict[str, object], ma_cskcb: str) -> list[str]:
    """Return the rows (``file row N: code``) that name another facility."""
    import pyarrow as pa  # noqa: PLC0415

    found: list[str] = []
    for spec in FILE_SPECS.values():
        if not spec.facility:
            continue
        table = tables.get(spec.table)
        if not isinstance(table, pa.Table) or "ma_cskcb" not in table.column_names:
            continue
        for code, file, row in zip(
            table.column("ma_cskcb").to_pylist(),
            table.column("_file").to_pylist(),
            table.column("_row").to_pylist(),
            strict=True,
        ):
            if code and code != ma_cskcb:
                found.append(f"{file} dòng/row {row}: {code}")
    return found


@contextmanager
def _locked(root: Path, ma_cskcb: str) -> Iterator[None]:
    """Hold the facility's lock (one replacement at a time, across processes)."""
    lock = root / STAGING / f"{ma_cskcb}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap(root: Path, ma_cskcb: str, folder: Path, stamp: str) -> str | None:
    """Put ``folder`` in place of the facility's; return the backup's name."""
    current = root / ma_cskcb
    backup: Path | None = None
    if current.exists():
        backup = root / BACKUPS / ma_cskcb / stamp
        backup.parent.mkdir(parents=True, exist_ok=True)
        current.rename(backup)
    try:
        folder.rename(current)
    except BaseException:
        if backup is not None and not current.exists():
            backup.rename(current)
        raise
    older = _backups(root, ma_cskcb)[KEEP_BACKUPS:]
    for name in older:
        remove_tree(root / BACKUPS / ma_cskcb / name)
    return backup.name if backup is not None else None


def _audit(actor: Actor, context: AppContext, upload: FolderUpload) -> None:
    from giamdinh.review import audit  # noqa: PLC0415
    from giamdinh.services.review import review_session  # noqa: PLC0415

    with review_session(context.database_url) as session:
        audit.append(
            session,
            actor=actor.username,
            role=actor.role.value,
            action="reference.replace",
            case_code=None,
            before={"backup": upload.backup},
            after={
                "ma_cskcb": actor.ma_cskcb,
                "files": [f.model_dump() for f in upload.files],
                "carried_over": upload.carried_over,
            },
        )


def upload_reference(
    files: Sequence[Upload],
    actor: Actor,
    context: AppContext,
    *,
    replace_all: bool = False,
    limits: ZipLimits | None = None,
) -> ReferenceUploadResult:
    """Load a facility's reference files and, if usable, make them its folder.

    Args:
        files: ``.csv``/``.xlsx`` files named as the loader expects, or zips.
        actor: a facility account (its own folder only).
        context: where the reference folders are.
        replace_all: start from an empty folder instead of the current one.
        limits: what a zip may hold.

    Returns:
        The loading report of the folder as sent (row by row) and whether it
        replaced the current one.

    Raises:
        ForbiddenError: not a facility account.
        ConfigError: a file that is no reference file, two files of one kind,
            more than ``max_upload_bytes``, an unsafe zip, or rows of another
            facility (the current folder is kept).
    """
    if actor.role is not Role.FACILITY or not actor.ma_cskcb:
        msg = (
            "chỉ cơ sở KCB gửi danh mục của mình / only a facility sends its "
            "reference files"
        )
        raise ForbiddenError(msg)
    code = _code(actor.ma_cskcb)
    root = context.reference_dirs
    token = secrets.token_hex(6)
    work = root / STAGING / f"{code}-{token}"
    try:
        staged = _stage_files(
            files, work, limit=context.max_upload_bytes, limits=limits or ZipLimits()
        )
        folder = work / "folder"
        carried = _build_folder(staged, folder, root / code, replace_all=replace_all)
        tables, reports = load_folder(folder)
        foreign = _foreign_rows(dict(tables), code)
        if foreign:
            shown = "; ".join(foreign[:_SHOWN_ROWS])
            more = len(foreign) - _SHOWN_ROWS
            tail = f" (+{more})" if more > 0 else ""
            msg = (
                f"có dòng khai báo cho cơ sở khác (MA_CSKCB khác {code}): {shown}"
                f"{tail}; danh mục hiện tại được giữ nguyên / rows declare another "
                "facility "
                f"(MA_CSKCB not {code}): {shown}{tail}; the current folder is kept"
            )
            raise ConfigError(msg)
        report = _report(code, folder, reports, exists=True)
        uploaded = [PurePosixPath(s.name).name for s in staged.files.values()]
        if not report.usable:
            report.backups = _backups(root, code)
            return ReferenceUploadResult(
                applied=False,
                report=report,
                message=(
                    "không nạp được mẫu nào trong M01…M06: danh mục hiện tại được giữ "
                    "nguyên / none of M01…M06 could be loaded: the current folder is "
                    "kept"
                ),
                uploaded=uploaded,
                carried_over=carried,
                skipped=staged.skipped,
            )
        now = datetime.now(tz=UTC)
        upload = FolderUpload(
            username=actor.username,
            at=now,
            files=[
                UploadedFile(
                    name=PurePosixPath(s.name).name,
                    kind=kind,
                    size=s.size,
                    sha256=_digest(s.path),
                )
                for kind, s in staged.files.items()
            ],
            carried_over=carried,
            backup=None,
        )
        stamp = now.strftime("%Y%m%dT%H%M%SZ") + f"-{token}"
        with _locked(root, code):
            upload.backup = stamp if (root / code).exists() else None
            (folder / UPLOAD_META).write_text(
                upload.model_dump_json(indent=2) + "\n", encoding="utf-8"
            )
            backup = _swap(root, code, folder, stamp)
        _audit(actor, context, upload)
        report.upload = upload
        report.backups = _backups(root, code)
        return ReferenceUploadResult(
            applied=True,
            report=report,
            uploaded=uploaded,
            carried_over=carried,
            skipped=staged.skipped,
            backup=backup,
        )
    finally:
        remove_tree(work)


__all__ = [
    "BACKUPS",
    "EXPECTED",
    "KEEP_BACKUPS",
    "REFERENCE_SUFFIXES",
    "FolderUpload",
    "ReferenceFileOut",
    "ReferenceNotFoundError",
    "ReferenceProblemRow",
    "ReferenceReport",
    "ReferenceUploadResult",
    "UploadedFile",
    "kind_of",
    "reference_facilities",
    "reference_report",
    "upload_reference",
]
