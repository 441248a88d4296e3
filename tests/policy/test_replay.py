"""Replaying options A–D on hand-built claims: each facility's money, computed by hand.

The lines (``handmade.LINES``) and what each option does to them:

====================  ==========  ======  ==========  =======  ======  =======  =======
machine               day         money   in force    A        B       C        D
====================  ==========  ======  ==========  =======  ======  =======  =======
79001 SH.1.IN         2026-03-02  100     pay         refuse   pay     pay      refuse
79001 SH.1.STOCK      2026-03-02  200     review      refuse   refuse  pay      refuse
79002 SH.2.USED       2026-03-02  300     review      refuse   refuse  refuse   refuse
79002 SH.2.UNKNOWN    2026-03-02  400     review      refuse   refuse  review   refuse
79002 SH.2.CONVERTING 2026-03-02  500     pay         refuse   pay     pay      pay
79001 SH.1.CONVERTED  2026-03-02  600     pay         pay      pay     pay      pay
79001 SH.1.OWN        2026-03-02  700     pay         pay      pay     pay      pay
79001 SH.1.IN         2022-08-01  1000    review      refuse   pay     pay      pay
79001 SH.1.STOCK      2021-06-01  2000    pay         pay      pay     pay      pay
====================  ==========  ======  ==========  =======  ======  =======  =======

In force: TB006 (the stop of 2022 and every line after a contract's end are
``review``). D's deadline is 31/12/2025: SH.2.CONVERTING's scheme was approved on
01/06/2025 and it is within its contract; SH.1.IN was never approved.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from tests.policy.conftest import handmade_views

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.errors import ConfigError
from giamdinh.policy.options import load_option
from giamdinh.policy.replay import CURRENT, baseline_scenario, replay, resolve

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

    from giamdinh.policy.replay import ScenarioResult
    from giamdinh.rules.registry import RuleSet

#: option → facility → (payable, refused, under review)
EXPECTED: dict[str, dict[str, tuple[int, int, int]]] = {
    CURRENT: {"79001": (3400, 0, 1200), "79002": (500, 0, 700)},
    "baseline": {"79001": (3400, 0, 1200), "79002": (500, 0, 700)},
    "A": {"79001": (3300, 1300, 0), "79002": (0, 1200, 0)},
    "B": {"79001": (4400, 200, 0), "79002": (500, 700, 0)},
    "C": {"79001": (4600, 0, 0), "79002": (500, 300, 400)},
    "D": {"79001": (4300, 300, 0), "79002": (500, 700, 0)},
}
HEAD = 'id = "X"\ntitle = "t"\ntitle_en = "t"\n'
#: option → lines whose decision changes against the rules in force
CHANGED = {CURRENT: 0, "baseline": 0, "A": 6, "B": 4, "C": 3, "D": 5}


def by_facility(result: ScenarioResult) -> dict[str, tuple[int, int, int]]:
    out: dict[str, list[Decimal]] = {}
    for row in result.by_facility_month.to_pylist():
        money = out.setdefault(row["ma_cskcb"], [Decimal(0)] * 3)
        money[0] += row["payable"]
        money[1] += row["refused"]
        money[2] += row["under_review"]
    return {k: (int(v[0]), int(v[1]), int(v[2])) for k, v in out.items()}


def run(
    views: dict[str, pa.Table],
    rules: RuleSet,
    names: list[str],
    out: Path,
    **kw: object,
) -> dict[str, ScenarioResult]:
    scenarios = [baseline_scenario(rules, "test")]
    scenarios += [resolve(load_option(n), rules, "test", views) for n in names]
    backend = DuckDBBackend()
    try:
        results = replay(backend, views, scenarios, out_dir=out, **kw)  # type: ignore[arg-type]
    finally:
        backend.close()
    return {r.scenario.id: r for r in results}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("replay")


@pytest.fixture(scope="module")
def results(
    handmade_claims: dict[str, pa.Table], lent_only: RuleSet, folder: Path
) -> dict[str, ScenarioResult]:
    views = handmade_views(handmade_claims, lent_only, folder / "ref")
    return run(views, lent_only, ["baseline", "A", "B", "C", "D"], folder / "out")


@pytest.mark.parametrize("option", list(EXPECTED))
def test_each_option_money_by_facility_is_as_computed_by_hand(
    results: dict[str, ScenarioResult], option: str
) -> None:
    assert by_facility(results[option]) == EXPECTED[option]
    assert results[option].changed_lines == CHANGED[option]


def test_claimed_money_is_the_same_under_every_option(
    results: dict[str, ScenarioResult],
) -> None:
    for result in results.values():
        assert result.total("claimed") == Decimal(4600 + 1200)
        assert result.total("claimed_change") == 0


def test_an_option_reruns_only_the_rules_it_changes(
    results: dict[str, ScenarioResult],
) -> None:
    assert results[CURRENT].rules_run == ()
    assert results["baseline"].rules_run == ()
    assert results["A"].rules_run == ("PL001@1", "PL002@1")


def test_changes_are_counted_against_the_rules_in_force(
    results: dict[str, ScenarioResult],
) -> None:
    a = results["A"]
    # SH.1.IN and SH.2.CONVERTING were paid; the four lines under review are
    # refused too: 1.200 + 700 held, 2.500 refused.
    assert a.total("payable_change") == -(100 + 500)
    assert a.total("refused_change") == 1300 + 1200
    assert a.total("under_review_change") == -1900
    assert a.total("patients_changed") == 6


def test_changed_lines_name_both_decisions(
    results: dict[str, ScenarioResult], folder: Path
) -> None:
    assert results["C"].changed_lines == 3
    rows = pq.read_table(folder / "out" / "changed-C.parquet").to_pylist()
    seen = {(r["ma_may"], r["base_status"], r["status"]) for r in rows}
    assert seen == {
        ("SH.1.STOCK", "under_review", "payable"),
        ("SH.2.USED", "under_review", "refused"),
        ("SH.1.IN", "under_review", "payable"),
    }
    assert all(r["month"] in {"2026-03", "2022-08"} for r in rows)


def test_findings_by_rule_show_the_option_rules(
    results: dict[str, ScenarioResult],
) -> None:
    rules = {(r["rule_id"], r["severity"]): r for r in results["C"].by_rule.to_pylist()}
    assert rules[("PL001", "refuse")]["amount"] == 300
    assert rules[("PL002", "review")]["amount"] == 400
    assert "TB006" not in {k[0] for k in rules}
    machines = {r["ma_may"]: r for r in results["D"].by_machine.to_pylist()}
    assert machines["SH.1.IN"]["refused"] == 100
    assert machines["SH.1.IN"]["lines_changed"] == 2  # 2026 refused, 2022 paid
    assert machines["SH.1.OWN"]["lines_changed"] == 0


def test_a_period_keeps_only_claims_ending_in_it(
    handmade_claims: dict[str, pa.Table], lent_only: RuleSet, tmp_path: Path
) -> None:
    from datetime import date

    views = handmade_views(handmade_claims, lent_only, tmp_path / "ref")
    out = run(
        views,
        lent_only,
        ["A"],
        tmp_path / "out",
        period=(date(2022, 1, 1), date(2022, 12, 31)),
    )
    assert by_facility(out["A"]) == {"79001": (0, 1000, 0)}
    assert by_facility(out[CURRENT]) == {"79001": (0, 0, 1000)}


def test_an_option_changing_reference_rows_reruns_the_rules_reading_them(
    handmade_claims: dict[str, pa.Table], lent_only: RuleSet, tmp_path: Path
) -> None:
    from datetime import date

    option = tmp_path / "convert.toml"
    option.write_text(
        """
