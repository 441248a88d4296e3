"""Ingest and validate use cases over real envelope files made with the writer."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from tests.support import envelope, make_claim

from giamdinh.errors import ConfigError
from giamdinh.services.ingest import (
    collect_paths,
    ingest_paths,
    store_overview,
    validate_paths,
)
from giamdinh.standard.writer import write_envelope
from giamdinh.store import ClaimStore

if TYPE_CHECKING:
    from pathlib import Path


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def ledger(store: Path, sql: str) -> list[tuple[Any, ...]]:
    con = ClaimStore.open(store).connect()
    try:
        return list(con.execute(sql).fetchall())
    finally:
        con.close()


def test_ingest_then_reingest_the_same_file_changes_nothing(tmp_path: Path) -> None:
    files = tmp_path / "in"
    files.mkdir()
    envelope(files / "a.xml", [make_claim(i) for i in range(3)])
    store = tmp_path / "store"
    first = ingest_paths([files], store_dir=store)
    assert (first.stats.files, first.stats.claims_new, first.stats.claims_rejected) == (
        1,
        3,
        0,
    )
    assert first.stats.rows == {"XML1": 3, "XML3": 9}
    before = snapshot(store)
    again = ingest_paths([files / "a.xml"], store_dir=store)
    assert (again.stats.files_unchanged, again.stats.claims_new) == (1, 0)
    assert not again.stats.committed
    assert snapshot(store) == before
    overview = store_overview(store)
    assert (overview.claims, overview.versions, overview.rows["XML3"]) == (3, 3, 9)
    assert overview.partitions == [("99001", "2026-03", 3)]


def test_corrected_resend_supersedes_only_the_changed_claim(tmp_path: Path) -> None:
    store = tmp_path / "store"
    ingest_paths(
        [envelope(tmp_path / "a.xml", [make_claim(1), make_claim(2)])], store_dir=store
    )
    resend = envelope(tmp_path / "b.xml", [make_claim(1, price=60000), make_claim(2)])
    summary = ingest_paths([resend], store_dir=store)
    s = summary.stats
    assert (s.claims_new, s.claims_superseded, s.claims_unchanged) == (0, 1, 1)
    rows = ledger(
        store,
        "select ma_lk, version, status, path like '%b.xml', is_current from ledger "
        "order by ma_lk, version, status",
    )
    assert rows == [
        ("LK000001", 1, "accepted", False, False),
        ("LK000001", 2, "accepted", True, True),
        ("LK000002", 1, "accepted", False, True),
        ("LK000002", 1, "unchanged", True, False),
    ]
    assert ledger(
        store, "select sum(thanh_tien_bv) from xml3 where ma_lk = 'LK000001'"
    ) == [(Decimal("186000.000"),)]


def test_a_refused_claim_is_recorded_and_the_rest_of_the_file_goes_on(
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    bad = make_claim(2, HO_TEN="", T_TONGCHI_BV="1")
    summary = ingest_paths(
        [envelope(tmp_path / "a.xml", [make_claim(1), bad, make_claim(3)])],
        store_dir=store,
    )
    assert (summary.stats.claims_new, summary.stats.claims_rejected) == (2, 1)
    assert summary.stats.findings_by_code == {"RC101": 1, "RC150": 1}
    assert ledger(store, "select ma_lk from claims order by 1") == [
        ("LK000001",),
        ("LK000003",),
    ]
    found = ledger(
        store,
        "select f.code, f.ma_lk, f.table_name, f.stt, f.field, l.status, l.hoso "
        "from findings f join ledger l using (ingest_id) order by f.code",
    )
    assert found == [
        ("RC101", "LK000002", "XML1", 1, "HO_TEN", "rejected", 1),
        ("RC150", "LK000002", "XML1", 1, "T_TONGCHI_BV", "rejected", 1),
    ]


def test_a_hoso_refused_by_the_reader_gets_its_own_ledger_row(tmp_path: Path) -> None:
    path = envelope(tmp_path / "a.xml", [make_claim(1), make_claim(2), make_claim(3)])
    data = path.read_bytes()
    second = data.index(
        b"<NOIDUNGFILE>", data.index(b"<HOSO>", data.index(b"<HOSO>") + 1)
    )
    path.write_bytes(data[: second + 13] + b"!!not base64!!" + data[second + 13 :])
    store = tmp_path / "store"
    summary = ingest_paths([path], store_dir=store)
    assert (summary.stats.claims_new, summary.stats.claims_rejected) == (2, 1)
    rows = ledger(
        store,
        "select l.hoso, l.status, l.path = ?, f.code from ledger l "
        "left join findings f using (ingest_id) order by l.hoso".replace(
            "?", f"'{path.resolve()}'"
        ),
    )
    assert [r[:3] for r in rows] == [
        (0, "accepted", True),
        (1, "rejected", True),
        (2, "accepted", True),
    ]
    assert rows[1][3].startswith("IN")


def test_an_unreadable_file_does_not_stop_the_batch(tmp_path: Path) -> None:
    store = tmp_path / "store"
    (tmp_path / "broken.xml").write_bytes(b"<GIAMDINHHS><THONGTINDONVI>")
    envelope(tmp_path / "ok.xml", [make_claim(1)])
    summary = ingest_paths([tmp_path], store_dir=store)
    assert (summary.stats.files, summary.stats.files_rejected) == (2, 1)
    assert summary.stats.claims_new == 1
    rows = ledger(
        store, "select status, path like '%broken.xml' from ledger order by 1"
    )
    assert rows == [("accepted", False), ("file_rejected", True)]
    (code,) = ledger(store, "select code from findings")[0]
    assert code.startswith("IN")


def test_small_chunks_give_the_same_store_content(tmp_path: Path) -> None:
    for n in range(4):
        envelope(tmp_path / f"f{n}.xml", [make_claim(10 * n + k) for k in range(5)])
    summary = ingest_paths([tmp_path], store_dir=tmp_path / "s", chunk_bytes=1)
    assert summary.stats.claims_new == 20
    assert ledger(
        tmp_path / "s", "select count(*), count(distinct ma_lk) from claims"
    ) == [(20, 20)]


def test_validate_reports_refusals_per_file(tmp_path: Path) -> None:
    good = envelope(tmp_path / "good.xml", [make_claim(1)])
    bad = envelope(tmp_path / "bad.xml", [make_claim(2, GIOI_TINH="7")])
    report = validate_paths([good, bad])
    assert [(r.path.endswith("good.xml"), r.rejected) for r in report.files] == [
        (True, False),
        (False, True),
    ]
    (finding,) = report.files[1].findings
    assert (finding.code, finding.location.ma_lk, finding.location.field) == (
        "RC130",
        "LK000002",
        "GIOI_TINH",
    )
    assert report.rejected


def test_missing_path_is_an_operator_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        collect_paths([tmp_path / "nope.xml"])


def test_summary_rows_count_the_accepted_claims_only(tmp_path: Path) -> None:
    store = tmp_path / "store"
    refused = make_claim(2, MA_LOAI_RV="9")
    path = envelope(tmp_path / "a.xml", [make_claim(1), refused])
    summary = ingest_paths([path], store_dir=store)
    assert summary.claims_rejected == 1
    # The store keeps the refused claim's rows (xml3_all); they are not "rows".
    assert summary.stats.rows == {"XML1": 2, "XML3": 6}
    assert summary.rows == {"XML1": 1, "XML3": 3}
    assert store_overview(store).rows == summary.rows


def test_rows_without_refusals_are_the_rows_written(tmp_path: Path) -> None:
    summary = ingest_paths(
        [envelope(tmp_path / "a.xml", [make_claim(1), make_claim(2)])],
        store_dir=tmp_path / "store",
    )
    assert summary.rows == {"XML1": 2, "XML3": 6}
    again = ingest_paths([tmp_path / "a.xml"], store_dir=tmp_path / "store")
    assert again.rows == {}


def test_rejected_claims_and_files_are_counted_alike_everywhere(tmp_path: Path) -> None:
    files = tmp_path / "in"
    files.mkdir()
    envelope(files / "a.xml", [make_claim(1), make_claim(2, MA_LOAI_RV="9")])
    (files / "broken.xml").write_bytes(b"<not xml")
    store = tmp_path / "store"
    summary = ingest_paths([files], store_dir=store)
    overview = store_overview(store)
    report = validate_paths([files])
    assert (summary.claims_rejected, summary.files_rejected) == (1, 1)
    assert (overview.claims_rejected, overview.files_rejected) == (1, 1)
    assert (report.claims_rejected, report.files_rejected) == (1, 1)
    assert report.claims == 2
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in report.files}
    assert (by_name["a.xml"].claims_rejected, by_name["a.xml"].unreadable) == (1, False)
    assert (by_name["broken.xml"].claims, by_name["broken.xml"].unreadable) == (0, True)


def test_a_claim_refused_by_the_reader_counts_in_validate_too(tmp_path: Path) -> None:
    path = envelope(tmp_path / "a.xml", [make_claim(1), make_claim(2)])
    data = path.read_bytes()
    second = data.index(
        b"<NOIDUNGFILE>", data.index(b"<HOSO>", data.index(b"<HOSO>") + 1)
    )
    path.write_bytes(data[: second + 13] + b"!!not base64!!" + data[second + 13 :])
    report = validate_paths([path])
    summary = ingest_paths([path], store_dir=tmp_path / "store")
    assert report.claims_rejected == summary.claims_rejected == 1
    assert report.files_rejected == summary.files_rejected == 0


def test_facility_codes_keep_their_leading_zero(tmp_path: Path) -> None:
    claims = [make_claim(1, MA_CSKCB="01929"), make_claim(2, MA_CSKCB="01929")]
    path = tmp_path / "a.xml"
    write_envelope(claims, ma_cskcb="01929", ngay_lap="20260303", out=path)
    report = validate_paths([path])
    assert report.files[0].ma_cskcb == "01929"
    ingest_paths([path], store_dir=tmp_path / "store")
    assert store_overview(tmp_path / "store").partitions == [("01929", "2026-03", 2)]
