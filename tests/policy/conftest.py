"""Hand-built views for the replay tests (see ``handmade.py``)."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

import pytest
from tests.policy import handmade

from giamdinh.engine.views import logical_views
from giamdinh.policy.milestones import VIEW, read_milestones
from giamdinh.rules.registry import load_rule_set

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

    from giamdinh.rules.registry import RuleSet


@pytest.fixture(scope="module")
def handmade_claims(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    return handmade.claims(tmp_path_factory.mktemp("handmade"))


@pytest.fixture(scope="module")
def lent_only() -> RuleSet:
    """The rule set in force reduced to TB006, so money adds up by hand."""
    full = load_rule_set()
    return full.only(full.get("TB006"))


def handmade_views(
    claims: dict[str, pa.Table], rules: RuleSet, folder: Path
) -> dict[str, pa.Table]:
    """Return the views of the hand-built claims, register and milestones."""
    views = logical_views(
        claims=claims,
        reference={"ref_equipment_sources": handmade.equipment_sources()},
        edits=rules.tables,
    )
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "machine_milestones.csv").open(
        "w", encoding="utf-8", newline=""
    ) as out:
        writer = csv.DictWriter(out, fieldnames=["MA_MAY", "MOC", "NGAY"])
        writer.writeheader()
        writer.writerows(handmade.milestones())
    milestones, problems = read_milestones(folder)
    assert not problems
    views[VIEW] = milestones
    return views
