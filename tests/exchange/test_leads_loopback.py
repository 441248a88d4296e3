"""A licence revoked in a neighbour gives a lead on a HCMC claim within one pull.

Ho Chi Minh City (79) and Đồng Nai (75) each run their own registry database, key
and HTTP feed on loopback. Đồng Nai revokes a licence it issued to a doctor who
practises in HCMC; HCMC pulls once and ``giamdinh signals --registry-url`` then
gives an SG009 lead naming Đồng Nai's feed entries and the HCMC claim lines.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest
from sqlalchemy import select
from tests.exchange.support import (
    Instance,
    licence,
    make_instance,
    registration,
    serving,
    status,
)
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.db.models.registry import RegistryFeedEntry
from giamdinh.services.exchange import add_peer, pull
from giamdinh.services.signals import compute_leads
from giamdinh.signals import leads_from_table
from giamdinh.store import ClaimStore, SourceFile

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DOCTOR = "0007/DNA-GPHN"
T0 = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - claim times are naive local clock


@pytest.fixture
def provinces(tmp_path: Path) -> Iterator[dict[str, Instance]]:
    instances = {p: make_instance(tmp_path, p) for p in ("79", "75")}
    with serving(list(instances.values())):
        hcm, dong_nai = instances["79"], instances["75"]
        add_peer(
            province="75",
            url=dong_nai.base_url,
            key=dong_nai.public_key,
            database_url=hcm.database_url,
        )
        yield instances


def _store(root: Path) -> Path:
    """Two HCMC claims whose ultrasound the Đồng Nai doctor performed."""
    keys = ["HCM1", "HCM2"]
    starts = [T0, T0 + timedelta(days=1)]
    prov = {
        "_file": pa.array(["a.xml", "a.xml"]),
        "_hoso": pa.array([0, 1], pa.int32()),
        "_envelope_cskcb": pa.array(["79001", "79001"]),
    }
    xml1 = pa.table(
        {
            "MA_LK": keys,
            "STT": pa.array([1, 2], pa.int64()),
            "MA_CSKCB": ["79001", "79001"],
            "NGAY_VAO": pa.array(starts, pa.timestamp("s")),
            **prov,
        }
    )
    xml3 = pa.table(
        {
            "MA_LK": keys,
            "STT": pa.array([1, 1], pa.int64()),
            "MA_DICH_VU": ["18.0001.0001", "18.0001.0001"],
            "NGUOI_THUC_HIEN": [DOCTOR, f"{DOCTOR} (siêu âm)"],
            "NGAY_TH_YL": pa.array(starts, pa.timestamp("s")),
            "NGAY_KQ": pa.array(
                [s + timedelta(minutes=20) for s in starts], pa.timestamp("s")
            ),
            "T_BHTT": pa.array([150000, 150000], pa.decimal128(18, 3)),
            **prov,
        }
    )
    store = ClaimStore.open(root)
    with store.begin() as batch:
        batch.add(
            {"XML1": xml1, "XML3": xml3},
            sources={"a.xml": SourceFile(path="a.xml", sha256="a")},
        )
    return root


def test_a_revocation_in_dong_nai_is_a_lead_on_hcmc_claims_after_one_pull(
    provinces: dict[str, Instance], tmp_path: Path
) -> None:
    hcm, dong_nai = provinces["79"], provinces["75"]
    hcm.publish(registration("79001", DOCTOR, person="075080000007"))
    dong_nai.publish(
        licence(DOCTOR, "75", person="075080000007", name="TRẦN THỊ B"),
        status(DOCTOR, "75", "revoked", date(2026, 2, 1), decision="QĐ 12/QĐ-SYT"),
    )
    store = _store(tmp_path / "store")

    before = compute_leads(
        store_dir=store, registry_url=hcm.database_url, codes=["SG009"]
    )
    assert before.leads.num_rows == 0  # HCMC does not know the licence yet

    outcomes = pull(database_url=hcm.database_url)  # one pull
    assert [(o.province, o.applied, o.error) for o in outcomes] == [("75", 2, None)]

    result = CliRunner().invoke(
        app,
        [
            "signals",
            "--store",
            str(store),
            "--registry-url",
            hcm.database_url,
            "--code",
            "SG009",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    (lead,) = json.loads(result.stdout[result.stdout.index("[") :])
    assert lead["code"] == "SG009"
    assert lead["practitioner"] == DOCTOR
    assert lead["ma_cskcb"] == "79001"
    assert lead["lines"] == [{"ma_lk": "HCM1", "stt": 1}, {"ma_lk": "HCM2", "stt": 1}]
    assert lead["amount"] == "300000.00"
    entry = lead["evidence"]["status"]["feed"]
    with dong_nai.sessions() as session:
        published = session.scalar(
            select(RegistryFeedEntry.hash).where(
                RegistryFeedEntry.province == "75", RegistryFeedEntry.seq == 2
            )
        )
    # the lead names Đồng Nai's own entry: province, seq and the hash it signed
    assert (entry["province"], entry["seq"], entry["hash"]) == ("75", 2, published)
    (saved,) = leads_from_table(
        compute_leads(
            store_dir=store, registry_url=hcm.database_url, codes=["SG009"]
        ).leads
    )
    assert saved.lead_id == lead["lead_id"]  # the same claims give the same lead
