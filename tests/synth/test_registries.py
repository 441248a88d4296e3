"""Registries of the province and its neighbours, with labelled unauthorised practice.

The files must be what ``giamdinh exchange import`` reads, each fact its writer's
to state, and every label must point at a claim line that shows what it says.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from giamdinh.errors import ConfigError
from giamdinh.exchange.imports import read_file
from giamdinh.exchange.registry import (
    LicenceFact,
    RegistrationFact,
    StatusFact,
    scope_appendix,
)
from giamdinh.standard.reader import read_batch
from giamdinh.synth import SynthConfig, SynthResult, generate
from giamdinh.synth.registries import REGISTRY_PATTERNS, appendix_codes

if TYPE_CHECKING:
    from pathlib import Path

HOME, NEIGHBOURS = "79", ("75", "74")


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    out: Path = tmp_path_factory.mktemp("synth") / "neighbours"
    config = SynthConfig(
        claims=500,
        seed=3,
        facilities=6,
        province=HOME,
        neighbours=NEIGHBOURS,
        variant_share=0,
    )
    return generate(config, out)


def _truth(result: SynthResult) -> dict[str, list[dict[str, str]]]:
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (result.out / "ground_truth.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["pattern"]].append(row)
    return rows


def _facts(result: SynthResult, code: str) -> list[Any]:
    facts: list[Any] = []
    for name in ("licences.csv", "M02.csv"):
        report = read_file(result.out / "registries" / code / name, province=code)
        assert report.problems == [], report.problems
        facts.extend(report.facts)
    return facts


def test_each_province_writes_forms_the_exchange_imports(
    province: SynthResult,
) -> None:
    for code in (HOME, *NEIGHBOURS):
        facts = _facts(province, code)
        for fact in facts:
            # each fact is its province's to state (docs/exchange.md, Authority)
            if isinstance(fact, RegistrationFact):
                assert fact.province == code
            else:
                assert fact.issuing_province == code
    neighbour = _facts(province, "75")
    assert any(isinstance(f, StatusFact) for f in neighbour)
    assert any(
        isinstance(f, RegistrationFact) and f.ma_cskcb == "75001" for f in neighbour
    )


def test_every_registry_pattern_is_labelled_and_counted(
    province: SynthResult,
) -> None:
    truth = _truth(province)
    for pattern in REGISTRY_PATTERNS:
        assert truth[pattern], pattern
        assert province.labels[pattern] == len(truth[pattern])


def test_labels_point_at_lines_showing_what_they_say(province: SynthResult) -> None:
    tables = read_batch(sorted(province.out.glob("claims/*/*.xml"))).tables
    xml3 = {(str(r["MA_LK"]), int(r["STT"])): r for r in tables["XML3"].to_pylist()}
    readers: dict[tuple[str, str], str] = {
        (str(r["MA_LK"]), str(r["MA_DICH_VU"])): str(r["MA_BS_DOC_KQ"] or "")
        for r in tables["XML4"].to_pylist()
    }
    facts = [f for code in (HOME, *NEIGHBOURS) for f in _facts(province, code)]
    statuses = {f.macchn: f for f in facts if isinstance(f, StatusFact)}
    titles = {f.macchn: f.chuc_danh for f in facts if isinstance(f, LicenceFact)}
    pl_v = appendix_codes()
    truth = _truth(province)
    for row in truth["licence_revoked_elsewhere"]:
        line = xml3[row["ma_lk"], int(row["stt"])]
        macchn = row["detail"].split()[0]
        named = ";".join(
            str(line[c] or "") for c in ("MA_BAC_SI", "NGUOI_THUC_HIEN")
        ) + readers.get((row["ma_lk"], str(line["MA_DICH_VU"])), "")
        assert macchn in named
        status = statuses[macchn]
        assert status.issuing_province in NEIGHBOURS
        assert status.status in {"revoked", "suspended"}
        assert status.valid_from < date(2026, 3, 1)
    for row in truth["technique_outside_title"]:
        line = xml3[row["ma_lk"], int(row["stt"])]
        macchn = row["detail"].split()[0]
        assert macchn in str(line["NGUOI_THUC_HIEN"])
        assert scope_appendix(titles[macchn]) == "PL V"
        assert str(line["MA_DICH_VU"])[:7] not in pl_v
    double = {
        f.so_dinh_danh
        for f in facts
        if isinstance(f, RegistrationFact) and f.province in NEIGHBOURS
    }
    people = {f.macchn: f.so_dinh_danh for f in facts if isinstance(f, LicenceFact)}
    for row in truth["registered_two_provinces"]:
        line = xml3[row["ma_lk"], int(row["stt"])]
        macchn = row["detail"].split()[0]
        assert people[macchn] in double
        assert macchn in ";".join(
            str(line[c] or "") for c in ("MA_BAC_SI", "NGUOI_THUC_HIEN")
        ) + readers.get((row["ma_lk"], str(line["MA_DICH_VU"])), "")


def test_a_neighbour_must_be_another_province() -> None:
    with pytest.raises(ConfigError, match="--neighbour"):
        SynthConfig(claims=10, province="79", neighbours=("79",))
    with pytest.raises(ConfigError, match="given twice"):
        SynthConfig(claims=10, province="79", neighbours=("75", "75"))
