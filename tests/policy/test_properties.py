"""Properties of the replay over any register of lent machines and any service days.

* Replaying the rules in force as an option (``baseline``) changes nothing.
* Money is kept: payable + refused + adjusted + under review = claimed, per option.
* The options nest: A refuses every lent line B, C or D refuses; B and D refuse
  every line C refuses (C pays after the contract while stock lasts; B never
  does, and D pays no more than C).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.engine.views import logical_views
from giamdinh.policy.milestones import SCHEMA as MILESTONES_SCHEMA
from giamdinh.policy.milestones import VIEW
from giamdinh.policy.options import load_option
from giamdinh.policy.replay import baseline_scenario, replay, resolve

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from giamdinh.rules.registry import RuleSet

MACHINES = [f"SH.P.{n}" for n in range(4)]
FORMS = ["muon_nha_thau", "muon_nha_thau", "ngan_sach", "lien_doanh_lien_ket", "thue"]
DAY = st.dates(min_value=date(2017, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def registers(draw: st.DrawFn) -> tuple[pa.Table, pa.Table]:
    rows = []
    steps = []
    for machine in MACHINES:
        start = draw(DAY)
        for _ in range(draw(st.integers(1, 2))):
            end = draw(st.one_of(st.none(), st.dates(start, date(2029, 12, 31))))
            stock = draw(st.one_of(st.none(), st.dates(start, date(2029, 12, 31))))
            rows.append(
                {
                    "ma_may": machine,
                    "hinh_thuc": draw(st.sampled_from(FORMS)),
                    "hd_tu": start,
                    "hd_den": end,
                    "het_vat_tu": stock,
                    "valid_from": start,
                    "valid_to": end,
                }
            )
            start = (end or start) + timedelta(days=1)
        if draw(st.booleans()):
            steps.append(
                {
                    "ma_may": machine,
                    "moc": "phe_duyet",
                    "ngay": draw(DAY),
                    "file": "t",
                    "row": 2,
                }
            )
    return pa.Table.from_pylist(rows), pa.Table.from_pylist(
        steps, schema=MILESTONES_SCHEMA
    )


def _claims(
    base: dict[str, pa.Table], days: list[date], machines: list[str]
) -> dict[str, pa.Table]:
    xml3 = base["XML3"]
    stamps = pa.array([datetime.combine(d, time(8)) for d in days], pa.timestamp("s"))
    for name in ("NGAY_YL", "NGAY_TH_YL"):
        xml3 = xml3.set_column(xml3.schema.get_field_index(name), name, stamps)
    xml3 = xml3.set_column(
        xml3.schema.get_field_index("MA_MAY"), "MA_MAY", pa.array(machines, pa.string())
    )
    xml1 = base["XML1"]
    for name in ("NGAY_VAO", "NGAY_RA"):
        xml1 = xml1.set_column(xml1.schema.get_field_index(name), name, stamps)
    return {**base, "XML1": xml1, "XML3": xml3}


def _refused_lines(result_file: Path) -> set[tuple[str, int]]:
    import pyarrow.parquet as pq

    table = pq.read_table(result_file)
    refused = table.filter(pc.equal(table["status"], "refused"))
    return set(
        zip(refused["ma_lk"].to_pylist(), refused["stt"].to_pylist(), strict=True)
    )


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    register=registers(),
    days=st.lists(DAY, min_size=9, max_size=9),
    machines=st.lists(st.sampled_from(MACHINES), min_size=9, max_size=9),
)
def test_baseline_changes_nothing_and_options_nest(  # noqa: PLR0917 - hypothesis
    register: tuple[pa.Table, pa.Table],
    days: list[date],
    machines: list[str],
    handmade_claims: dict[str, pa.Table],
    lent_only: RuleSet,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    equipment, milestones = register
    claims = _claims(handmade_claims, days, machines)
    views = logical_views(
        claims=claims,
        reference={"ref_equipment_sources": equipment},
        edits=lent_only.tables,
    )
    views[VIEW] = milestones
    scenarios = [baseline_scenario(lent_only, "p")]
    scenarios += [
        resolve(load_option(n), lent_only, "p", views)
        for n in ("baseline", "A", "B", "C", "D")
    ]
    out = tmp_path_factory.mktemp("prop")
    backend = DuckDBBackend()
    try:
        results = {
            r.scenario.id: r for r in replay(backend, views, scenarios, out_dir=out)
        }
    finally:
        backend.close()
    same = results["baseline"]
    assert same.changed_lines == 0
    for column in (
        "payable_change",
        "refused_change",
        "under_review_change",
        "adjusted_change",
    ):
        assert same.total(column) == 0
    for result in results.values():
        kept = sum(
            (
                Decimal(result.total(m))
                for m in ("payable", "refused", "adjusted", "under_review")
            ),
            Decimal(0),
        )
        assert kept == Decimal(result.total("claimed"))
    # Lines refused under each option, from what changed against the rules in force
    # (which refuse none of these lines).
    refused = {
        k: _refused_lines(out / f"changed-{k}.parquet") for k in ("A", "B", "C", "D")
    }
    assert refused["B"] <= refused["A"]
    assert refused["D"] <= refused["A"]
    assert refused["C"] <= refused["B"]
    assert refused["C"] <= refused["D"]