id = "A-leased"
title = "A, và máy SH.1.IN thuê từ 01/01/2026"
title_en = "A, with SH.1.IN leased from 01/01/2026"
citations = ["cv1261_2022"]

[[rules]]
id = "TB006"
enabled = false

[[templates]]
template = "lent_machine_payment"
params = { within_contract = "refuse", after_contract = "refuse" }

[[tables]]
view = "ref_equipment_sources"
[[tables.rows]]
ma_may = "SH.1.IN"
hinh_thuc = "thue"
hd_tu = 2026-01-01
hd_den = 2030-12-31
valid_from = 2026-01-01
""",
        encoding="utf-8",
    )
    views = handmade_views(handmade_claims, lent_only, tmp_path / "ref")
    scenarios = [
        baseline_scenario(lent_only, "t"),
        resolve(load_option(option), lent_only, "t", views),
        resolve(load_option("A"), lent_only, "t", views),
    ]
    backend = DuckDBBackend()
    try:
        results = replay(backend, views, scenarios, out_dir=tmp_path / "out")
    finally:
        backend.close()
    leased, plain = results[1], results[2]
    # SH.1.IN's line of March 2026 is paid once the machine is leased; A refuses it.
    assert by_facility(leased)["79001"] == (3400, 1200, 0)
    assert by_facility(plain)["79001"] == (3300, 1300, 0)
    # The view change did not leak into the option replayed after it.
    assert (
        date(2026, 1, 1)
        not in views["ref_equipment_sources"].column("valid_from").to_pylist()
    )


def test_a_price_option_scales_each_technique_line_to_its_new_price(
    handmade_claims: dict[str, pa.Table], lent_only: RuleSet, tmp_path: Path
) -> None:
    # Every hand-built line is 18.0119.0028 at DON_GIA_BH 51.000 (make_claim).
    with (tmp_path / "prices.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["MA_CSKCB", "MA_DICH_VU", "DON_GIA"])
        writer.writerow(["", "18.0119.0028", "25500"])
        writer.writerow(["79002", "18.0119.0028", "102000"])
    (tmp_path / "price.toml").write_text(
        """
