"""Patients and episodes: catchments, no unlabelled anomaly, facility codes, XML7."""

from __future__ import annotations

import csv
import itertools
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import pytest

from giamdinh.services.assessment import run_assessment
from giamdinh.services.province import load_reference
from giamdinh.standard.reader import read_batch
from giamdinh.synth.patients import (
    AWAY_SHARE,
    CLASS_STRIDE,
    SAME_FACILITY_GAP,
    Catchments,
    Visits,
)
from giamdinh.synth.province import CENTRAL_PROVINCE
from giamdinh.synth.streams import stream

if TYPE_CHECKING:
    from datetime import datetime

    import pyarrow as pa

    from giamdinh.synth import SynthResult


def _tables(result: SynthResult) -> dict[str, pa.Table]:
    return read_batch(sorted(result.out.glob("claims/*/*.xml"))).tables


def _episodes(tables: dict[str, pa.Table]) -> dict[str, list[tuple[datetime, ...]]]:
    """Return per patient card the (start, end, facility) of each claim.

    The end is the latest time of the claim: discharge, or any order, execution,
    result or drug time.
    """
    last: dict[str, datetime] = {}
    for name, columns in (
        ("XML3", ("NGAY_YL", "NGAY_TH_YL", "NGAY_KQ")),
        ("XML2", ("NGAY_YL", "NGAY_TH_YL")),
    ):
        for row in tables[name].to_pylist():
            for column in columns:
                if row[column] is not None:
                    key = str(row["MA_LK"])
                    last[key] = max(last.get(key, row[column]), row[column])
    out: dict[str, list[tuple[datetime, ...]]] = defaultdict(list)
    for row in tables["XML1"].to_pylist():
        end = max(row["NGAY_RA"], last.get(str(row["MA_LK"]), row["NGAY_RA"]))
        out[str(row["MA_THE_BHYT"])].append(
            (row["NGAY_VAO"], end, row["MA_CSKCB"], row["MA_LK"])
        )
    return out


