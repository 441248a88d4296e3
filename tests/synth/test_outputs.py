"""What the generator writes loads where the project reads it: reference folders with
``giamdinh.refdata``, claims through reception, DICOM files with pydicom."""

from __future__ import annotations

import csv
from datetime import date, datetime
from typing import TYPE_CHECKING

import pydicom
import pytest

from giamdinh.refdata import ReferenceSet, load_folder
from giamdinh.standard.reader import read_batch
from giamdinh.synth.dicom import DICOM_TRUTH_FILE, SH_MAX, accession_number

if TYPE_CHECKING:
    from giamdinh.synth import SynthResult


def test_reference_folders_load_without_problems(small: SynthResult) -> None:
    # The first five facilities are one of each tier; the sixth is a second hospital.
    for code in small.facilities[:6]:
        tables, reports = load_folder(small.out / "reference" / code, ma_cskcb=code)
        by_name = {r.name: r for r in reports}
        assert set(by_name) >= {"M01", "M02", "M03", "M04", "M05", "M06"}
        for report in reports:
            assert report.file is not None, f"{code}: {report.name} missing"
            assert report.problems == (), [p.describe() for p in report.problems]
            assert report.rows > 0, f"{code}: {report.name} is empty"
        assert tables["ref_services"].num_rows == by_name["M05"].rows


def test_reference_set_loads_and_looks_up(small: SynthResult) -> None:
    """A facility folder loads with the national tables; its rows are found by day."""
    code = small.facilities[2]
    folder = small.out / "reference" / code
    refs = ReferenceSet.load(folder, ma_cskcb=code)
    assert not refs.missing
    day = date(2026, 3, 15)
    for kind, name, column in (
        ("service", "M05", "MA_DICH_VU"),
        ("machine", "M06", "MA_MAY"),
        ("licence", "licences", "MACCHN"),
        ("equipment_source", "equipment_sources", "MA_MAY"),
    ):
        with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as f:
            value = next(csv.DictReader(f))[column]
        assert refs.lookup(kind, value, day).num_rows >= 1, (kind, value)


def _dicom_time(day: str, time: str) -> datetime:
    return datetime.fromisoformat(
        f"{day[:4]}-{day[4:6]}-{day[6:8]}T{time[:2]}:{time[2:4]}:{time[4:6]}"
    )


def _dicom_truth(result: SynthResult) -> dict[str, dict[str, str]]:
    with (result.out / DICOM_TRUTH_FILE).open(encoding="utf-8", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def test_dicom_files_match_device_logs(small: SynthResult) -> None:
    # Every value fits its VR: pydicom warns otherwise, and warnings fail the test.
    logs: dict[str, dict[str, str]] = {}
    for path in small.out.glob("device_logs/*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                logs[row["STUDY_UID"]] = row
    tables = read_batch(sorted(small.out.glob("claims/*/*.xml"))).tables
    xml3 = {(r["MA_LK"], r["STT"]): r for r in tables["XML3"].to_pylist()}
    files = sorted(small.out.glob("dicom/*.dcm"))
    assert len(files) == small.dicom_files == 12
    truth = _dicom_truth(small)
    assert sorted(truth) == [f"dicom/{p.name}" for p in files]
    modalities = set()
    for path in files:
        ds = pydicom.dcmread(path)
        modalities.add(ds.Modality)
        log = logs[ds.StudyInstanceUID]
        assert ds.DeviceSerialNumber == log["MA_MAY"]
        assert log["MA_MAY"].endswith("." + ds.StationName)
        assert len(ds.StationName) <= 16
        # AccessionNumber is SH: at most 16 characters (DICOM PS3.5).
        assert 0 < len(ds.AccessionNumber) <= 16
        row = truth[f"dicom/{path.name}"]
        assert (row["accession"], row["study_uid"]) == (
            ds.AccessionNumber,
            ds.StudyInstanceUID,
        )
        assert (row["ma_lk"], row["stt"], row["ma_may"]) == (
            log["MA_LK"],
            log["STT"],
            log["MA_MAY"],
        )
        order = f"{log['MA_LK']}/{log['STT']}"
        assert ds.PlacerOrderNumberImagingServiceRequest == order
        assert ds.StudyID == log["STT"]
        start = _dicom_time(ds.StudyDate, ds.StudyTime)
        acquired = _dicom_time(ds.AcquisitionDate, ds.AcquisitionTime)
        done = _dicom_time(ds.ContentDate, ds.ContentTime)
        step_end = _dicom_time(
            ds.PerformedProcedureStepEndDate, ds.PerformedProcedureStepEndTime
        )
        assert start == acquired == datetime.fromisoformat(log["START"])
        assert done == step_end == datetime.fromisoformat(log["END"])
        line = xml3[(log["MA_LK"], int(log["STT"]))]
        assert line["MA_MAY"] == ds.DeviceSerialNumber
        # Machine time is a part of the whole process recorded in XML3.
        assert line["NGAY_TH_YL"] <= start < done <= line["NGAY_KQ"]
        assert done - start < line["NGAY_KQ"] - line["NGAY_TH_YL"]
        assert ds.pixel_array.shape == (16, 16)
    assert modalities <= {"DX", "CT", "MR", "US"}


def test_accession_numbers_are_unique_and_fit_sh(small: SynthResult) -> None:
    accessions = [row["accession"] for row in _dicom_truth(small).values()]
    assert len(set(accessions)) == len(accessions) == 12
    assert all(len(a) <= SH_MAX for a in accessions)


def test_accession_number_is_traceable_and_bounded() -> None:
    assert accession_number(yymm="2603", claim=1234, stt=2) == "26030001234002"
    # Up to 999 million claims the number still fits SH; distinct lines differ.
    longest = accession_number(yymm="2603", claim=999_999_999, stt=999)
    assert len(longest) == SH_MAX
    assert accession_number(yymm="2603", claim=12, stt=34) != accession_number(
        yymm="2603", claim=123, stt=4
    )
    with pytest.raises(ValueError, match="STT"):
        accession_number(yymm="2603", claim=1, stt=1000)
    with pytest.raises(ValueError, match="16 characters"):
        accession_number(yymm="2603", claim=10**9, stt=1)
