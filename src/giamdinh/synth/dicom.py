"""A few real DICOM files for generated imaging studies (pydicom).

Each file carries the times of the device log (study, series and acquisition start at
the machine's start; performed procedure step from start to end, content at the end),
``DeviceSerialNumber`` = the whole ``MA_MAY`` (LO, 64 characters), ``StationName`` =
its serial part Z of ``XX.n.YYYYY.Z`` (SH, 16 characters), ``AccessionNumber`` = a
14-digit number unique in the run (SH, at most 16 characters: see
``accession_number``) and ``PlacerOrderNumberImagingServiceRequest`` = ``MA_LK/STT``
(the hospital's order: the claim line), so that DICOM headers, device logs and XML3
can be cross-checked; ``ground_truth_dicom.csv`` maps each file to its line.
Images are a tiny 16×16 gradient: the headers matter, not the pixels. UIDs are derived
from the seed, and no creation time is written, so files are byte-identical across
runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian

if TYPE_CHECKING:
    from pathlib import Path

#: SOP classes and modality per machine group.
_SOP = {
    "XQ": ("1.2.840.10008.5.1.4.1.1.1.1", "DX"),
    "CL": ("1.2.840.10008.5.1.4.1.1.2", "CT"),
    "MRI": ("1.2.840.10008.5.1.4.1.1.4", "MR"),
    "SA": ("1.2.840.10008.5.1.4.1.1.6.1", "US"),
}
IMPLEMENTATION_UID = "2.25.302611370219488434425318532165371929425"
#: Longest value of a DICOM SH element (PS3.5 §6.2), e.g. ``AccessionNumber``.
SH_MAX = 16
_STT_DIGITS = 3
#: Columns of ``ground_truth_dicom.csv``: which claim line each DICOM file shows.
DICOM_TRUTH_FILE = "ground_truth_dicom.csv"
DICOM_TRUTH_COLUMNS = ("file", "accession", "study_uid", "ma_lk", "stt", "ma_may")


def accession_number(*, yymm: str, claim: int, stt: int) -> str:
    """Return the ``AccessionNumber`` of a study: ``yymm`` + claim number + STT.

    ``yymm`` is the month of care, ``claim`` the claim's number in the run (at least
    7 digits, as in ``MA_LK``), ``stt`` the XML3 line (3 digits), e.g.
    ``26030001234002``: unique in the run, and at most 16 characters up to 999
    million claims.

    Raises:
        ValueError: If the number would not fit the 16 characters of SH.
    """
    if not 0 < stt < 10**_STT_DIGITS:
        msg = f"STT {stt} does not fit the {_STT_DIGITS} digits of an accession"
        raise ValueError(msg)
    number = f"{yymm}{claim:07d}{stt:0{_STT_DIGITS}d}"
    if len(number) > SH_MAX:
        msg = f"accession {number} is longer than the {SH_MAX} characters of SH"
        raise ValueError(msg)
    return number


def supported(group: str) -> bool:
    """Return whether studies of a machine group get a DICOM file."""
    return group in _SOP


def write_study(
    path: Path,
    *,
    group: str,
    study: str,
    ma_may: str,
    accession: str,
    order: str,
    stt: int,
    patient_id: str,
    patient_name: str,
    birth: str,
    sex: str,
    start: tuple[str, str],
    end: tuple[str, str],
    description: str,
) -> None:
    """Write one single-image DICOM file.

    Args:
        path: where to write.
        group: machine group (``XQ``, ``CL``, ``MRI``, ``SA``).
        study: StudyInstanceUID (the device log's ``STUDY_UID``).
        ma_may: machine code, written as ``DeviceSerialNumber`` (its serial part
            as ``StationName``).
        accession: ``AccessionNumber`` (see ``accession_number``).
        order: the claim line ``MA_LK/STT``, written as the placer order number.
        stt: the line's STT, also the ``StudyID``.
        patient_id: ``MA_BN``.
        patient_name: patient name (synthetic).
        birth: ``yyyymmdd``.
        sex: ``M`` or ``F``.
        start: (date, time) the machine started.
        end: (date, time) the machine stopped.
        description: the service name.
    """
    sop_class, modality = _SOP[group]
    sop_instance = f"{study}.1.1"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID(IMPLEMENTATION_UID)
    meta.ImplementationVersionName = "GIAMDINH_SYNTH"
    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = f"{study}.1"
    ds.Modality = modality
    ds.StationName = ma_may.rsplit(".", maxsplit=1)[-1][:SH_MAX]
    ds.DeviceSerialNumber = ma_may
    ds.AccessionNumber = accession
    ds.PlacerOrderNumberImagingServiceRequest = order
    ds.PatientID = patient_id
    ds.PatientName = patient_name.replace(" ", "^", 1)
    ds.PatientBirthDate = birth
    ds.PatientSex = sex
    ds.StudyDate, ds.StudyTime = start
    ds.SeriesDate, ds.SeriesTime = start
    ds.AcquisitionDate, ds.AcquisitionTime = start
    ds.ContentDate, ds.ContentTime = end
    ds.PerformedProcedureStepStartDate, ds.PerformedProcedureStepStartTime = start
    ds.PerformedProcedureStepEndDate, ds.PerformedProcedureStepEndTime = end
    ds.StudyDescription = description[:64]
    ds.StudyID = str(stt)
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Manufacturer = "giamdinh synthetic"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = 16
    ds.Columns = 16
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = bytes((r * 16 + c) % 256 for r in range(16) for c in range(16))
    ds.save_as(path, enforce_file_format=True)


__all__ = [
    "DICOM_TRUTH_COLUMNS",
    "DICOM_TRUTH_FILE",
    "SH_MAX",
    "accession_number",
    "supported",
    "write_study",
]
