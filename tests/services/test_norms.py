"""Norms use cases end to end on SQLite and PostgreSQL (URL-based, as the CLI uses)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook

from giamdinh.db import make_engine, make_session_factory, session_scope, upgrade
from giamdinh.db.testing import temporary_database_url
from giamdinh.errors import ConfigError, TransitionError
from giamdinh.norms import store
from giamdinh.norms.demo import demo_price_book, draft_for, technique_templates
from giamdinh.norms.excel import write_draft_workbook
from giamdinh.norms.workflow import DraftState
from giamdinh.refdata import ReferenceSet
from giamdinh.services import norms as service

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HOSPITALS = ("BACHMAI", "CHORAY", "HUETW")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with temporary_database_url(
        str(request.param), tmp_path=tmp_path, pg_url=pg_url
    ) as db_url:
        upgrade(db_url)
        engine = make_engine(db_url)
        try:
            with session_scope(make_session_factory(engine)) as session:
                store.ensure_technique(session, "12.0344", "Xạ trị 3D-CRT (một buổi)")
                for code in HOSPITALS:
                    store.ensure_hospital(session, code, f"Bệnh viện {code}")
                session.flush()
                for code in HOSPITALS:
                    assignment = store.assign(
                        session, technique_code="12.0344", hospital_code=code,
                        actor="cuc", is_focal=code == "BACHMAI",
                        deadline=date(2025, 10, 31),
                    )  # fmt: skip
                    store.transition(
                        session, assignment, DraftState.QUALIFIED, actor=code
                    )
                store.save_price_book(session, demo_price_book())
        finally:
            engine.dispose()
        yield db_url


def workbook(tmp_path: Path, hospital: str, seed: int = 1) -> Path:
    template = next(t for t in technique_templates() if t.code == "12.0344")
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    draft = draft_for(template, hospital, rng, outlier=False)
    return write_draft_workbook(tmp_path / f"{hospital}.xlsx", draft)


def test_import_validate_submit_and_one_bad_file_does_not_stop_the_batch(
    url: str, tmp_path: Path
) -> None:
    good = workbook(tmp_path, "BACHMAI")
    bad = workbook(tmp_path, "CHORAY")
    book = load_workbook(bad)
    book["DinhMuc"]["B2"] = "???"
    book.save(bad)
    results = service.import_drafts(
        [bad, good], database_url=url, actor="bm", submit=True
    )
    assert [r.imported for r in results] == [False, True]
    assert results[0].findings[0].code == "NM120"
    assert (results[1].version, results[1].state) == (1, "submitted")
    again = service.import_drafts([good], database_url=url, actor="bm")
    assert not again[0].imported
    assert again[0].findings[-1].code == "NM140"  # submitted: no new version now


def test_unassigned_draft_is_refused_with_a_finding(url: str, tmp_path: Path) -> None:
    path = workbook(tmp_path, "TUDU")
    results = service.import_drafts([path], database_url=url, actor="x")
    assert not results[0].imported
    assert "not assigned" in results[0].findings[-1].message_en  # type: ignore[operator]


def test_cost_compare_consolidate_and_record(url: str, tmp_path: Path) -> None:
    paths = [workbook(tmp_path, h, seed=i) for i, h in enumerate(HOSPITALS)]
    assert all(
        r.imported
        for r in service.import_drafts(paths, database_url=url, actor="x", submit=True)
    )
    hospital = service.cost(
        "12.0344", database_url=url, hospital_code="HUETW", use_draft_volume=True
    )
    assert hospital.breakdown.idle_capacity_cost is not None
    assert hospital.breakdown.missing_prices == ()
    rows = service.compare_drafts("12.0344", database_url=url)
    assert all(r.n == 3 for r in rows)
    with pytest.raises(ConfigError, match="no national norm"):
        service.cost("12.0344", database_url=url)
    result = service.consolidate_technique(
        "12.0344", database_url=url, record=True, actor="cuc"
    )
    assert result.version == 1
    assert result.bands  # a linac technique: fixed costs dominate
    national = service.cost(
        "12.0344", database_url=url, curve=[Decimal(6250), Decimal(30000)]
    )
    assert national.subject == "national v1"
    assert national.breakdown.unit_cost == result.cost.unit_cost
    low, high = national.curve
    assert low.unit_cost > high.unit_cost
    staff, supplies = service.published_norms(database_url=url)
    assert set(staff.column("title").to_pylist()) == {"KTV", "BS", "KSVL"}
    assert supplies.num_rows > 0
    # The same norms as reference tables the engine reads, as of a day.
    tables = service.norm_reference_tables(
        database_url=url, effective_from=date(2026, 7, 1)
    )
    assert set(tables) == {"ref_norm_staff_minutes", "ref_norm_supply_quantities"}
    refs = ReferenceSet.national().with_norms(tables)
    on_day = refs.lookup("norm_supply", "12.0344.0001", date(2026, 7, 1))
    assert on_day.num_rows == supplies.num_rows
    assert refs.lookup("norm_supply", "12.0344", date(2026, 6, 30)).num_rows == 0
    refs.close()
    out = service.export_consolidation("12.0344", tmp_path / "n.xlsx", database_url=url)
    assert load_workbook(out).sheetnames == [
        "DinhMucQuocGia",
        "SoSanh",
        "ChiPhi",
        "BacSanLuong",
    ]


def test_transitions_and_comments(url: str, tmp_path: Path) -> None:
    service.import_drafts(
        [workbook(tmp_path, "CHORAY")], database_url=url, actor="cr", submit=True
    )
    with pytest.raises(TransitionError, match="cannot go from submitted to approved"):
        service.transition(
            "12.0344", "CHORAY", "approved", database_url=url, actor="cuc"
        )
    assert (
        service.transition(
            "12.0344", "CHORAY", "reviewed", database_url=url, actor="cuc"
        )
        == "reviewed"
    )
    number = service.comment(
        "12.0344",
        "CHORAY",
        "Giải trình thời gian KTV",
        database_url=url,
        author="cuc",
        line_no=1,
    )
    with pytest.raises(ConfigError, match="no line 999"):
        service.comment(
            "12.0344", "CHORAY", "?", database_url=url, author="cuc", line_no=999
        )
    with pytest.raises(TransitionError, match="still open"):
        service.transition(
            "12.0344", "CHORAY", "consolidated", database_url=url, actor="cuc"
        )
    with pytest.raises(ConfigError, match="unknown state"):
        service.transition("12.0344", "CHORAY", "done", database_url=url, actor="cuc")
    with pytest.raises(ConfigError, match="does not exist"):
        service.resolve_comment(number + 1000, database_url=url)
    service.resolve_comment(number, database_url=url)
    # once the comment is resolved the draft may be consolidated
    assert (
        service.transition(
            "12.0344", "CHORAY", "consolidated", database_url=url, actor="cuc"
        )
        == "consolidated"
    )
    # a revision comes back through import (reviewed → revised → submitted)
    service.import_drafts(
        [workbook(tmp_path, "HUETW")], database_url=url, actor="h", submit=True
    )
    service.transition("12.0344", "HUETW", "reviewed", database_url=url, actor="cuc")
    results = service.import_drafts(
        [workbook(tmp_path, "HUETW", seed=9)],
        database_url=url,
        actor="h",
        submit=True,
    )
    assert (results[0].version, results[0].state) == (2, "submitted")


def test_progress_and_export(url: str, tmp_path: Path) -> None:
    report = service.progress(url, as_of=date(2030, 1, 1))
    assert (
        report.total.assigned,
        report.total.qualified,
        report.total.drafts_sent,
    ) == (1, 1, 0)
    assert [o.hospital_code for o in report.overdue] == ["BACHMAI"]
    path = service.export_progress(
        tmp_path / "p.xlsx", database_url=url, as_of=date(2030, 1, 1)
    )
    book = load_workbook(path)
    assert book.sheetnames == ["TheoBenhVien", "TheoChuong", "QuaHan", "ThongTin"]
    assert book["ThongTin"]["B2"].value == "assigned 1 / qualified 1 / drafts sent 0"


def test_bad_options_are_operator_errors() -> None:
    with pytest.raises(ConfigError, match="depreciation method"):
        service.cost_params(method="declining")
    with pytest.raises(ConfigError, match="floor"):
        service.cost_params(floor=Decimal("0.9"), ceiling=Decimal("0.5"))


def _price_csv(path: Path) -> Path:
    """The demo price book written as the CSV a ministry would load."""
    lines = ["LOAI;MA;TEN;DON_VI;DON_GIA;NAM_SU_DUNG;PHUT_NAM;TY_LE_BAO_DUONG;NGUON"]
    for p in demo_price_book().prices:
        cells = (
            p.kind, p.code, p.name, p.unit, p.price, p.useful_life_years,
            p.minutes_per_year, p.maintenance_rate, p.source,
        )  # fmt: skip
        lines.append(";".join("" if c is None else str(c) for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_assignment_list_and_price_book_files(url: str, tmp_path: Path) -> None:
    listing = tmp_path / "phan_cong.csv"
    listing.write_text(
        "MA_KY_THUAT,TEN_KY_THUAT,MA_BENH_VIEN,TEN_BENH_VIEN,DAU_MOI,HAN_NOP\n"
        "18.0119,Chụp Xquang ngực thẳng,BACHMAI,,1,20251031\n"
        "12.0344,,BACHMAI,,1,\n",
        encoding="utf-8",
    )
    result = service.load_assignments(listing, database_url=url, actor="cuc")
    assert (result.loaded, result.created, result.existing) == (True, 1, 1)
    report = service.progress(url, as_of=date(2030, 1, 1))
    assert report.total.assigned == 2
    assert {o.technique_code for o in report.overdue} >= {"18.0119"}
    # All or nothing: an unknown technique without a name refuses the whole file.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "MA_KY_THUAT,TEN_KY_THUAT,MA_BENH_VIEN,DAU_MOI\n"
        "18.0015,Siêu âm ổ bụng,BACHMAI,1\n99.0001,,BACHMAI,1\n",
        encoding="utf-8",
    )
    refused = service.load_assignments(bad, database_url=url, actor="cuc")
    assert not refused.loaded
    assert [(f.location.stt, f.code) for f in refused.findings] == [(3, "NM208")]
    assert service.progress(url, as_of=date(2030, 1, 1)).total.assigned == 2

    loaded = service.load_price_book_file(
        _price_csv(tmp_path / "gia.csv"), database_url=url, code="QG-CSV",
        name="demo prices from a file", valid_from=date(2026, 1, 1),
    )  # fmt: skip
    assert loaded.loaded
    assert loaded.created == len(demo_price_book().prices)
    with pytest.raises(ConfigError, match="already exists"):
        service.load_price_book_file(
            tmp_path / "gia.csv", database_url=url, code="QG-CSV", name="again",
            valid_from=date(2026, 1, 1),
        )  # fmt: skip
    paths = [workbook(tmp_path, h, seed=i) for i, h in enumerate(HOSPITALS)]
    service.import_drafts(paths, database_url=url, actor="x", submit=True)
    from_file = service.consolidate_technique(
        "12.0344", database_url=url, price_book="QG-CSV"
    )
    from_demo = service.consolidate_technique(
        "12.0344", database_url=url, price_book=demo_price_book().code
    )
    assert from_file.cost.unit_cost == from_demo.cost.unit_cost > 0
    assert from_file.cost.missing_prices == ()
