"""Use cases of policy replay: options compared over stored claims; lent machines.

``replay_store`` assesses the store's claims under the rule set in force and under
each option (``giamdinh.policy``), and writes a *comparison run* to
``<store>/policy/replay-<UTC time>/``:

* ``replay.json``: what it ran on (the rule-set label, each option's SHA-256, the
  store's manifest and the reference files' hashes, the period) as a
  ``fingerprint``, and the totals per option; ``result_sha256`` is the hash of
  every aggregate, so a second run on the same inputs can be checked to give the
  same numbers;
* ``by_facility_month.parquet``, ``by_rule.parquet``, ``by_machine.parquet``
  (every option, the baseline ``current`` included) and
  ``changed-<option>.parquet`` (the lines whose decision or money changes);
* ``replay.xlsx`` (``giamdinh.policy.export``) and ``money_by_month.svg``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.engine.sql import referenced_columns
from giamdinh.engine.views import logical_views
from giamdinh.errors import ConfigError, ForbiddenError
from giamdinh.policy.chart import money_by_month_svg
from giamdinh.policy.export import write_workbook
from giamdinh.policy.milestones import STEPS, read_milestones
from giamdinh.policy.milestones import VIEW as MILESTONES_VIEW
from giamdinh.policy.options import builtin_options, load_option
from giamdinh.policy.register import build_register
from giamdinh.policy.replay import CURRENT, MONEY, baseline_scenario, replay, resolve
from giamdinh.policy.templates import LENT_DEFAULTS
from giamdinh.refdata import FILE_SPECS
from giamdinh.refdata.facility import empty_table
from giamdinh.review.workflow import Role
from giamdinh.services.assessment import load_rules, store_relations
from giamdinh.services.province import facility_tables, load_reference
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from collections.abc import Sequence

    from giamdinh.policy.milestones import MilestoneProblem
    from giamdinh.policy.options import PolicyOption
    from giamdinh.policy.register import LentMachine
    from giamdinh.policy.replay import ScenarioResult
    from giamdinh.review.workflow import Actor

POLICY_DIR = "policy"
EXTRA_COLUMNS = frozenset(
    {
        "ma_lk",
        "stt",
        "ma_cskcb",
        "ma_bn",
        "ngay_ra",
        "ngay_vao",
        "ngay_yl",
        "ngay_th_yl",
        "ma_may",
        "don_gia_bh",
        "ma_dich_vu",
        "t_bhtt",
    }
)
"""Claim columns the comparison reads beyond those the rules read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionTotals:
    """One option's money over the period, and its change against the rules in force."""

    id: str
    title: str
    title_en: str
    totals: dict[str, Decimal]
    changes: dict[str, Decimal]
    lines_changed: int
    claims_changed: int
    patients_changed: int
    facilities_changed: int
    rules_run: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayRun:
    """A comparison run written to the store."""

    folder: Path
    fingerprint: str
    result_sha256: str
    period: tuple[date, date] | None
    options: tuple[OptionTotals, ...]
    milestone_problems: tuple[MilestoneProblem, ...]

    @property
    def workbook(self) -> Path:
        """Return the workbook's path."""
        return self.folder / "replay.xlsx"

    @property
    def chart(self) -> Path:
        """Return the chart's path."""
        return self.folder / "money_by_month.svg"


