"""Joint-verification use cases on a generated province, on SQLite and PostgreSQL.

The province (``review_province``: 300 claims, lines under review, leads) is built
once per session; every test gets an empty operational store of its own, adds the
people of the workflow and opens its cases from the province's assessment run.
Expected figures are computed here from the run's own Parquet files (lines,
claims, findings) and the leads, never read back from the code under test.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from tests.review_support import RECEIVED_VN

from giamdinh.config import get_settings
from giamdinh.db import make_engine
from giamdinh.db.models.review import ReviewCase, ReviewLine
from giamdinh.db.testing import temporary_database_url
from giamdinh.errors import ConfigError, ConflictError, TransitionError
from giamdinh.review.deadlines import Step
from giamdinh.review.feedback import FEEDBACK_COLUMNS
from giamdinh.review.workflow import CaseState
from giamdinh.services.accounts import add_user
from giamdinh.services.assessment import assess_store
from giamdinh.services.review import (
    CaseRow,
    CaseView,
    LineView,
    answer_case,
    appeal_case,
    close_case,
    decide_line,
    export_feedback,
    latest_run_totals,
    list_cases,
    meet_case,
    open_from_findings,
    open_from_leads,
    reassign_case,
    reopen_case,
    review_position,
    review_session,
    send_case,
    show_case,
    verify_log,
)
from giamdinh.services.signals import load_leads
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.review_support import ReviewProvince

pytestmark = pytest.mark.e2e

MONEY = ("claimed", "payable", "refused", "adjusted", "under_review")
SUPERVISOR = "chief"
ASSESSOR = "an"
OTHER_ASSESSOR = "binh"
#: Sent, met and decided on this day (after the data was received).
ACT_ON = date(2026, 4, 6)
BASIS_KEY = "tt12_2026/10.1.c"
BASIS_TEXT = "Thông tư 12/2026/TT-BTC, Điều 10, khoản 1 điểm c"


# ------------------------------------------------------------------ fixtures


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(autouse=True)
def _attachments_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Evidence files go under the test's folder, whatever the back end."""
    monkeypatch.setenv("GIAMDINH_ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _facilities(run: Path) -> list[str]:
    claims = pq.read_table(run / "claims.parquet", columns=["ma_cskcb"])
    return sorted({c for c in claims.column("ma_cskcb").to_pylist() if c})


@pytest.fixture
def db(
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    review_province: ReviewProvince,
) -> Iterator[str]:
    """An empty operational store with a supervisor, two assessors, facility staff."""
    pg_url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    with temporary_database_url(backend, tmp_path=tmp_path, pg_url=pg_url) as url:
        add_user(SUPERVISOR, name="Trưởng phòng", role="supervisor", database_url=url)
        add_user(ASSESSOR, name="Giám định viên An", role="assessor", database_url=url)
        add_user(OTHER_ASSESSOR, name="GĐV Bình", role="assessor", database_url=url)
        for code in _facilities(review_province.run):
            add_user(
                f"cs.{code}",
                name=f"Cơ sở {code}",
                role="facility",
                facility=code,
                database_url=url,
            )
        yield url


@pytest.fixture(scope="module")
def rerun_store(
    review_province: ReviewProvince, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A copy of the province's store assessed a second time (a newer run)."""
    store = tmp_path_factory.mktemp("rerun") / "store"
    shutil.copytree(review_province.store, store)
    assess_store(store, reference_dir=review_province.province / "reference")
    return store


# ------------------------------------------------------------------ helpers


@dataclass(frozen=True, slots=True)
class RunLine:
    ma_lk: str
    tbl: str
    stt: int
    service_date: date
    payable: Decimal
    under_review: Decimal
    facility: str

    @property
    def key(self) -> str:
        return f"{self.ma_lk}|{self.tbl}|{self.stt}"


def _run_lines(run: Path) -> dict[str, RunLine]:
    facility = {
        c["ma_lk"]: c["ma_cskcb"]
        for c in pq.read_table(run / "claims.parquet").to_pylist()
    }
    lines = [
        RunLine(
            ma_lk=r["ma_lk"],
            tbl=r["tbl"],
            stt=int(r["stt"]),
            service_date=r["service_date"],
            payable=r["payable"],
            under_review=r["under_review"],
            facility=facility[r["ma_lk"]],
        )
        for r in pq.read_table(run / "lines.parquet").to_pylist()
    ]
    return {line.key: line for line in lines}


def _held(run: Path) -> dict[str, RunLine]:
    return {k: v for k, v in _run_lines(run).items() if v.under_review > 0}


def _run_totals(run: Path) -> dict[str, Decimal]:
    claims = pq.read_table(run / "claims.parquet")
    return {k: Decimal(pa.compute.sum(claims[k]).as_py()) for k in MONEY}


def _lines_in_cases(url: str) -> dict[str, tuple[str, str, Decimal]]:
    """Every line in a case: line key → (case code, stake kind, stake)."""
    with review_session(url) as session:
        rows = session.execute(
            select(
                ReviewLine.line_key,
                ReviewCase.code,
                ReviewLine.stake_kind,
                ReviewLine.stake,
            ).join(ReviewCase, ReviewCase.id == ReviewLine.case_id)
        ).all()
    keys = [r[0] for r in rows]
    assert len(keys) == len(set(keys)), "a line is in two cases"
    return {r[0]: (r[1], r[2], Decimal(r[3])) for r in rows}


def _primary_rules(run: Path, held: dict[str, RunLine]) -> dict[str, str]:
    """The rule a held line is grouped under: its smallest held rule id.

    A rule holding the line itself (severity review) comes first; else a rule
    holding its claim (review or adjust); else ``REVIEW``.
    """
    on_line: dict[str, set[str]] = defaultdict(set)
    on_claim: dict[str, set[str]] = defaultdict(set)
    for f in pq.read_table(run / "findings.parquet").to_pylist():
        if f["tbl"] is None and f["severity"] in {"review", "adjust"}:
            on_claim[f["ma_lk"]].add(f["rule_id"])
        elif f["tbl"] is not None and f["severity"] == "review":
            on_line[f"{f['ma_lk']}|{f['tbl']}|{int(f['stt'])}"].add(f["rule_id"])
    primary: dict[str, str] = {}
    for key, line in held.items():
        rules = on_line.get(key) or on_claim.get(line.ma_lk) or {"REVIEW"}
        primary[key] = min(rules)
    return primary


def _lead_lines(store: Path, run: Path) -> dict[str, set[str]]:
    """Per lead id: the keys of its lines that the run has."""
    known = _run_lines(run)
    found: dict[str, set[str]] = {}
    for lead in load_leads(store).to_pylist():
        keys = {f"{ref['ma_lk']}|XML3|{ref['stt']}" for ref in lead["lines"] or ()}
        found[lead["lead_id"]] = keys & set(known)
    return found


def _ready(url: str, code: str) -> None:
    """Send a case to its facility and hold the joint meeting: it may be decided."""
    send_case(code, user=ASSESSOR, on=ACT_ON, database_url=url)
    meet_case(
        code,
        user=ASSESSOR,
        participants="BHXH tỉnh; phòng KHTH bệnh viện",
        minutes="Đối chiếu hồ sơ bệnh án",
        on=ACT_ON,
        database_url=url,
    )


def _decide(
    url: str,
    code: str,
    line: LineView,
    *,
    payable: Decimal,
    refused: Decimal = Decimal(0),
    user: str = ASSESSOR,
    basis: str | None = BASIS_KEY,
) -> None:
    decide_line(
        code,
        user=user,
        stt=line.stt,
        claim=line.ma_lk,
        table=line.tbl,
        payable=payable,
        refused=refused,
        reason="Đối chiếu bệnh án",
        basis=basis,
        on=ACT_ON,
        database_url=url,
    )


def _quarter(amount: Decimal) -> Decimal:
    return (amount / 4).quantize(Decimal(1), rounding=ROUND_DOWN)


def _biggest_case(
    url: str, *, origin: str = "findings", facility: str | None = None
) -> CaseView:
    """The case of ``origin`` (at ``facility``) with the most lines."""
    rows = [
        r
        for r in list_cases(user=SUPERVISOR, database_url=url, facility=facility)
        if r.origin == origin
    ]
    best = max(rows, key=lambda r: (r.lines, r.code))
    return show_case(best.code, user=SUPERVISOR, database_url=url)


def _identity(money: dict[str, Decimal]) -> None:
    assert money["claimed"] == (
        money["payable"] + money["refused"] + money["adjusted"] + money["under_review"]
    )


# ------------------------------------------------------------------ opening


def test_findings_open_one_case_per_facility_rule_and_month(
    db: str, review_province: ReviewProvince
) -> None:
    run = review_province.run
    held = _held(run)
    assert len(held) >= 10, "the province must hold lines under review"
    result = open_from_findings(review_province.store, user=SUPERVISOR, database_url=db)

    in_cases = _lines_in_cases(db)
    assert set(in_cases) == set(held)
    for key, (_, kind, stake) in in_cases.items():
        assert kind == "under_review"
        assert stake == held[key].under_review, key
    total = _run_totals(run)["under_review"]
    assert sum(held[k].under_review for k in held) == total
    assert result.stake == total
    assert result.lines == len(held)
    assert (result.already_in_case, result.without_lines) == (0, 0)
    assert result.source == run.name

    primary = _primary_rules(run, held)
    expected: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for key, line in held.items():
        expected[(line.facility, primary[key], f"{line.service_date:%Y-%m}")].add(key)
    rows = list_cases(user=SUPERVISOR, database_url=db)
    assert [r.code for r in rows] == list(result.opened)
    assert sum((r.stake for r in rows), Decimal(0)) == total
    got: dict[tuple[str, str, str], set[str]] = {}
    for row in rows:
        view = show_case(row.code, user=SUPERVISOR, database_url=db)
        rule, _, run_name = row.source.partition("@")
        assert run_name == run.name
        assert row.origin == "findings"
        assert row.state is CaseState.OPENED
        months = {f"{ln.service_date:%Y-%m}" for ln in view.lines}
        assert len(months) == 1, row.code
        group = (row.ma_cskcb, rule, months.pop())
        assert group not in got, f"two cases for {group}"
        got[group] = {ln.line_key for ln in view.lines}
        assert all(held[ln.line_key].facility == row.ma_cskcb for ln in view.lines)
        assert all(
            any(f["rule_id"] == rule for f in ln.findings) for ln in view.lines
        ), row.code
    assert got == expected


def test_claim_grouping_opens_one_case_per_claim(
    db: str, review_province: ReviewProvince
) -> None:
    held = _held(review_province.run)
    result = open_from_findings(
        review_province.store, user=SUPERVISOR, database_url=db, grouping="claim"
    )
    per_claim: dict[tuple[str, str], set[str]] = defaultdict(set)
    for key, line in held.items():
        per_claim[(line.ma_lk, f"{line.service_date:%Y-%m}")].add(key)
    assert len(result.opened) == len(per_claim)
    assert result.stake == _run_totals(review_province.run)["under_review"]
    got: dict[tuple[str, str], set[str]] = {}
    for code in result.opened:
        view = show_case(code, user=SUPERVISOR, database_url=db)
        claims = {ln.ma_lk for ln in view.lines}
        assert len(claims) == 1, code
        assert view.row.source == review_province.run.name
        got[(claims.pop(), f"{view.lines[0].service_date:%Y-%m}")] = {
            ln.line_key for ln in view.lines
        }
    assert got == per_claim
    assert set(_lines_in_cases(db)) == set(held)


def test_an_unknown_grouping_is_refused(
    db: str, review_province: ReviewProvince
) -> None:
    with pytest.raises(ConfigError, match="rule-month, claim"):
        open_from_findings(
            review_province.store, user=SUPERVISOR, database_url=db, grouping="month"
        )


def test_opening_again_opens_nothing_and_leads_take_only_free_lines(
    db: str, review_province: ReviewProvince
) -> None:
    store, run = review_province.store, review_province.run
    held = _held(run)
    first = open_from_findings(store, user=SUPERVISOR, database_url=db)
    again = open_from_findings(store, user=SUPERVISOR, database_url=db)
    assert again.opened == ()
    assert (again.lines, again.stake) == (0, Decimal(0))
    assert again.already_in_case == len(held)
    assert len(list_cases(user=SUPERVISOR, database_url=db)) == len(first.opened)

    lead_lines = _lead_lines(store, run)
    wanted = set().union(*lead_lines.values())
    overlap = wanted & set(held)
    assert overlap, "a lead must name a line a rule holds, to test the overlap"
    leads = open_from_leads(store, user=SUPERVISOR, database_url=db)
    assert leads.opened
    assert leads.source == "leads"
    assert leads.already_in_case == len(overlap)
    assert leads.lines == len(wanted - set(held))

    in_cases = _lines_in_cases(db)
    assert set(in_cases) == set(held) | wanted
    findings_codes = set(first.opened)
    everything = _run_lines(run)
    for key in overlap:
        assert in_cases[key][0] in findings_codes, key
    lead_cases = [
        r for r in list_cases(user=SUPERVISOR, database_url=db) if r.origin == "lead"
    ]
    assert [r.code for r in lead_cases] == list(leads.opened)
    for row in lead_cases:
        view = show_case(row.code, user=SUPERVISOR, database_url=db)
        assert view.evidence["lead_id"] in lead_lines
        assert view.evidence["code"] == row.source
        assert "never a refusal ground" in view.evidence["ground"]
        keys = {ln.line_key for ln in view.lines}
        assert keys <= lead_lines[view.evidence["lead_id"]] - set(held)
        for ln in view.lines:
            line = everything[ln.line_key]
            assert line.facility == row.ma_cskcb
            assert ln.stake_kind == "payable"
            assert ln.stake == line.payable
    assert leads.stake == sum(
        (everything[k].payable for k in wanted - set(held)), Decimal(0)
    )
    assert open_from_leads(store, user=SUPERVISOR, database_url=db).opened == ()


def test_facility_staff_and_strangers_cannot_open_cases(
    db: str, review_province: ReviewProvince
) -> None:
    facility = _facilities(review_province.run)[0]
    with pytest.raises(TransitionError, match="only assessors open cases"):
        open_from_findings(
            review_province.store, user=f"cs.{facility}", database_url=db
        )
    with pytest.raises(TransitionError):
        open_from_leads(review_province.store, user=f"cs.{facility}", database_url=db)
    with pytest.raises(ConfigError, match="no active user 'nobody'"):
        open_from_findings(review_province.store, user="nobody", database_url=db)
    assert list_cases(user=SUPERVISOR, database_url=db) == []
    assert review_position(review_province.store, database_url=db) is None


# ------------------------------------------------------------------ legal clock


def test_the_clock_starts_on_the_ingest_day_in_viet_nam(
    db: str, review_province: ReviewProvince
) -> None:
    result = open_from_findings(review_province.store, user=SUPERVISOR, database_url=db)
    open_from_leads(review_province.store, user=SUPERVISOR, database_url=db)
    rows = list_cases(user=SUPERVISOR, database_url=db, today=RECEIVED_VN)
    assert len(rows) > len(result.opened)
    for row in rows:
        view = show_case(row.code, user=SUPERVISOR, database_url=db)
        # 18:30 UTC on 1 April is 01:30 on 2 April in Viet Nam.
        assert view.case.received_on == RECEIVED_VN, row.code
        assert row.deadline is not None
        assert row.deadline.step is Step.SEND_RESULT
        assert row.deadline.start == RECEIVED_VN
        assert row.deadline.party == "insurer"
        assert not row.overdue


def test_overdue_lists_exactly_the_late_cases_and_facilities_see_their_own(
    db: str, review_province: ReviewProvince
) -> None:
    store = review_province.store
    received = date(2026, 3, 2)  # a Monday: 7 working days end on Wed 11 March
    late = open_from_findings(
        store, user=SUPERVISOR, database_url=db, received_on=received
    )
    on_time = open_from_leads(store, user=SUPERVISOR, database_url=db)
    assert late.opened
    assert on_time.opened
    today = date(2026, 3, 20)
    sent = late.opened[0]
    send_case(sent, user=ASSESSOR, on=today, database_url=db)

    every = list_cases(user=SUPERVISOR, database_url=db, today=today)
    overdue = list_cases(user=SUPERVISOR, database_url=db, overdue=True, today=today)
    assert [r.code for r in overdue] == list(late.opened[1:])
    for row in every:
        assert row.deadline is not None
        if row.code in late.opened[1:]:
            assert row.deadline.due == date(2026, 3, 11)
            assert row.overdue
        elif row.code == sent:
            assert row.deadline.step is Step.FACILITY_ANSWER
            assert row.deadline.start == today
            assert not row.overdue
        else:
            assert row.deadline.start == RECEIVED_VN
            assert not row.overdue
    on_the_last_day = list_cases(
        user=SUPERVISOR, database_url=db, overdue=True, today=date(2026, 3, 11)
    )
    assert on_the_last_day == []

    for facility in _facilities(review_province.run):
        theirs = list_cases(user=f"cs.{facility}", database_url=db, today=today)
        assert [r.code for r in theirs] == [
            r.code for r in every if r.ma_cskcb == facility
        ]
        late_theirs = list_cases(
            user=f"cs.{facility}", database_url=db, overdue=True, today=today
        )
        assert [r.code for r in late_theirs] == [
            r.code for r in overdue if r.ma_cskcb == facility
        ]
        other = next(r for r in every if r.ma_cskcb != facility)
        with pytest.raises(ConfigError, match=f"no case {other.code}"):
            show_case(other.code, user=f"cs.{facility}", database_url=db)
    assert list_cases(
        user=SUPERVISOR, database_url=db, facility=every[0].ma_cskcb, today=today
    ) == [r for r in every if r.ma_cskcb == every[0].ma_cskcb]


# ------------------------------------------------------------------ money


def test_decisions_move_exactly_their_money_and_leave_the_run_alone(
    db: str, review_province: ReviewProvince
) -> None:
    store, run = review_province.store, review_province.run
    files = ("lines.parquet", "claims.parquet", "findings.parquet", "run.json")
    before = {name: (run / name).read_bytes() for name in files}
    open_from_findings(store, user=SUPERVISOR, database_url=db)
    automated = _run_totals(run)

    start = review_position(store, database_url=db, today=ACT_ON)
    assert start is not None
    assert start.run == run.name
    assert start.automated == automated
    assert start.current == automated
    assert start.decided_lines == 0
    assert start.moved == {k: Decimal(0) for k in ("payable", "refused", "adjusted")}
    assert start.in_cases == automated["under_review"]
    _identity(start.current)

    view = _biggest_case(db)
    assert len(view.lines) >= 3, "the test needs a case of three lines or more"
    whole, refused, split = view.lines[:3]
    _ready(db, view.row.code)
    pay, ref = _quarter(split.stake), _quarter(split.stake)
    _decide(db, view.row.code, whole, payable=whole.stake, basis=None)
    _decide(db, view.row.code, refused, payable=Decimal(0), refused=refused.stake)
    _decide(db, view.row.code, split, payable=pay, refused=ref)
    adjusted = split.stake - pay - ref
    assert adjusted > 0

    after = review_position(store, database_url=db, today=ACT_ON)
    assert after is not None
    assert after.decided_lines == 3
    assert after.stale_decisions == 0
    assert after.moved == {
        "payable": whole.stake + pay,
        "refused": refused.stake + ref,
        "adjusted": adjusted,
    }
    decided = whole.stake + refused.stake + split.stake
    assert after.automated == automated
    assert after.current == {
        "claimed": automated["claimed"],
        "payable": automated["payable"] + whole.stake + pay,
        "refused": automated["refused"] + refused.stake + ref,
        "adjusted": automated["adjusted"] + adjusted,
        "under_review": automated["under_review"] - decided,
    }
    _identity(after.current)
    row = show_case(view.row.code, user=SUPERVISOR, database_url=db).row
    assert row.open == view.row.stake - decided
    assert row.state is (
        CaseState.DECIDED if len(view.lines) == 3 else CaseState.JOINT_VERIFICATION
    )

    # The newest decision of a line counts: the whole line is now refused.
    if row.state is CaseState.DECIDED:
        reopen_case(view.row.code, user=SUPERVISOR, reason="Xem lại", database_url=db)
    _decide(db, view.row.code, whole, payable=Decimal(0), refused=whole.stake)
    again = review_position(store, database_url=db, today=ACT_ON)
    assert again is not None
    assert again.decided_lines == 3
    assert again.moved["payable"] == pay
    assert again.moved["refused"] == whole.stake + refused.stake + ref
    _identity(again.current)

    assert {name: (run / name).read_bytes() for name in files} == before


def test_a_decision_on_a_lead_line_moves_payable_money(
    db: str, review_province: ReviewProvince
) -> None:
    store, run = review_province.store, review_province.run
    open_from_findings(store, user=SUPERVISOR, database_url=db)
    open_from_leads(store, user=SUPERVISOR, database_url=db)
    automated = _run_totals(run)
    view = _biggest_case(db, origin="lead")
    line = view.lines[0]
    assert line.stake_kind == "payable"
    assert line.stake > 0
    _ready(db, view.row.code)
    _decide(db, view.row.code, line, payable=Decimal(0), refused=line.stake)

    position = review_position(store, database_url=db, today=ACT_ON)
    assert position is not None
    assert position.decided_lines == 1
    assert position.moved == {
        "payable": Decimal(0),
        "refused": line.stake,
        "adjusted": Decimal(0),
    }
    assert position.current == {
        **automated,
        "payable": automated["payable"] - line.stake,
        "refused": automated["refused"] + line.stake,
    }
    _identity(position.current)


def test_a_new_run_keeps_the_decisions_and_a_changed_line_goes_stale(
    db: str, review_province: ReviewProvince, rerun_store: Path, tmp_path: Path
) -> None:
    store, run = review_province.store, review_province.run
    open_from_findings(store, user=SUPERVISOR, database_url=db)
    view = _biggest_case(db)
    kept, changed = view.lines[:2]
    _ready(db, view.row.code)
    _decide(db, view.row.code, kept, payable=kept.stake, basis=None)
    _decide(db, view.row.code, changed, payable=Decimal(0), refused=changed.stake)
    moved = {"payable": kept.stake, "refused": changed.stake, "adjusted": Decimal(0)}

    first = review_position(store, database_url=db)
    rerun = review_position(rerun_store, database_url=db)
    assert first is not None
    assert rerun is not None
    assert rerun.run != first.run
    assert rerun.run == sorted((rerun_store / "assessments").iterdir())[-1].name
    assert rerun.automated == first.automated
    assert (rerun.decided_lines, rerun.stale_decisions) == (2, 0)
    assert rerun.moved == first.moved == moved
    assert rerun.current == first.current

    # A later run in which the refused line is held for 1,000 đồng more.
    newer = tmp_path / "store" / "assessments" / "run-29990101T000000000000Z"
    newer.mkdir(parents=True)
    for name in ("claims.parquet", "findings.parquet", "run.json"):
        shutil.copy(run / name, newer / name)
    rows = pq.read_table(run / "lines.parquet").to_pylist()
    for r in rows:
        if f"{r['ma_lk']}|{r['tbl']}|{r['stt']}" == changed.line_key:
            r["under_review"] += Decimal(1000)
            r["claimed"] += Decimal(1000)
    schema = pq.read_schema(run / "lines.parquet")
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), newer / "lines.parquet")
    stale = review_position(tmp_path / "store", database_url=db)
    assert stale is not None
    assert stale.run == newer.name
    assert (stale.decided_lines, stale.stale_decisions) == (1, 1)
    assert stale.moved == {**moved, "refused": Decimal(0)}
    assert stale.current["under_review"] == (
        stale.automated["under_review"] - kept.stake
    )
    _identity(stale.current)


