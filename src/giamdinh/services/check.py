"""The hospital's pre-check: read → the portal's reception checks → the rules.

One pipeline, one output (``CheckOutput``): what the insurer's portal would refuse
(reader ``IN…`` and reception ``RC…`` problems, per file and per claim), what the
rules find on every line with its basis and amount, and what could not be checked
and why. A claim the portal would reject is marked so and still assessed by the
rules whose fields parsed, so a hospital fixes everything in one pass.

Decisions made here (``docs/check.md``):

- Inputs are counted once: the same path given twice, or two files with the same
  bytes (``CK001``), are read once. A claim (``MA_LK``) found in several files is
  assessed in the last one given, as the portal keeps the last submission
  (``CK002`` on the earlier ones).
- A rule that reads a field which did not parse on a claim (``RC104``/``RC105``)
  is "not checked" on that claim, naming the field; its findings there are
  dropped before money is decided. When a money field of the decision
  (``T_BHTT`` of XML1, XML2 or XML3) did not parse, the claim's amounts are
  ``not_assessable`` (null): a value that did not parse never becomes money.
- A rule that reads a facility reference table whose file was not given (e.g.
  ``licences.csv``) is "not checked" on every claim in its effective period,
  naming the file.
- With a licence registry (``--registry-url``, ``GIAMDINH_REGISTRY_URL``), the
  licence rules (NV002, NV005: those reading ``licence_days``) judge every
  licence the registry holds, of any connected province; a licence number on a
  claim that neither the registry nor ``licences.csv`` knows is "not checked" by
  them on that claim, naming the number (``docs/exchange.md``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from giamdinh.domain import Finding, Severity
from giamdinh.errors import ConfigError
from giamdinh.services.check_model import (
    MONEY_KEYS,
    BasisOut,
    CheckOutput,
    ClaimOut,
    FileOut,
    FindingOut,
    NotCheckedOut,
    ProblemOut,
    ReferenceOut,
    ReferenceProblemOut,
    TotalsOut,
    money_json,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    import pyarrow as pa

    from giamdinh.config import Settings
    from giamdinh.engine.run import Assessment
    from giamdinh.refdata.reference_set import ReferenceSet
    from giamdinh.rules.model import Rule
    from giamdinh.rules.registry import RuleSet
    from giamdinh.standard.reader import FileResult

#: Money fields the decision reads: when one did not parse, the claim's money
#: cannot be decided.
DECISION_MONEY = frozenset({("XML1", "T_BHTT"), ("XML2", "T_BHTT"), ("XML3", "T_BHTT")})
#: Parse failures of the reception checks (``<FIELD>__raw`` set).
UNPARSED_CODES = frozenset({"RC104", "RC105"})

CK001 = "CK001"
CK002 = "CK002"


def collect_inputs(paths: Iterable[Path]) -> list[Path]:
    """Return the files of ``paths`` once each, in the order given.

    Files are taken as given and folders searched recursively for ``*.xml``; a
    path named twice (or a file inside a folder also named) counts once.

    Raises:
        ConfigError: a path does not exist.
    """
    out: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".xml")
        elif path.is_file():
            found = [path]
        else:
            raise ConfigError(
                f"{path}: không có tệp hay thư mục này / no such file or folder"
            )
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                out.append(file)
    return out


def _digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Unique:
    files: list[Path]
    duplicates: dict[Path, Path]
    digests: dict[Path, str]


def _unique_files(files: Sequence[Path]) -> _Unique:
    """Split files into the first of each content and the later copies."""
    first: dict[str, Path] = {}
    unique: list[Path] = []
    duplicates: dict[Path, Path] = {}
    digests: dict[Path, str] = {}
    for file in files:
        try:
            digest = _digest(file)
        except OSError:
            unique.append(file)  # NOTE: the reader reports the unreadable file
            continue
        digests[file] = digest
        if digest in first:
            duplicates[file] = first[digest]
        else:
            first[digest] = file
            unique.append(file)
    return _Unique(files=unique, duplicates=duplicates, digests=digests)


# ------------------------------------------------------------ claim versions


def _claim_keys(xml1: pa.Table | None) -> list[tuple[str, str, int]]:
    """Return ``(MA_LK, _file, _hoso)`` of every XML1 row, in table order."""
    if xml1 is None or not xml1.num_rows:
        return []
    return list(
        zip(
            xml1.column("MA_LK").to_pylist(),
            xml1.column("_file").to_pylist(),
            xml1.column("_hoso").to_pylist(),
            strict=True,
        )
    )


def _latest_versions(
    tables: Mapping[str, pa.Table], order: Mapping[str, int]
) -> tuple[dict[str, pa.Table], list[Finding]]:
    """Keep, for each ``MA_LK`` in several files or HOSOs, only the last one.

    Returns:
        The tables without the earlier versions, and a ``CK002`` finding for each
        version left out.
    """
    import pyarrow as pa  # noqa: PLC0415 - heavy, and only once files are read
    import pyarrow.compute as pc  # noqa: PLC0415

    from giamdinh.domain import Location  # noqa: PLC0415

    versions: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for ma_lk, file, hoso in _claim_keys(tables.get("XML1")):
        if (file, hoso) not in versions[ma_lk]:
            versions[ma_lk].append((file, hoso))
    dropped: set[str] = set()
    notes: list[Finding] = []
    for ma_lk, places in versions.items():
        if len(places) < 2:  # noqa: PLR2004
            continue
        places.sort(key=lambda p: (order.get(p[0], -1), p[1]))
        kept = places[-1]
        for file, hoso in places[:-1]:
            dropped.add(f"{file}\x1f{hoso}")
            notes.append(
                Finding(
                    code=CK002,
                    severity=Severity.INFO,
                    message=(
                        f"Hồ sơ {ma_lk} có bản sau ở {kept[0]} (HOSO {kept[1] + 1}); "
                        "chỉ bản sau được kiểm tra"
                    ),
                    message_en=(
                        f"Claim {ma_lk} is sent again in {kept[0]} (HOSO "
                        f"{kept[1] + 1}); only the later one is checked"
                    ),
                    location=Location(file=file, ma_lk=ma_lk),
                    evidence={"hoso": hoso, "kept_file": kept[0], "kept_hoso": kept[1]},
                )
            )
    if not dropped:
        return dict(tables), notes
    drop = pa.array(sorted(dropped), pa.string())
    out: dict[str, pa.Table] = {}
    for name, table in tables.items():
        if not table.num_rows or "_file" not in table.column_names:
            out[name] = table
            continue
        key = pc.binary_join_element_wise(
            table.column("_file"),
            pc.cast(table.column("_hoso"), pa.string()),
            "\x1f",
        )
        out[name] = table.filter(pc.invert(pc.is_in(key, value_set=drop)))
    return out, notes


# ------------------------------------------------------------- not checked


@dataclass(frozen=True, slots=True, kw_only=True)
class _Gap:
    """A rule not checked on a claim."""

    rule_id: str
    ma_lk: str
    table: str | None
    field: str | None
    reference: str | None
    reason: str = ""
    reason_en: str = ""


def _claim_days(xml1: pa.Table | None) -> dict[str, date]:
    """Return each claim's day (``NGAY_RA``, else ``NGAY_VAO``) as the rules date it."""
    days: dict[str, date] = {}
    if xml1 is None or not xml1.num_rows:
        return days
    for ma_lk, out, inn in zip(
        xml1.column("MA_LK").to_pylist(),
        xml1.column("NGAY_RA").to_pylist(),
        xml1.column("NGAY_VAO").to_pylist(),
        strict=True,
    ):
        day = out or inn
        if isinstance(day, datetime):
            days.setdefault(ma_lk, day.date())
        elif isinstance(day, date):
            days.setdefault(ma_lk, day)
    return days


