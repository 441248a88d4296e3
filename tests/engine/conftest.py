"""A small generated facility, read once, shared by the engine tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from giamdinh.services.check import collect_inputs
from giamdinh.services.province import load_reference
from giamdinh.services.synth import run_synth
from giamdinh.standard.reader import read_batch

if TYPE_CHECKING:
    import pyarrow as pa


@pytest.fixture(scope="session")
def facility(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, pa.Table], dict[str, pa.Table]]:
    """Claim tables (contract 4) and reference tables (contract 5) of a facility."""
    out = tmp_path_factory.mktemp("engine") / "p"
    run_synth(claims=60, seed=11, out=out, facilities=1, dicom_files=0)
    folder = next(p for p in (out / "claims").iterdir() if p.is_dir())
    batch = read_batch([str(p) for p in collect_inputs([folder])])
    reference = load_reference(out / "reference" / folder.name)
    return dict(batch.tables), reference.tables()
