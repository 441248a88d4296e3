"""The checked-in guidance files are exactly what the reviewed generator produces."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType

SCRIPT = Path(__file__).parent.parent.parent / "scripts" / "build_technique_guidance.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_technique_guidance", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


def test_checked_in_files_are_current() -> None:
    gen = _generator()
    guidance, indications, companions = gen.build()
    assert _read(gen.DATA / "technique_guidance.csv") == guidance
    assert _read(gen.DATA / "technique_indications.csv") == indications
    assert _read(gen.DATA / "technique_companions.csv") == companions


def test_classification_rules() -> None:
    gen = _generator()
    cases = {
        "Chụp X-quang ngực thẳng [số hóa 1 phim]": "xray",
        "Chụp CLVT sọ não có tiêm thuốc cản quang (từ 1-32 dãy)": "ct_contrast",
        "Chụp CLVT sọ não không tiêm thuốc cản quang (từ 1-32 dãy)": "ct",
        "Chụp cộng hưởng từ sọ não có tiêm chất tương phản": "mri_contrast",
        "Chụp cộng hưởng từ sọ não không tiêm chất tương phản": "mri",
        "Siêu âm tim qua thực quản": "echo_tee",
        "Siêu âm doppler tim": "echo",
        "Nội soi thực quản - dạ dày - tá tràng có sinh thiết": "endoscopy_biopsy",
        "Nội soi thực quản - dạ dày - tá tràng không sinh thiết": "endoscopy",
        "Nội soi cầm máu bằng clip trong chảy máu tiêu hóa": "endoscopy_intervention",
        "Điện tim thường": "ecg",
        "Holter điện tâm đồ": "holter",
        "Phẫu thuật nội soi cắt ruột thừa": None,
        # Real M05 names of facility 92114 the first rules missed or misfiled.
        "doppler động mạch cảnh, doppler xuyên sọ": "doppler",
        "Chụp lỗ thị giác [≤ 24x30 cm, 1 tư thế]": "xray",
        "Chụp lỗ thị giác [số hóa 2 phim]": "xray",
        "Chụp bàng quang chẩn đoán trào ngược bàng quang niệu quản": "xray_contrast",
        "Nội soi bàng quang, bơm rửa lấy máu cục tránh phẫu thuật": (
            "endoscopy_intervention"
        ),
        "Mở thông dạ dày qua nội soi": "endoscopy_intervention",
        "Đo chức năng hô hấp": "function",
        # Not imaging although the name starts with "Chụp" / "Siêu âm".
        "Chụp tủy bằng MTA": None,
        "Chụp và phân tích da bằng máy phân tích da": None,
        "Siêu âm điều trị": None,
    }
    assert {name: gen.classify(name) for name in cases} == cases


def test_in_scope_m05_functional_tests_kept_and_laboratory_left_out() -> None:
    gen = _generator()
    guidance, _, _ = gen.build()
    codes = {row[0] for row in guidance}
    assert {"02.0024.1791", "17.0126.1786", "18.0048.0004"} <= codes
    # "Đo hoạt độ ALT [Máu]" (biochemistry) and "Đo lactat trong máu" are not
    # functional exploration.
    assert not {"23.0019.1493", "01.0287.1532"} & codes
