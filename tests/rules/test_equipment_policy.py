"""TB006: which law applies to a service on a supplier-placed machine, day by day.

The case file checks hits; these tests check which version answers on each
service date, with which severity and texts, and that nothing here refuses: the
periods of the law (2348/1261 stop, Resolution 144, Resolution 30, Bidding Law
22/2023) are versions of the rule, not a deployment's choice. The former
parameter ``pay_until_contract_end`` (the facilities' petition of 2022 to be paid
until ``HD_DEN``) is gone: Resolution 144/NQ-CP, as amended by Resolution
30/NQ-CP, pays per the contract and then while the reagents last, so the choice it
offered is no longer open.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.domain import Severity
from giamdinh.engine.cases import Case, run_case
from giamdinh.errors import RuleDefinitionError
from giamdinh.rules.citations import citations, find
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import set_override

if TYPE_CHECKING:
    from pathlib import Path

RULE_SET = load_rule_set()
MACHINE = "SH.3.92114.AU42300227"
LENT = {
    "ma_may": MACHINE,
    "hinh_thuc": "muon_nha_thau",
    "hd_tu": "2020-06-01",
    "hd_den": "2026-03-31",
    "valid_from": "2020-06-01",
    "valid_to": "2026-03-31",
}
BOUGHT = {
    "ma_may": MACHINE,
    "hinh_thuc": "ngan_sach",
    "hd_tu": "2026-04-01",
    "valid_from": "2026-04-01",
}


def _findings(order: str, sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    case = Case(
        name="period",
        given={
            "xml3": [
                {
                    "ma_lk": "A",
                    "stt": 1,
                    "ma_dich_vu": "23.0075.1494",
                    "don_gia_bh": 21500,
                    "ma_may": MACHINE,
                    "ngay_yl": order,
                }
            ],
            "ref_equipment_sources": sources,
        },
    )
    backend = DuckDBBackend()
    try:
        result = run_case(
            case, RULE_SET.only(RULE_SET.get("TB006")), backend, decide=False
        )
    finally:
        backend.close()
    return list(result.findings.to_pylist())


@pytest.mark.parametrize(
    ("order", "sources", "version"),
    [
        ("2022-05-11 08:00", [LENT], None),  # 2009/BYT-KH-TC: paid
        ("2022-05-12 08:00", [LENT], 1),  # the stop: joint verification
        ("2022-11-04 08:00", [LENT], 1),
        ("2022-11-05 08:00", [LENT], None),  # Resolution 144: per contract
        ("2023-03-04 08:00", [LENT], None),  # Resolution 30
        ("2026-03-02 08:00", [LENT], None),  # within the contract
        ("2026-04-02 08:00", [LENT], 4),  # after HD_DEN: show the reagent stock
        ("2026-04-02 08:00", [LENT, BOUGHT], None),  # bought outright on 04-01
    ],
)
def test_the_version_in_force_answers(
    order: str, sources: list[dict[str, Any]], version: int | None
) -> None:
    findings = _findings(order, sources)
    if version is None:
        assert findings == []
    else:
        assert [(f["rule_version"], f["severity"]) for f in findings] == [
            (version, "review")
        ]


def test_after_the_contract_from_resolution_144_on_it_is_a_review() -> None:
    ended = {**LENT, "hd_den": "2022-12-31", "valid_to": "2022-12-31"}
    assert [f["rule_version"] for f in _findings("2023-01-10 08:00", [ended])] == [2]
    assert [f["rule_version"] for f in _findings("2023-06-01 08:00", [ended])] == [3]


def test_no_version_refuses() -> None:
    versions = RULE_SET.get("TB006")
    assert [v.version for v in versions] == [1, 2, 3, 4]
    assert {v.severity for v in versions} == {Severity.REVIEW}


@pytest.mark.parametrize(
    ("version", "start", "keys"),
    [
        (1, date(2022, 5, 12), ["cv2348_2022", "cv1261_2022"]),
        (2, date(2022, 11, 5), ["nq144_2022/4"]),
        (3, date(2023, 3, 4), ["nq144_2022/4", "nq30_2023/1"]),
        (4, date(2024, 1, 1), ["nq144_2022/4", "nq30_2023/1", "luat_dau_thau_2023"]),
    ],
)
def test_each_period_cites_its_texts(
    version: int, start: date, keys: list[str]
) -> None:
    rule = RULE_SET.get("TB006")[version - 1]
    assert rule.effective.start == start
    cited = [find(b, citations()) for b in rule.basis]
    assert [c.key if c else None for c in cited] == keys


def test_the_former_policy_parameter_is_gone(tmp_path: Path) -> None:
    log = tmp_path / "overrides.yml"
    with pytest.raises(
        RuleDefinitionError, match="no parameter 'pay_until_contract_end'"
    ):
        set_override(
            log,
            rule_id="TB006",
            by="gd.le",
            why="BHXH tỉnh chấp nhận thanh toán đến hết hợp đồng",
            params={"pay_until_contract_end": "1"},
        )
    assert not log.exists()
