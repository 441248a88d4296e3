"""Planted patterns: each at its configured rate, each label on the exact wrong line.

For every pattern the labelled line must carry the defect (read back from the written
XML and reference files, not from the generator's memory), and no unlabelled line may
carry it: that is what lets the rule and signal helpers measure recall and precision
per pattern against ``ground_truth.csv``.
"""

from __future__ import annotations

import csv
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.standard.reader import read_batch
from giamdinh.synth import PATTERN_DESCRIPTIONS, PATTERN_NAMES, SynthConfig, generate
from giamdinh.synth.anomalies import (
    BUSY_DAY_CLAIMS,
    PATTERNS,
    make_plan,
    pattern_rates,
)
from giamdinh.synth.clinical import (
    ABDOMINAL_US,
    AFB_CODE,
    ECHO_CODE,
    HISTOLOGY_CODE,
    IMAGING_KINDS,
    SERVICES,
    UNSUPPORTED_INDICATION,
    Kind,
)
from giamdinh.synth.generator import day_counts

if TYPE_CHECKING:
    from pathlib import Path

    from giamdinh.synth import SynthResult

Row = dict[str, Any]
Key = tuple[str, int]


@dataclass
class Province:
    """A generated province read back from disk."""

    xml1: dict[str, Row]
    xml2: dict[str, list[Row]]
    xml3: dict[Key, Row]
    xml4: dict[str, list[Row]]
    truth: list[dict[str, str]]
    m05: dict[str, dict[str, Decimal]]
    m06: dict[str, dict[str, tuple[date, date | None]]]
    #: Every ``equipment_sources.csv`` row: machine → (form, HD_TU, HD_DEN), in order.
    sources: dict[str, list[tuple[str, date | None, date | None]]]
    licences: dict[str, dict[str, str]]
    out: Path

    def labelled(self, pattern: str) -> set[Key]:
        """Return the ``(MA_LK, STT)`` of the lines labelled with ``pattern``."""
        return {
            (r["ma_lk"], int(r["stt"]))
            for r in self.truth
            if r["pattern"] == pattern and r["ma_lk"]
        }

    def facility(self, key: Key) -> str:
        """Return the ``MA_CSKCB`` of the claim of a line."""
        return str(self.xml1[key[0]]["MA_CSKCB"])


