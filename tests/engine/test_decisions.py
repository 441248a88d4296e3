"""How findings combine into money, line by line and claim by claim (properties).

For any lines and any findings on them: payable + refused + adjusted + under
review = claimed on every line and every claim, no part is negative, a refusal
takes the whole line, adjustments of one cause are not added twice, the sum of
adjustments never exceeds the line's fund share, and review holds only what is
not already adjusted.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from giamdinh.backends.duck import DuckDBBackend
from giamdinh.engine.run import FINDINGS_SCHEMA, decide_all

MONEY = pa.decimal128(38, 3)
SEVERITIES = ("refuse", "adjust", "review", "info")
CAUSES = ("d", "c", "k")

amounts = st.decimals(
    min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False
)


@st.composite
def claims_and_findings(draw: st.DrawFn) -> tuple[list[dict[str, Any]], ...]:
    claims = draw(st.integers(min_value=1, max_value=3))
    lines: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    for c in range(claims):
        ma_lk = f"LK{c}"
        n = draw(st.integers(min_value=0, max_value=4))
        lines.extend(
            {"ma_lk": ma_lk, "stt": stt, "t_bhtt": draw(amounts)}
            for stt in range(1, n + 1)
        )
        heads.append({"ma_lk": ma_lk, "t_bhtt": draw(st.none() | amounts)})
    findings: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=10))):
        severity = draw(st.sampled_from(SEVERITIES))
        rule = draw(st.sampled_from(["R1", "R2", "R3", "R4"]))
        use_line = draw(st.booleans())
        if lines and use_line:
            line = draw(st.sampled_from(lines))
            ma_lk, tbl, stt, claimed = (
                line["ma_lk"],
                "XML3",
                line["stt"],
                line["t_bhtt"],
            )
        else:
            ma_lk, tbl, stt, claimed = (
                draw(st.sampled_from(heads))["ma_lk"],
                None,
                None,
                0,
            )
        amount = (
            min(draw(amounts), claimed)
            if severity == "adjust"
            else (Decimal(0) if severity == "info" else claimed)
        )
        findings.append(
            {
                "rule_id": rule,
                "rule_version": 1,
                "severity": severity,
                "ma_lk": ma_lk,
                "tbl": tbl,
                "stt": stt,
                "amount": amount,
            }
        )
    return lines, heads, findings


def _decide(
    lines: list[dict[str, Any]],
    heads: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    causes: dict[str, str],
) -> tuple[pa.Table, pa.Table]:
    day = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - naive clock time, as the standard
    backend = DuckDBBackend()
    try:
        backend.register(
            "xml3",
            pa.table(
                {
                    "ma_lk": pa.array([r["ma_lk"] for r in lines], pa.string()),
                    "stt": pa.array([r["stt"] for r in lines], pa.int64()),
                    "ma_dich_vu": pa.array(["18.0001.0001"] * len(lines), pa.string()),
                    "ngay_yl": pa.array([day] * len(lines), pa.timestamp("s")),
                    "t_bhtt": pa.array([r["t_bhtt"] for r in lines], MONEY),
                }
            ),
        )
        backend.register(
            "xml2",
            pa.table(
                {
                    "ma_lk": pa.array([], pa.string()),
                    "stt": pa.array([], pa.int64()),
                    "ma_thuoc": pa.array([], pa.string()),
                    "ngay_yl": pa.array([], pa.timestamp("s")),
                    "t_bhtt": pa.array([], MONEY),
                }
            ),
        )
        backend.register(
            "xml1",
            pa.table(
                {
                    "ma_lk": pa.array([h["ma_lk"] for h in heads], pa.string()),
                    "ma_cskcb": pa.array(["01929"] * len(heads), pa.string()),
                    "t_bhtt": pa.array([h["t_bhtt"] for h in heads], MONEY),
                }
            ),
        )
        rows = [
            {
                **f,
                "code": None,
                "ma_cskcb": "01929",
                "service_date": day.date(),
                "claimed": None,
                "evidence": None,
            }
            for f in findings
        ]
        table = pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA)
        return decide_all(backend, table, causes=causes)
    finally:
        backend.close()


KEYS = ("payable", "refused", "adjusted", "under_review")


@given(claims_and_findings())
def test_every_line_and_claim_adds_up_and_nothing_is_withheld_twice(
    drawn: tuple[list[dict[str, Any]], ...],
) -> None:
    lines, heads, findings = drawn
    causes = {"R1": "d", "R2": "d", "R3": "c", "R4": "k"}
    decided, claims = _decide(lines, heads, findings, causes)
    by_line: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    claim_level: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        if f["tbl"] is None:
            claim_level[f["ma_lk"]].add(f["severity"])
        else:
            by_line[(f["ma_lk"], f["stt"])].append(f)
    for row in decided.to_pylist():
        claimed = row["claimed"]
        assert all(row[k] >= 0 for k in KEYS), row
        assert sum(row[k] for k in KEYS) == claimed, row
        own = by_line[(row["ma_lk"], row["stt"])]
        severities = {f["severity"] for f in own} | claim_level[row["ma_lk"]]
        if "refuse" in severities:
            assert row["refused"] == claimed
            assert row["adjusted"] == row["under_review"] == 0
            continue
        assert row["refused"] == 0
        largest: dict[str, Decimal] = defaultdict(Decimal)
        for f in own:
            if f["severity"] == "adjust":
                cause = causes[f["rule_id"]]
                largest[cause] = max(largest[cause], f["amount"])
        assert row["adjusted"] == min(sum(largest.values(), Decimal(0)), claimed)
        review = bool({"review"} & severities) or bool(
            {"adjust"} & claim_level[row["ma_lk"]]
        )
        expected = claimed - row["adjusted"] if review else Decimal(0)
        assert row["under_review"] == expected
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in decided.to_pylist():
        for k in ("claimed", *KEYS):
            sums[row["ma_lk"]][k] += row[k]
    for claim in claims.to_pylist():
        assert all(claim[k] >= 0 for k in KEYS), claim
        assert sum(claim[k] for k in KEYS) == claim["claimed"], claim
        if claim["ma_lk"] in sums:
            for k in ("claimed", *KEYS):
                assert claim[k] == sums[claim["ma_lk"]][k], (k, claim)


def test_two_causes_add_up_and_one_cause_counts_once() -> None:
    lines = [{"ma_lk": "LK0", "stt": 1, "t_bhtt": Decimal(100000)}]
    heads = [{"ma_lk": "LK0", "t_bhtt": Decimal(100000)}]

    def adjust(rule: str, amount: int) -> dict[str, Any]:
        return {
            "rule_id": rule,
            "rule_version": 1,
            "severity": "adjust",
            "ma_lk": "LK0",
            "tbl": "XML3",
            "stt": 1,
            "amount": Decimal(amount),
        }

    causes = {"R1": "d", "R2": "d", "R3": "c"}
    decided, _ = _decide(
        lines,
        heads,
        [adjust("R1", 30000), adjust("R2", 20000), adjust("R3", 50000)],
        causes,
    )
    (row,) = decided.to_pylist()
    # price (d): the larger of 30 000 and 20 000; another cause (c): 50 000
    assert row["adjusted"] == Decimal(80000)
    assert row["payable"] == Decimal(20000)
    decided, _ = _decide(
        lines, heads, [adjust("R1", 60000), adjust("R3", 70000)], causes
    )
    (row,) = decided.to_pylist()
    assert row["adjusted"] == Decimal(100000)  # capped at the fund's share
    assert row["payable"] == 0
