"""Assessment services end to end on a small generated province.

The province is generated once per module (generation is the slow part); every
test then runs the real reader, reference loader, rule set and DuckDB engine.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from giamdinh.domain import Severity
from giamdinh.rules.model import Evidence
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import (
    assess_store,
    dry_run_store,
    set_override,
    summarise_store,
)
from giamdinh.services.check import check_files
from giamdinh.services.ingest import ingest_paths
from giamdinh.services.synth import run_synth

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.e2e

MONEY = ("claimed", "payable", "refused", "adjusted", "under_review")
TIME_RULES = frozenset(
    r.id for r in load_rule_set() if any(e.is_time for e in r.evidence)
)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("assessment") / "p"
    run_synth(claims=90, seed=1, out=out, facilities=3, dicom_files=0)
    return out


@pytest.fixture(scope="module")
def store(province: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("assessment") / "store"
    summary = ingest_paths([province / "claims"], store_dir=folder)
    assert summary.files > 0
    return folder


def _facility(province: Path) -> str:
    return sorted(p.name for p in (province / "claims").iterdir() if p.is_dir())[0]


def test_time_rules_exist_and_never_take_money() -> None:
    assert TIME_RULES, "the rule set has no time-evidence rule to guard"
    for rule in load_rule_set():
        if Evidence.EXECUTION_TIME in rule.evidence:
            assert rule.severity in {Severity.INFO, Severity.REVIEW}


def test_check_a_generated_facility(province: Path) -> None:
    facility = _facility(province)
    output = check_files(
        [province / "claims" / facility],
        reference_dir=province / "reference" / facility,
    )
    assert output.claims
    assert all(f.status == "ok" for f in output.files)
    assert any(c.findings for c in output.claims)
    for claim in output.claims:
        assert claim.ma_cskcb == facility
        assert claim.money == "assessed", claim.ma_lk
        amounts = (claim.payable, claim.refused, claim.adjusted, claim.under_review)
        assert claim.claimed == sum(a or 0 for a in amounts), claim.ma_lk
        for f in claim.findings:
            if f.rule_id in TIME_RULES:
                assert f.severity in {Severity.INFO, Severity.REVIEW}
                assert f.severity is Severity.REVIEW or f.amount == 0


def test_assess_store_writes_findings_and_decisions(
    province: Path, store: Path
) -> None:
    run = assess_store(store, reference_dir=province / "reference")
    assert run.claims > 0
    assert run.findings > 0
    for name in ("findings", "lines", "claims"):
        assert (run.folder / f"{name}.parquet").is_file()
    meta = json.loads((run.folder / "run.json").read_text(encoding="utf-8"))
    assert meta["rule_set"] == run.rule_set
    assert meta["rule_set"].startswith("rs-")
    claims = pq.read_table(run.folder / "claims.parquet").to_pylist()
    assert len(claims) == run.claims
    assert len({c["ma_cskcb"] for c in claims}) == 3
    lines = pq.read_table(run.folder / "lines.parquet").to_pylist()
    for line in lines:
        parts = sum(line[k] for k in MONEY[1:])
        assert line["claimed"] == parts
    assert run.totals["claimed"] == sum(run.totals[k] for k in MONEY[1:])


def test_a_past_run_is_reproducible_as_of_a_date(province: Path, store: Path) -> None:
    day = date(2026, 4, 15)
    first = assess_store(store, reference_dir=province / "reference", as_of=day)
    second = assess_store(store, reference_dir=province / "reference", as_of=day)
    assert first.folder != second.folder
    for name in ("findings", "lines", "claims"):
        a = pq.read_table(first.folder / f"{name}.parquet")
        b = pq.read_table(second.folder / f"{name}.parquet")
        assert a.equals(b), name
    meta = json.loads((first.folder / "run.json").read_text(encoding="utf-8"))
    assert meta["as_of"] == "2026-04-15"
    assert meta["rule_set"] == first.rule_set


def test_before_any_rule_was_published_nothing_fires(
    province: Path, store: Path
) -> None:
    run = assess_store(
        store, reference_dir=province / "reference", as_of=date(2020, 1, 1)
    )
    assert run.findings == 0
    assert run.totals["payable"] == run.totals["claimed"]


def test_dry_run_reports_hits_and_money_by_facility(
    province: Path, store: Path
) -> None:
    assessed = assess_store(store, reference_dir=province / "reference")
    findings = pq.read_table(assessed.folder / "findings.parquet").to_pylist()
    rule_id = max(
        {f["rule_id"] for f in findings},
        key=lambda r: sum(1 for f in findings if f["rule_id"] == r),
    )
    result = dry_run_store(
        rule_id,
        store,
        severity=Severity.REVIEW,
        reference_dir=province / "reference",
    )
    expected = [f for f in findings if f["rule_id"] == rule_id]
    assert result.hits == len(expected)
    assert {f.ma_cskcb for f in result.facilities} == {f["ma_cskcb"] for f in expected}
    assert result.severity is Severity.REVIEW
    assert result.amount == sum((f["claimed"] for f in expected), Decimal(0))


def test_an_override_switches_a_rule_off_and_is_recorded(
    province: Path, store: Path, tmp_path: Path
) -> None:
    before = assess_store(store, reference_dir=province / "reference")
    found = pq.read_table(before.folder / "findings.parquet").to_pylist()
    rule_id = found[0]["rule_id"]
    log = tmp_path / "overrides.yml"
    set_override(log, rule_id=rule_id, by="gdv.test", why="thử", enabled=False)
    after = assess_store(
        store, reference_dir=province / "reference", overrides_path=log
    )
    rows = pq.read_table(after.folder / "findings.parquet").to_pylist()
    assert rule_id not in {f["rule_id"] for f in rows}
    assert after.rule_set != before.rule_set
    assert "gdv.test" in log.read_text(encoding="utf-8")


def test_summary_for_a_manager(province: Path, store: Path) -> None:
    run = assess_store(store, reference_dir=province / "reference")
    summary = summarise_store(store)
    assert summary.run == run.folder.name
    assert summary.rule_set == run.rule_set
    assert summary.claims == run.claims
    assert summary.totals == run.totals
    assert summary.findings == run.findings
    assert summary.rules
    assert summary.rules == sorted(
        summary.rules, key=lambda r: (-r.amount, -r.findings, r.rule_id)
    )
    assert all(r.title and r.title_en for r in summary.rules)
    assert summary.facilities
    at_stake = [f.at_stake for f in summary.facilities]
    assert at_stake == sorted(at_stake, reverse=True)
    assert sum(f.claims for f in summary.facilities) == summary.claims
    assert summary.time_money == 0