def _unparsed_gaps(
    rules: Sequence[Rule], unparsed: Iterable[tuple[str, str, str]]
) -> list[_Gap]:
    """Rules reading a field that did not parse on a claim."""
    from giamdinh.engine.sql import fields_read  # noqa: PLC0415

    reads = {rule.id: fields_read(rule) for rule in rules}
    gaps: list[_Gap] = []
    for ma_lk, table, field in sorted(set(unparsed)):
        view, column = table.lower(), field.lower()
        gaps.extend(
            _Gap(rule_id=rule_id, ma_lk=ma_lk, table=table, field=field, reference=None)
            for rule_id, read in reads.items()
            if column in read.get(view, frozenset())
        )
    return gaps


def _reference_gaps(
    rules: Sequence[Rule],
    reference: ReferenceSet,
    days: Mapping[str, date],
) -> list[_Gap]:
    """Rules reading a facility reference table whose file was not given."""
    from giamdinh.engine.derived import closure  # noqa: PLC0415
    from giamdinh.engine.sql import referenced_views  # noqa: PLC0415

    if not reference.missing:
        return []
    gaps: list[_Gap] = []
    for rule in rules:
        base, _ = closure(referenced_views([rule]))
        why = [
            nc
            for nc in (
                reference.not_checked(name)
                for name in sorted(base)
                if name.startswith("ref_")
            )
            if nc is not None
        ]
        if not why:
            continue
        for ma_lk, day in days.items():
            if not rule.effective.contains(day):
                continue
            gaps.extend(
                _Gap(
                    rule_id=rule.id,
                    ma_lk=ma_lk,
                    table=None,
                    field=None,
                    reference=nc.file or nc.table,
                    reason=nc.message,
                    reason_en=nc.message_en,
                )
                for nc in why
            )
    return gaps


