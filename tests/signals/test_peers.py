"""Peer comparison for the same patients, PEPPER style, LOF as a secondary column."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

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
    # the 9 peers bill 179 CTs for 900 visits: 179 / 9 expected for 100 visits
    assert lead.evidence["expected_lines"] == pytest.approx(179 / 9)
    assert lead.evidence["volume_ratio_percentile"] == 1
    # 60 × 500,000 billed − 179 / 9 × 500,000 expected
    assert lead.amount == Decimal("20055555.56")
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
    assert lead.evidence["expected_lines"] == pytest.approx(179 / 9)
    assert lead.evidence["poisson_z"] > 3.09  # p = 0.001
    assert "60 lines against 19.9 expected" in lead.arithmetic


def _mixed(claims: Any, *, digestive: int, ultrasounds: int) -> None:
    """Ten facilities of 100 visits, digestive (K29) and hypertensive (I10) patients.

    Peers see 50 digestive patients and order an abdominal ultrasound for 25 ± 1 of
    them; facility 99003 sees ``digestive`` of them and orders ``ultrasounds``.
    """
    for f in range(10):
        facility = f"990{f:02d}"
        k29 = digestive if f == 3 else 50
        us = ultrasounds if f == 3 else 25 + (f % 3) - 1
        for v in range(100):
            key, _ = claims.line(
                facility=facility,
                code="18.0001.0001",
                start=T0 + timedelta(v),
                diagnosis="K29.7" if v < k29 else "I10",
            )
            if v < us:
                claims.line(
                    facility=facility,
                    code="18.0015.0001",
                    ma_lk=key,
                    money="200000",
                    start=T0 + timedelta(v),
                )


def test_patient_mix_explains_volume(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    """Nearly twice the peers' ultrasounds per visit, for nearly twice their
    digestive patients, at the peers' rate per digestive patient: no lead."""
    _mixed(claims, digestive=90, ultrasounds=45)
    claims.install(con)
    assert run_signals(con, codes=["SG008"]).num_rows == 0


def test_more_services_for_the_same_patients_is_a_lead(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    """The peers' patient mix, an ultrasound for every digestive patient: a lead."""
    _mixed(claims, digestive=50, ultrasounds=50)
    claims.install(con)
    (lead,) = leads_from_table(run_signals(con, codes=["SG008"]))
    assert (lead.ma_cskcb, lead.ma_dich_vu) == ("99003", "18.0015.0001")
    # peers: 225 ultrasounds for 450 digestive patients, 0 for hypertension
    assert lead.evidence["expected_lines"] == pytest.approx(25)
    assert lead.amount == Decimal(25 * 200000)


def test_without_diagnoses_all_patients_are_one_group(
    con: duckdb.DuckDBPyConnection, claims: Any
) -> None:
    """An XML1 view without MA_BENH_CHINH: one patient group, the same lead."""
    _province(claims, inflated=60)
    claims.install(con)
    headers = con.sql("select ma_lk, ma_cskcb from xml1").to_arrow_table()
    con.unregister("xml1")
    con.register("xml1", headers)
    (lead,) = leads_from_table(run_signals(con, codes=["SG008"]))
    assert (lead.ma_cskcb, lead.ma_dich_vu) == ("99003", "18.0003.0001")
    assert lead.evidence["expected_lines"] == pytest.approx(179 / 9)