def test_latest_run_totals_and_no_position_without_cases(
    db: str, review_province: ReviewProvince, tmp_path: Path
) -> None:
    got = latest_run_totals(review_province.store)
    assert got == (review_province.run.name, _run_totals(review_province.run))
    assert latest_run_totals(tmp_path / "empty") is None
    assert review_position(review_province.store, database_url=db) is None
    fresh = f"sqlite:///{tmp_path / 'never-made.db'}"
    assert review_position(review_province.store, database_url=fresh) is None
    assert not (tmp_path / "never-made.db").exists()


# ------------------------------------------------------------------ feedback


def _claims_of(store: Path, keys: list[str]) -> dict[str, tuple[Any, ...]]:
    con = ClaimStore.open(store, create=False).connect()
    try:
        rows = con.execute(
            "select ma_lk, ma_bn, ho_ten, ma_the_bhyt from xml1 "
            "where ma_lk in (select unnest(?))",
            [keys],
        ).fetchall()
    finally:
        con.close()
    return {r[0]: r for r in rows}


def _sheet(path: Path, name: str) -> list[dict[str, tuple[Any, str]]]:
    """The rows of a sheet: header → (value, openpyxl data type)."""
    rows = list(load_workbook(path)[name].iter_rows())
    header = [str(c.value) for c in rows[0]]
    return [
        {h: (c.value, c.data_type) for h, c in zip(header, row, strict=True)}
        for row in rows[1:]
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class Expected:
    """A decided line as the feedback list must show it."""

    line: LineView
    payable: Decimal
    refused: Decimal
    adjusted: Decimal
    case: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Decided:
    """Four lines decided in two cases of two facilities (one with leading zeros)."""

    first: CaseView
    other: CaseView
    rows: list[CaseRow]
    lines: dict[str, Expected]


def _decide_for_export(db: str, province: ReviewProvince) -> Decided:
    open_from_findings(province.store, user=SUPERVISOR, database_url=db)
    rows = list_cases(user=SUPERVISOR, database_url=db)
    zeros = next(f for f in _facilities(province.run) if f.startswith("0"))
    first = _biggest_case(db, facility=zeros)
    assert len(first.lines) >= 3
    assert first.lines[0].ma_lk.startswith("0"), "no code whose zeros to keep"
    other_row = next(r for r in rows if r.ma_cskcb != zeros)
    other = show_case(other_row.code, user=SUPERVISOR, database_url=db)
    whole, refused, split = first.lines[:3]
    pay, ref = _quarter(split.stake), _quarter(split.stake)
    _ready(db, first.row.code)
    _ready(db, other.row.code)
    _decide(db, first.row.code, whole, payable=whole.stake, basis=None)
    _decide(db, first.row.code, refused, payable=Decimal(0), refused=refused.stake)
    _decide(db, first.row.code, split, payable=pay, refused=ref)
    _decide(db, other.row.code, other.lines[0], payable=Decimal(0))
    zero = Decimal(0)
    expected = [
        Expected(line=whole, payable=whole.stake, refused=zero, adjusted=zero,
                 case=first.row.code),
        Expected(line=refused, payable=zero, refused=refused.stake, adjusted=zero,
                 case=first.row.code),
        Expected(line=split, payable=pay, refused=ref,
                 adjusted=split.stake - pay - ref, case=first.row.code),
        Expected(line=other.lines[0], payable=zero, refused=zero,
                 adjusted=other.lines[0].stake, case=other.row.code),
    ]  # fmt: skip
    return Decided(
        first=first,
        other=other,
        rows=rows,
        lines={e.line.line_key: e for e in expected},
    )


def _check_feedback_row(
    row: dict[str, tuple[Any, str]], want: Expected, claim: tuple[Any, ...]
) -> None:
    cell = {k: v[0] for k, v in row.items()}
    assert row["MA_LK"] == (want.line.ma_lk, "s")
    assert row["MA_THE"] == (claim[3], "s")
    assert row["MA_BN"] == (claim[1], "s")
    assert cell["HO_TEN"] == claim[2]
    assert cell["KY_QT"] == "03/2026"
    assert cell["TRUONG_TT_GOC"] == "T_BHTT"
    assert Decimal(str(cell["TT_GOC"])) == want.line.stake
    assert Decimal(str(cell["TIEN_XUAT_TOAN"])) == want.refused + want.adjusted
    assert cell["TUCHOI"] == (1 if want.refused > 0 else 0)
    assert want.case in cell["LYDO"]
    assert cell["NGAY_YL"] is not None
    assert row["NGAY_YL"][1] == "s"
    if want.refused or want.adjusted:
        assert f"{BASIS_TEXT} (2026-02-10) [{BASIS_KEY}]" in cell["LYDO"]
    else:
        assert BASIS_TEXT not in cell["LYDO"]
    if want.adjusted > 0:
        assert Decimal(str(cell["TT_DIEUCHINH"])) == want.payable
        assert cell["TRUONG_TT_DIEUCHINH"] == "T_BHTT"
    else:
        assert cell["TT_DIEUCHINH"] is None


def test_export_feedback_writes_one_mau_09_bh_row_per_decided_line(
    db: str, review_province: ReviewProvince, tmp_path: Path
) -> None:
    decided = _decide_for_export(db, review_province)
    out = tmp_path / "out" / "mau09.xlsx"
    got = export_feedback(
        out, user=SUPERVISOR, store_dir=review_province.store, database_url=db
    )
    assert got == (out, 4, len(decided.rows))
    book = load_workbook(out)
    assert book.sheetnames == ["Mau09BH", "HoSo"]
    header = [c.value for c in next(book["Mau09BH"].iter_rows(max_row=1))]
    assert header == list(FEEDBACK_COLUMNS)
    assert len(header) == 22
    sheet = _sheet(out, "Mau09BH")
    claims = _claims_of(
        review_province.store, [e.line.ma_lk for e in decided.lines.values()]
    )
    keys = []
    for number, row in enumerate(sheet, start=1):
        assert row["STT"][0] == number
        key = f"{row['MA_LK'][0]}|XML{row['SOBANG_XML'][0]}|{row['STT_XML'][0]}"
        want = decided.lines[key]
        _check_feedback_row(row, want, claims[want.line.ma_lk])
        keys.append(key)
    assert sorted(keys) == sorted(decided.lines)

    cases = _sheet(out, "HoSo")
    assert [c["Mã hồ sơ / case"][0] for c in cases] == [r.code for r in decided.rows]
    for case, r in zip(cases, decided.rows, strict=True):
        assert case["Cơ sở / MA_CSKCB"] == (r.ma_cskcb, "s")
        assert Decimal(str(case["Đang xem xét / at stake"][0])) == r.stake


def test_export_feedback_leaves_names_and_other_facilities_out(
    db: str, review_province: ReviewProvince, tmp_path: Path
) -> None:
    decided = _decide_for_export(db, review_province)
    store = review_province.store
    anonymous = tmp_path / "anonymous.xlsx"
    export_feedback(
        anonymous, user=SUPERVISOR, store_dir=store, database_url=db, with_names=False
    )
    rows = _sheet(anonymous, "Mau09BH")
    assert len(rows) == 4
    assert all(r["HO_TEN"][0] is None for r in rows)
    assert all(r["MA_THE"][0] for r in rows)

    facility = decided.first.row.ma_cskcb
    theirs = tmp_path / "theirs.xlsx"
    _, n_lines, n_cases = export_feedback(
        theirs, user=f"cs.{facility}", store_dir=store, database_url=db
    )
    assert n_lines == 3
    assert n_cases == sum(r.ma_cskcb == facility for r in decided.rows)
    assert {r["MA_LK"][0] for r in _sheet(theirs, "Mau09BH")} == {
        ln.ma_lk for ln in decided.first.lines[:3]
    }
    assert {c["Cơ sở / MA_CSKCB"][0] for c in _sheet(theirs, "HoSo")} == {facility}

    only = tmp_path / "only.xlsx"
    got = export_feedback(
        only, user=SUPERVISOR, store_dir=store, database_url=db,
        codes=[decided.other.row.code],
    )  # fmt: skip
    assert got == (only, 1, 1)


# ------------------------------------------------------------------ acting


def test_sending_answering_and_stale_versions(
    db: str, review_province: ReviewProvince, tmp_path: Path
) -> None:
    open_from_findings(review_province.store, user=SUPERVISOR, database_url=db)
    view = _biggest_case(db)
    code, staff = view.row.code, f"cs.{view.row.ma_cskcb}"
    assert view.row.version == 1
    assert view.allowed == ["send", "reassign"]

    sent = send_case(code, user=ASSESSOR, on=ACT_ON, version=1, database_url=db)
    assert (sent.state, sent.assignee, sent.version) == (CaseState.SENT, ASSESSOR, 2)
    assert sent.deadline is not None
    assert (sent.deadline.step, sent.deadline.start) == (Step.FACILITY_ANSWER, ACT_ON)
    with pytest.raises(ConflictError, match="version 2, yours 1"):
        meet_case(code, user=ASSESSOR, participants="x", minutes="y", version=1,
                  database_url=db)  # fmt: skip
    with pytest.raises(TransitionError, match="assigned to an"):
        meet_case(code, user=OTHER_ASSESSOR, participants="x", minutes="y",
                  database_url=db)  # fmt: skip
    # The facility still has time to answer: no decision yet.
    with pytest.raises(TransitionError, match="may answer until"):
        _decide(db, code, view.lines[0], payable=view.lines[0].stake, basis=None)

    evidence = tmp_path / "bien-ban.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% minutes of the meeting\n%%EOF\n")
    answered = answer_case(
        code, user=staff, files=[evidence], note="Bệnh án kèm theo", on=ACT_ON,
        database_url=db,
    )  # fmt: skip
    assert answered.state is CaseState.ANSWERED
    (attached,) = show_case(code, user=staff, database_url=db).attachments
    assert (attached.filename, attached.media_type) == (
        "bien-ban.pdf",
        "application/pdf",
    )
    assert (tmp_path / "attachments" / attached.sha256[:2] / attached.sha256).is_file()
    with pytest.raises(TransitionError, match="may not decide"):
        _decide(db, code, view.lines[0], payable=Decimal(0), user=staff)
    with pytest.raises(ConfigError, match="exceed the line's stake"):
        _decide(db, code, view.lines[0], payable=view.lines[0].stake + 1)


