"""The insurer's services: the money, claims explained, leads, rules, overrides."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
import yaml
from tests.assessor_support import (
    MONEY_KEYS,
    claim_in_case,
    direct_dry_run,
    explained_claim,
    other_facility,
    plant_leads,
    query,
    run_totals,
)

from giamdinh.errors import ConfigError, ForbiddenError, RuleDefinitionError
from giamdinh.review.workflow import Actor, Role
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import summarise_store
from giamdinh.services.claims import NotFoundError, list_claims, mask_name, show_claim
from giamdinh.services.dashboard import dashboard, money_breakdown
from giamdinh.services.leads import list_leads
from giamdinh.services.rulebook import (
    parse_params,
    record_override,
    rule_catalogue,
    rule_detail,
    rule_dry_run,
    rule_overrides,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.site import Site

ASSESSOR = Actor(username="gdv.an", role=Role.ASSESSOR)
SUPERVISOR = Actor(username="truongphong", role=Role.SUPERVISOR)
MINISTRY = Actor(username="bo.yte", role=Role.MINISTRY)
ADMIN = Actor(username="quantri", role=Role.ADMIN)


def _facility(code: str) -> Actor:
    return Actor(username=f"cs.{code}", role=Role.FACILITY, ma_cskcb=code)


# ------------------------------------------------------------------ dashboard


def test_money_is_the_runs_money_by_month_and_facility(site: Site) -> None:
    money = money_breakdown(ASSESSOR, site.context.store_dir)
    totals = run_totals(site)
    assert money.totals == totals
    assert money.claims == query(site, "select count(*) from claims")[0][0]
    for rows in (money.by_month, money.by_facility):
        for key in MONEY_KEYS:
            assert sum((getattr(r, key) for r in rows), Decimal(0)) == totals[key]
        assert sum(r.claims for r in rows) == money.claims
    assert all(len(r.key) == 7 and r.key[4] == "-" for r in money.by_month)
    facilities = dict(
        query(site, "select ma_cskcb, sum(refused) from claims group by 1")
    )
    assert {r.key: r.refused for r in money.by_facility} == facilities


def test_dashboard_has_the_summary_and_the_review_position(site: Site) -> None:
    board = dashboard(
        ASSESSOR, site.context.store_dir, database_url=site.context.database_url
    )
    summary = summarise_store(site.context.store_dir)
    assert board.summary.totals == board.money.totals == summary.totals
    assert [r.rule_id for r in board.summary.rules] == [
        r.rule_id for r in summary.rules
    ]
    assert board.position is not None
    assert board.position.cases >= board.position.open > 0
    assert board.position.automated == board.money.totals


@pytest.mark.parametrize("actor", [_facility("01002"), MINISTRY, ADMIN])
def test_only_the_insurer_sees_the_dashboard(site: Site, actor: Actor) -> None:
    with pytest.raises(ForbiddenError):
        money_breakdown(actor, site.context.store_dir)


# ------------------------------------------------------------------ claims


def test_claims_are_listed_with_filters_and_pages(site: Site) -> None:
    store = site.context.store_dir
    every = list_claims(ASSESSOR, store, limit=500)
    assert (
        every.total
        == len(every.items)
        == query(site, "select count(*) from claims")[0][0]
    )
    stakes = [c.at_stake for c in every.items]
    assert stakes == sorted(stakes, reverse=True)
    refused = list_claims(ASSESSOR, store, status="refused", limit=500)
    assert (
        refused.total
        == query(site, "select count(*) from claims where refused > 0")[0][0]
    )
    assert all(c.refused > 0 for c in refused.items)
    found = list_claims(ASSESSOR, store, status="findings", limit=5, offset=5)
    assert (
        found.total
        == query(site, "select count(*) from claims where findings > 0")[0][0]
    )
    assert len(found.items) == 5
    one = every.items[0].ma_lk
    assert [c.ma_lk for c in list_claims(ASSESSOR, store, search=one[-6:]).items] == [
        c.ma_lk for c in every.items if one[-6:] in c.ma_lk
    ]
    with pytest.raises(ConfigError):
        list_claims(ASSESSOR, store, status="paid")


def test_facility_staff_list_only_their_own_claims(site: Site) -> None:
    code = site.facilities[0]
    own = list_claims(_facility(code), site.context.store_dir, limit=500)
    expected = query(site, "select count(*) from claims where ma_cskcb = ?", [code])
    assert own.total == expected[0][0] > 0
    assert {c.ma_cskcb for c in own.items} == {code}
    assert own.facilities == [code]
    other = next(f for f in site.facilities if f != code)
    assert (
        list_claims(_facility(code), site.context.store_dir, facility=other).total == 0
    )


def test_a_claim_is_explained_line_by_line(site: Site) -> None:
    target = explained_claim(site)
    claim = show_claim(
        ASSESSOR,
        site.context.store_dir,
        target.ma_lk,
        database_url=site.context.database_url,
    )
    assert claim.header.ma_cskcb == target.ma_cskcb
    assert "***" in claim.header.patient
    lines = query(
        site,
        "select tbl, stt, status, payable, refused, adjusted, under_review "
        "from lines where ma_lk = ? order by tbl, stt",
        [target.ma_lk],
    )
    assert [(ln.tbl, ln.stt, ln.status) for ln in claim.lines] == [r[:3] for r in lines]
    assert all(ln.name for ln in claim.lines)
    run = query(
        site,
        "select rule_id, tbl, stt, amount from findings where ma_lk = ? "
        "order by rule_id, tbl, stt",
        [target.ma_lk],
    )
    assert sorted((f.rule_id, f.tbl, f.stt, f.amount) for f in claim.findings) == run
    money = next(f for f in claim.findings if f.rule_id == target.money_rule)
    assert money.amount == target.money_amount
    assert money.basis
    assert all(b.cite for b in money.basis)
    assert "{" not in money.message
    times = [f for f in claim.findings if f.rule_id == "RS001"]
    assert times
    for found in times:
        assert found.severity.value in {"info", "review"}
        assert found.time is not None
        raw = json.loads(
            query(
                site,
                "select evidence from findings where ma_lk = ? and rule_id = 'RS001' "
                "and stt = ?",
                [target.ma_lk, found.stt],
            )[0][0]
        )
        assert str(found.time.measured) == raw["phut_thuc_hien"]
        assert str(found.time.reference) == raw["phut_tham_chieu"]
        assert f"{found.time.measured} phút" in found.message


def test_another_facilitys_claim_is_not_found(site: Site) -> None:
    code = site.facilities[0]
    ma_lk, _ = other_facility(site, code)
    with pytest.raises(NotFoundError) as caught:
        show_claim(_facility(code), site.context.store_dir, ma_lk)
    assert str(caught.value) == f"không có hồ sơ {ma_lk} / no claim {ma_lk}"
    with pytest.raises(NotFoundError):
        show_claim(ASSESSOR, site.context.store_dir, "no-such-claim")
    for actor in (MINISTRY, ADMIN):
        with pytest.raises(ForbiddenError):
            show_claim(actor, site.context.store_dir, ma_lk)


def test_facility_staff_see_their_claim_and_its_case(site: Site) -> None:
    ma_lk, code, case = claim_in_case(site)
    claim = show_claim(
        _facility(code),
        site.context.store_dir,
        ma_lk,
        database_url=site.context.database_url,
    )
    assert [c.code for c in claim.cases] == [case]
    assert any(ln.case == case for ln in claim.lines)


def test_names_are_masked() -> None:
    assert mask_name("LÝ NGỌC HƯƠNG") == "L*** N*** H***"
    assert mask_name(None) == "—"


# ------------------------------------------------------------------ leads


def test_leads_come_with_their_lines_and_cases(own_site: Site) -> None:
    planted = plant_leads(own_site)
    store, url = own_site.context.store_dir, own_site.context.database_url
    every = list_leads(ASSESSOR, store, database_url=url)
    assert every.computed
    assert [r.lead.lead_id for r in every.items] == [p.lead_id for p in planted]
    assert every.codes == {"SG003": 1, "SG006": 1}
    two = every.items[0]
    assert two.facilities == planted[0].ma_cskcb.split(";")  # type: ignore[union-attr]
    assert sorted(c.ma_cskcb for c in two.cases) == sorted(two.facilities)
    machine = list_leads(ASSESSOR, store, database_url=url, code="SG003")
    assert [r.lead.code for r in machine.items] == ["SG003"]
    by_facility = list_leads(
        ASSESSOR, store, database_url=url, facility=two.facilities[1]
    )
    assert [r.lead.lead_id for r in by_facility.items] == ["lead-two-places"]
    with pytest.raises(ForbiddenError):
        list_leads(_facility(two.facilities[0]), store)
    with pytest.raises(ConfigError):
        list_leads(ASSESSOR, store, code="SG999")


def test_no_lead_computed_is_said(tmp_path: Path, site: Site) -> None:
    shown = list_leads(ASSESSOR, tmp_path)
    assert not shown.computed
    assert shown.items == []
    empty = list_leads(ASSESSOR, site.context.store_dir)
    assert empty.computed
    assert empty.total == 0


# ------------------------------------------------------------------ rules


def test_the_catalogue_is_the_rule_set(site: Site) -> None:
    rules = rule_catalogue(ASSESSOR)
    assert [r.id for r in rules] == list(load_rule_set().ids())
    rs001 = next(r for r in rules if r.id == "RS001")
    assert rs001.is_time
    assert rs001.state.enabled
    assert not rs001.state.overridden
    thematic = rule_catalogue(ASSESSOR, family="thematic")
    assert thematic
    assert all(r.family.value == "thematic" for r in thematic)
    refusing = rule_catalogue(_facility(site.facilities[0]), severity="refuse")
    assert refusing
    assert all(r.severity.value == "refuse" for r in refusing)
    with pytest.raises(ForbiddenError):
        rule_catalogue(MINISTRY)


def test_a_rule_page_has_bases_examples_and_what_an_override_may_do() -> None:
    detail = rule_detail(ASSESSOR, "rs001")
    assert detail.summary.id == "RS001"
    assert [s.value for s in detail.allowed_severities] == ["review", "info"]
    assert detail.summary.latest.basis[0].verified in {"yes", "partly", "no"}
    assert detail.examples
    hit = detail.examples[0].findings[0]
    assert hit.amount == 0
    assert "phút" in hit.message
    assert detail.overrides == []
    assert rule_detail(_facility("01002"), "CT001").overrides is None
    with pytest.raises(NotFoundError):
        rule_detail(ASSESSOR, "XX999")


def test_a_dry_run_gives_the_numbers_of_dry_run_store(site: Site) -> None:
    shown = rule_dry_run(
        ASSESSOR,
        "CT001",
        site.context.store_dir,
        reference_dir=site.context.reference_dirs,
    )
    direct = direct_dry_run(site, "CT001")
    assert shown == direct
    with pytest.raises(ForbiddenError):
        rule_dry_run(_facility("01002"), "CT001", site.context.store_dir)
    with pytest.raises(ConfigError):
        rule_dry_run(ASSESSOR, "CT001", site.context.store_dir, severity="maybe")


def test_a_supervisor_records_an_override_with_who_and_why(tmp_path: Path) -> None:
    log = tmp_path / "deploy" / "overrides.yaml"
    change = record_override(
        SUPERVISOR,
        log,
        rule_id="th002",
        why="Chờ BHXH tỉnh xác nhận",
        severity="review",
    )
    assert change.rule == "TH002"
    entries = yaml.safe_load(log.read_text(encoding="utf-8"))
    assert len(entries) == 1
    assert {k: v for k, v in entries[0].items() if k != "at"} == {
        "rule": "TH002",
        "severity": "review",
        "by": "truongphong",
        "why": "Chờ BHXH tỉnh xác nhận",
    }
    assert entries[0]["at"]
    state = next(
        r for r in rule_catalogue(ASSESSOR, overrides_path=log) if r.id == "TH002"
    )
    assert state.state.overridden
    assert state.state.severity is not None
    assert state.state.severity.value == "review"
    assert [o.by for o in rule_overrides(ASSESSOR, log, rule_id="TH002")] == [
        "truongphong"
    ]


def test_an_override_is_refused_when_it_may_not_be(tmp_path: Path) -> None:
    log = tmp_path / "overrides.yaml"
    with pytest.raises(ForbiddenError):
        record_override(ASSESSOR, log, rule_id="TH002", why="x", severity="info")
    with pytest.raises(RuleDefinitionError):
        record_override(SUPERVISOR, log, rule_id="RS001", why="x", severity="refuse")
    with pytest.raises(ConfigError):
        record_override(SUPERVISOR, log, rule_id="TH002", why="  ", severity="info")
    with pytest.raises(ConfigError):
        record_override(SUPERVISOR, log, rule_id="TH002", why="nothing")
    with pytest.raises(NotFoundError):
        record_override(SUPERVISOR, log, rule_id="ZZ001", why="x", enabled=False)
    assert not log.exists()
    assert parse_params("grace_days=15\nmode = a") == {"grace_days": 15, "mode": "a"}
    with pytest.raises(ConfigError):
        parse_params("grace_days")
