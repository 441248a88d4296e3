"""The signals use case over a real claim store, reference folders and device logs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest

from giamdinh.errors import ConfigError, StoreError
from giamdinh.services.signals import (
    SignalInputs,
    compute_leads,
    device_paths,
    leads_as_json,
    load_leads,
    province_inputs,
    reference_folders,
    top_leads,
)
from giamdinh.store import ClaimStore, SourceFile

if TYPE_CHECKING:
    from pathlib import Path

T0 = datetime(2026, 3, 2, 8, 0)  # noqa: DTZ001 - claim times are naive local clock
MONEY = pa.decimal128(18, 3)
M02_HEADER = (
    "STT,MA_LOAI_KCB,MA_KHOA,TEN_KHOA,MA_BHXH,HO_TEN,GIOI_TINH,CHUCDANH_NN,VI_TRI,"
    "MACCHN,NGAYCAP_CCHN,NOICAP_CCHN,PHAMVI_CM,PHAMVI_CMBS,DVKT_KHAC,VB_PHANCONG,"
    "THOIGIAN_DK,THOIGIAN_NGAY,THOIGIAN_TUAN,CSKCB_KHAC,CSKCB_CGKT,QD_CGKT,TU_NGAY,"
    "DEN_NGAY,MA_CSKCB"
)


def _store(root: Path) -> Path:
    """One facility, 99001: a CT technologist doing 150 contrast CTs in one day."""
    n = 150
    keys = [f"LK{i:04d}" for i in range(n)]
    starts = [T0.replace(hour=0) + timedelta(minutes=9 * i) for i in range(n)]
    prov = {
        "_file": pa.array(["a.xml"] * n),
        "_hoso": pa.array(range(n), pa.int32()),
        "_envelope_cskcb": pa.array(["99001"] * n),
    }
    xml1 = pa.table(
        {
            "MA_LK": keys,
            "STT": pa.array(range(1, n + 1), pa.int64()),
            "MA_CSKCB": ["99001"] * n,
            "NGAY_VAO": pa.array(starts, pa.timestamp("s")),
            "NGAY_RA": pa.array(starts, pa.timestamp("s")),
            **prov,
        }
    )
    xml3 = pa.table(
        {
            "MA_LK": keys,
            "STT": pa.array([1] * n, pa.int64()),
            "MA_DICH_VU": ["18.0150.0041"] * n,  # CT with contrast, 30 min
            "NGUOI_THUC_HIEN": ["000009/HNO-CCHN"] * n,
            "MA_MAY": ["CL.1.99001.CT1"] * n,
            "NGAY_TH_YL": pa.array(starts, pa.timestamp("s")),
            "NGAY_KQ": pa.array(
                [s + timedelta(minutes=30) for s in starts], pa.timestamp("s")
            ),
            "T_BHTT": pa.array([500000] * n, MONEY),
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


def _refs(root: Path) -> Path:
    folder = root / "refs" / "99001"
    folder.mkdir(parents=True)
    (folder / "M02.csv").write_text(
        M02_HEADER + "\n"
        "1,01,K45,CĐHA,0199000012,TRẦN THỊ HAI,2,Kỹ thuật y,KTV,000009/HNO-CCHN,"
        "20150301,Sở Y tế Hà Nội,18,,,QĐ 02,1,07:00-16:30,T2-T6,,,,20250101,,99001\n",
        encoding="utf-8",
    )
    return root / "refs"


def test_compute_store_and_read_back(tmp_path: Path) -> None:
    store = _store(tmp_path / "store")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "ct1.csv").write_text(
        "MA_MAY,study uid,MA_LK,STT,start,end\n"
        "CL.1.99001.CT1,1.1,LK0000,1,2026-03-02T00:00:00,2026-03-02T00:20:00\n"
        "CL.1.99001.CT1,1.2,LK0001,1,2026-03-02T00:09:00,2026-03-02T00:12:00\n"
        "CL.1.99001.CT1,1.3,LK0002,1,not a time,\n",
        encoding="utf-8",
    )
    run = compute_leads(store_dir=store, refs=[_refs(tmp_path)], devices=[logs])
    counts = run.counts()
    assert counts["SG001"] == 1  # 150 × 15 min (reference 30 min × 0.5) = 2,250
    assert counts["SG002"] == 0  # SG001 already covers the day
    assert counts["SG003"] == 1
    assert counts["SG004"] == 1  # from the device log, not from claim times
    assert counts["SG005"] == 1  # 147 billed studies have no record in the CT's log
    assert counts["SG007"] == 0  # registered in M02
    assert run.inputs["lines"] == 150
    assert run.inputs["practitioner_rows"] == 1
    assert [f.code for f in run.findings] == ["SG901"]
    assert run.path == store / "leads" / "leads.parquet"
    meta = json.loads((store / "leads" / "leads.json").read_text("utf-8"))
    assert meta["manifest_seq"] == 1
    assert meta["params"]["performer_fraction"] == 0.5

    saved = load_leads(store)
    assert saved.equals(run.leads)
    (first,) = top_leads(saved, top=1)
    assert first.severity == "review"
    (data,) = leads_as_json([first])
    assert data["code"] == first.code
    assert json.dumps(data, ensure_ascii=False)


def test_missing_store_and_leads_are_operator_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        compute_leads(store_dir=tmp_path / "nowhere")
    with pytest.raises(StoreError, match="no leads"):
        load_leads(tmp_path)


def test_reference_folders(tmp_path: Path) -> None:
    refs = _refs(tmp_path)
    assert reference_folders([refs]) == [refs / "99001"]
    assert reference_folders([refs / "99001"]) == [refs / "99001"]
    with pytest.raises(ConfigError, match="--refs"):
        reference_folders([tmp_path / "missing"])


def _province_folder(tmp_path: Path) -> Path:
    """A folder laid out as ``giamdinh synth`` writes one."""
    root = tmp_path / "province"
    root.mkdir()
    _refs(tmp_path).rename(root / "reference")
    logs = root / "device_logs"
    logs.mkdir()
    (logs / "ct1.csv").write_text(
        "MA_MAY,STUDY_UID,MA_LK,STT,START,END\n"
        "CL.1.99001.CT1,1.1,LK0000,1,2026-03-02T00:00:00,2026-03-02T00:20:00\n"
        "CL.1.99001.CT1,1.2,LK0001,1,2026-03-02T00:09:00,2026-03-02T00:12:00\n",
        encoding="utf-8",
    )
    (root / "ground_truth.csv").write_text("ma_lk,pattern\n", encoding="utf-8")
    (root / "facilities.csv").write_text("MA_CSKCB,TIER\n99001,district\n", "utf-8")
    return root


def test_province_folder_gives_every_input(tmp_path: Path) -> None:
    root = _province_folder(tmp_path)
    inputs = province_inputs(root)
    assert inputs == SignalInputs(
        refs=(root / "reference",),
        devices=(root / "device_logs",),
        facilities=root / "facilities.csv",
    )
    # the licence registry is a database, never part of a province folder
    assert [en.split(" (")[0] for _, en in inputs.missing()] == ["no licence registry"]
    # --refs and --devices may point at the province folder itself; its other CSV
    # files (ground truth) are not read as device logs.
    assert reference_folders([root]) == [root / "reference" / "99001"]
    assert device_paths([root]) == [root / "device_logs"]
    store = _store(tmp_path / "store")
    run = compute_leads(store_dir=store, refs=[root], devices=[root])
    assert run.findings == []
    assert run.counts()["SG004"] == 1
    assert run.inputs["practitioner_rows"] == 1


def test_missing_inputs_are_named(tmp_path: Path) -> None:
    missing = SignalInputs().missing()
    assert [en.split(" (")[0] for _, en in missing] == [
        "no reference folders",
        "no device records",
        "no facility tiers",
        "no licence registry",
    ]
    with pytest.raises(ConfigError, match="--province"):
        province_inputs(tmp_path / "nowhere")
    with pytest.raises(ConfigError, match="--province"):
        province_inputs(tmp_path)
    with pytest.raises(ConfigError, match="--devices"):
        device_paths([tmp_path / "nowhere"])


def test_a_facility_list_keeps_leading_zeros(tmp_path: Path) -> None:
    from giamdinh.services.signals import read_facility_tiers

    path = tmp_path / "facilities.csv"
    path.write_text("MA_CSKCB,TEN_CSKCB,TIER\n01929,Bệnh viện A,central\n", "utf-8")
    table = read_facility_tiers(path)
    assert table.column("ma_cskcb").to_pylist() == ["01929"]
    assert table.column("tier").to_pylist() == ["central"]


def test_sg013_reads_the_facility_m05(tmp_path: Path) -> None:
    """Technique 18.0150 billed 150 times; the facility's M05 lists only 18.0001."""
    refs = _refs(tmp_path)
    (refs / "99001" / "M05.csv").write_text(
        "STT,MA_DICH_VU,TEN_DICH_VU,TEN_DVKT_GIA,DON_GIA,QUY_TRINH,CS_THUCHIEN,"
        "TINHTRANG_DV,MA_GIA,TEN_GIA,GIA_TT_BHYT,MA_PTTT,TU_NGAY,DEN_NGAY,MA_CSKCB,"
        "PHAN_LOAI_PTTT,MA_NHOM,GHICHU,QUYET_DINH\n"
        "1,18.0001.0001,Chụp X-quang,Chụp X-quang,50000,,,1,,,50000,,20260101,,"
        "99001,,,,\n",
        encoding="utf-8",
    )
    store = _store(tmp_path / "store")
    run = compute_leads(store_dir=store, refs=[refs], codes=["SG013"])
    (lead,) = top_leads(run.leads)
    assert (lead.code, lead.ma_cskcb, lead.ma_dich_vu) == ("SG013", "99001", "18.0150")
    assert lead.n_lines == 150
    assert lead.evidence["m05_rows"] == 1
