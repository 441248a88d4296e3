"""The claim store: partitions, catalogue views, ledger, versions, atomic batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pytest

from giamdinh.domain import Finding, Location, Severity
from giamdinh.errors import StoreError
from giamdinh.store import ClaimStatus, ClaimStore, SourceFile

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

Tables = dict[str, pa.Table]


def src(name: str, digest: str | None = None) -> dict[str, SourceFile]:
    return {name: SourceFile(path=name, sha256=digest or f"sha-{name}")}


def ingest(
    store: ClaimStore,
    tables: Tables,
    *,
    file: str = "a.xml",
    digest: str | None = None,
    **kwargs: Any,
) -> Any:
    with store.begin() as batch:
        batch.add(named(tables, file), sources=src(file, digest), **kwargs)
    return batch.stats


def named(tables: Tables, file: str) -> Tables:
    """The same tables, as if read from ``file``."""
    out = {}
    for name, table in tables.items():
        i = table.column_names.index("_file")
        out[name] = table.set_column(i, "_file", pa.array([file] * table.num_rows))
    return out


def rows(store: ClaimStore, sql: str) -> list[tuple[Any, ...]]:
    con = store.connect()
    try:
        return list(con.execute(sql).fetchall())
    finally:
        con.close()


def test_ingest_writes_partitions_views_and_ledger(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    tables = make_tables(
        [
            {"ma_lk": "LK1", "prices": [1, 2, 3]},
            {"ma_lk": "LK2", "ngay_ra": "202604010900", "cskcb": "79001"},
            {"ma_lk": "LK3", "ngay_ra": None, "ngay_vao": "202602280700"},
        ]
    )
    stats = ingest(store, tables)
    assert (stats.claims_new, stats.claims_superseded, stats.files) == (3, 0, 1)
    assert stats.committed
    parts = sorted(
        p.parent.relative_to(store.root).as_posix()
        for p in (store.root / "data").rglob("*.parquet")
    )
    assert parts == [
        "data/table=XML1/cskcb=79001/month=2026-04",
        "data/table=XML1/cskcb=99001/month=2026-02",
        "data/table=XML1/cskcb=99001/month=2026-03",
        "data/table=XML3/cskcb=79001/month=2026-04",
        "data/table=XML3/cskcb=99001/month=2026-02",
        "data/table=XML3/cskcb=99001/month=2026-03",
    ]
    assert rows(store, "select count(*) from xml3") == [(5,)]
    assert rows(store, "select ma_lk, cskcb, month from xml1 order by ma_lk") == [
        ("LK1", "99001", "2026-03"),
        ("LK2", "79001", "2026-04"),
        ("LK3", "99001", "2026-02"),
    ]
    ledger = rows(
        store,
        "select ma_cskcb, ma_lk, version, status, file_sha256, path, batch_id, "
        "superseded_by, is_current from ledger order by ma_lk",
    )
    assert [r[:4] for r in ledger] == [
        ("99001", "LK1", 1, "accepted"),
        ("79001", "LK2", 1, "accepted"),
        ("99001", "LK3", 1, "accepted"),
    ]
    assert {r[4] for r in ledger} == {"sha-a.xml"}
    assert all(r[6] == stats.batch_id and r[7] is None and r[8] for r in ledger)
    assert rows(store, "select distinct typeof(ingested_at) from ledger") == [
        ("TIMESTAMP WITH TIME ZONE",)
    ]


def test_a_corrected_resend_supersedes_and_both_stay_traceable(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    ingest(store, make_tables([{"ma_lk": "LK1", "prices": [100]}]), file="a.xml")
    stats = ingest(
        store, make_tables([{"ma_lk": "LK1", "prices": [90, 10]}]), file="b.xml"
    )
    assert (stats.claims_new, stats.claims_superseded) == (0, 1)
    ledger = rows(
        store,
        "select version, path, ingest_id, supersedes, superseded_by, is_current "
        "from ledger order by version",
    )
    (v1, p1, id1, sup1, by1, cur1), (v2, p2, id2, sup2, by2, cur2) = ledger
    assert (v1, p1, sup1, by1, cur1) == (1, "a.xml", None, id2, False)
    assert (v2, p2, sup2, by2, cur2) == (2, "b.xml", id1, None, True)
    assert rows(store, "select stt, thanh_tien_bv from xml3 order by stt") == [
        (1, 90),
        (2, 10),
    ]
    assert rows(
        store,
        "select l.version, count(*) from xml3_all x "
        "join ledger l on l.ingest_id = x._ingest_id group by all order by 1",
    ) == [(1, 1), (2, 2)]
    assert rows(store, "select count(*) from claims") == [(1,)]


def test_same_content_from_another_file_is_unchanged(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    ingest(store, make_tables([{"ma_lk": "LK1"}], file="a.xml"), file="a.xml")
    stats = ingest(store, make_tables([{"ma_lk": "LK1"}], file="b.xml"), file="b.xml")
    assert (stats.claims_new, stats.claims_superseded, stats.claims_unchanged) == (
        0,
        0,
        1,
    )
    assert rows(store, "select count(*) from xml3_all") == [(1,)]
    assert rows(store, "select status, version from ledger order by path") == [
        ("accepted", 1),
        ("unchanged", 1),
    ]


def test_content_hashes_from_the_reader_decide_versions(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    one = [{"ma_lk": "LK1"}, {"ma_lk": "LK2"}]
    ingest(store, make_tables(one), file="a.xml", contents={("a.xml", 0): "h1"})
    # LK1: same given hash (rows differ: the given hash wins); LK2 has no given
    # hash either time, so its typed rows decide (same rows: unchanged).
    changed = [{"ma_lk": "LK1", "prices": [5]}, {"ma_lk": "LK2"}]
    stats = ingest(
        store, make_tables(changed), file="b.xml", contents={("b.xml", 0): "h1"}
    )
    assert (stats.claims_new, stats.claims_superseded, stats.claims_unchanged) == (
        0,
        0,
        2,
    )
    stats = ingest(
        store, make_tables(changed), file="c.xml", contents={("c.xml", 0): "h2"}
    )
    assert (stats.claims_superseded, stats.claims_unchanged) == (1, 1)
    (lk1, lk2) = rows(
        store, "select ma_lk, version, content_sha256 from claims order by 1"
    )
    assert lk1 == ("LK1", 2, "h2")
    assert lk2[:2] == ("LK2", 1)
    assert len(lk2[2]) == 64  # a SHA-256 of LK2's typed rows


def test_same_ma_lk_at_another_facility_is_another_claim(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    ingest(store, make_tables([{"ma_lk": "LK1"}]))
    stats = ingest(store, make_tables([{"ma_lk": "LK1", "cskcb": "79001"}]), file="b")
    assert stats.claims_new == 1
    assert rows(store, "select count(*) from claims") == [(2,)]


def test_known_files_are_reported_by_hash(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    ingest(store, make_tables([{"ma_lk": "LK1"}]), digest="abc")
    batch = store.begin()
    try:
        assert batch.is_known_file("abc")
        assert not batch.is_known_file("def")
    finally:
        batch.abort()
    assert store.known_files() == {"abc"}


def test_rejected_claims_and_findings_are_kept_out_of_current_views(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    finding = Finding(
        code="RC101",
        severity=Severity.REFUSE,
        message="Thiếu trường bắt buộc HO_TEN",
        location=Location(
            file="a.xml", ma_lk="LK2", table="XML1", stt=2, field="HO_TEN"
        ),
        evidence={"hoso": 1},
    )
    stats = ingest(
        store,
        make_tables([{"ma_lk": "LK1"}, {"ma_lk": "LK2"}]),
        findings=[finding],
        rejected=[("a.xml", 1)],
    )
    assert (stats.claims_new, stats.claims_rejected) == (1, 1)
    assert stats.findings_by_code == {"RC101": 1}
    assert rows(store, "select ma_lk from xml1") == [("LK1",)]
    assert rows(store, "select ma_lk from xml1_all order by 1") == [("LK1",), ("LK2",)]
    assert rows(
        store,
        "select ma_lk, status, version, n_findings, worst_severity from ledger "
        "order by ma_lk",
    ) == [("LK1", "accepted", 1, 0, None), ("LK2", "rejected", None, 1, "refuse")]
    found = rows(
        store,
        "select f.code, f.ma_lk, f.table_name, f.stt, f.field, f.evidence, l.status "
        "from findings f join ledger l using (ingest_id)",
    )
    assert found == [("RC101", "LK2", "XML1", 2, "HO_TEN", '{"hoso": 1}', "rejected")]


def test_unreadable_file_is_recorded_with_its_findings(tmp_path: Path) -> None:
    store = ClaimStore.open(tmp_path / "s")
    bad = Finding(
        code="IN001",
        severity=Severity.REFUSE,
        message="Tệp không phải XML hợp lệ",
        location=Location(file="bad.xml"),
    )
    with store.begin() as batch:
        batch.add_failed_file(SourceFile(path="bad.xml", sha256="bad"), [bad])
    assert batch.stats.files_rejected == 1
    assert rows(store, "select status, path, ma_lk from ledger") == [
        ("file_rejected", "bad.xml", None)
    ]
    assert rows(store, "select code from findings") == [("IN001",)]
    assert store.known_files() == {"bad"}


def test_an_aborted_batch_leaves_the_store_byte_for_byte_unchanged(
    tmp_path: Path,
    make_tables: Callable[..., Tables],
    tree_snapshot: Callable[[Path], dict[str, str]],
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    ingest(store, make_tables([{"ma_lk": "LK1"}]))
    before = tree_snapshot(store.root)

    def failing_batch() -> None:
        with store.begin() as batch:
            tables = named(make_tables([{"ma_lk": "LK1", "prices": [5]}]), "b")
            batch.add(tables, sources=src("b"))
            assert list((store.root / "_staging").rglob("*.parquet"))
            raise RuntimeError

    with pytest.raises(RuntimeError):
        failing_batch()
    assert tree_snapshot(store.root) == before


def test_an_interrupted_batch_is_cleaned_up_when_the_store_opens(
    tmp_path: Path,
    make_tables: Callable[..., Tables],
    tree_snapshot: Callable[[Path], dict[str, str]],
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    ingest(store, make_tables([{"ma_lk": "LK1"}]))
    before = tree_snapshot(store.root)
    batch = store.begin()
    batch.add(named(make_tables([{"ma_lk": "LK2"}]), "b"), sources=src("b"))
    # Simulate a crash half-way through publishing: some files already moved.
    moved = batch.staged[0]
    target = store.root / moved
    target.parent.mkdir(parents=True, exist_ok=True)
    (batch.staging / moved).replace(target)
    (store.root / "manifests" / "manifest-000002.json").write_text("{}")
    batch._lock.release()  # the process died: the kernel drops its lock
    assert tree_snapshot(store.root) != before
    reopened = ClaimStore.open(store.root)
    assert tree_snapshot(store.root) == before
    assert rows(reopened, "select ma_lk from claims") == [("LK1",)]
    stats = ingest(reopened, make_tables([{"ma_lk": "LK2"}]), file="b")
    assert stats.claims_new == 1


def test_two_writers_do_not_interleave(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    batch = store.begin()
    try:
        with pytest.raises(StoreError, match="locked by another ingest"):
            store.begin()
    finally:
        batch.abort()
    ingest(store, make_tables([{"ma_lk": "LK1"}]))


def test_catalogue_is_rebuilt_when_the_store_moves(
    tmp_path: Path, make_tables: Callable[..., Tables]
) -> None:
    store = ClaimStore.open(tmp_path / "s")
    ingest(store, make_tables([{"ma_lk": "LK1"}]))
    moved = tmp_path / "moved"
    store.root.rename(moved)
    assert rows(ClaimStore.open(moved), "select ma_lk from xml1") == [("LK1",)]


def test_empty_store_refuses_queries_with_a_clear_error(tmp_path: Path) -> None:
    store = ClaimStore.open(tmp_path / "s")
    with pytest.raises(StoreError, match="empty"):
        store.connect()
    with pytest.raises(StoreError, match="no claim store"):
        ClaimStore.open(tmp_path / "missing", create=False)


def test_claim_status_values() -> None:
    assert {s.value for s in ClaimStatus} == {
        "accepted",
        "rejected",
        "unchanged",
        "file_rejected",
    }


def test_version_index_gives_back_what_it_was_given() -> None:
    from giamdinh.store.store import _Version, _VersionIndex

    index = _VersionIndex("20260101T000000000000Z-abcdef")
    digest = "0123456789abcdef" * 4
    kept = {
        ("claim", "79001", "LK1"): _Version(
            1, digest, "20260101T000000000000Z-abcdef-0000042"
        ),
        ("claim", "79001", "LK2"): _Version(
            3, "not-a-digest", "an-earlier-batch-0000001"
        ),
        ("checkin", "79001", "LK1"): _Version(2, digest.upper(), "x-0000001"),
        ("claim", "unknown", "Lê Thị"): _Version(
            7, "", "20260101T000000000000Z-abcdef-12"
        ),
    }
    for key, version in kept.items():
        index.put(key, version)
    assert len(index) == len(kept)
    for key, version in kept.items():
        assert index.get(key) == version
    assert index.get(("claim", "79002", "LK1")) is None
    index.put(("claim", "79001", "LK1"), _Version(2, digest, "b-0000002"))
    assert len(index) == len(kept)
    assert index.get(("claim", "79001", "LK1")) == _Version(2, digest, "b-0000002")
