"""Policy replay over a stored province: the comparison run, its files, reproducibility.

The store is a copy of the shared demo site (400 synthetic claims, the whole rule
set in force); its replay of A–D is compared with the rules in force.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from tests.site import copy_site

from giamdinh.errors import ConfigError
from giamdinh.norms.volume_price import demo_norms, technique_of_service
from giamdinh.services.policy import ReplayRun, machine_register, replay_store

if TYPE_CHECKING:
    from pathlib import Path

OPTIONS = ["A", "B", "C", "D", "baseline"]
AT = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def folder(site: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_site(site, tmp_path_factory.mktemp("policy") / "site").folder


@pytest.fixture(scope="module")
def run(folder: Path) -> ReplayRun:
    return replay_store(
        folder / "store",
        OPTIONS,
        reference_dir=folder / "province" / "reference",
        now=AT,
    )


def totals(run: ReplayRun) -> dict[str, Any]:
    return {t.id: t for t in run.options}


def test_the_comparison_run_is_written_to_the_store(
    run: ReplayRun, folder: Path
) -> None:
    assert run.folder.parent == folder / "store" / "policy"
    meta = json.loads((run.folder / "replay.json").read_text(encoding="utf-8"))
    assert meta["fingerprint"] == run.fingerprint
    assert meta["result_sha256"] == run.result_sha256
    assert set(meta["inputs"]["options"]) == set(OPTIONS)
    assert meta["inputs"]["store"]["seq"] >= 1
    assert meta["inputs"]["rule_set"].startswith("rs-")
    assert [o["id"] for o in meta["options"]] == ["current", *OPTIONS]
    for name in ("by_facility_month", "by_rule", "by_machine"):
        table = pq.read_table(run.folder / f"{name}.parquet")
        assert set(table.column("option").to_pylist()) == {"current", *OPTIONS}
    for option in ("current", *OPTIONS):
        changed = pq.read_table(run.folder / f"changed-{option}.parquet")
        assert changed.num_rows == totals(run)[option].lines_changed


def test_money_is_kept_and_the_claim_is_the_same_under_every_option(
    run: ReplayRun,
) -> None:
    claimed = {t.totals["claimed"] for t in run.options}
    assert len(claimed) == 1
    for t in run.options:
        parts = t.totals["payable"] + t.totals["refused"]
        parts += t.totals["adjusted"] + t.totals["under_review"]
        assert parts == t.totals["claimed"]
        assert sum(t.changes.values(), Decimal(0)) == 0


def test_the_baseline_as_an_option_changes_nothing_on_the_whole_rule_set(
    run: ReplayRun,
) -> None:
    by_id = totals(run)
    assert by_id["baseline"].totals == by_id["current"].totals
    assert by_id["baseline"].lines_changed == 0
    assert by_id["baseline"].rules_run == ()


def test_an_option_about_lent_machines_changes_only_lines_on_lent_machines(
    run: ReplayRun, folder: Path
) -> None:
    lent = set()
    for path in (folder / "province" / "reference").rglob("equipment_sources.csv"):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            cells = line.split(",")
            if cells[1] == "muon_nha_thau":
                lent.add(cells[0])
    changed = pq.read_table(run.folder / "changed-A.parquet")
    assert changed.num_rows > 0
    for machines in changed.column("ma_may").to_pylist():
        assert set(machines.split(";")) & lent
    assert totals(run)["A"].rules_run == ("PL001@1", "PL002@1")


def test_replaying_again_gives_the_same_numbers(run: ReplayRun, folder: Path) -> None:
    again = replay_store(
        folder / "store",
        OPTIONS,
        reference_dir=folder / "province" / "reference",
        now=datetime(2026, 4, 2, tzinfo=UTC),
    )
    assert again.folder != run.folder
    assert again.fingerprint == run.fingerprint
    assert again.result_sha256 == run.result_sha256
    for name in ("by_facility_month", "by_rule", "by_machine", "changed-D"):
        first = pq.read_table(run.folder / f"{name}.parquet")
        second = pq.read_table(again.folder / f"{name}.parquet")
        assert first.equals(second)


def test_a_period_is_part_of_what_was_replayed(run: ReplayRun, folder: Path) -> None:
    empty = replay_store(
        folder / "store",
        ["A"],
        reference_dir=folder / "province" / "reference",
        period=(date(2000, 1, 1), date(2000, 12, 31)),
    )
    assert empty.fingerprint != run.fingerprint
    assert all(t.totals["claimed"] == 0 for t in empty.options)
    with pytest.raises(ConfigError, match="after"):
        replay_store(
            folder / "store", ["A"], period=(date(2026, 2, 1), date(2026, 1, 1))
        )


def test_option_ids_must_differ(folder: Path) -> None:
    with pytest.raises(ConfigError, match="must differ"):
        replay_store(folder / "store", ["A", "a"])


def test_the_workbook_and_the_chart(run: ReplayRun) -> None:
    book = load_workbook(run.workbook, read_only=True)
    assert book.sheetnames == [
        "Tong hop",
        "Co so - thang",
        "Quy tac",
        "May",
        "Dong thay doi",
        "Phuong an",
    ]
    rows = list(book["Tong hop"].iter_rows(values_only=True))
    assert rows[0][0] == "Phương án / Option"
    assert [r[0] for r in rows[1:]] == ["current", *OPTIONS]
    a = next(r for r in rows if r[0] == "A")
    assert isinstance(a[3], float | int)  # money is a number, not text
    facility = next(iter(book["Co so - thang"].iter_rows(min_row=2, values_only=True)))
    assert isinstance(facility[1], str)
    assert len(list(book["Dong thay doi"].iter_rows(min_row=2))) == sum(
        t.lines_changed for t in run.options
    )
    texts = {r[0]: r for r in book["Phuong an"].iter_rows(min_row=2, values_only=True)}
    assert "1261/BHXH-CSYT" in str(texts["A"][6])
    svg = ET.fromstring(run.chart.read_text(encoding="utf-8"))  # noqa: S314 - our own file
    bars = [
        e
        for e in svg.iter("{http://www.w3.org/2000/svg}rect")
        if e.find("{http://www.w3.org/2000/svg}title") is not None
    ]
    months = {
        r["month"]
        for r in pq.read_table(run.folder / "by_facility_month.parquet").to_pylist()
    }
    # Two panels (paid, and its change), a bar per option and month in each.
    assert len(bars) == 2 * len(months) * (len(OPTIONS) + 1)


def test_a_price_option_from_the_norms_prices_each_facility_at_its_volume(
    folder: Path, tmp_path: Path
) -> None:
    option = tmp_path / "volume.toml"
    option.write_text(
        'id = "V-demo"\ntitle = "Giá định mức"\ntitle_en = "Norm price"\n'
        '[prices]\nsource = "norms"\nnorms = "demo"\n',
        encoding="utf-8",
    )
    run = replay_store(
        folder / "store", [str(option)], reference_dir=folder / "province" / "reference"
    )
    result = totals(run)["V-demo"]
    assert result.rules_run == ()
    assert result.lines_changed > 0
    changed = pq.read_table(run.folder / "changed-V-demo.parquet")
    normed = {n.technique_code for n in demo_norms()}
    assert set(changed.column("tbl").to_pylist()) == {"XML3"}
    assert {
        technique_of_service(c) for c in changed.column("code").to_pylist()
    } <= normed
    assert pc.all(pc.equal(changed["base_status"], changed["status"])).as_py()
    meta = json.loads((run.folder / "replay.json").read_text(encoding="utf-8"))
    from giamdinh.policy.options import load_option

    # The option's identity includes the prices computed for it.
    assert meta["inputs"]["options"]["V-demo"] != load_option(option).sha256


def test_the_lent_machine_register(folder: Path) -> None:
    reference = folder / "province" / "reference"
    entries, problems = machine_register(
        reference, store_dir=folder / "store", on=date(2026, 3, 31)
    )
    assert not problems
    assert entries
    assert any(e.months for e in entries)
    overdue, _ = machine_register(
        reference, on=date(2026, 3, 31), deadline=date(2025, 12, 31), overdue_only=True
    )
    assert {e.ma_may for e in overdue} <= {e.ma_may for e in entries}
    assert all(
        e.converted_on is None or e.converted_on > date(2025, 12, 31) for e in overdue
    )
    none_yet, _ = machine_register(
        reference, on=date(2026, 3, 31), deadline=date(2026, 12, 31), overdue_only=True
    )
    assert none_yet == []
