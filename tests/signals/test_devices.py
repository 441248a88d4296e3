"""Device-log CSV files and DICOM headers become one table; bad input is a finding."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from giamdinh.signals import read_device_records
from giamdinh.signals.devices import parse_time

if TYPE_CHECKING:
    from pathlib import Path


def _dicom(path: Path, **tags: str) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.1.1")  # DX image
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    for key, value in tags.items():
        setattr(ds, key, value)
    ds.save_as(path, enforce_file_format=True)


def test_csv_with_header_variants_and_a_bad_row(tmp_path: Path) -> None:
    log = tmp_path / "XQ.1.99001.DR1.csv"
    log.write_text(
        "MA_MAY,Study UID,MA_LK,STT,Start,End\n"
        "XQ.1.99001.DR1,1.2.3,LK1,2,2026-03-02T08:00:00,2026-03-02T08:03:30\n"
        "XQ.1.99001.DR1,1.2.4,LK2,1,20260302080500,\n"
        "XQ.1.99001.DR1,1.2.5,LK3,1,yesterday,\n",
        encoding="utf-8",
    )
    records = read_device_records([tmp_path])
    rows = records.table.to_pylist()
    assert [(r["ma_lk"], r["stt"]) for r in rows] == [("LK1", 2), ("LK2", 1)]
    assert rows[0]["t_end"] == datetime(2026, 3, 2, 8, 3, 30)  # noqa: DTZ001
    assert rows[1]["t_end"] == rows[1]["t_start"]
    (finding,) = records.findings
    assert finding.code == "SG901"
    assert finding.location.stt == 4
    assert "yesterday" in finding.message


def test_csv_without_machine_column_is_a_finding(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text("a,b\n1,2\n", encoding="utf-8")
    records = read_device_records([log])
    assert records.table.num_rows == 0
    assert [f.code for f in records.findings] == ["SG901"]


def test_dicom_header(tmp_path: Path) -> None:
    _dicom(
        tmp_path / "a.dcm",
        StudyDate="20260302",
        StudyTime="080015.123",
        AcquisitionDate="20260302",
        AcquisitionTime="080210",
        StationName="XQ.1.99001.DR1",
        DeviceSerialNumber="DR1",
        AccessionNumber="LK0001#3",
    )
    _dicom(
        tmp_path / "b.dcm",
        StudyDate="20260302",
        StudyTime="0815",
        StationName="ROOM-2",
        DeviceSerialNumber="DR2",
        AccessionNumber="ACC-77",
    )
    (tmp_path / "c.dcm").write_bytes(b"not a dicom file")
    records = read_device_records([tmp_path])
    a, b = records.table.to_pylist()
    assert (a["ma_may"], a["ma_lk"], a["stt"]) == ("XQ.1.99001.DR1", "LK0001", 3)
    assert (a["t_start"], a["t_end"]) == (
        datetime(2026, 3, 2, 8, 0, 15),  # noqa: DTZ001
        datetime(2026, 3, 2, 8, 2, 10),  # noqa: DTZ001
    )
    assert (b["ma_may"], b["ma_lk"], b["stt"]) == ("DR2", "ACC-77", None)
    assert b["source"] == "dicom"
    assert [f.location.file for f in records.findings] == [str(tmp_path / "c.dcm")]


def test_parse_time() -> None:
    assert parse_time("2026-03-02 08:05") == datetime(2026, 3, 2, 8, 5)  # noqa: DTZ001
    assert parse_time("202603020805") == datetime(2026, 3, 2, 8, 5)  # noqa: DTZ001
    assert parse_time("2026-03-02T08:05:00+07:00") == datetime(  # noqa: DTZ001
        2026, 3, 2, 8, 5
    )
    assert parse_time("") is None
