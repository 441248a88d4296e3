"""The demo programme reproduces seed 000's figures on both back ends."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from giamdinh.db import make_session_factory
from giamdinh.db.models.norms import NormDraft, NormTechnique
from giamdinh.db.testing import temporary_database
from giamdinh.norms import catalogue, store
from giamdinh.norms.consolidate import compare
from giamdinh.norms.demo import (
    HOSPITALS,
    demo_price_book,
    hospital_split,
    load_demo,
    planned_techniques,
    technique_templates,
)
from giamdinh.norms.progress import progress_report
from giamdinh.norms.publish import norm_staff_minutes, norm_supply_quantities
from giamdinh.norms.volume_price import norm_prices_at_volume, stored_norms
from giamdinh.refdata import ReferenceSet

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy.orm import Session


def test_split_sums_to_seed_figures() -> None:
    split = hospital_split()
    assert len(split) == 17
    assert sum(s.assigned for s in split) == 9033
    assert sum(s.qualified for s in split) == 5386
    assert sum(s.sent for s in split) == 2790
    assert all(s.assigned >= s.qualified >= s.sent > 0 for s in split)


def test_templates_cover_imaging_and_radiotherapy() -> None:
    templates = technique_templates()
    assert len(templates) >= 30
    assert {t.group for t in templates} == {"imaging", "radiotherapy"}


def test_template_codes_are_the_real_techniques() -> None:
    """Published norms join claim lines by code: a made-up code would hit another."""
    refs = ReferenceSet.national()
    rows = refs.sql(
        "select ma_ky_thuat, any_value(modality) as modality from ref_techniques "
        "group by ma_ky_thuat"
    ).to_pylist()
    catalogue = {r["ma_ky_thuat"]: r["modality"] for r in rows}
    for template in technique_templates():
        if template.code.startswith("12.93"):  # radiotherapy the list lacks
            assert template.code not in catalogue
            continue
        assert template.code in catalogue, template.code
        if template.group == "imaging":
            assert catalogue[template.code] is not None, template.code
    chest = next(t for t in technique_templates() if t.code == "18.0119")
    assert "ngực" in chest.name
    refs.close()


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def demo_session(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    pg_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    tmp: Path = tmp_path_factory.mktemp("demo")
    with temporary_database(str(request.param), tmp_path=tmp, pg_url=pg_url) as engine:
        factory = make_session_factory(engine)
        with factory() as session:
            load_demo(session, seed=0)
            session.commit()
            yield session


def test_progress_on_demo_shows_seed_figures(demo_session: Session) -> None:
    report = progress_report(demo_session, as_of=date(2025, 11, 11))
    assert report.headline() == "assigned 9,033 / qualified 5,386 / drafts sent 2,790"
    assert len(report.by_hospital) == 17
    split = {s.code: s for s in hospital_split()}
    for row in report.by_hospital:
        expected = split[row.key]
        assert (row.assigned, row.qualified, row.drafts_sent) == (
            expected.assigned,
            expected.qualified,
            expected.sent,
        )
    assert {r.key for r in report.by_hospital} == {h[0] for h in HOSPITALS}
    assert sum(r.assigned for r in report.by_chapter) == 9033
    assert report.overdue
    assert demo_session.scalar(select(func.count()).select_from(NormTechnique)) == 9033


def test_demo_drafts_are_full_and_comparable(demo_session: Session) -> None:
    assert (demo_session.scalar(select(func.count()).select_from(NormDraft)) or 0) >= 90
    drafts = store.latest_drafts(demo_session, "12.0344")
    assert len(drafts) >= 3
    categories = {line.category.value for line in drafts[0].lines}
    assert {
        "labour",
        "equipment",
        "electricity",
        "water",
        "waste",
        "maintenance",
    } <= categories
    assert drafts[0].evidence
    rows = compare(drafts)
    assert all(r.n == len(drafts) for r in rows if r.category.value == "labour")


def test_demo_publishes_norms(demo_session: Session) -> None:
    staff = norm_staff_minutes(demo_session)
    supplies = norm_supply_quantities(demo_session)
    assert len(set(staff.column("technique_code").to_pylist())) == len(
        technique_templates()
    )
    assert supplies.num_rows > 0


def test_demo_refuses_a_non_empty_store(demo_session: Session) -> None:
    from giamdinh.errors import ConfigError

    with pytest.raises(ConfigError, match="not empty"):
        load_demo(demo_session)


def test_demo_techniques_are_the_real_list() -> None:
    """Codes and names come from appendix 01 of TT 23/2024; only 12.93xx are not."""
    by_code = catalogue.techniques_by_code()
    planned = planned_techniques()
    assert len(planned) == len({t["code"] for t in planned}) == 9033
    outside = [t for t in planned if t["code"] not in by_code]
    assert {str(t["code"])[:5] for t in outside} == {"12.93"}
    for technique in planned:
        real = by_code.get(str(technique["code"]))
        if real is not None and real.name_complete:
            assert technique["name"] == real.name
            assert technique["chapter"] == real.chapter
    linked = catalogue.appendix_02_codes()
    assert sum(t["code"] in linked for t in planned) > 5000


def test_stored_national_norms_price_claimed_services(demo_session: Session) -> None:
    norms = stored_norms(demo_session)
    assert len(norms) == len(technique_templates())
    assert {n.origin for n in norms} == {"national v1 (median)"}
    result = norm_prices_at_volume(
        norms=norms,
        book=demo_price_book(),
        volumes={("K", "12.0344.0001"): 30000, ("TINH", "12.0344.0001"): 6250},
    )
    k_hospital = result.prices[("K", "12.0344.0001")]
    provincial = result.prices[("TINH", "12.0344.0001")]
    assert provincial.unit_cost > k_hospital.unit_cost
    assert provincial.idle_share is not None
    assert provincial.idle_share > 0
    assert not result.unmapped