def test_deciding_closing_appealing_reassigning_reopening(
    db: str, review_province: ReviewProvince
) -> None:
    open_from_findings(review_province.store, user=SUPERVISOR, database_url=db)
    view = _biggest_case(db)
    code, staff = view.row.code, f"cs.{view.row.ma_cskcb}"
    send_case(code, user=ASSESSOR, on=ACT_ON, database_url=db)
    answer_case(code, user=staff, note="Đúng chỉ định", on=ACT_ON, database_url=db)
    for line in view.lines:
        _decide(db, code, line, payable=line.stake, basis=None)
    decided = show_case(code, user=SUPERVISOR, database_url=db)
    assert decided.row.state is CaseState.DECIDED
    assert decided.appeal_until is not None
    assert close_case(code, user=ASSESSOR, on=ACT_ON, database_url=db).state is (
        CaseState.CLOSED
    )

    appealed = appeal_case(
        code, user=staff, reason="Có chỉ định của bác sĩ", on=ACT_ON, database_url=db
    )
    assert (appealed.state, appealed.round, appealed.assignee) == (
        CaseState.APPEALED,
        2,
        None,
    )
    with pytest.raises(TransitionError):
        appeal_case(code, user=staff, reason="Lần nữa", on=ACT_ON, database_url=db)
    with pytest.raises(TransitionError, match="another assessor"):
        _decide(db, code, view.lines[0], payable=view.lines[0].stake, basis=None)
    with pytest.raises(TransitionError):
        reassign_case(code, user=ASSESSOR, to=OTHER_ASSESSOR, database_url=db)
    moved = reassign_case(code, user=SUPERVISOR, to=OTHER_ASSESSOR, database_url=db)
    assert moved.assignee == OTHER_ASSESSOR
    with pytest.raises(ConfigError, match="is not an assessor or supervisor"):
        reassign_case(code, user=SUPERVISOR, to=staff, database_url=db)
    for line in view.lines:
        _decide(db, code, line, payable=line.stake, user=OTHER_ASSESSOR, basis=None)
    assert show_case(code, user=SUPERVISOR, database_url=db).row.state is (
        CaseState.DECIDED
    )
    with pytest.raises(TransitionError, match="one appeal only"):
        appeal_case(code, user=staff, reason="Lần nữa", on=ACT_ON, database_url=db)
    reopened = reopen_case(code, user=SUPERVISOR, reason="Sai sót", database_url=db)
    assert (reopened.state, reopened.round) == (CaseState.JOINT_VERIFICATION, 3)
    history = show_case(code, user=SUPERVISOR, database_url=db).history
    decides = ["decide"] * len(view.lines)
    assert [h["action"] for h in history] == [
        "open", "send", "answer", *decides, "close", "appeal", "reassign", *decides,
        "reopen",
    ]  # fmt: skip