def _unknown_licence_gaps(
    rules: Sequence[Rule],
    tables: Mapping[str, pa.Table],
    reference: ReferenceSet,
    days: Mapping[str, date],
) -> list[_Gap]:
    """Licence rules on a claim naming a licence no connected registry knows."""
    from giamdinh.backends.duck import DuckDBBackend  # noqa: PLC0415
    from giamdinh.engine.derived import closure  # noqa: PLC0415
    from giamdinh.engine.sql import referenced_views  # noqa: PLC0415
    from giamdinh.engine.views import logical_views  # noqa: PLC0415

    readers = [
        r
        for r in rules
        if any(v.name == "licence_days" for v in closure(referenced_views([r]))[1])
    ]
    if not readers or reference.registry is None:
        return []
    base, derived = closure(frozenset({"line_practitioners", "ref_licences"}))
    views = logical_views(claims=tables, reference=reference.tables(), edits={})
    backend = DuckDBBackend()
    try:
        for name in sorted(base):
            if name in views:
                backend.register(name, views[name])
        for view in derived:
            backend.materialise(view.name, view.sql)
        unknown = backend.query(
            "select distinct p.tbl, p.ma_lk, p.macchn from line_practitioners as p "
            "where coalesce(p.macchn, '') <> '' and p.macchn not in "
            "(select k.macchn from ref_licences as k where k.macchn is not null) "
            "order by 2, 1, 3"
        ).to_pylist()
    finally:
        backend.close()
    gaps: list[_Gap] = []
    for row in unknown:
        day = days.get(row["ma_lk"])
        gaps.extend(
            _Gap(
                rule_id=rule.id,
                ma_lk=row["ma_lk"],
                table=None,
                field=None,
                reference=reference.registry,
                reason=(
                    f"giấy phép {row['macchn']} không có trong sổ đăng ký các tỉnh "
                    "đã kết nối"
                ),
                reason_en=(
                    f"licence {row['macchn']} is not known to any connected registry"
                ),
            )
            for rule in readers
            if rule.table == row["tbl"]
            and (day is None or rule.effective.contains(day))
        )
    return gaps


