"""Reference data of a whole province: every facility folder side by side."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from giamdinh.errors import ConfigError
from giamdinh.refdata.reference_set import FACILITY_TABLES
from giamdinh.services.province import facility_folders, load_reference
from giamdinh.services.synth import run_synth

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("province") / "p"
    run_synth(claims=60, seed=3, out=out, facilities=4, dicom_files=0)
    return out / "reference"


def _codes(column: pa.ChunkedArray) -> set[str]:
    return {str(c) for c in pc.unique(column).to_pylist() if c}


def test_national_only_marks_every_facility_table_missing() -> None:
    refs = load_reference(None)
    assert refs.missing == frozenset(FACILITY_TABLES)


def test_one_facility_folder_is_that_facility(province: Path) -> None:
    folder = sorted(p for p in province.iterdir() if p.is_dir())[0]
    refs = load_reference(folder)
    assert refs.ma_cskcb == folder.name
    assert _codes(refs.table("ref_services").column("ma_cskcb")) == {folder.name}


def test_a_province_loads_every_facility(province: Path) -> None:
    names = {p.name for p in province.iterdir() if p.is_dir()}
    assert len(names) == 4
    refs = load_reference(province)
    assert _codes(refs.table("ref_services").column("ma_cskcb")) == names
    assert _codes(refs.table("ref_practitioners").column("ma_cskcb")) == names
    assert "ref_licences" not in refs.missing
    assert refs.ma_cskcb is None


def test_a_table_is_missing_only_when_no_facility_declares_it(
    province: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "ref"
    shutil.copytree(province, copy)
    folders = sorted(p for p in copy.iterdir() if p.is_dir())
    (folders[0] / "licences.csv").unlink()
    assert "ref_licences" not in load_reference(copy).missing
    for folder in folders:
        (folder / "licences.csv").unlink(missing_ok=True)
    assert "ref_licences" in load_reference(copy).missing


def test_a_folder_without_catalogues_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no facility catalogue"):
        facility_folders([tmp_path / "empty"])
    with pytest.raises(ConfigError, match="does not exist"):
        load_reference(tmp_path / "absent")


def test_bad_rows_and_files_of_one_facility_do_not_refuse_the_province(
    province: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "ref"
    shutil.copytree(province, copy)
    first, second = sorted(p for p in copy.iterdir() if p.is_dir())[:2]
    services = first / "M05.csv"
    lines = services.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("TU_NGAY")] = "2025-13-01"
    services.write_text(
        "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8"
    )
    (second / "M06.csv").write_text("TEN_TB\nMáy\n", encoding="utf-8")
    refs = load_reference(copy)
    assert [(p.file, p.row, p.column) for p in refs.problems] == [
        ("M05.csv", 2, "TU_NGAY"),
        ("M06.csv", 1, "MA_MAY"),
        ("M06.csv", 1, "TU_NGAY"),
        ("M06.csv", 1, "MA_CSKCB"),
    ]
    broken = [r for r in refs.reports if r.problems]
    assert [r.path for r in broken] == [services, second / "M06.csv"]
    # Other facilities' machines still load: the table is checked.
    assert "ref_machines" not in refs.missing
    assert "M06" in refs.present
    machines = refs.table("ref_machines").column("ma_cskcb")
    assert second.name not in _codes(machines)
    assert first.name in _codes(machines)
