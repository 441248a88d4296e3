"""Three provinces on loopback: each its own database, key and HTTP server.

Ho Chi Minh City (79), Đồng Nai (75) and Bình Dương (74) each make changes, pull
the two others, and must converge; replaying changes nothing; a wrong key stops
that feed only; a licence revoked in Đồng Nai reaches HCMC in one pull and NV002
judges an HCMC claim line with it.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import httpx
import pytest
from tests.exchange.support import (
    Instance,
    licence,
    make_instance,
    registration,
    serving,
    snapshot,
    status,
)
from tests.support import envelope, make_claim
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.exchange.feed import apply_entries, parse_public_key
from giamdinh.refdata import SAMPLES_DIR
from giamdinh.services.check import check_files
from giamdinh.services.exchange import add_peer, pull

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PROVINCES = ("79", "75", "74")
SAMPLE_FOLDER = SAMPLES_DIR / "facility_99001"
#: Claim performers of ``tests.support.make_claim``.
PRESCRIBER = "000001/HNO-CCHN"
PERFORMER = "000002/HNO-CCHN"


@pytest.fixture
def three(tmp_path: Path) -> Iterator[dict[str, Instance]]:
    instances = {p: make_instance(tmp_path, p) for p in PROVINCES}
    with serving(list(instances.values())):
        for me in instances.values():
            for other in instances.values():
                if other is not me:
                    add_peer(
                        province=other.province,
                        url=other.base_url,
                        key=other.public_key,
                        database_url=me.database_url,
                    )
        yield instances


def _changes(hcm: Instance, dong_nai: Instance, binh_duong: Instance) -> None:
    hcm.publish(
        licence("0001/HCM-GPHN", "79"),
        registration("79001", "0001/HCM-GPHN"),
    )
    dong_nai.publish(
        licence(PERFORMER, "75", person="075080000002", name="TRẦN THỊ B"),
        licence("0003/DNA-GPHN", "75", person="075080000003", name="LÊ VĂN C"),
        # the HCMC doctor also registered full time in Đồng Nai: a conflict
        registration("75001", "0001/HCM-GPHN", hours=("08:00", "12:00"), days="135"),
    )
    binh_duong.publish(
        licence("0004/BDU-GPHN", "74", person="074070000004", name="PHẠM VĂN D"),
        status(
            "0004/BDU-GPHN", "74", "suspended", date(2025, 6, 1), end=date(2025, 12, 31)
        ),
    )


def _pull_all(instances: dict[str, Instance]) -> dict[str, list[str | None]]:
    errors: dict[str, list[str | None]] = {}
    for inst in instances.values():
        outcomes = pull(database_url=inst.database_url)
        errors[inst.province] = [o.error for o in outcomes]
    return errors


def test_three_provinces_converge_and_replaying_changes_nothing(
    three: dict[str, Instance],
) -> None:
    hcm, dong_nai, binh_duong = three["79"], three["75"], three["74"]
    _changes(hcm, dong_nai, binh_duong)
    assert _pull_all(three) == {p: [None, None] for p in PROVINCES}
    # a second round of changes, pulled in both directions
    dong_nai.publish(status("0003/DNA-GPHN", "75", "revoked", date(2026, 1, 15)))
    hcm.publish(
        registration(
            "79002",
            "0004/BDU-GPHN",
            person="074070000004",
            name="PHẠM VĂN D",
            full_time=False,
            hours=("17:00", "20:00"),
        )
    )
    assert _pull_all(three) == {p: [None, None] for p in PROVINCES}

    states = {p: snapshot(i) for p, i in three.items()}
    first = states["79"]
    assert first["entries"] == {"79": 3, "75": 4, "74": 2}
    assert ("0003/DNA-GPHN", "revoked", date(2026, 1, 15), None, "75") in first[
        "periods"
    ]
    # the suspension splits the active period in three, with history kept
    periods = sorted(
        (p[1:4] for p in first["periods"] if p[0] == "0004/BDU-GPHN"),
        key=lambda p: p[1],
    )
    assert periods == [
        ("active", date(2024, 1, 10), date(2025, 5, 31)),
        ("suspended", date(2025, 6, 1), date(2025, 12, 31)),
        ("active", date(2026, 1, 1), None),
    ]
    assert first["conflicts"] == [("75001", "79001")]
    assert states["75"] == first
    assert states["74"] == first

    # Pulling again, and re-applying every feed from the start, change nothing.
    outcomes = pull(database_url=hcm.database_url)
    assert [(o.applied, o.error) for o in outcomes] == [(0, None), (0, None)]
    for peer in (dong_nai, binh_duong):
        feed = httpx.get(f"{peer.base_url}/feed", params={"after": 0}).json()
        with hcm.sessions() as session:
            result = apply_entries(
                session,
                province=peer.province,
                key=parse_public_key(peer.public_key),
                entries=feed["entries"],
            )
            session.commit()
        assert result.error is None
        assert (result.applied, result.skipped) == (0, len(feed["entries"]))
    assert snapshot(hcm) == first


def test_a_wrong_key_stops_that_feed_only_and_names_it(
    three: dict[str, Instance],
) -> None:
    hcm, dong_nai, binh_duong = three["79"], three["75"], three["74"]
    _changes(hcm, dong_nai, binh_duong)
    # HCMC is given Bình Dương's key for Đồng Nai
    add_peer(
        province="75",
        url=dong_nai.base_url,
        key=binh_duong.public_key,
        database_url=hcm.database_url,
    )
    outcomes = {o.province: o for o in pull(database_url=hcm.database_url)}
    assert outcomes["74"].error is None
    assert outcomes["74"].applied == 2
    error = outcomes["75"].error
    assert error is not None
    assert "75" in error
    assert "seq 1" in error
    assert "bad_signature" in error
    assert outcomes["75"].applied == 0
    assert snapshot(hcm)["entries"] == {"79": 2, "74": 2}
    # the command says so and exits 1; the status keeps the error on the peer
    runner = CliRunner()
    pulled = runner.invoke(
        app, ["exchange", "pull", "--database-url", hcm.database_url]
    )
    assert pulled.exit_code == 1
    assert "bad_signature" in pulled.output
    shown = runner.invoke(
        app,
        ["exchange", "status", "--province", "79", "--database-url", hcm.database_url],
    )
    assert shown.exit_code == 0
    assert "stopped at seq 1" in " ".join(shown.output.split())
    assert "74" in shown.output


def test_a_licence_revoked_in_a_neighbour_is_judged_on_a_hcmc_claim(
    three: dict[str, Instance], tmp_path: Path
) -> None:
    hcm, dong_nai = three["79"], three["75"]
    dong_nai.publish(
        licence(PERFORMER, "75", person="075080000002", name="TRẦN THỊ B"),
        status(PERFORMER, "75", "revoked", date(2026, 1, 15), decision="QĐ 9/QĐ-SYT"),
    )
    claim_file = envelope(tmp_path / "claims.xml", [make_claim(1)])

    before = check_files(
        [claim_file], reference_dir=None, registry_url=hcm.database_url
    )
    nv002 = [f for f in before.claims[0].findings if f.rule_id == "NV002"]
    assert nv002 == []  # HCMC does not know the licence yet: not judged
    gaps = {g.reason_en for g in before.claims[0].not_checked if g.rule_id == "NV002"}
    assert f"licence {PERFORMER} is not known to any connected registry" in gaps

    outcomes = pull(database_url=hcm.database_url, peers=["75"])  # one pull
    assert [(o.applied, o.error) for o in outcomes] == [(2, None)]

    after = check_files([claim_file], reference_dir=None, registry_url=hcm.database_url)
    claim = after.claims[0]
    nv002 = [f for f in claim.findings if f.rule_id == "NV002"]
    assert len(nv002) == 3  # every line names the performer
    assert all(PERFORMER in f.message and "revoked" in f.message for f in nv002)
    reasons = {g.reason_en for g in claim.not_checked if g.rule_id == "NV002"}
    # the prescriber is still unknown to every registry: said so, not judged
    assert reasons == {f"licence {PRESCRIBER} is not known to any connected registry"}
    assert all(g.rule_id != "NV002" or g.reference for g in claim.not_checked)

    # With the facility's licences.csv too (it lists both as active): the issuing
    # province's registry decides on the licence it holds; the file serves the rest.
    with_file = check_files(
        [claim_file], reference_dir=SAMPLE_FOLDER, registry_url=hcm.database_url
    )
    claim = with_file.claims[0]
    assert len([f for f in claim.findings if f.rule_id == "NV002"]) == 3
    assert not [g for g in claim.not_checked if g.rule_id == "NV002"]