def _reference_out(folder: Path | None, reference: ReferenceSet) -> ReferenceOut:
    return ReferenceOut(
        folder=str(folder) if folder else None,
        missing=sorted({*reference.absent, *reference.unusable}),
        problems=[
            ReferenceProblemOut(
                file=p.file,
                row=p.row,
                column=p.column,
                value=p.value,
                message=p.message,
                message_en=p.message_en,
                outcome=p.outcome.value,
            )
            for p in reference.problems
        ],
    )


def _not_checked_out(gap: _Gap) -> NotCheckedOut:
    if gap.field is not None:
        reason = f"{gap.table}.{gap.field} không đọc được (sai định dạng)"
        reason_en = f"{gap.table}.{gap.field} did not parse"
    else:
        reason = gap.reason or f"thiếu tệp tham chiếu {gap.reference}"
        reason_en = gap.reason_en or f"reference file {gap.reference} not given"
    return NotCheckedOut(
        rule_id=gap.rule_id,
        reason=reason,
        reason_en=reason_en,
        table=gap.table,
        field=gap.field,
        reference=gap.reference,
    )


# ------------------------------------------------------------------ output


def _problem(finding: Finding) -> ProblemOut:
    value = finding.evidence.get("value")
    return ProblemOut(
        code=finding.code,
        severity=finding.severity,
        message=finding.message,
        message_en=finding.message_en,
        ma_lk=finding.location.ma_lk,
        table=finding.location.table,
        stt=finding.location.stt,
        field=finding.location.field,
        value=value if isinstance(value, str) else None,
    )


def _evidence_json(
    evidence: Mapping[str, Any],
) -> dict[str, str | int | float | bool | None]:
    out: dict[str, str | int | float | bool | None] = {}
    for key, value in evidence.items():
        if isinstance(value, Decimal):
            out[key] = money_json(value)
        elif isinstance(value, datetime | date):
            out[key] = value.isoformat()
        elif value is None or isinstance(value, str | int | float | bool):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def _finding_out(finding: Finding) -> FindingOut:
    return FindingOut(
        rule_id=finding.code,
        rule_version=finding.rule_version or 1,
        severity=finding.severity,
        refusal_code=finding.refusal_code,
        table=finding.location.table,
        stt=finding.location.stt,
        code=finding.item_code,
        amount=finding.amount if finding.amount is not None else Decimal(0),
        message=finding.message,
        message_en=finding.message_en or finding.message,
        basis=[
            BasisOut(
                document=b.document,
                article=", ".join(p for p in (b.article, b.clause) if p) or None,
                date=b.date.isoformat() if b.date else None,
            )
            for b in finding.basis
        ],
        evidence=_evidence_json(finding.evidence),
    )


def _file_status(
    result: FileResult, claims: int, rejected: int
) -> Literal["ok", "partial", "rejected"]:
    """The reader's verdict, made worse by what the portal's checks refuse."""
    if result.status.value == "rejected" or (claims and rejected >= claims):
        return "rejected"
    if rejected or result.status.value == "partial":
        return "partial"
    return "ok"


def _claim_outputs(
    result: Assessment,
    *,
    files_of: Mapping[str, str],
    rejected: set[str],
    claim_problems: Mapping[str, list[Finding]],
    gaps: Mapping[str, list[_Gap]],
    no_money: set[str],
) -> list[ClaimOut]:
    by_claim: dict[str, list[FindingOut]] = defaultdict(list)
    for finding in result.finding_objects():
        by_claim[finding.location.ma_lk or ""].append(_finding_out(finding))
    out: list[ClaimOut] = []
    for row in result.claims.to_pylist():
        ma_lk = row["ma_lk"]
        money = {k: (None if ma_lk in no_money else row[k]) for k in MONEY_KEYS}
        out.append(
            ClaimOut(
                ma_lk=ma_lk,
                ma_cskcb=row["ma_cskcb"],
                file=files_of.get(ma_lk),
                reception="rejected" if ma_lk in rejected else "accepted",
                money="not_assessable" if ma_lk in no_money else "assessed",
                **money,
                findings=by_claim.get(ma_lk, []),
                reception_errors=[_problem(f) for f in claim_problems.get(ma_lk, [])],
                not_checked=[_not_checked_out(g) for g in gaps.get(ma_lk, [])],
            )
        )
    return out


