"""Device records: device-log CSV files and DICOM headers, as one Arrow table.

A device log is a CSV file per machine with the columns ``MA_MAY``, study uid,
``MA_LK``, ``STT``, start and end (header spelling is normalised: case, spaces,
``study_uid``/``StudyInstanceUID``/``uid``; times as ISO, ``yyyymmddHHMMSS`` or
``yyyymmddHHMM``). A DICOM file contributes its header only (pydicom, pixels never
read): ``StudyDate``/``StudyTime`` (start), ``AcquisitionDate``/``AcquisitionTime`` or
the performed procedure step end (end), ``StationName``/``DeviceSerialNumber``
(machine: a full ``MA_MAY`` or its serial part), ``AccessionNumber`` (the claim line,
``MA_LK`` and ``STT`` joined by ``#``, ``:``, ``/`` or ``|``) and
``StudyInstanceUID``.

Device times are machine time, not process time (MoH, seeds 001/002): the signals use
them only to show overlaps and missing records, never to judge a duration.

Unreadable rows and files are findings (``SG901``), never exceptions.
"""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pydicom
from pydicom.errors import InvalidDicomError

from giamdinh.domain import Finding, Location, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Arrow schema of device records (the ``device_log`` input of the signals).
DEVICE_SCHEMA = pa.schema(
    [
        ("ma_may", pa.string()),
        ("study_uid", pa.string()),
        ("ma_lk", pa.string()),
        ("stt", pa.int64()),
        ("t_start", pa.timestamp("s")),
        ("t_end", pa.timestamp("s")),
        ("source", pa.string()),
        ("file", pa.string()),
    ]
)

DICOM_SUFFIXES = frozenset({".dcm", ".dicom"})
_HEADER_ALIASES = {
    "ma_may": "ma_may",
    "machine": "ma_may",
    "study_uid": "study_uid",
    "studyuid": "study_uid",
    "studyinstanceuid": "study_uid",
    "study_instance_uid": "study_uid",
    "uid": "study_uid",
    "ma_lk": "ma_lk",
    "stt": "stt",
    "start": "t_start",
    "t_start": "t_start",
    "start_time": "t_start",
    "begin": "t_start",
    "end": "t_end",
    "t_end": "t_end",
    "end_time": "t_end",
    "stop": "t_end",
}
_DIGIT_FORMATS = {14: "%Y%m%d%H%M%S", 12: "%Y%m%d%H%M", 8: "%Y%m%d"}
_ACCESSION = re.compile(r"^(?P<ma_lk>.+?)[#:/|](?P<stt>\d+)$")
_FULL_MA_MAY = re.compile(r"^[A-ZĐ]{2,3}\.")


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRecords:
    """Device records read from files, with the problems found while reading."""

    table: pa.Table
    findings: list[Finding] = field(default_factory=list)
    files: int = 0


def _finding(path: Path, message: str, message_en: str, row: int | None) -> Finding:
    return Finding(
        code="SG901",
        severity=Severity.INFO,
        message=message,
        message_en=message_en,
        location=Location(file=str(path), stt=row, table="device_log"),
    )