id = "P"
title = "Giá theo định mức"
title_en = "Norm-based price"
[prices]
file = "prices.csv"
""",
        encoding="utf-8",
    )
    views = handmade_views(handmade_claims, lent_only, tmp_path / "ref")
    out = run(views, lent_only, [str(tmp_path / "price.toml")], tmp_path / "out")
    # 79001 at half its price, 79002 at twice: every money column scales, the
    # decisions (in force) stay.
    assert by_facility(out["P"]) == {"79001": (1700, 0, 600), "79002": (1000, 0, 1400)}
    assert out["P"].total("claimed_change") == -2300 + 1200
    assert out["P"].rules_run == ()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('id = "X"\ntitle = "t"\ntitle_en = "t"\ncolour = "red"\n', "colour"),
        (
            HEAD + '[[rules]]\nid = "ZZ999"\nenabled = false\n',
            "ZZ999",
        ),
        (
            'id = "X"\ntitle = "t"\ntitle_en = "t"\ncitations = ["cv1261_2022"]\n'
            '[[templates]]\ntemplate = "lent_machine_payment"\nparams = { stop = 1 }\n',
            "stop",
        ),
        (
            'id = "X"\ntitle = "t"\ntitle_en = "t"\n'
            '[[templates]]\ntemplate = "lent_machine_payment"\n',
            "cite",
        ),
        (
            HEAD + '[[rules]]\nid = "RS001"\nseverity = "refuse"\n',
            "RS001",
        ),
        (
            'id = "X"\ntitle = "t"\ntitle_en = "t"\n[[tables]]\nview = "ref_nothing"\n',
            "ref_nothing",
        ),
        ('id = "a b"\ntitle = "t"\ntitle_en = "t"\n', "id"),
        ('id = "X"\ntitle = "t"\n', "title_en"),
        (
            'id = "X"\ntitle = "t"\ntitle_en = "t"\n[prices]\nfile = "none.csv"\n',
            "none.csv",
        ),
    ],
)
def test_a_bad_option_is_refused_naming_the_file_and_entry(
    text: str,
    named: str,
    handmade_claims: dict[str, pa.Table],
    lent_only: RuleSet,
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    views = handmade_views(handmade_claims, lent_only, tmp_path / "ref")
    with pytest.raises(ConfigError) as caught:
        resolve(load_option(path), lent_only, "t", views)
    assert "bad.toml" in str(caught.value)
    assert named in str(caught.value)


def test_a_bad_price_row_is_named(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(
        "MA_DICH_VU,DON_GIA\n18.0119.0028,73.300,5\n", encoding="utf-8"
    )
    (tmp_path / "p.toml").write_text(
        'id = "P"\ntitle = "t"\ntitle_en = "t"\n[prices]\nfile = "p.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="dòng 2"):
        load_option(tmp_path / "p.toml")


def test_the_hash_changes_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "o.toml"
    path.write_text('id = "O"\ntitle = "t"\ntitle_en = "t"\n', encoding="utf-8")
    first = load_option(path).sha256
    path.write_text('id = "O"\ntitle = "t2"\ntitle_en = "t"\n', encoding="utf-8")
    assert load_option(path).sha256 != first
