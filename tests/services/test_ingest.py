"""Ingest and validate use cases over real envelope files made with the writer."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

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

Claim = dict[str, list[dict[str, str]]]


def make_claim(i: int, *, lines: int = 3, price: int = 50000, **xml1: str) -> Claim:
    """A claim that passes the portal's reception checks (imaging lines)."""
    total = Decimal(0)
    xml3: list[dict[str, str]] = []
    for n in range(1, lines + 1):
        amount = Decimal(price + 1000 * n)
        total += amount
        xml3.append(
            {
                "MA_LK": f"LK{i:06d}",
                "STT": str(n),
                "MA_DICH_VU": "18.0119.0028",
                "MA_NHOM": "2",
                "TEN_DICH_VU": "Chụp X-quang",
                "DON_VI_TINH": "Lần",
                "PHAM_VI": "1",
                "SO_LUONG": "1",
                "DON_GIA_BV": str(amount),
                "DON_GIA_BH": str(amount),
                "TYLE_TT_DV": "100",
                "TYLE_TT_BH": "100",
                "THANH_TIEN_BV": str(amount),
                "THANH_TIEN_BH": str(amount),
                "MUC_HUONG": "80",
                "T_NGUONKHAC_NSNN": "0",
                "T_NGUONKHAC_VTNN": "0",
                "T_NGUONKHAC_VTTN": "0",
                "T_NGUONKHAC_CL": "0",
                "T_NGUONKHAC": "0",
                "T_BNTT": "0",
                "T_BNCCT": str(amount * Decimal("0.2")),
                "T_BHTT": str(amount * Decimal("0.8")),
                "MA_KHOA": "K01",
                "MA_BAC_SI": "000001/HNO-CCHN",
                "NGUOI_THUC_HIEN": "000002/HNO-CCHN",
                "NGAY_YL": "202603020805",
                "NGAY_TH_YL": "202603020810",
                "NGAY_KQ": "202603020830",
                "MA_PTTT": "1",
            }
        )
    head = {
        "MA_LK": f"LK{i:06d}",
        "STT": "1",
        "MA_BN": f"BN{i:06d}",
        "HO_TEN": "NGUYỄN VĂN MẪU",
        "SO_CCCD": "001090000001",
        "NGAY_SINH": "199001010000",
        "GIOI_TINH": "1",
        "MA_QUOCTICH": "000",
        "MA_DANTOC": "01",
        "MA_NGHE_NGHIEP": "00000",
        "DIA_CHI": "Hà Nội",
        "MATINH_CU_TRU": "01",
        "MAHUYEN_CU_TRU": "001",
        "MAXA_CU_TRU": "00001",
        "LY_DO_VV": "Ho",
        "CHAN_DOAN_VAO": "Viêm phế quản",
        "CHAN_DOAN_RV": "Viêm phế quản cấp",
        "MA_BENH_CHINH": "J20.9",
        "MA_DOITUONG_KCB": "1.1",
        "NGAY_VAO": "202603020800",
        "NGAY_RA": "202603021000",
        "SO_NGAY_DTRI": "0",
        "KET_QUA_DTRI": "2",
        "MA_LOAI_RV": "1",
        "T_THUOC": "0",
        "T_VTYT": "0",
        "T_TONGCHI_BV": str(total),
        "T_TONGCHI_BH": str(total),
        "T_BNTT": "0",
        "T_BNCCT": str(total * Decimal("0.2")),
        "T_BHTT": str(total * Decimal("0.8")),
        "T_NGUONKHAC": "0",
        "T_BHTT_GDV": str(total * Decimal("0.8")),
        "NAM_QT": "2026",
        "THANG_QT": "3",
        "MA_LOAI_KCB": "01",
        "MA_KHOA": "K01",
        "MA_CSKCB": "99001",
        "CAN_NANG": "62.50",
        "MA_HSBA": f"HS{i:06d}",
    }
    head.update(xml1)
    return {"XML1": [head], "XML3": xml3}


def envelope(path: Path, claims: list[Claim]) -> Path:
    write_envelope(claims, ma_cskcb="99001", ngay_lap="20260303", out=path)
    return path


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
