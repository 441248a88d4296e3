"""TB006's policy parameter: pay services on lent machines until the contract ends.

The case files run rules with their shipped parameters; these tests run TB006
with ``pay_until_contract_end = 1`` (the facilities' petition) on the same tiny
claim, before and after the contract's ``HD_DEN``, and set the parameter the way
a deployment does: a recorded override (``giamdinh rules override --param``).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING

import pytest

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.engine.cases import Case, hits_of, run_case
from giamdinh.engine.overrides import apply_overrides, load_overrides
from giamdinh.errors import RuleDefinitionError
from giamdinh.rules.registry import load_rule_set
from giamdinh.services.assessment import set_override

if TYPE_CHECKING:
    from pathlib import Path

RULE_SET = load_rule_set()
SOURCE = {
    "ma_may": "SH.3.92114.AU42300227",
    "hinh_thuc": "muon_nha_thau",
    "hd_tu": "2020-06-01",
    "hd_den": "2026-03-31",
    "valid_from": "2020-06-01",
    "valid_to": "2026-03-31",
}


def _hits(*, order: str, pay_until_contract_end: int) -> int:
    (rule,) = RULE_SET.get("TB006")
    params = {**rule.params, "pay_until_contract_end": pay_until_contract_end}
    variant = dataclasses.replace(rule, params=params)
    case = Case(
        name="policy",
        given={
            "xml3": [
                {
                    "ma_lk": "A",
                    "stt": 1,
                    "ma_dich_vu": "23.0075.1494",
                    "don_gia_bh": 21500,
                    "ma_may": SOURCE["ma_may"],
                    "ngay_yl": order,
                }
            ],
            "ref_equipment_sources": [SOURCE],
        },
    )
    backend = DuckDBBackend()
    try:
        result = run_case(case, RULE_SET.only([variant]), backend, decide=False)
    finally:
        backend.close()
    return len(hits_of(result))


@pytest.mark.parametrize(
    ("order", "policy", "hits"),
    [
        ("2026-03-02 09:00", 0, 1),  # letters' text: not paid from 2022-05-12
        ("2026-03-02 09:00", 1, 0),  # petition: paid until HD_DEN 2026-03-31
        ("2026-04-02 09:00", 1, 1),  # after HD_DEN: not paid either way
    ],
)
def test_pay_until_contract_end(order: str, policy: int, hits: int) -> None:
    assert _hits(order=order, pay_until_contract_end=policy) == hits


def test_policy_parameter_is_set_by_a_recorded_override(tmp_path: Path) -> None:
    log = tmp_path / "overrides.yml"
    set_override(
        log,
        rule_id="TB006",
        by="gd.le",
        why="BHXH tỉnh chấp nhận thanh toán đến hết hợp đồng",
        params={"pay_until_contract_end": "1"},
    )
    rules = apply_overrides(RULE_SET, load_overrides(log))
    (tb006,) = rules.get("TB006")
    assert tb006.params["pay_until_contract_end"] == 1
    before = apply_overrides(RULE_SET, load_overrides(log), as_of=date(2020, 1, 1))
    assert before.get("TB006")[0].params["pay_until_contract_end"] == 0


def test_unknown_or_mistyped_parameter_is_refused(tmp_path: Path) -> None:
    log = tmp_path / "overrides.yml"
    with pytest.raises(RuleDefinitionError, match="no parameter 'until'"):
        set_override(log, rule_id="TB006", by="a", why="b", params={"until": 1})
    with pytest.raises(RuleDefinitionError, match="not a valid int"):
        set_override(
            log,
            rule_id="TB006",
            by="a",
            why="b",
            params={"pay_until_contract_end": "yes"},
        )
    assert not log.exists()