def test_verify_log_names_the_first_changed_entry(
    db: str, review_province: ReviewProvince
) -> None:
    opened = open_from_findings(review_province.store, user=SUPERVISOR, database_url=db)
    send_case(opened.opened[0], user=ASSESSOR, on=ACT_ON, database_url=db)
    users = 3 + len(_facilities(review_province.run))
    report = verify_log(db)
    assert report.intact
    assert report.entries == users + len(opened.opened) + 1
    engine = make_engine(db)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("update review_audit set actor = 'mallory' where id = :id"),
                {"id": users + 1},
            )
    finally:
        engine.dispose()
    broken = verify_log(db)
    assert not broken.intact
    assert broken.broken_id == users + 1
    assert broken.reason is not None
    assert "changed" in broken.reason


# ------------------------------------------------------------------ found bugs


def test_a_later_run_puts_newly_held_lines_of_an_opened_group_in_a_case(
    db: str, review_province: ReviewProvince, tmp_path: Path
) -> None:
    """Claims of a month arrive over weeks: a later run holds more of its lines.

    A line newly held by a rule, at a facility and in a month that already have
    a case, must end in a case too, and not be counted as already in one.
    """
    store = tmp_path / "store"
    shutil.copytree(review_province.store, store)
    run = review_province.run
    held = _held(run)
    primary = _primary_rules(run, held)
    groups = sorted(
        {
            (ln.facility, primary[k], f"{ln.service_date:%Y-%m}")
            for k, ln in held.items()
        }
    )
    open_from_findings(store, user=SUPERVISOR, database_url=db)

    def joins(line: RunLine) -> bool:
        month = f"{line.service_date:%Y-%m}"
        return any(g[0] == line.facility and g[2] == month for g in groups)

    line = next(
        ln
        for _, ln in sorted(_run_lines(run).items())
        if ln.under_review == 0 and ln.payable > 0 and ln.tbl == "XML3" and joins(ln)
    )
    month = f"{line.service_date:%Y-%m}"
    rule = next(g[1] for g in groups if (g[0], g[2]) == (line.facility, month))
    amount = line.payable

    newer = store / "assessments" / "run-29990101T000000000000Z"
    newer.mkdir()
    shutil.copy(run / "run.json", newer / "run.json")
    lines = pq.read_table(run / "lines.parquet")
    rows = lines.to_pylist()
    for r in rows:
        if f"{r['ma_lk']}|{r['tbl']}|{r['stt']}" == line.key:
            r["payable"], r["under_review"], r["status"] = Decimal(0), amount, "review"
    pq.write_table(
        pa.Table.from_pylist(rows, schema=lines.schema), newer / "lines.parquet"
    )
    claims = pq.read_table(run / "claims.parquet")
    claim_rows = claims.to_pylist()
    for r in claim_rows:
        if r["ma_lk"] == line.ma_lk:
            r["payable"] -= amount
            r["under_review"] += amount
    pq.write_table(
        pa.Table.from_pylist(claim_rows, schema=claims.schema),
        newer / "claims.parquet",
    )
    findings = pq.read_table(run / "findings.parquet")
    found = findings.to_pylist()
    found.append(
        {
            **next(f for f in found if f["rule_id"] == rule),
            "ma_lk": line.ma_lk,
            "tbl": line.tbl,
            "stt": line.stt,
            "ma_cskcb": line.facility,
            "service_date": line.service_date,
            "severity": "review",
            "amount": amount,
        }
    )
    pq.write_table(
        pa.Table.from_pylist(found, schema=findings.schema),
        newer / "findings.parquet",
    )

    later = open_from_findings(store, user=SUPERVISOR, database_url=db, run=newer.name)
    in_cases = _lines_in_cases(db)
    assert line.key in in_cases, f"{line.key}, newly held by {rule}, is in no case"
    assert in_cases[line.key][1:] == ("under_review", amount)
    assert set(in_cases) == set(held) | {line.key}
    assert (later.lines, later.stake) == (1, amount)
    assert later.already_in_case == len(held)


