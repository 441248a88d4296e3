"""Checks sent to the server: a facility's claim files through ``giamdinh check``.

A hospital's BHYT office (or an assessor, for any facility) uploads claim files
— ``GIAMDINHHS`` envelopes, bare XML tables, or a zip of them — and gets what
``giamdinh check`` gives on its own machine: the portal's reception verdict, every
rule's findings with basis and amount, the money per claim, what was not checked
and why, and the four-sheet workbook.

Decisions (``docs/facility.md``):

- **Files are taken as given**, as ``giamdinh check`` takes the files named on
  its command line: whatever its name, an uploaded file is read as a claim file
  and the reader says what is wrong with it (``IN…``); only a ``.zip`` is opened,
  and in it the ``.xml`` members are checked (the others are listed as left
  aside), as ``check`` searches a folder for ``*.xml``.
- **One check is one facility's.** A facility account checks its own claims
  only: when a file (its envelope's ``MACSKCB`` or a claim's ``MA_CSKCB``) is
  another facility's, the **whole upload is refused**, naming the file and the
  facility, and nothing is checked or kept. An assessor or a supervisor may check
  any facility's files: the facility is the one named in the form, else the one
  the files name; files of several facilities are refused (send them one
  facility at a time), so each check runs against one reference folder.
- **Reference folder.** The check runs against ``<reference_dirs>/<MA_CSKCB>``
  when it exists (the folder the facility uploads at ``/facility/reference``),
  else against the national data only; the rules that need the facility's files
  then say "not checked", never "passed".
- **What is kept.** Under ``<checks_dir>/<id>/``: ``result.json`` (the
  ``CheckOutput``, the JSON of ``giamdinh check --format json``),
  ``result.xlsx`` (the workbook) and ``meta.json`` (who, when, facility, the
  files with their sizes and SHA-256). The claim files themselves are deleted
  once checked: they hold patients' data and the hospital keeps its own copy.
  File paths in the result are the names as uploaded (``claims.zip/a/b.xml``
  for a zip's member), never the server's folders. The id is 24 random hex
  digits; a check is written to a staging folder and renamed into place, so a
  half-written check is never listed.
- **Who sees a check.** The facility's accounts (every account of that
  facility: the office works together) and the insurer's assessors and
  supervisors; for anyone else an id of another facility is "not found".
  Ministry and admin accounts do not check claims (``ForbiddenError``).
- Every check is an entry of the audit chain (``check.submit``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from giamdinh.errors import ConfigError, ForbiddenError
from giamdinh.review.workflow import Role
from giamdinh.services.check_model import CheckOutput, TotalsOut, check_json
from giamdinh.services.reference_upload import FACILITY_CODE
from giamdinh.services.uploads import (
    Saved,
    Upload,
    ZipLimits,
    extract_zip,
    remove_tree,
    save_uploads,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from giamdinh.config import Settings
    from giamdinh.review.workflow import Actor
    from giamdinh.services.context import AppContext

CHECK_ID = re.compile(r"^[0-9a-f]{24}$")
META = "meta.json"
RESULT = "result.json"
WORKBOOK = "result.xlsx"
STAGING = ".incoming"
CHECK_ROLES = frozenset({Role.FACILITY, Role.ASSESSOR, Role.SUPERVISOR})


class CheckNotFoundError(ConfigError):
    """No such check, or one the user may not see (never said apart)."""


class CheckUpload(BaseModel):
    """One file as uploaded."""

    name: str
    size: int = Field(description="bytes")
    kind: Literal["xml", "zip"]


class CheckFile(BaseModel):
    """One XML file checked (a zip's members are named ``zip/member``)."""

    name: str
    size: int = Field(description="bytes")
    sha256: str


class SkippedMember(BaseModel):
    """A member of a zip that was not checked, and why."""

    name: str
    reason: str = Field(description="Vietnamese")
    reason_en: str = Field(description="English")


class CheckRecord(BaseModel):
    """What is known of a check without its result (``meta.json``)."""

    id: str = Field(description="24 hexadecimal digits")
    ma_cskcb: str | None = Field(description="the facility whose claims were checked")
    username: str = Field(description="who sent the files")
    role: str
    created: datetime
    seconds: float = Field(description="how long the check took")
    uploads: list[CheckUpload]
    files: list[CheckFile]
    skipped: list[SkippedMember]
    reference: bool = Field(
        description="whether the facility's reference folder was used"
    )
    rule_set: str
    files_rejected: int = Field(description="files the portal would refuse whole")
    totals: TotalsOut


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A check: its record and its result."""

    record: CheckRecord
    output: CheckOutput


# ------------------------------------------------------------------- access


#: Checks run one at a time per process: a check is CPU-bound (the rules run in
#: DuckDB, the compiling in Python) and holds its tables in memory, so running
#: many at once only makes every one of them, and every page, slower and the
#: process larger. Uploads queue here; the pages keep answering.
_CHECKS_AT_ONCE = threading.BoundedSemaphore(1)


def _may_check(actor: Actor) -> None:
    if actor.role not in CHECK_ROLES or (
        actor.role is Role.FACILITY and not actor.ma_cskcb
    ):
        msg = (
            "tài khoản của bạn không kiểm tra hồ sơ KCB / your account does not "
            "check claims"
        )
        raise ForbiddenError(msg)


def _not_found() -> CheckNotFoundError:
    return CheckNotFoundError("không có lần kiểm tra này / no such check")


def _facility_of(actor: Actor, ma_cskcb: str | None) -> str | None:
    """Return the facility a check is for, as far as the form says."""
    wanted = (ma_cskcb or "").strip() or None
    if wanted is not None and not FACILITY_CODE.match(wanted):
        msg = f"mã cơ sở không hợp lệ: {wanted!r} / not a facility code: {wanted!r}"
        raise ConfigError(msg)
    if actor.role is Role.FACILITY:
        if wanted is not None and wanted != actor.ma_cskcb:
            msg = (
                "tài khoản cơ sở chỉ kiểm tra hồ sơ của cơ sở mình / a facility "
                "account checks its own claims only"
            )
            raise ForbiddenError(msg)
        return actor.ma_cskcb
    return wanted


# ------------------------------------------------------------------ receive


def _claim_member(parts: tuple[str, ...]) -> str | None:
    """Whether a zip member is a claim file to check (``None``) or why not."""
    name = parts[-1]
    if parts[0] == "__MACOSX" or name.startswith("._"):
        return "tệp phụ của macOS / a macOS side file"
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".zip":
        return (
            "tệp zip lồng trong zip không được mở / a zip inside the zip is not opened"
        )
    if suffix != ".xml":
        return "không phải tệp XML / not an XML file"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Received:
    files: list[Saved]
    uploads: list[CheckUpload]
    skipped: list[SkippedMember]


def _receive(
    files: Sequence[Upload], folder: Path, *, limit: int, limits: ZipLimits
) -> _Received:
    """Write the uploads; extract the zips; return the XML files in order."""
    spool = folder / "upload"
    inputs = folder / "files"
    inputs.mkdir(parents=True)
    saved = save_uploads(files, spool, limit=limit, suffixes=None)
    out: list[Saved] = []
    uploads: list[CheckUpload] = []
    skipped: list[SkippedMember] = []
    for item in saved:
        if item.path.suffix.lower() == ".zip":
            uploads.append(CheckUpload(name=item.name, size=item.size, kind="zip"))
            extracted = extract_zip(
                item.path,
                inputs / item.name,
                zip_name=item.name,
                keep=_claim_member,
                limits=limits,
            )
            item.path.unlink()
            out.extend(
                Saved(name=f"{item.name}/{f.name}", path=f.path, size=f.size)
                for f in extracted.files
            )
            skipped.extend(
                SkippedMember(name=f"{item.name}/{m}", reason=vi, reason_en=en)
                for m, vi, en in extracted.skipped
            )
        else:
            uploads.append(CheckUpload(name=item.name, size=item.size, kind="xml"))
            target = inputs / item.name
            item.path.rename(target)
            out.append(Saved(name=item.name, path=target, size=item.size))
    remove_tree(spool)
    if not out:
        msg = (
            "không có tệp XML nào để kiểm tra (tệp zip không chứa tệp .xml) / no XML "
            "file to check (the zip holds no .xml file)"
        )
        raise ConfigError(msg)
    return _Received(files=out, uploads=uploads, skipped=skipped)


# --------------------------------------------------------------- facilities


def _codes_of(result: Any) -> set[str]:
    """Return the facility codes a file names (envelope and claims)."""
    codes = {result.ma_cskcb} if result.ma_cskcb else set()
    xml1 = result.tables.get("XML1")
    if xml1 is not None and "MA_CSKCB" in xml1.column_names:
        codes.update(c for c in xml1.column("MA_CSKCB").to_pylist() if c)
    return {str(c).strip() for c in codes if str(c).strip()}


def _foreign_message(name: str, code: str, facility: str, *, own: bool) -> str:
    if own:
        return (
            f"{name}: hồ sơ của cơ sở {code}, không phải của cơ sở {facility}; tài "
            "khoản cơ sở chỉ kiểm tra hồ sơ của cơ sở mình. Không tệp nào được kiểm "
            f"tra / {name}: claims of facility {code}, not of {facility}; a facility "
            "account checks its own claims only. No file was checked"
        )
    return (
        f"{name}: hồ sơ của cơ sở {code}, không phải của cơ sở {facility} đã chọn. "
        f"Không tệp nào được kiểm tra / {name}: claims of facility {code}, not of "
        f"the facility chosen ({facility}). No file was checked"
    )


def _scan_facility(
    files: Sequence[Saved],
    actor: Actor,
    facility: str | None,
    settings: Settings | None,
) -> str | None:
    """Read the files once for their facility; refuse another facility's.

    Returns:
        The facility of the check (``None`` when nothing names one).

    Raises:
        ConfigError: a file of another facility, or files of several facilities.
    """
    from giamdinh.standard.reader import read_files  # noqa: PLC0415

    own = actor.role is Role.FACILITY
    seen: dict[str, str] = {}
    paths = [f.path for f in files]
    names = {str(f.path): f.name for f in files}
    for result in read_files(paths, settings=settings):
        name = names.get(result.path, Path(result.path).name)
        for code in sorted(_codes_of(result)):
            if facility is not None and code != facility:
                raise ConfigError(_foreign_message(name, code, facility, own=own))
            seen.setdefault(code, name)
    if facility is None and len(seen) > 1:
        listed = ", ".join(f"{code} ({name})" for code, name in sorted(seen.items()))
        msg = (
            f"các tệp thuộc nhiều cơ sở: {listed}; mỗi lần kiểm tra một cơ sở, hoặc "
            f"chọn mã cơ sở / the files are of several facilities: {listed}; check "
            "one facility at a time, or choose the facility"
        )
        raise ConfigError(msg)
    if facility is None and seen:
        code = next(iter(seen))
        if not FACILITY_CODE.match(code):
            msg = (
                f"{seen[code]}: mã cơ sở không hợp lệ {code!r} / not a facility code "
                f"{code!r}"
            )
            raise ConfigError(msg)
        return code
    return facility


def _check_claims(output: CheckOutput, actor: Actor, facility: str | None) -> None:
    """Refuse a result holding a claim of another facility (a second guard)."""
    if facility is None:
        return
    for claim in output.claims:
        if claim.ma_cskcb and claim.ma_cskcb != facility:
            name = claim.file or claim.ma_lk
            raise ConfigError(
                _foreign_message(
                    name, claim.ma_cskcb, facility, own=actor.role is Role.FACILITY
                )
            )


# ------------------------------------------------------------------ results


def _strip_prefix(value: Any, prefix: str) -> Any:
    if isinstance(value, str):
        return value.replace(prefix, "")
    if isinstance(value, list):
        return [_strip_prefix(v, prefix) for v in value]
    if isinstance(value, dict):
        return {k: _strip_prefix(v, prefix) for k, v in value.items()}
    return value


def _as_uploaded(
    output: CheckOutput, folder: Path, reference: str | None
) -> CheckOutput:
    """Return the output with the uploaded names instead of the server's paths."""
    data = _strip_prefix(output.model_dump(mode="python"), f"{folder}/")
    data["reference"]["folder"] = reference
    return CheckOutput.model_validate(data)


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _reference_dir(context: AppContext, facility: str | None) -> Path | None:
    if facility is None or not FACILITY_CODE.match(facility):
        return None
    folder = context.reference_dirs / facility
    return folder if folder.is_dir() else None


def _audit(record: CheckRecord, context: AppContext) -> None:
    from giamdinh.review import audit  # noqa: PLC0415
    from giamdinh.services.review import review_session  # noqa: PLC0415

    with review_session(context.database_url) as session:
        audit.append(
            session,
            actor=record.username,
            role=record.role,
            action="check.submit",
            case_code=None,
            before=None,
            after={
                "check": record.id,
                "ma_cskcb": record.ma_cskcb,
                "files": [{"name": f.name, "sha256": f.sha256} for f in record.files],
                "claims": record.totals.claims,
            },
        )


def submit_check(
    files: Sequence[Upload],
    actor: Actor,
    context: AppContext,
    *,
    ma_cskcb: str | None = None,
    limits: ZipLimits | None = None,
    settings: Settings | None = None,
) -> CheckResult:
    """Check uploaded claim files as ``giamdinh check`` does, and keep the result.

    Args:
        files: XML files (envelopes or bare tables) and zips of them.
        actor: who sends them (facility, assessor or supervisor).
        context: where checks and reference folders are.
        ma_cskcb: the facility (assessors; a facility account's is its own).
        limits: what a zip may hold (``ZipLimits()`` by default).
        settings: the reader's size limits (the process settings by default).

    Returns:
        The check's record and its result.

    Raises:
        ForbiddenError: the role does not check claims, or a facility account
            names another facility.
        ConfigError: nothing to check, more than ``max_upload_bytes``, an unsafe
            or oversized zip, or files of another facility (the message names
            the file); nothing is kept.
    """
    from giamdinh.services.check import check_files  # noqa: PLC0415
    from giamdinh.services.check_report import write_check_workbook  # noqa: PLC0415

    _may_check(actor)
    facility = _facility_of(actor, ma_cskcb)
    started = time.perf_counter()
    check_id = secrets.token_hex(12)
    root = context.checks_dir
    staging = root / STAGING / check_id
    try:
        received = _receive(
            files,
            staging,
            limit=context.max_upload_bytes,
            limits=limits or ZipLimits(),
        )
        facility = _scan_facility(received.files, actor, facility, settings)
        reference_dir = _reference_dir(context, facility)
        with _CHECKS_AT_ONCE:
            raw = check_files(
                [f.path for f in received.files],
                reference_dir=reference_dir,
                settings=settings,
            )
        _check_claims(raw, actor, facility)
        output = _as_uploaded(
            raw, staging / "files", facility if reference_dir else None
        )
        record = CheckRecord(
            id=check_id,
            ma_cskcb=facility,
            username=actor.username,
            role=actor.role.value,
            created=datetime.now(tz=UTC),
            seconds=round(time.perf_counter() - started, 3),
            uploads=received.uploads,
            files=[
                CheckFile(name=f.name, size=f.size, sha256=_digest(f.path))
                for f in received.files
            ],
            skipped=received.skipped,
            reference=reference_dir is not None,
            rule_set=output.rule_set,
            files_rejected=sum(f.status == "rejected" for f in output.files),
            totals=output.totals,
        )
        remove_tree(staging / "files")
        (staging / RESULT).write_text(check_json(output) + "\n", encoding="utf-8")
        write_check_workbook(output, staging / WORKBOOK)
        (staging / META).write_text(
            record.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
        _audit(record, context)
        staging.rename(root / check_id)
    finally:
        remove_tree(staging)
    return CheckResult(record=record, output=output)


@dataclass(frozen=True, slots=True)
class NotCheckedGroup:
    """A rule not checked for one reason, and on how many claims."""

    rule_id: str
    reason: str
    reason_en: str
    claims: int


def not_checked_summary(output: CheckOutput) -> list[NotCheckedGroup]:
    """Return what was not checked, by rule and reason, with the claims it hit."""
    seen: dict[tuple[str, str, str], set[str]] = {}
    for claim in output.claims:
        for gap in claim.not_checked:
            seen.setdefault((gap.rule_id, gap.reason, gap.reason_en), set()).add(
                claim.ma_lk
            )
    return [
        NotCheckedGroup(rule_id=r, reason=vi, reason_en=en, claims=len(claims))
        for (r, vi, en), claims in sorted(seen.items())
    ]


# -------------------------------------------------------------------- reads


def _folder(check_id: str, context: AppContext) -> Path:
    if not CHECK_ID.match(check_id):
        raise _not_found()
    folder = context.checks_dir / check_id
    if not (folder / META).is_file():
        raise _not_found()
    return folder


def _record(folder: Path) -> CheckRecord:
    return CheckRecord.model_validate_json((folder / META).read_text(encoding="utf-8"))


def _visible(check_id: str, actor: Actor, context: AppContext) -> Path:
    """Return a check's folder if ``actor`` may see it, else "not found"."""
    _may_check(actor)
    folder = _folder(check_id, context)
    record = _record(folder)
    if actor.role is Role.FACILITY and not actor.may_see(record.ma_cskcb):
        raise _not_found()
    return folder


def get_check(check_id: str, actor: Actor, context: AppContext) -> CheckResult:
    """Return a check and its result.

    Raises:
        ForbiddenError: the role does not check claims.
        CheckNotFoundError: no such check, or another facility's.
    """
    folder = _visible(check_id, actor, context)
    output = CheckOutput.model_validate_json(
        (folder / RESULT).read_text(encoding="utf-8")
    )
    return CheckResult(record=_record(folder), output=output)


def workbook_path(check_id: str, actor: Actor, context: AppContext) -> Path:
    """Return the path of a check's workbook (``result.xlsx``).

    Raises:
        ForbiddenError: the role does not check claims.
        CheckNotFoundError: no such check, or another facility's.
    """
    return _visible(check_id, actor, context) / WORKBOOK


def list_checks(
    actor: Actor, context: AppContext, *, ma_cskcb: str | None = None
) -> list[CheckRecord]:
    """Return the checks ``actor`` may see, newest first.

    A facility account sees its facility's checks (its own and its colleagues');
    assessors and supervisors every facility's, or ``ma_cskcb``'s.

    Raises:
        ForbiddenError: the role does not check claims.
    """
    _may_check(actor)
    root = context.checks_dir
    if not root.is_dir():
        return []
    records: list[CheckRecord] = []
    for folder in root.iterdir():
        if not CHECK_ID.match(folder.name) or not (folder / META).is_file():
            continue
        try:
            record = _record(folder)
        except (OSError, ValueError):
            continue  # NOTE: a damaged meta.json hides one check, not the list
        if actor.role is Role.FACILITY and not actor.may_see(record.ma_cskcb):
            continue
        if ma_cskcb and record.ma_cskcb != ma_cskcb:
            continue
        records.append(record)
    records.sort(key=lambda r: (r.created, r.id), reverse=True)
    return records


__all__ = [
    "CHECK_ID",
    "CHECK_ROLES",
    "CheckFile",
    "CheckNotFoundError",
    "CheckRecord",
    "CheckResult",
    "CheckUpload",
    "NotCheckedGroup",
    "SkippedMember",
    "Upload",
    "ZipLimits",
    "get_check",
    "list_checks",
    "not_checked_summary",
    "submit_check",
    "workbook_path",
]