def parse_time(text: str | None) -> datetime | None:
    """Parse a device-log time (ISO or compact digits); ``None`` when unreadable.

    Times are local clock times, naive as in the claim files (contract 4); a time
    zone suffix is dropped after converting nothing, since the claim side has none.
    """
    raw = (text or "").strip()
    if not raw:
        return None
    raw = re.sub(r"(Z|[+-]\d{2}:?\d{2})$", "", raw).split(".")[0]
    if raw.isdigit():
        fmt = _DIGIT_FORMATS.get(len(raw))
        if fmt is None:
            return None
        try:
            return datetime.strptime(raw, fmt)  # noqa: DTZ007 - naive local clock
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _read_csv(path: Path, rows: list[dict[str, object]], found: list[Finding]) -> None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = {
                name: _HEADER_ALIASES.get(re.sub(r"[\s\-]+", "_", name.strip().lower()))
                for name in reader.fieldnames or ()
            }
            if "ma_may" not in fields.values() or "t_start" not in fields.values():
                found.append(
                    _finding(
                        path,
                        "Nhật ký thiết bị thiếu cột MA_MAY hoặc thời điểm bắt đầu.",
                        "Device log lacks the MA_MAY or start column.",
                        None,
                    )
                )
                return
            for number, raw in enumerate(reader, start=2):
                record = {fields[k]: v for k, v in raw.items() if fields.get(k)}
                start = parse_time(record.get("t_start"))
                if start is None:
                    found.append(
                        _finding(
                            path,
                            f"Dòng {number}: thời điểm bắt đầu không đọc được "
                            f"({record.get('t_start')!r}).",
                            f"Row {number}: unreadable start time "
                            f"({record.get('t_start')!r}).",
                            number,
                        )
                    )
                    continue
                stt_text = (record.get("stt") or "").strip()
                rows.append(
                    {
                        "ma_may": (record.get("ma_may") or "").strip() or None,
                        "study_uid": (record.get("study_uid") or "").strip() or None,
                        "ma_lk": (record.get("ma_lk") or "").strip() or None,
                        "stt": int(stt_text) if stt_text.isdigit() else None,
                        "t_start": start,
                        "t_end": parse_time(record.get("t_end")) or start,
                        "source": "csv",
                        "file": str(path),
                    }
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        found.append(
            _finding(
                path,
                f"Không đọc được nhật ký thiết bị: {exc}",
                f"Cannot read the device log: {exc}",
                None,
            )
        )


def _dicom_time(day: object, clock: object) -> datetime | None:
    day_text = str(day or "").strip()
    if len(day_text) != 8 or not day_text.isdigit():  # noqa: PLR2004 - yyyymmdd
        return None
    clock_text = str(clock or "").strip().split(".")[0].ljust(6, "0")[:6]
    if not clock_text.isdigit():
        clock_text = "000000"
    return parse_time(day_text + clock_text)


def read_dicom(path: Path) -> dict[str, object] | None:
    """Read the device facts of one DICOM file's header; ``None`` if it has none."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    start = _dicom_time(ds.get("StudyDate"), ds.get("StudyTime")) or _dicom_time(
        ds.get("AcquisitionDate"), ds.get("AcquisitionTime")
    )
    if start is None:
        return None
    ends = [
        _dicom_time(
            ds.get("PerformedProcedureStepEndDate"),
            ds.get("PerformedProcedureStepEndTime"),
        ),
        _dicom_time(ds.get("AcquisitionDate"), ds.get("AcquisitionTime")),
    ]
    end = max([e for e in ends if e is not None] + [start])
    if end <= start:
        # A header gives an instant; one second keeps two studies at the very same
        # instant on one machine visible as an overlap.
        end = start + timedelta(seconds=1)
    station = str(ds.get("StationName") or "").strip()
    serial = str(ds.get("DeviceSerialNumber") or "").strip()
    machine = station if _FULL_MA_MAY.match(station) else (serial or station or None)
    accession = str(ds.get("AccessionNumber") or "").strip()
    link = _ACCESSION.match(accession)
    return {
        "ma_may": machine,
        "study_uid": str(ds.get("StudyInstanceUID") or "") or None,
        "ma_lk": link["ma_lk"] if link else (accession or None),
        "stt": int(link["stt"]) if link else None,
        "t_start": start,
        "t_end": end,
        "source": "dicom",
        "file": str(path),
    }


def find_device_files(root: Path) -> list[Path]:
    """Return the device-log CSV and DICOM files under ``root``, sorted."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and (p.suffix.lower() == ".csv" or p.suffix.lower() in DICOM_SUFFIXES)
    )


def read_device_records(paths: Iterable[Path]) -> DeviceRecords:
    """Read device-log CSV files and DICOM headers into one ``DEVICE_SCHEMA`` table.

    Args:
        paths: files (``.csv``, ``.dcm``/``.dicom``) or folders searched recursively.

    Returns:
        The records, the reading problems as ``SG901`` findings, and the file count.
    """
    rows: list[dict[str, object]] = []
    found: list[Finding] = []
    files = [f for p in paths for f in find_device_files(Path(p))]
    for path in files:
        if path.suffix.lower() in DICOM_SUFFIXES:
            try:
                with warnings.catch_warnings():
                    # Over-long values (a full MA_MAY in a 16-character SH field)
                    # are read as they are; pydicom's warning is noise here.
                    warnings.simplefilter("ignore", UserWarning)
                    record = read_dicom(path)
            except (InvalidDicomError, OSError, ValueError, AttributeError) as exc:
                found.append(
                    _finding(
                        path,
                        f"Không đọc được tệp DICOM: {exc}",
                        f"Cannot read the DICOM file: {exc}",
                        None,
                    )
                )
                continue
            if record is None:
                found.append(
                    _finding(
                        path,
                        "Tệp DICOM không có StudyDate/AcquisitionDate.",
                        "DICOM file has no StudyDate/AcquisitionDate.",
                        None,
                    )
                )
                continue
            rows.append(record)
        else:
            _read_csv(path, rows, found)
    table = pa.Table.from_pylist(rows, schema=DEVICE_SCHEMA)
    return DeviceRecords(table=table, findings=found, files=len(files))
