"""Peer comparison per 1,000 visits, PEPPER style, with LOF as a secondary column."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from giamdinh.signals import leads_from_table, run_signals

if TYPE_CHECKING:
    import duckdb

T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - claim times are naive local clock


def _province(claims: Any, *, inflated: int) -> None:
    """Ten facilities of 100 visits; each has 20 ± 2 CTs, one has ``inflated``."""
    for f in range(10):
        facility = f"990{f:02d}"
        n_ct = inflated if f == 3 else 20 + (f % 5) - 2
        for v in range(100):
            key, _ = claims.line(
                facility=facility, code="18.0001.0001", start=T0 + timedelta(v)
            )
            if v < n_ct:
                claims.line(
                    facility=facility,
                    code="18.0003.0001",
                    ma_lk=key,
                    money="500000",
                    start=T0 + timedelta(v),
                )


def test_inflated_facility_is_a_lead_ranked_by_money(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    _province(claims, inflated=60)
    claims.install(con)
    (lead,) = leads_from_table(run_signals(con, codes=["SG008"]))
    assert (lead.ma_cskcb, lead.ma_dich_vu) == ("99003", "18.0003.0001")
    assert lead.evidence["volume_per_1000"] == 600
    assert lead.evidence["volume_peer_median"] == 200
    assert lead.evidence["volume_percentile"] == 1
    # (300,000,000 − 100,000,000) per 1,000 visits × 100 visits / 1,000
    # = 40 CTs above the peer median × 500,000
    assert lead.amount == 20000000
    assert lead.outlier_score is not None
    assert lead.outlier_score > 1
    assert len(lead.lines) == 60


def test_ordinary_spread_is_not_a_lead(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    _province(claims, inflated=21)
    claims.install(con)
    assert run_signals(con, codes=["SG008"]).num_rows == 0


def test_peers_are_compared_within_their_tier(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    _province(claims, inflated=60)
    # 99003 is the only facility of its tier: no peers, no lead.
    claims.facilities.extend(
        {"ma_cskcb": f"990{f:02d}", "tier": "tinh" if f == 3 else "huyen"}
        for f in range(10)
    )
    claims.install(con)
    assert run_signals(con, codes=["SG008"]).num_rows == 0


def test_high_rate_within_count_noise_is_not_a_lead(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    # 20 CTs per 100 visits at every facility but one, which bills 30: far above
    # peers that agree exactly (MAD 0), yet 30 against 20 expected is within
    # Poisson noise (Byar z = 3√30 · (1 − 1/270 − (20/30)^⅓) ≈ 2.0 < 3.09).
    for f in range(10):
        facility = f"990{f:02d}"
        n_ct = 30 if f == 3 else 20
        for v in range(100):
            key, _ = claims.line(
                facility=facility, code="18.0001.0001", start=T0 + timedelta(v)
            )
            if v < n_ct:
                claims.line(
                    facility=facility,
                    code="18.0003.0001",
                    ma_lk=key,
                    start=T0 + timedelta(v),
                )
    claims.install(con)
    assert run_signals(con, codes=["SG008"]).num_rows == 0


def test_lead_shows_expected_count_and_poisson_test(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    _province(claims, inflated=60)
    claims.install(con)
    (lead,) = leads_from_table(run_signals(con, codes=["SG008"]))
    assert lead.evidence["expected_lines"] == 20  # median 200 / 1,000 × 100 visits
    assert lead.evidence["poisson_z"] > 3.09  # p = 0.001
    assert "60 lines against 20 expected" in lead.message_en
