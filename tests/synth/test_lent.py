"""Lent analysers: the scenarios the policy options of issue 17 judge differently.

The truth file ``ground_truth_lent_machines.csv`` must agree with the reference
folders and let each option's money be worked out by hand from the claims: the
options are written out here as a small oracle over the truth rows, and the
planted scenarios must make them differ, in the province and by facility.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from giamdinh.standard.reader import read_batch
from giamdinh.synth import SynthConfig, generate
from giamdinh.synth.output import LENT_TRUTH_FILE, MILESTONE_COLUMNS, MILESTONES_FILE
from giamdinh.synth.province import LENT_EXPIRED, LENT_SCENARIOS, MILESTONES

if TYPE_CHECKING:
    from pathlib import Path

    from giamdinh.synth import SynthResult

MONTH = date(2026, 3, 1)
MONTH_END = date(2026, 3, 31)
DEADLINE = date(2025, 12, 31)


def _day(text: str) -> date | None:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if text else None


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _truth(out: Path) -> dict[str, dict[str, str]]:
    return {r["MA_MAY"]: r for r in _rows(out / LENT_TRUTH_FILE)}


def _lines(out: Path) -> list[tuple[str, date, Decimal]]:
    """(MA_MAY, execution day, T_BHTT) of every XML3 line with a machine."""
    tables = read_batch(sorted(out.glob("claims/*/*.xml"))).tables
    return [
        (str(r["MA_MAY"]), r["NGAY_TH_YL"].date(), Decimal(str(r["T_BHTT"])))
        for r in tables["XML3"].to_pylist()
        if r["MA_MAY"]
    ]


def _decision(option: str, row: dict[str, str], on: date) -> str:  # noqa: PLR0911
    """What ``option`` does with a line on ``on`` on the machine of ``row``."""
    start, end = _day(row["HD_TU"]), _day(row["HD_DEN"])
    assert start is not None
    converted = _day(row["converted_on"])
    if converted is not None and on >= converted:
        return "pay"  # no longer lent: paid under every option
    within = end is None or on <= end
    stock = _day(row["HET_VAT_TU"])
    after = "review" if stock is None else ("pay" if on <= stock else "refuse")
    if option == "baseline":
        return "pay" if within else "review"
    if option == "A":
        return "refuse"
    if option == "B":
        return "pay" if within else "refuse"
    if option == "C":
        return "pay" if within else after
    approved = _day(row["approved_on"])
    if on > DEADLINE:
        # still lent: refused, unless its conversion was approved in time (then
        # paid per contract while the conversion goes on)
        approved_in_time = approved is not None and approved <= DEADLINE
        return "pay" if approved_in_time and within else "refuse"
    return "pay" if within else after


Truth = dict[str, dict[str, str]]
Lines = list[tuple[str, date, Decimal]]


@pytest.fixture(scope="module")
def lent(small: SynthResult) -> tuple[Truth, Lines]:
    """The lent truth of the shared province and its lines on lent analysers."""
    truth = _truth(small.out)
    return truth, [x for x in _lines(small.out) if x[0] in truth]


def test_truth_agrees_with_the_reference(small: SynthResult) -> None:
    truth = _truth(small.out)
    seen = set()
    for code in small.facilities:
        folder = small.out / "reference" / code
        sources: dict[str, list[dict[str, str]]] = defaultdict(list)
        for r in _rows(folder / "equipment_sources.csv"):
            sources[r["MA_MAY"]].append(r)
        milestones = _rows(folder / MILESTONES_FILE)
        with (folder / MILESTONES_FILE).open(encoding="utf-8-sig") as handle:
            assert handle.readline().strip() == ",".join(MILESTONE_COLUMNS)
        for ma_may, rows in sources.items():
            lent = [r for r in rows if r["HINH_THUC"] == "muon_nha_thau"]
            if not lent:
                continue
            row = truth[ma_may]
            seen.add(ma_may)
            assert row["MA_CSKCB"] == code
            assert (row["HD_TU"], row["HD_DEN"], row["HET_VAT_TU"]) == (
                lent[0]["HD_TU"],
                lent[0]["HD_DEN"],
                lent[0]["HET_VAT_TU"],
            )
            later = rows[rows.index(lent[0]) + 1 :]
            assert row["converted_on"] == (later[0]["HD_TU"] if later else "")
            steps = [m for m in milestones if m["MA_MAY"] == ma_may]
            assert [m["MOC"] for m in steps] == list(MILESTONES[: len(steps)])
            approved = [m["NGAY"] for m in steps if m["MOC"] == "phe_duyet"]
            assert row["approved_on"] == (approved[0] if approved else "")
    assert seen == set(truth)


def test_scenarios_have_the_dates_they_stand_for(small: SynthResult) -> None:
    truth = _truth(small.out)
    scenarios = defaultdict(list)
    for row in truth.values():
        scenarios[row["scenario"]].append(row)
    assert set(LENT_SCENARIOS) <= set(scenarios)
    for name, rows in scenarios.items():
        for row in rows:
            end, stock = _day(row["HD_DEN"]), _day(row["HET_VAT_TU"])
            approved = _day(row["approved_on"])
            assert end is not None
            if name in LENT_EXPIRED:
                assert end < MONTH, row
            if name == "lent_expired_stock":
                assert row["HD_TU"] < "2018"
                assert stock is not None
                assert stock > MONTH_END
            elif name == "lent_expired_used_up":
                assert row["HD_TU"] < "2022" < row["HD_DEN"]
                assert stock is not None
                assert end < stock < MONTH
            elif name == "lent_expired_undeclared":
                assert row["HD_TU"] >= "2023"
                assert stock is None
            elif name == "lent_converting":
                assert end > MONTH_END
                assert not row["converted_on"]
                assert approved is not None
                assert approved <= DEADLINE
            elif name == "lent_converted":
                assert row["converted_on"] == "20240101"
                assert row["HD_DEN"] == "20231231"
                assert row["converted_to"] in {"lien_doanh_lien_ket", "thue"}
                assert approved is not None
                assert approved.year == 2023


def test_every_scenario_is_billed_and_the_options_differ(
    lent: tuple[Truth, Lines],
) -> None:
    truth, lines = lent
    billed = {truth[m]["scenario"] for m, _, _ in lines}
    assert set(LENT_SCENARIOS) <= billed
    options = ("baseline", "A", "B", "C", "D")
    money: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
        lambda: defaultdict(Decimal)
    )
    for ma_may, on, amount in lines:
        row = truth[ma_may]
        for option in options:
            money[option, _decision(option, row, on)][row["MA_CSKCB"]] += amount
    paid = {o: sum(money[o, "pay"].values()) for o in options}
    # A pays only the machine converted before the month, D the conversion under
    # way too, B adds the running contracts (what the current law pays, reviewing
    # the rest), C the stock left after the contract.
    assert 0 < paid["A"] < paid["D"] < paid["B"] == paid["baseline"] < paid["C"]
    assert sum(money["baseline", "review"].values()) > 0
    assert not money["B", "review"]
    assert sum(money["C", "review"].values()) > 0  # reagents not declared
    facilities = sorted(money["baseline", "pay"])
    shares = {
        f: tuple(money[o, "pay"][f] / money["baseline", "pay"][f] for o in options)
        for f in facilities
    }
    assert len(set(shares.values())) == len(facilities) > 1


def test_expired_lines_are_labelled_and_the_others_not(small: SynthResult) -> None:
    truth = _truth(small.out)
    labelled = {
        (r["ma_lk"], int(r["stt"]))
        for r in _rows(small.out / "ground_truth.csv")
        if r["pattern"] == "machine_lent_after_stop"
    }
    tables = read_batch(sorted(small.out.glob("claims/*/*.xml"))).tables
    for r in tables["XML3"].to_pylist():
        row = truth.get(str(r["MA_MAY"] or ""))
        if row is None:
            continue
        review = _decision("baseline", row, r["NGAY_TH_YL"].date()) == "review"
        assert ((str(r["MA_LK"]), int(r["STT"])) in labelled) == review
        assert review == (row["scenario"] in LENT_EXPIRED)


@pytest.mark.parametrize(
    ("month", "lent_labels"),
    [(date(2022, 9, 1), True), (date(2023, 6, 1), False)],
)
def test_earlier_months(tmp_path: Path, month: date, *, lent_labels: bool) -> None:
    """During the stop every lent line is labelled; in 2023 lent analysers run
    within their contract, paid, and no scenario of 2026 exists yet."""
    out = tmp_path / "p"
    result = generate(
        SynthConfig(
            claims=150,
            seed=3,
            month=month,
            facilities=3,
            anomaly_rate=0.0,
            rates={"machine_lent_after_stop": 0.05},
            dicom_files=0,
        ),
        out,
    )
    truth = _truth(out)
    assert {r["scenario"] for r in truth.values()} == {
        "lent",
        "lent_ended",
        "lent_signed_after",
    }
    assert (result.labels["machine_lent_after_stop"] > 0) is lent_labels
    assert not result.routine
    if not lent_labels:
        assert {m for m, _, _ in _lines(out)} & set(truth)