@pytest.mark.parametrize("fixture", ["small", "clean"])
def test_a_patient_is_never_in_two_places(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """No two episodes of one patient overlap; two facilities never on one day."""
    result: SynthResult = request.getfixturevalue(fixture)
    episodes = _episodes(_tables(result))
    seen_elsewhere = 0
    for card, visits in episodes.items():
        visits.sort()
        for before, after in itertools.pairwise(visits):
            assert before[1] < after[0], (card, before, after)
            if before[2] != after[2]:
                seen_elsewhere += 1
                assert before[1].date() < after[0].date(), (card, before, after)
    # People do come back, and some are seen at more than one facility.
    assert sum(len(v) > 1 for v in episodes.values()) > 10
    assert seen_elsewhere > 0


def test_most_visits_come_from_the_facility_s_own_catchment() -> None:
    catchments = Catchments([10.0, 8.0, 5.0, 1.0, 2.5], pool=1000)
    rng = stream(1, "test")
    homes = Counter(catchments.home(rng, 2) for _ in range(20_000))
    assert homes[2] / 20_000 == pytest.approx(1 - AWAY_SHARE, abs=0.01)
    assert set(homes) == {0, 1, 2, 3, 4}
    # The catchments do not overlap, and are sized by volume.
    ranges = catchments.ranges
    for (start, size), (nxt, _) in itertools.pairwise(ranges):
        assert start + size == nxt
    assert ranges[0][1] > ranges[2][1] > ranges[3][1] >= 5
    start, size = ranges[3]
    drawn = {catchments.draw(rng, 3, 2) for _ in range(500)}
    assert drawn <= set(
        range(2 * CLASS_STRIDE + start, 2 * CLASS_STRIDE + start + size)
    )
    fresh = catchments.new_patient(2)
    assert fresh not in drawn
    assert catchments.new_patient(2) == fresh + 1


def test_visits_keep_people_apart_and_forget_old_episodes() -> None:
    visits = Visits()
    day = 1440
    visits.book(7, facility=0, index=1, end=3 * day + 600)
    # The same facility: free once the episode has ended, with a gap.
    assert not visits.free(7, facility=0, arrival=3 * day + 600)
    assert visits.free(7, facility=0, arrival=3 * day + 600 + SAME_FACILITY_GAP)
    # Another facility: only from the next day.
    assert not visits.free(7, facility=1, arrival=3 * day + 1000)
    assert visits.free(7, facility=1, arrival=4 * day)
    # A planted change that extends the episode moves its end.
    visits.settle(7, index=1, end=4 * day + 10)
    assert not visits.free(7, facility=1, arrival=4 * day + 100)
    assert visits.free(8, facility=1, arrival=0)
    visits.forget_before(6)
    assert len(visits) == 1
    visits.forget_before(7)
    assert len(visits) == 0


def test_a_clean_province_fires_no_rule_but_information(clean: SynthResult) -> None:
    """Assessed as the insurer does (every facility together), a province without
    planted anomalies has no finding but RS001, the information that an execution
    was shorter than its reference time (normal, never money)."""
    tables = _tables(clean)
    reference = load_reference(clean.out / "reference")
    result = run_assessment(tables, reference.tables())
    fired = Counter(str(r) for r in result.findings.column("rule_id").to_pylist())
    assert set(fired) <= {"RS001"}, fired
    assert fired["RS001"] > 0


def test_primary_care_visits_are_code_1_2(clean: SynthResult) -> None:
    """QĐ 3276: a visit to a commune station is 1.2 (100 %), even where the patient
    is registered; 1.1 excludes it."""
    xml1 = _tables(clean)["XML1"].to_pylist()
    with (clean.out / "reference" / "facilities.csv").open(encoding="utf-8-sig") as f:
        tiers = {r["MA_CSKCB"]: r["TIER"] for r in csv.DictReader(f)}
    commune = [r for r in xml1 if tiers[str(r["MA_CSKCB"])] == "commune"]
    assert commune
    assert {r["MA_DOITUONG_KCB"] for r in commune} <= {"1.2", "2"}


def test_the_central_hospital_code_keeps_its_leading_zero(small: SynthResult) -> None:
    central = small.facilities[0]
    assert central.startswith(CENTRAL_PROVINCE)
    assert central.startswith("0")
    assert len(central) == 5
    # Every other facility is the province's.
    assert {code[:2] for code in small.facilities[1:]} == {"99"}
    assert (small.out / "claims" / central).is_dir()
    assert (small.out / "reference" / central / "M05.csv").is_file()
    tables = _tables(small)
    xml1 = [r for r in tables["XML1"].to_pylist() if r["MA_CSKCB"] == central]
    assert xml1
    assert all(str(r["MA_LK"]).startswith(central) for r in xml1)
    envelopes = set(tables["XML1"].column("_envelope_cskcb").to_pylist())
    assert central in envelopes
    reference = load_reference(small.out / "reference" / central).tables()
    assert set(reference["ref_services"].column("ma_cskcb").to_pylist()) == {central}


def test_inpatient_stays_have_a_discharge_paper(small: SynthResult) -> None:
    tables = _tables(small)
    xml1 = {str(r["MA_LK"]): r for r in tables["XML1"].to_pylist()}
    xml7 = {str(r["MA_LK"]): r for r in tables["XML7"].to_pylist()}
    inpatient = {k for k, r in xml1.items() if r["MA_LOAI_KCB"] == "03"}
    assert inpatient
    assert set(xml7) == inpatient
    assert small.lines["XML7"] == len(inpatient)
    for ma_lk, paper in xml7.items():
        head = xml1[ma_lk]
        assert paper["NGAY_VAO"] == head["NGAY_VAO"]
        assert paper["NGAY_RA"] == head["NGAY_RA"]
        assert paper["NGAY_CT"] == head["NGAY_RA"].date()
        assert paper["MA_YTE"] == head["MA_BN"]
        assert paper["SO_LUU_TRU"] == head["MA_HSBA"]
        assert paper["CHAN_DOAN_RV"] == head["CHAN_DOAN_RV"]
        assert paper["MA_KHOA_RV"] == head["MA_KHOA"]
        assert len(str(paper["MA_BS"])) == 10
        assert paper["TEN_BS"]
