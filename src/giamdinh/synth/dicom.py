"""A few real DICOM files for generated imaging studies (pydicom).

Each file carries the times of the device log (study, series and acquisition start at
the machine's start; performed procedure step from start to end, content at the end),
``DeviceSerialNumber`` = the whole ``MA_MAY`` (LO, 64 characters), ``StationName`` =
its serial part Z of ``XX.n.YYYYY.Z`` (SH, 16 characters) and ``AccessionNumber`` =
``MA_LK/STT``, so that DICOM headers, device logs and XML3 can be cross-checked.
Images are a tiny 16×16 gradient: the headers matter, not the pixels. UIDs are derived
from the seed, and no creation time is written, so files are byte-identical across
runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydicom import config
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
        accession: ``MA_LK/STT``.
        patient_id: ``MA_BN``.
        patient_name: patient name (synthetic).
        birth: ``yyyymmdd``.
        sex: ``M`` or ``F``.
        start: (date, time) the machine started.
        end: (date, time) the machine stopped.
        description: the service name.
    """
    # NOTE: AccessionNumber is SH (16 characters) in DICOM but MA_LK/STT is longer
    # (MA_LK alone is up to 100); it is written whole so the line can be joined, with
    # value validation off while this dataset is built (restored afterwards). Readers
    # see a pydicom length warning for that one field.
    previous = (
        config.settings.reading_validation_mode,
        config.settings.writing_validation_mode,
    )
    config.settings.reading_validation_mode = config.IGNORE
    config.settings.writing_validation_mode = config.IGNORE
    try:
        _write(
            path,
            group=group,
            study=study,
            ma_may=ma_may,
            accession=accession,
            patient_id=patient_id,
            patient_name=patient_name,
            birth=birth,
            sex=sex,
            start=start,
            end=end,
            description=description,
        )
    finally:
        config.settings.reading_validation_mode = previous[0]
        config.settings.writing_validation_mode = previous[1]


def _write(
    path: Path,
    *,
    group: str,
    study: str,
    ma_may: str,
    accession: str,
    patient_id: str,
    patient_name: str,
    birth: str,
    sex: str,
    start: tuple[str, str],
    end: tuple[str, str],
    description: str,
) -> None:
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
    ds.StationName = ma_may.rsplit(".", maxsplit=1)[-1][:16]
    ds.DeviceSerialNumber = ma_may
    ds.AccessionNumber = accession
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
    ds.StudyID = accession.rsplit("/", maxsplit=1)[-1]
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


__all__ = ["supported", "write_study"]