def _day(text: str) -> date | None:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if text else None


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_province(result: SynthResult) -> Province:
    """Read the claims, the ground truth and the reference folders of a run."""
    out = result.out
    tables = read_batch(sorted(out.glob("claims/*/*.xml"))).tables
    xml1 = {str(r["MA_LK"]): r for r in tables["XML1"].to_pylist()}
    xml2: dict[str, list[Row]] = defaultdict(list)
    for r in tables["XML2"].to_pylist():
        xml2[str(r["MA_LK"])].append(r)
    xml4: dict[str, list[Row]] = defaultdict(list)
    for r in tables["XML4"].to_pylist():
        xml4[str(r["MA_LK"])].append(r)
    xml3 = {(str(r["MA_LK"]), int(r["STT"])): r for r in tables["XML3"].to_pylist()}
    m05: dict[str, dict[str, Decimal]] = {}
    m06: dict[str, dict[str, tuple[date, date | None]]] = {}
    sources: dict[str, list[tuple[str, date | None, date | None]]] = defaultdict(list)
    licences: dict[str, dict[str, str]] = {}
    for code in result.facilities:
        folder = out / "reference" / code
        m05[code] = {
            r["MA_DICH_VU"]: Decimal(r["DON_GIA"]) for r in _rows(folder / "M05.csv")
        }
        m06[code] = {}
        for r in _rows(folder / "M06.csv"):
            start = _day(r["TU_NGAY"])
            assert start is not None
            m06[code][r["MA_MAY"]] = (start, _day(r["DEN_NGAY"]))
        for r in _rows(folder / "equipment_sources.csv"):
            sources[r["MA_MAY"]].append(
                (r["HINH_THUC"], _day(r["HD_TU"]), _day(r["HD_DEN"]))
            )
        for r in _rows(folder / "licences.csv"):
            licences[r["MACCHN"]] = r
    with (out / "ground_truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    return Province(xml1, xml2, xml3, xml4, truth, m05, m06, sources, licences, out)


@pytest.fixture(scope="module")
def province(small: SynthResult) -> Province:
    """The shared 600-claim province with 30 % planted anomalies, read back."""
    return read_province(small)


def _licence_valid(lic: dict[str, str] | None, on: date) -> bool:
    if lic is None or lic["TRANG_THAI"] != "active":
        return False
    start, end = _day(lic["NGAY_HIEU_LUC"]), _day(lic["NGAY_HET_HIEU_LUC"])
    return (start is None or start <= on) and (end is None or on <= end)


def _lent_unpaid(rows: list[tuple[str, date | None, date | None]], on: date) -> bool:
    """Whether a line on ``on`` is on a lent machine the law did not pay as such.

    The latest row started by ``on`` says the form; a lent machine's line is
    unpaid during the stop (12/05/2022-04/11/2022) and, from 05/11/2022, after its
    contract's end (Resolution 144/NQ-CP clause 4).
    """
    started = [r for r in rows if r[1] is None or r[1] <= on]
    if not started:
        return False
    form, _, end = max(started, key=lambda r: r[1] or date.min)
    if form != "muon_nha_thau" or on < date(2022, 5, 12):
        return False
    return on <= date(2022, 11, 4) or (end is not None and on > end)


def _defective(p: Province, pattern: str, key: Key) -> bool:  # noqa: PLR0911, PLR0912
    """Whether the line ``key`` carries ``pattern``, judged from the files alone."""
    line = p.xml3[key]
    ma_lk, code = key[0], str(line["MA_DICH_VU"])
    claim = p.xml1[ma_lk]
    facility = str(claim["MA_CSKCB"])
    on = line["NGAY_TH_YL"].date()
    ma_may = str(line["MA_MAY"] or "")  # an omitted element reads as null
    info = SERVICES.get(code)
    kind = info.kind if info is not None else None
    others = [r for k, r in p.xml3.items() if k[0] == ma_lk and k != key]
    if pattern == "price_above_approved":
        approved = p.m05[facility].get(code)
        return approved is not None and Decimal(line["DON_GIA_BH"]) > approved
    if pattern == "service_not_in_catalogue":
        return code not in p.m05[facility]
    if pattern == "unbundling_cv266":
        paid = {"18.0016.0001", "18.0018.0001"}
        return code == ABDOMINAL_US and any(r["MA_DICH_VU"] in paid for r in others)
    if pattern == "ct_contrast_without_drug":
        drugs = [d for d in p.xml2[ma_lk] if d["MA_DICH_VU"] == code]
        return kind is Kind.CT_CONTRAST and not drugs
    if pattern == "biopsy_without_histology":
        return kind is Kind.ENDO_BIOPSY and not any(
            r["MA_DICH_VU"] == HISTOLOGY_CODE for r in others
        )
    if pattern == "duplicate_line":
        return any(
            r["MA_DICH_VU"] == code and r["NGAY_YL"] == line["NGAY_YL"] for r in others
        )
    if pattern == "frequency_over_limit":
        same_day = [
            r
            for r in others
            if r["MA_DICH_VU"] == AFB_CODE and r["NGAY_YL"].date() == on
        ]
        return code == AFB_CODE and len(same_day) >= 2
    if pattern == "diagnosis_not_supporting":
        return code in UNSUPPORTED_INDICATION.values()
    if pattern == "practitioner_unlicensed":
        people = [x for x in str(line["NGUOI_THUC_HIEN"] or "").split(";") if x]
        return any(not _licence_valid(p.licences.get(x), on) for x in people)
    if pattern == "practitioner_out_of_scope":
        scopes = [
            p.licences[x]["PHAMVI_CM"].split(";")
            for x in str(line["NGUOI_THUC_HIEN"] or "").split(";")
            if x in p.licences
        ]
        return code.startswith("18.") and any("18" not in s for s in scopes)
    if pattern == "machine_undeclared":
        return bool(ma_may) and ma_may not in p.m06[facility]
    if pattern == "machine_outside_period":
        period = p.m06[facility].get(ma_may)
        return period is not None and not (
            period[0] <= on and (period[1] is None or on <= period[1])
        )
    if pattern == "machine_lent_after_stop":
        return _lent_unpaid(p.sources.get(ma_may, []), on)
    if pattern == "result_missing":
        return kind in IMAGING_KINDS and not any(
            r["MA_DICH_VU"] == code for r in p.xml4[ma_lk]
        )
    if pattern == "order_after_discharge":
        return bool(line["NGAY_YL"] > claim["NGAY_RA"])
    msg = f"no file-level check for {pattern}"
    raise AssertionError(msg)


#: Patterns judged line by line from the files alone (the others are checked below).
LINE_PATTERNS = tuple(
    name
    for name in PATTERN_NAMES
    if name
    not in {
        "practitioner_two_places",
        "impossible_day",
        "volume_outlier",
        "machine_overlap",
        "busy_honest",
    }
)


def test_every_pattern_is_described() -> None:
    assert set(PATTERN_DESCRIPTIONS) == set(PATTERN_NAMES)
    assert all(text and "\n" not in text for text in PATTERN_DESCRIPTIONS.values())
    assert len(set(PATTERN_NAMES)) == len(PATTERN_NAMES)


@pytest.mark.parametrize("pattern", LINE_PATTERNS)
def test_label_is_the_wrong_line(province: Province, pattern: str) -> None:
    labelled = province.labelled(pattern)
    assert labelled
    for key in labelled:
        assert key in province.xml3, f"{pattern}: {key} is not an XML3 line"
        assert _defective(province, pattern, key), f"{pattern}: {key} is not wrong"


@pytest.mark.parametrize(
    "pattern",
    [
        "price_above_approved",
        "service_not_in_catalogue",
        "ct_contrast_without_drug",
        "biopsy_without_histology",
        "duplicate_line",
        "frequency_over_limit",
        "practitioner_unlicensed",
        "practitioner_out_of_scope",
        "machine_undeclared",
        "machine_outside_period",
        "machine_lent_after_stop",
        "result_missing",
        "order_after_discharge",
    ],
)
def test_unlabelled_lines_are_clean(province: Province, pattern: str) -> None:
    """No line without the label carries the defect (besides the labelled copy's
    twin for duplicates and the first two smears for frequency)."""
    labelled = province.labelled(pattern)
    twins: set[Key] = set()
    if pattern in {"duplicate_line", "frequency_over_limit"}:
        for ma_lk, stt in labelled:
            line = province.xml3[(ma_lk, stt)]
            twins |= {
                k
                for k, r in province.xml3.items()
                if k[0] == ma_lk and r["MA_DICH_VU"] == line["MA_DICH_VU"]
            }
    wrong = [
        key
        for key in province.xml3
        if key not in labelled
        and key not in twins
        and _defective(province, pattern, key)
    ]
    assert wrong == []


def test_two_places_pairs(province: Province) -> None:
    labelled = sorted(province.labelled("practitioner_two_places"))
    assert labelled
    assert len(labelled) % 2 == 0
    by_person: dict[str, list[Key]] = defaultdict(list)
    for key in labelled:
        by_person[str(province.xml3[key]["NGUOI_THUC_HIEN"])].append(key)
    for keys in by_person.values():
        facilities = {province.facility(k) for k in keys}
        assert len(facilities) == 2
    # Overlaps of one person at two facilities exist only where labelled.
    spans: dict[str, list[tuple[datetime, datetime, str, Key]]] = defaultdict(list)
    for key, row in province.xml3.items():
        if str(row["MA_DICH_VU"]).startswith("18."):
            spans[str(row["NGUOI_THUC_HIEN"])].append(
                (row["NGAY_TH_YL"], row["NGAY_KQ"], province.facility(key), key)
            )
    for items in spans.values():
        items.sort()
        for i, (_start, end, where, key) in enumerate(items):
            for other in items[i + 1 :]:
                if other[0] >= end:
                    break
                if other[2] != where:
                    assert key in labelled
                    assert other[3] in labelled


def test_volume_outlier_names_one_facility(province: Province) -> None:
    rows = [r for r in province.truth if r["pattern"] == "volume_outlier"]
    facility_rows = [r for r in rows if not r["ma_lk"]]
    assert len(facility_rows) == 1
    facility = facility_rows[0]["ma_cskcb"]
    lines = [r for r in rows if r["ma_lk"]]
    assert lines
    for r in lines:
        key = (r["ma_lk"], int(r["stt"]))
        assert province.facility(key) == facility
        assert province.xml3[key]["MA_DICH_VU"] == ABDOMINAL_US
    # The facility orders the service far more per claim than each of its peers.
    claims = Counter(str(c["MA_CSKCB"]) for c in province.xml1.values())
    ordered = Counter(
        province.facility(k)
        for k, r in province.xml3.items()
        if r["MA_DICH_VU"] == ABDOMINAL_US
    )
    share = {f: ordered[f] / claims[f] for f in claims if claims[f] >= 20}
    peers = sorted(v for f, v in share.items() if f != facility)
    assert share[facility] > 2 * peers[len(peers) // 2]


def test_planned_counts_follow_the_rates() -> None:
    """Each pattern is planted ``round(rate × claims)`` times (whole groups)."""
    config = SynthConfig(
        claims=20_000,
        seed=9,
        anomaly_rate=0.1,
        rates={
            "impossible_day": 0.02,
            "practitioner_two_places": 0.004,
            "machine_overlap": 0.004,
            "busy_honest": 0.02,
        },
    )
    rates = pattern_rates(config)
    counts = day_counts(config)
    starts = [0]
    for c in counts:
        starts.append(starts[-1] + c)
    ranges = [(starts[d], starts[d + 1]) for d in range(len(counts))]
    plan, clusters = make_plan(config, ranges, rates)
    got = Counter(plan)
    planted = 0
    for i, pattern in enumerate(PATTERNS, start=1):
        if pattern.name == "practitioner_two_places":
            want = 2 * round(rates[pattern.name] * config.claims / 2)
            assert got[i] + got[len(PATTERNS) + 1] == want
        elif pattern.name == "impossible_day":
            assert len(clusters) == round(0.02 * 20_000 / 120) == 3
            want = 120 * len(clusters)
            assert got[i] == want
        elif pattern.name == "busy_honest":
            want = BUSY_DAY_CLAIMS * round(0.02 * 20_000 / BUSY_DAY_CLAIMS)
            assert got[i] == want == 400
            busy_days = {d for d, (a, b) in enumerate(ranges) if i in plan[a:b]}
            assert len(busy_days) == 5
            assert not busy_days & set(clusters)
        else:
            want = round(rates[pattern.name] * config.claims)
            assert got[i] == want, pattern.name
        planted += want
    # Every other claim is clean: no pattern is planted twice on one claim.
    assert got[0] == config.claims - planted
    assert got[0] / config.claims == pytest.approx(1 - sum(rates.values()), abs=0.003)


def test_impossible_day(tmp_path: Path) -> None:
    """One cluster: a doctor billed for 120 echocardiographies on one day."""
    result = generate(
        SynthConfig(
            claims=3600,
            seed=4,
            facilities=6,
            anomaly_rate=0.0,
            rates={"impossible_day": 0.03},
            dicom_files=0,
        ),
        tmp_path,
    )
    assert result.planned["impossible_day"] == 120
    assert result.labels["impossible_day"] == 120
    p = read_province(result)
    keys = p.labelled("impossible_day")
    assert len(keys) == 120
    rows = [p.xml3[k] for k in keys]
    assert {r["MA_DICH_VU"] for r in rows} == {ECHO_CODE}
    assert len({r["NGUOI_THUC_HIEN"] for r in rows}) == 1
    assert len({r["NGAY_TH_YL"].date() for r in rows}) == 1
    minutes = sum((r["NGAY_KQ"] - r["NGAY_TH_YL"]).total_seconds() / 60 for r in rows)
    assert minutes > 24 * 60
    doctor = rows[0]["NGUOI_THUC_HIEN"]
    others = [k for k, r in p.xml3.items() if r["NGUOI_THUC_HIEN"] == doctor]
    assert set(others) == keys


def test_ground_truth_tables_match_patterns(province: Province) -> None:
    tables = {p.name: p.table for p in PATTERNS}
    for row in province.truth:
        assert row["table"] == tables[row["pattern"]], row


@pytest.fixture(scope="module")
def signal_province(tmp_path_factory: pytest.TempPathFactory) -> Province:
    """A 3,000-claim province with only the signal patterns planted."""
    result = generate(
        SynthConfig(
            claims=3000,
            seed=4,
            facilities=8,
            anomaly_rate=0.0,
            rates={"machine_overlap": 0.01, "busy_honest": 0.03},
            dicom_files=0,
        ),
        tmp_path_factory.mktemp("synth") / "signals",
    )
    assert result.planned["machine_overlap"] == round(0.01 * 3000) == 30
    assert result.labels["machine_overlap"] == result.planned["machine_overlap"]
    assert result.planned["busy_honest"] == BUSY_DAY_CLAIMS
    assert result.labels["busy_honest"] == BUSY_DAY_CLAIMS
    return read_province(result)


def _device_rows(p: Province) -> dict[str, list[tuple[datetime, datetime, Key]]]:
    folder = p.out / "device_logs"
    by_machine: dict[str, list[tuple[datetime, datetime, Key]]] = defaultdict(list)
    for path in sorted(folder.glob("*.csv")):
        for row in _rows(path):
            by_machine[row["MA_MAY"]].append(
                (
                    datetime.fromisoformat(row["START"]),
                    datetime.fromisoformat(row["END"]),
                    (row["MA_LK"], int(row["STT"])),
                )
            )
    return by_machine


def _overlapping(items: list[tuple[datetime, datetime, Key]]) -> set[Key]:
    """Return the items that start before an earlier item (by start) has ended."""
    found: set[Key] = set()
    latest: datetime | None = None
    for start, end, key in sorted(items):
        if latest is not None and start < latest:
            found.add(key)
        latest = end if latest is None else max(latest, end)
    return found


def test_machine_overlap(signal_province: Province) -> None:
    """Each labelled study starts on its machine while the previous study runs, in
    the claim times and in the device log; no other study overlaps anything."""
    p = signal_province
    labelled = p.labelled("machine_overlap")
    assert len(labelled) == 30
    logs = _device_rows(p)
    claim_times: dict[str, list[tuple[datetime, datetime, Key]]] = defaultdict(list)
    for key, row in p.xml3.items():
        if row["MA_MAY"] in logs:
            claim_times[str(row["MA_MAY"])].append(
                (row["NGAY_TH_YL"], row["NGAY_KQ"], key)
            )
    in_claims = set().union(*(_overlapping(v) for v in claim_times.values()))
    in_logs = set().union(*(_overlapping(v) for v in logs.values()))
    assert in_claims == labelled
    assert in_logs == labelled
    for key in labelled:
        row = p.xml3[key]
        assert SERVICES[str(row["MA_DICH_VU"])].kind in IMAGING_KINDS | {
            Kind.ECG,
            Kind.ENDO,
            Kind.ENDO_BIOPSY,
        }
        assert row["NGAY_YL"] <= row["NGAY_TH_YL"] < row["NGAY_KQ"]


def test_busy_honest(signal_province: Province) -> None:
    """One radiographer, 80 short X-rays on one day, one at a time, all labelled;
    registered at the hospital and doing nothing else: clean."""
    p = signal_province
    labelled = p.labelled("busy_honest")
    assert len(labelled) == BUSY_DAY_CLAIMS
    rows = [p.xml3[k] for k in labelled]
    assert {SERVICES[str(r["MA_DICH_VU"])].kind for r in rows} == {Kind.XRAY}
    people = {str(r["NGUOI_THUC_HIEN"]) for r in rows}
    assert len(people) == 1
    person = people.pop()
    assert len({r["NGAY_TH_YL"].date() for r in rows}) == 1
    assert {k for k, r in p.xml3.items() if r["NGUOI_THUC_HIEN"] == person} == labelled
    spans = sorted((r["NGAY_TH_YL"], r["NGAY_KQ"]) for r in rows)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start  # one study at a time
    minutes = sum((e - s).total_seconds() / 60 for s, e in spans)
    assert 2 * 60 < minutes < 8 * 60
    facilities = {p.facility(k) for k in labelled}
    assert len(facilities) == 1
    m02 = _rows(p.out / "reference" / facilities.pop() / "M02.csv")
    assert person in {r["MACCHN"] for r in m02}
    assert _licence_valid(p.licences.get(person), rows[0]["NGAY_TH_YL"].date())