def test_the_attachment_size_setting_is_applied(
    db: str,
    review_province: ReviewProvince,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``GIAMDINH_MAX_ATTACHMENT_BYTES`` bounds the evidence a facility sends."""
    open_from_findings(review_province.store, user=SUPERVISOR, database_url=db)
    view = _biggest_case(db)
    code, staff = view.row.code, f"cs.{view.row.ma_cskcb}"
    send_case(code, user=ASSESSOR, on=ACT_ON, database_url=db)
    monkeypatch.setenv("GIAMDINH_MAX_ATTACHMENT_BYTES", "64")
    get_settings.cache_clear()
    large = tmp_path / "large.pdf"
    large.write_bytes(b"%PDF-1.4\n" + b"%" * 100 + b"\n%%EOF\n")
    with pytest.raises(ConfigError, match="larger than the 64-byte limit"):
        answer_case(code, user=staff, files=[large], on=ACT_ON, database_url=db)
    small = tmp_path / "small.pdf"
    small.write_bytes(b"%PDF-1.4\n%%EOF\n")
    row = answer_case(code, user=staff, files=[small], on=ACT_ON, database_url=db)
    assert row.state is CaseState.ANSWERED
    assert [
        a.filename for a in show_case(code, user=staff, database_url=db).attachments
    ] == ["small.pdf"]
    for line in view.lines:
        _decide(db, code, line, payable=line.stake, basis=None)
    with pytest.raises(ConfigError, match="larger than the 64-byte limit"):
        appeal_case(
            code, user=staff, reason="x", files=[large], on=ACT_ON, database_url=db
        )
    # Nothing of the refused appeal stays.
    assert show_case(code, user=staff, database_url=db).row.state is CaseState.DECIDED