def _totals(claims: Sequence[ClaimOut]) -> TotalsOut:
    sums = dict.fromkeys(MONEY_KEYS, Decimal(0))
    for claim in claims:
        for key in MONEY_KEYS:
            value = getattr(claim, key)
            if value is not None:
                sums[key] += value
    return TotalsOut(
        claims=len(claims),
        claims_rejected_by_portal=sum(c.reception == "rejected" for c in claims),
        claims_not_assessable=sum(c.money == "not_assessable" for c in claims),
        **sums,
    )


def _duplicate_out(path: Path, unique: _Unique) -> FileOut:
    original = unique.duplicates[path]
    return FileOut(
        path=str(path),
        status="duplicate",
        sha256=unique.digests.get(path),
        claims=0,
        duplicate_of=str(original),
        errors=[
            ProblemOut(
                code=CK001,
                severity=Severity.INFO,
                message=f"Trùng nội dung với {original}: chỉ kiểm tra một lần",
                message_en=f"Same bytes as {original}: checked once",
                ma_lk=None,
                table=None,
                stt=None,
                field=None,
                value=None,
            )
        ],
    )


def _files_output(
    inputs: Sequence[Path],
    *,
    unique: _Unique,
    results: Sequence[FileResult],
    files_of: Mapping[str, str],
    portal_rejected: set[str],
    problems: Mapping[str | None, list[Finding]],
) -> list[FileOut]:
    """One entry per input file, in the order given (duplicates included)."""
    claims_of: dict[str, int] = defaultdict(int)
    rejected_of: dict[str, int] = defaultdict(int)
    for ma_lk, file in files_of.items():
        claims_of[file] += 1
        rejected_of[file] += ma_lk in portal_rejected
    by_path = {r.path: r for r in results}
    out: list[FileOut] = []
    for path in inputs:
        if path in unique.duplicates:
            out.append(_duplicate_out(path, unique))
            continue
        read = by_path[str(path)]
        out.append(
            FileOut(
                path=read.path,
                status=_file_status(read, claims_of[read.path], rejected_of[read.path]),
                sha256=read.sha256 or unique.digests.get(path),
                claims=claims_of[read.path],
                duplicate_of=None,
                errors=[_problem(f) for f in problems.get(read.path, [])],
            )
        )
    return out