def _files_sha256(root: Path | None) -> str:
    digest = hashlib.sha256()
    if root is None:
        digest.update(b"national tables only")
        return digest.hexdigest()
    files = (
        [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    )
    for path in files:
        digest.update(path.relative_to(root.parent).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _store_state(store: ClaimStore) -> dict[str, Any]:
    manifest = store.manifest()
    text = json.dumps(manifest.files, sort_keys=True).encode()
    return {"seq": manifest.seq, "files_sha256": hashlib.sha256(text).hexdigest()}


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def _table_sha256(digest: Any, table: pa.Table) -> None:
    for row in table.to_pylist():
        digest.update(
            json.dumps(
                {k: _json_value(v) for k, v in row.items()}, sort_keys=True
            ).encode()
        )


def _with_option(option: str, table: pa.Table) -> pa.Table:
    return table.add_column(
        0, "option", pa.array([option] * table.num_rows, pa.string())
    )


def _totals(result: ScenarioResult) -> OptionTotals:
    table = result.by_facility_month
    totals = {m: Decimal(result.total(m)) for m in MONEY}
    changes = {m: Decimal(result.total(f"{m}_change")) for m in MONEY}
    facilities = {
        row["ma_cskcb"]
        for row in table.select(["ma_cskcb", "lines_changed"]).to_pylist()
        if row["lines_changed"]
    }
    return OptionTotals(
        id=result.scenario.id,
        title=result.scenario.title,
        title_en=result.scenario.title_en,
        totals=totals,
        changes=changes,
        lines_changed=int(result.total("lines_changed")),
        claims_changed=int(result.total("claims_changed")),
        patients_changed=int(result.total("patients_changed")),
        facilities_changed=len(facilities),
        rules_run=result.rules_run,
    )


def _option_texts(
    results: Sequence[ScenarioResult], loaded: Sequence[PolicyOption]
) -> dict[str, dict[str, Any]]:
    """Return each option's hash, rule-set label, texts and summary, by id."""
    by_id = {o.id: o for o in loaded}
    out: dict[str, dict[str, Any]] = {}
    for result in results:
        scenario = result.scenario
        option = by_id.get(scenario.id)
        out[scenario.id] = {
            "sha256": scenario.sha256 or "",
            "rule_set": scenario.label,
            "basis": [b.cite() for b in option.bases()] if option else [],
            "summary": " ".join(option.spec.summary.split()) if option else "",
        }
    return out


def replay_store(
    store_dir: Path,
    options: Sequence[str],
    *,
    reference_dir: Path | None = None,
    period: tuple[date, date] | None = None,
    overrides_path: Path | None = None,
    memory_limit: str | None = None,
    database_url: str | None = None,
    now: datetime | None = None,
) -> ReplayRun:
    """Replay ``options`` (paths or built-in ids) over the store; write the comparison.

    Raises:
        ConfigError: an option is invalid, two share an id, or the period is empty.
        StoreError: the store is missing or empty.
    """
    if period is not None and period[0] > period[1]:
        raise ConfigError(f"--from {period[0]} is after --to {period[1]}")
    loaded = [load_option(o) for o in options]
    ids = [o.id for o in loaded]
    if len(set(ids)) != len(ids) or CURRENT in ids:
        msg = (
            f"các phương án phải có mã khác nhau, khác {CURRENT!r} / option ids "
            f"must differ and not be {CURRENT!r}: {ids}"
        )
        raise ConfigError(msg)
    rules, label = load_rules(overrides_path=overrides_path)
    reference = load_reference(reference_dir)
    views = logical_views(claims={}, reference=reference.tables(), edits=rules.tables)
    milestones, problems = read_milestones(reference_dir)
    views[MILESTONES_VIEW] = milestones
    store = ClaimStore.open(store_dir, create=False)
    state = _store_state(store)
    stamp = now or datetime.now(tz=UTC)
    folder = store_dir / POLICY_DIR / f"replay-{stamp:%Y%m%dT%H%M%S%fZ}"
    con = store.connect()
    try:
        if any(_norm_priced(o) for o in loaded):
            volumes = _annual_volumes(con, period)
            loaded = [
                _with_norm_prices(o, volumes, database_url) if _norm_priced(o) else o
                for o in loaded
            ]
        scenarios = [baseline_scenario(rules, label)]
        scenarios.extend(resolve(o, rules, label, views) for o in loaded)
        every = [r for s in scenarios for r in s.rules.rules]
        read = referenced_columns(every)
        relations = store_relations(
            con, columns=None if read is None else read | EXTRA_COLUMNS
        )
        with tempfile.TemporaryDirectory(prefix="giamdinh-policy-") as spill:
            con.execute(f"set temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
            backend = DuckDBBackend(
                con, memory_limit=memory_limit, work_dir=Path(spill)
            )
            try:
                results = replay(
                    backend,
                    views,
                    scenarios,
                    out_dir=folder,
                    relations=relations,
                    period=period,
                )
            finally:
                backend.close()
    finally:
        con.close()
    return _write_run(
        folder,
        results,
        loaded,
        inputs={
            "rule_set": label,
            "options": {o.id: o.sha256 for o in loaded},
            "store": state,
            "reference_sha256": _files_sha256(reference_dir),
            "period": [d.isoformat() for d in period] if period else None,
        },
        at=stamp,
        problems=problems,
    )


def _by_month(result: ScenarioResult, column: str) -> dict[str, Decimal]:
    months: dict[str, Decimal] = {}
    for row in result.by_facility_month.select(["month", column]).to_pylist():
        months[row["month"]] = months.get(row["month"], Decimal(0)) + Decimal(
            row[column]
        )
    return months


def _write_run(
    folder: Path,
    results: Sequence[ScenarioResult],
    loaded: Sequence[PolicyOption],
    *,
    inputs: dict[str, Any],
    at: datetime,
    problems: list[MilestoneProblem],
) -> ReplayRun:
    fingerprint = hashlib.sha256(
        json.dumps(inputs, sort_keys=True).encode()
    ).hexdigest()
    digest = hashlib.sha256()
    parts: dict[str, list[pa.Table]] = {
        "by_facility_month": [],
        "by_rule": [],
        "by_machine": [],
    }
    for result in results:
        option = result.scenario.id
        for name, tables in parts.items():
            table = _with_option(option, getattr(result, name))
            tables.append(table)
            _table_sha256(digest, table)
    for name, tables in parts.items():
        pq.write_table(pa.concat_tables(tables), folder / f"{name}.parquet")
    totals = tuple(_totals(r) for r in results)
    texts = _option_texts(results, loaded)
    meta = {
        "at": at.isoformat(),
        "inputs": inputs,
        "fingerprint": fingerprint,
        "result_sha256": digest.hexdigest(),
        "options": [
            {
                "id": t.id,
                "title": t.title,
                "title_en": t.title_en,
                "totals": {k: str(v) for k, v in t.totals.items()},
                "changes": {k: str(v) for k, v in t.changes.items()},
                "lines_changed": t.lines_changed,
                "claims_changed": t.claims_changed,
                "patients_changed": t.patients_changed,
                "facilities_changed": t.facilities_changed,
                "rules_run": list(t.rules_run),
                **texts[t.id],
            }
            for t in totals
        ],
    }
    (folder / "replay.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    write_workbook(
        folder / "replay.xlsx",
        summary=[
            {
                "option": t.id,
                "title": t.title,
                **t.totals,
                **{f"{k}_change": v for k, v in t.changes.items()},
                "lines_changed": t.lines_changed,
                "claims_changed": t.claims_changed,
                "patients_changed": t.patients_changed,
                "facilities_changed": t.facilities_changed,
            }
            for t in totals
        ],
        options=[
            {
                "option": t.id,
                "title": t.title,
                "title_en": t.title_en,
                "rules_run": ", ".join(t.rules_run),
                **texts[t.id],
                "basis": "; ".join(texts[t.id]["basis"]),
            }
            for t in totals
        ],
        by_facility_month=[(r.scenario.id, r.by_facility_month) for r in results],
        by_rule=[(r.scenario.id, r.by_rule) for r in results],
        by_machine=[(r.scenario.id, r.by_machine) for r in results],
        changed=[
            (r.scenario.id, folder / f"changed-{r.scenario.id}.parquet")
            for r in results
        ],
    )
    paid: dict[str, dict[str, Decimal]] = {}
    change: dict[str, dict[str, Decimal]] = {}
    for result in results:
        paid[result.scenario.id] = _by_month(result, "payable")
        change[result.scenario.id] = _by_month(result, "payable_change")
    (folder / "money_by_month.svg").write_text(
        money_by_month_svg(
            paid,
            change,
            titles={
                r.scenario.id: f"{r.scenario.title} / {r.scenario.title_en}"
                for r in results
            },
            title="Tiền quỹ thanh toán theo phương án / Fund money paid per option",
        ),
        encoding="utf-8",
    )
    return ReplayRun(
        folder=folder,
        fingerprint=fingerprint,
        result_sha256=digest.hexdigest(),
        period=tuple(date.fromisoformat(d) for d in inputs["period"])
        if inputs["period"]
        else None,  # type: ignore[arg-type]
        options=totals,
        milestone_problems=tuple(problems),
    )


# ------------------------------------------------------- prices from norms

VOLUME_SQL = """
with _c as (
    select ma_lk, min(ma_cskcb) as ma_cskcb,
           cast(min(coalesce(ngay_ra, ngay_vao)) as date) as ngay
    from ({xml1}) group by ma_lk
),
_l as (
    select c.ma_cskcb, l.ma_dich_vu, coalesce(l.so_luong, 1) as so_luong,
           strftime(cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date), '%Y-%m') as month
    from ({xml3}) as l join _c as c using (ma_lk)
    where coalesce(trim(l.ma_dich_vu), '') <> '' and c.ma_cskcb is not null {period}
)
select ma_cskcb, ma_dich_vu, sum(so_luong) as quantity,
       (select count(distinct month) from _l) as months
from _l group by 1, 2 order by 1, 2
"""


def _norm_priced(option: PolicyOption) -> bool:
    prices = option.spec.prices
    return prices is not None and prices.source == "norms"


def _annual_volumes(
    con: Any, period: tuple[date, date] | None
) -> dict[tuple[str, str], Decimal]:
    """Return each facility's annual quantity of each service, from the claims.

    The quantity (``SO_LUONG``) of the claims replayed, over the months they span,
    times twelve: a month of claims stands for a year of twelve such months.
    """
    relations = store_relations(con, columns=EXTRA_COLUMNS | {"so_luong"})
    if "xml3" not in relations or "xml1" not in relations:
        return {}
    where = (
        f"and c.ngay between date '{period[0].isoformat()}' "
        f"and date '{period[1].isoformat()}'"
        if period
        else ""
    )
    rows = con.execute(
        VOLUME_SQL.format(xml1=relations["xml1"], xml3=relations["xml3"], period=where)
    ).fetchall()
    return {
        (str(f), str(s)): Decimal(q) * 12 / Decimal(months)
        for f, s, q, months in rows
        if months
    }


def _with_norm_prices(
    option: PolicyOption,
    volumes: dict[tuple[str, str], Decimal],
    database_url: str | None,
) -> PolicyOption:
    """Return ``option`` with its prices: norm-based costs at each facility's volume."""
    from giamdinh.norms.volume_price import (  # noqa: PLC0415
        demo_norms,
        norm_prices_at_volume,
        stored_norms,
    )
    from giamdinh.policy.options import PriceRow  # noqa: PLC0415

    spec = option.spec.prices
    assert spec is not None  # noqa: S101 - only price options come here
    if spec.norms == "demo":
        from giamdinh.norms.demo import demo_price_book  # noqa: PLC0415

        norms, book = demo_norms(), demo_price_book()
    else:
        from giamdinh.config import get_settings  # noqa: PLC0415
        from giamdinh.db.session import (  # noqa: PLC0415
            make_engine,
            make_session_factory,
            session_scope,
        )
        from giamdinh.norms.store import load_price_book  # noqa: PLC0415

        engine = make_engine(database_url or get_settings().database_url)
        try:
            with session_scope(make_session_factory(engine)) as session:
                norms = stored_norms(session)
                book = load_price_book(session, spec.price_book)
        finally:
            engine.dispose()
    costed = norm_prices_at_volume(norms=norms, book=book, volumes=volumes)
    rows = tuple(
        PriceRow(ma_dich_vu=service, don_gia=price.unit_cost, ma_cskcb=facility, row=0)
        for (facility, service), price in sorted(costed.prices.items())
    )
    digest = hashlib.sha256(option.sha256.encode())
    for row in rows:
        digest.update(f"{row.ma_cskcb}|{row.ma_dich_vu}|{row.don_gia}\n".encode())
    return dataclasses.replace(option, prices=rows, sha256=digest.hexdigest())


# ------------------------------------------------------------------ options


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionInfo:
    """An option as listed: id, titles, file, hash, what it changes."""

    id: str
    title: str
    title_en: str
    path: Path
    sha256: str
    changes: tuple[str, ...]
    basis: tuple[str, ...]


def describe_option(name: str) -> OptionInfo:
    """Load and describe one option (path or built-in id).

    Raises:
        ConfigError: the option is invalid.
    """
    option = load_option(name)
    spec = option.spec
    changes: list[str] = []
    for change in spec.rules:
        parts = []
        if change.enabled is not None:
            parts.append("bật / on" if change.enabled else "tắt / off")
        if change.severity is not None:
            parts.append(f"mức / severity {change.severity.value}")
        if change.params:
            parts.append(f"tham số / params {change.params}")
        changes.append(f"{change.id}: {', '.join(parts)}")
    changes.extend(f"+ {use.template} {use.params}" for use in spec.templates)
    changes.extend(f"{t.view}: {t.mode} {len(t.rows)}" for t in spec.tables)
    if spec.prices is not None:
        changes.append(
            f"giá mới / new prices: {len(option.prices)} ({spec.prices.file})"
        )
    return OptionInfo(
        id=spec.id,
        title=spec.title,
        title_en=spec.title_en,
        path=option.path,
        sha256=option.sha256,
        changes=tuple(changes),
        basis=tuple(b.cite() for b in option.bases()),
    )


def list_options() -> list[OptionInfo]:
    """Return the built-in options."""
    return [describe_option(str(p)) for p in builtin_options()]


# ----------------------------------------------------------- lent machines

BILLED_SQL = """
select trim(x.code) as ma_may,
       strftime(cast(coalesce(l.ngay_th_yl, l.ngay_yl) as date), '%Y-%m') as month,
       count(*) as lines,
       cast(coalesce(sum(l.t_bhtt), 0) as decimal(18, 2)) as money
from ({xml3}) as l
cross join unnest(string_split(l.ma_may, ';')) as x(code)
where coalesce(trim(l.ma_may), '') <> ''
group by 1, 2
"""


def default_deadline() -> date:
    """Return option D's conversion deadline (``convert_by`` of ``D.toml``)."""
    try:
        option = load_option("D")
    except ConfigError:
        return date(9999, 12, 31)
    for use in option.spec.templates:
        value = use.params.get("convert_by")
        if isinstance(value, date):
            return value
    deadline = LENT_DEFAULTS["convert_by"]
    assert isinstance(deadline, date)  # noqa: S101 - a date default
    return deadline


REGISTER_TABLES = ("ref_equipment_sources", "ref_machines")


def _register_tables(reference_dir: Path | None) -> dict[str, pa.Table]:
    """Return the two tables the register reads, as ``load_reference`` loads them."""
    if reference_dir is None:
        return {
            s.table: empty_table(s)
            for s in FILE_SPECS.values()
            if s.table in REGISTER_TABLES
        }
    return facility_tables(reference_dir, REGISTER_TABLES)


def machine_register(
    reference_dir: Path | None,
    *,
    store_dir: Path | None = None,
    on: date | None = None,
    deadline: date | None = None,
    overdue_only: bool = False,
) -> tuple[list[LentMachine], list[MilestoneProblem]]:
    """Return the lent-machine register (and the milestone rows left out).

    Args:
        reference_dir: the facilities' reference folders.
        store_dir: a claim store, for the money billed on each machine by month.
        on: the day statuses are read on (today by default).
        deadline: the conversion deadline (option D's by default).
        overdue_only: only machines not converted by the deadline.
    """
    reference = _register_tables(reference_dir)
    milestones, problems = read_milestones(reference_dir)
    billed = None
    if store_dir is not None:
        store = ClaimStore.open(store_dir, create=False)
        con = store.connect()
        try:
            relations = store_relations(con, columns=EXTRA_COLUMNS)
            if "xml3" in relations:
                billed = con.sql(
                    BILLED_SQL.format(xml3=relations["xml3"])
                ).to_arrow_table()
        finally:
            con.close()
    entries = build_register(
        reference["ref_equipment_sources"],
        reference["ref_machines"],
        milestones,
        on=on or datetime.now(tz=UTC).date(),
        deadline=deadline or default_deadline(),
        billed=billed,
    )
    if overdue_only:
        entries = [e for e in entries if e.overdue]
    return entries, problems


# ------------------------------------------------------ comparison runs read

RUN_NAME = re.compile(r"replay-[0-9]+T[0-9]+Z")
"""A comparison run's folder name, as ``replay_store`` writes it."""
RUN_READERS = frozenset({Role.ASSESSOR, Role.SUPERVISOR, Role.MINISTRY})
"""Who may read the comparisons (aggregates): the insurer and the Ministry."""
CLAIM_READERS = frozenset({Role.ASSESSOR, Role.SUPERVISOR})
"""Who may take the workbook, which names claims (``MA_LK``): the insurer."""
PAID = "payable"
STEP_LABELS = STEPS
"""A conversion step's label in Vietnamese and English, by its code (``MOC``)."""


class RunNotFoundError(ConfigError):
    """No comparison run of that name in the store."""


def _may(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        msg = f"tài khoản của bạn không được xem {what} / your account may not see this"
        raise ForbiddenError(msg)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSummary:
    """A comparison run as listed: its name, time, options, period, fingerprint."""

    name: str
    at: datetime | None
    options: tuple[str, ...]
    period: tuple[date, date] | None
    fingerprint: str
    rule_set: str

    @property
    def short(self) -> str:
        """Return the fingerprint's first twelve characters."""
        return self.fingerprint[:12]


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionView:
    """One option of a run: its totals (``OptionTotals``) and its texts."""

    totals: OptionTotals
    sha256: str
    rule_set: str
    basis: tuple[str, ...]
    summary: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRow:
    """One facility or rule: an amount per option and its change against current."""

    key: str
    detail: str
    amounts: dict[str, Decimal]
    changes: dict[str, Decimal]

    @property
    def largest_change(self) -> Decimal:
        """Return the largest change, in absolute value, of any option."""
        return max((abs(v) for v in self.changes.values()), default=Decimal(0))


@dataclass(frozen=True, slots=True, kw_only=True)
class RunView:
    """A comparison run read for the pages: aggregates only, no claim named."""

    run: RunSummary
    options: tuple[OptionView, ...]
    months: tuple[str, ...]
    paid_by_month: dict[str, dict[str, Decimal]]
    facilities: tuple[GroupRow, ...]
    rules: tuple[GroupRow, ...]
    problems: tuple[str, ...]


def _run_dir(store_dir: Path, name: str) -> Path:
    """Return the folder of the run ``name``, checked strictly (never a path)."""
    if not RUN_NAME.fullmatch(name):
        msg = f"không có lần so sánh / no comparison run: {name!r}"
        raise RunNotFoundError(msg)
    folder = store_dir / POLICY_DIR / name
    if not (folder / "replay.json").is_file():
        msg = f"không có lần so sánh / no comparison run: {name!r}"
        raise RunNotFoundError(msg)
    return folder


def _summary(folder: Path) -> RunSummary:
    meta = json.loads((folder / "replay.json").read_text(encoding="utf-8"))
    inputs = meta.get("inputs") or {}
    period = inputs.get("period")
    at = meta.get("at")
    return RunSummary(
        name=folder.name,
        at=datetime.fromisoformat(at) if at else None,
        options=tuple(str(o["id"]) for o in meta.get("options", ())),
        period=(date.fromisoformat(period[0]), date.fromisoformat(period[1]))
        if period
        else None,
        fingerprint=str(meta.get("fingerprint", "")),
        rule_set=str(inputs.get("rule_set", "")),
    )


def list_runs(actor: Actor, store_dir: Path) -> list[RunSummary]:
    """Return the store's comparison runs, newest first.

    Raises:
        ForbiddenError: the actor is neither the insurer's nor the Ministry's.
    """
    _may(actor, RUN_READERS, "các phương án chính sách")
    root = store_dir / POLICY_DIR
    if not root.is_dir():
        return []
    runs = [
        _summary(p)
        for p in root.iterdir()
        if RUN_NAME.fullmatch(p.name) and (p / "replay.json").is_file()
    ]
    return sorted(runs, key=lambda r: r.name, reverse=True)


def _grouped(
    table: pa.Table, key: str, value: str, ids: Sequence[str]
) -> dict[str, GroupRow]:
    amounts: dict[str, dict[str, Decimal]] = {}
    changes: dict[str, dict[str, Decimal]] = {}
    detail: dict[str, str] = {}
    for row in table.to_pylist():
        group = str(row[key])
        option = str(row["option"])
        amount = Decimal(row[value] or 0)
        amounts.setdefault(group, dict.fromkeys(ids, Decimal(0)))
        amounts[group][option] = amounts[group].get(option, Decimal(0)) + amount
        if "severity" in row and (option == CURRENT or group not in detail):
            detail[group] = str(row["severity"] or "")
    for group, by_option in amounts.items():
        base = by_option.get(CURRENT, Decimal(0))
        changes[group] = {o: v - base for o, v in by_option.items() if o != CURRENT}
    return {
        g: GroupRow(key=g, detail=detail.get(g, ""), amounts=a, changes=changes[g])
        for g, a in amounts.items()
    }


def _largest_first(rows: dict[str, GroupRow]) -> tuple[GroupRow, ...]:
    return tuple(sorted(rows.values(), key=lambda r: (-r.largest_change, r.key)))


def read_run(actor: Actor, store_dir: Path, name: str | None = None) -> RunView | None:
    """Return the run ``name`` (the newest when none), or None when there is none.

    Raises:
        ForbiddenError: the actor is neither the insurer's nor the Ministry's.
        RunNotFoundError: no run of that name (a name not of a run's form included).
    """
    _may(actor, RUN_READERS, "các phương án chính sách")
    if name is None:
        runs = list_runs(actor, store_dir)
        if not runs:
            return None
        name = runs[0].name
    folder = _run_dir(store_dir, name)
    meta = json.loads((folder / "replay.json").read_text(encoding="utf-8"))
    options = []
    for item in meta.get("options", ()):
        totals = OptionTotals(
            id=str(item["id"]),
            title=str(item.get("title", "")),
            title_en=str(item.get("title_en", "")),
            totals={k: Decimal(v) for k, v in item.get("totals", {}).items()},
            changes={k: Decimal(v) for k, v in item.get("changes", {}).items()},
            lines_changed=int(item.get("lines_changed", 0)),
            claims_changed=int(item.get("claims_changed", 0)),
            patients_changed=int(item.get("patients_changed", 0)),
            facilities_changed=int(item.get("facilities_changed", 0)),
            rules_run=tuple(item.get("rules_run", ())),
        )
        options.append(
            OptionView(
                totals=totals,
                sha256=str(item.get("sha256", "")),
                rule_set=str(item.get("rule_set", "")),
                basis=tuple(str(b) for b in item.get("basis", ())),
                summary=str(item.get("summary", "")),
            )
        )
    ids = [o.totals.id for o in options]
    problems: list[str] = []
    paid: dict[str, dict[str, Decimal]] = {i: {} for i in ids}
    facilities: dict[str, GroupRow] = {}
    rules: dict[str, GroupRow] = {}
    month_file = folder / "by_facility_month.parquet"
    if month_file.is_file():
        table = pq.read_table(month_file, columns=["option", "ma_cskcb", "month", PAID])
        for row in table.to_pylist():
            by_month = paid.setdefault(row["option"], {})
            by_month[row["month"]] = by_month.get(row["month"], Decimal(0)) + Decimal(
                row[PAID] or 0
            )
        facilities = _grouped(table, "ma_cskcb", PAID, ids)
    else:
        problems.append(month_file.name)
    rule_file = folder / "by_rule.parquet"
    if rule_file.is_file():
        table = pq.read_table(
            rule_file, columns=["option", "rule_id", "severity", "amount"]
        )
        rules = {
            k: r
            for k, r in _grouped(table, "rule_id", "amount", ids).items()
            if r.largest_change
        }
    else:
        problems.append(rule_file.name)
    months = tuple(sorted({m for by in paid.values() for m in by}))
    return RunView(
        run=_summary(folder),
        options=tuple(options),
        months=months,
        paid_by_month=paid,
        facilities=_largest_first(facilities),
        rules=_largest_first(rules),
        problems=tuple(problems),
    )


def run_workbook(actor: Actor, store_dir: Path, name: str) -> Path:
    """Return the workbook of the run ``name`` (it names claims: the insurer only).

    Raises:
        ForbiddenError: the actor is not the insurer's.
        RunNotFoundError: no run of that name, or it has no workbook.
    """
    _may(actor, CLAIM_READERS, "bảng tính có mã hồ sơ (MA_LK)")
    path = _run_dir(store_dir, name) / "replay.xlsx"
    if not path.is_file():
        msg = f"lần so sánh không có bảng tính / the run has no workbook: {name!r}"
        raise RunNotFoundError(msg)
    return path


def lent_machines(
    actor: Actor,
    reference_dir: Path | None,
    *,
    store_dir: Path | None = None,
    on: date | None = None,
    overdue_only: bool = False,
) -> tuple[list[LentMachine], list[MilestoneProblem], date]:
    """Return the lent-machine register for the pages, with the deadline applied.

    Raises:
        ForbiddenError: the actor is neither the insurer's nor the Ministry's.
    """
    _may(actor, RUN_READERS, "sổ theo dõi máy đặt, mượn")
    deadline = default_deadline()
    day = on or datetime.now(tz=UTC).date()
    store = (
        None
        if store_dir is None
        else json.dumps(_store_state(ClaimStore.open(store_dir, create=False)))
    )
    key = (_files_state(reference_dir), store, day, deadline)
    found = _REGISTERS.get(key)
    if found is None:
        found = machine_register(
            reference_dir, store_dir=store_dir, on=day, deadline=deadline
        )
        _REGISTERS.clear()  # one register kept: the latest files' on the latest day
        _REGISTERS[key] = found
    entries, problems = found
    if overdue_only:
        entries = [e for e in entries if e.overdue]
    return list(entries), list(problems), deadline


_REGISTERS: dict[Any, tuple[list[LentMachine], list[MilestoneProblem]]] = {}
"""The register last built by ``lent_machines``, by the state of its inputs."""


def _files_state(root: Path | None) -> str:
    """Return a digest of the names, sizes and times of the files under ``root``."""
    digest = hashlib.sha256()
    if root is not None and root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()
