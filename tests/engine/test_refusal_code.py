"""A finding's refusal code: the edit-table row's own, else the rule's."""

from __future__ import annotations

from datetime import date

from giamdinh.domain import Basis, Grain, Period, Severity
from giamdinh.engine.run import refusal_code
from giamdinh.rules.model import Family, Rule

RULE = Rule(
    id="ZZ002",
    name="test.thematic",
    version=1,
    doc="A thematic test rule.\n\nWhy: tests.",
    title="Thử",
    title_en="Test",
    message="Dòng {ma_dich_vu}",
    message_en="Line {ma_dich_vu}",
    family=Family.PRICE,
    severity=Severity.REFUSE,
    basis=(Basis(document="Công văn 266/BHXH-CSYT"),),
    refusal_code="S.005.650",
    effective=Period(start=date(2026, 1, 1)),
    grain=Grain.LINE,
    table="XML3",
    sql="select ma_lk, stt, ma_dich_vu, ma_ly_do from xml3",
)


def test_the_rows_own_code_wins() -> None:
    assert refusal_code(RULE, {"ma_ly_do": " S.005.434 "}) == "S.005.434"


def test_the_rules_code_when_the_row_has_none() -> None:
    assert refusal_code(RULE, {}) == "S.005.650"
    assert refusal_code(RULE, {"ma_ly_do": ""}) == "S.005.650"