def check_files(
    paths: Sequence[Path],
    *,
    reference_dir: Path | None,
    as_of: date | None = None,
    overrides_path: Path | None = None,
    settings: Settings | None = None,
    rule_set: RuleSet | None = None,
    registry_url: str | None = None,
) -> CheckOutput:
    """Pre-check claim files as the portal and the insurer would, in one pass.

    Args:
        paths: envelope files or folders of them.
        reference_dir: the facility's reference folder (M01…M06, licences,
            equipment sources); national data only when ``None``.
        as_of: replay date.
        overrides_path: the deployment's override log.
        settings: size limits of the reader (process settings by default).
        rule_set: run these rules instead of the published set (tests, dry runs).
        registry_url: the licence registry's database (default: the
            ``registry_url`` setting; none: ``licences.csv`` only).

    Raises:
        ConfigError: a path does not exist.
        ReferenceDataError: the reference folder cannot be used.
    """
    from giamdinh.config import get_settings  # noqa: PLC0415
    from giamdinh.services.assessment import load_rules, run_assessment  # noqa: PLC0415
    from giamdinh.services.province import load_reference  # noqa: PLC0415
    from giamdinh.standard.reader import read_batch  # noqa: PLC0415
    from giamdinh.standard.reception import (  # noqa: PLC0415
        check_reception,
        rejected_hosos,
    )

    inputs = collect_inputs(paths)
    unique = _unique_files(inputs)
    reference = load_reference(
        reference_dir,
        registry_url=registry_url or (settings or get_settings()).registry_url,
    )
    if rule_set is None:
        rules, label = load_rules(as_of=as_of, overrides_path=overrides_path)
    else:
        rules, label = rule_set, rule_set.version
    batch = read_batch([str(p) for p in unique.files], settings=settings)
    reception = check_reception(batch.tables) if batch.tables else []
    order = {str(p): i for i, p in enumerate(unique.files)}
    tables, notes = _latest_versions(batch.tables, order)

    refused = rejected_hosos(reception)
    keys = _claim_keys(tables.get("XML1"))
    files_of = {ma_lk: file for ma_lk, file, _ in keys}
    portal_rejected = {
        ma_lk
        for ma_lk, file, hoso in keys
        if (file, hoso) in refused or (file, None) in refused
    }
    unparsed = [
        (f.location.ma_lk, f.location.table, f.location.field)
        for f in reception
        if f.code in UNPARSED_CODES
        and f.location.ma_lk is not None
        and f.location.table is not None
        and f.location.field is not None
    ]
    no_money = {m for m, t, fld in unparsed if (t, fld) in DECISION_MONEY}
    gaps: dict[str, list[_Gap]] = defaultdict(list)
    for gap in _unparsed_gaps(rules.rules, unparsed):
        gaps[gap.ma_lk].append(gap)
    skip_pairs = sorted({(g.rule_id, g.ma_lk) for gl in gaps.values() for g in gl})
    days = _claim_days(tables.get("XML1"))
    for gap in _reference_gaps(rules.rules, reference, days):
        gaps[gap.ma_lk].append(gap)
    for gap in _unknown_licence_gaps(rules.rules, tables, reference, days):
        gaps[gap.ma_lk].append(gap)

    import pyarrow as pa  # noqa: PLC0415

    skip = pa.table(
        {
            "rule_id": pa.array([p[0] for p in skip_pairs], pa.string()),
            "ma_lk": pa.array([p[1] for p in skip_pairs], pa.string()),
        }
    )
    result = run_assessment(
        tables,
        reference.tables(),
        as_of=as_of,
        rule_set=rules,
        rule_set_label=label,
        skip=skip,
    )

    # Problems: a claim's own go with the claim, the rest with its file.
    claim_problems: dict[str, list[Finding]] = defaultdict(list)
    file_problems: dict[str | None, list[Finding]] = defaultdict(list)
    assessed = {row["ma_lk"] for row in result.claims.select(["ma_lk"]).to_pylist()}
    problems = [f for r in batch.files for f in r.findings] + reception + notes
    for finding in problems:
        ma_lk = finding.location.ma_lk
        owner = files_of.get(ma_lk) if ma_lk else None
        if ma_lk is not None and ma_lk in assessed and owner == finding.location.file:
            claim_problems[ma_lk].append(finding)
        else:
            file_problems[finding.location.file].append(finding)

    file_out = _files_output(
        inputs,
        unique=unique,
        results=batch.files,
        files_of=files_of,
        portal_rejected=portal_rejected,
        problems=file_problems,
    )
    claims = _claim_outputs(
        result,
        files_of=files_of,
        rejected=portal_rejected,
        claim_problems=claim_problems,
        gaps=gaps,
        no_money=no_money,
    )
    return CheckOutput(
        rule_set=result.rule_set,
        as_of=as_of.isoformat() if as_of else None,
        reference=_reference_out(reference_dir, reference),
        files=file_out,
        claims=claims,
        totals=_totals(claims),
    )
