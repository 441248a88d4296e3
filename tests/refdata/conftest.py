"""Fixtures and small builders of reference files for the refdata tests."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

SAMPLE_DIR = (
    Path(__file__).parent.parent.parent
    / "src"
    / "giamdinh"
    / "refdata"
    / "samples"
    / "facility_99001"
)
DATA_DIR = SAMPLE_DIR.parent.parent / "data"
REAL_M05 = DATA_DIR / "dvkt_catalogue_M05_sample_facility_92114.csv"

M05_HEADER = ["MA_DICH_VU", "TEN_DICH_VU", "DON_GIA", "TU_NGAY", "DEN_NGAY", "MA_CSKCB"]


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    """Write a small CSV with the given delimiter and encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def copy_sample(tmp_path: Path) -> Path:
    """Copy the sample reference folder so a test may change it."""
    target = tmp_path / "facility_99001"
    shutil.copytree(SAMPLE_DIR, target)
    return target


@pytest.fixture
def sample_folder(tmp_path: Path) -> Path:
    """A writable copy of the sample reference folder of facility 99001."""
    return copy_sample(tmp_path)


@pytest.fixture(scope="session")
def real_m05() -> Path:
    """The real 5,022-row M05 catalogue of facility 92114 shipped in the package."""
    return REAL_M05


@pytest.fixture
def csv_writer() -> Callable[..., Path]:
    """Return :func:`write_csv` (test modules do not import conftest)."""
    return write_csv
