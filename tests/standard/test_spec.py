"""The generated table specs match the appendix, the templates and the contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from giamdinh.standard.spec import (
    DOCUMENTED_TABLES,
    ENVELOPE_TABLES,
    TABLES,
    FieldKind,
    table_for_root,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILES = {
    "XML0": "XML0_CHECKIN.xml",
    **{name: f"{name}.xml" for name in TABLES if name != "XML0"},
}


def test_generated_spec_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_spec.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "UNCLASSIFIED" not in result.stderr


def test_sixteen_tables_without_xml12() -> None:
    assert list(TABLES) == [
        "XML0", "XML1", "XML2", "XML3", "XML4", "XML5", "XML6", "XML7",
        "XML8", "XML9", "XML10", "XML11", "XML13", "XML14", "XML15",
    ]  # fmt: skip
    assert "XML12" in DOCUMENTED_TABLES
    assert "XML12" not in ENVELOPE_TABLES
    assert "XML0" not in ENVELOPE_TABLES
    assert len(ENVELOPE_TABLES) == 14


@pytest.mark.parametrize("table", list(TEMPLATE_FILES))
def test_field_order_and_tags_match_the_official_template(
    table: str, samples_dir: Path
) -> None:
    root = etree.parse(str(samples_dir / "templates" / TEMPLATE_FILES[table])).getroot()
    spec = TABLES[table]
    assert root.tag == spec.root_tag
    assert table_for_root(root.tag) == table
    if spec.single_record:
        record = root
    else:
        lists = root.findall(spec.list_tag or "")
        assert len(lists) == 1
        record = lists[0].findall(spec.record_tag or "")[0]
    names = tuple(child.tag for child in record if isinstance(child.tag, str))
    assert names == spec.field_names
    assert [f.stt for f in spec.fields] == list(range(1, len(spec.fields) + 1))


def test_amendments_applied() -> None:
    xml1 = TABLES["XML1"]
    assert xml1.field("SO_CCCD").kind is FieldKind.STRING  # "Đổi kiểu … chuỗi"
    assert xml1.field("MA_LOAI_KCB").kind is FieldKind.STRING
    assert xml1.field("MA_DOITUONG_KCB").max_length == 4  # "Tăng … lên 4"
    assert TABLES["XML0"].field("MA_DOITUONG_KCB").max_length == 4
    assert TABLES["XML3"].field("MA_KHOA").max_length == 50
    assert TABLES["XML6"].field("MA_XU_TRI").max_length == 10
    assert xml1.field("NHOM_MAU").appendix_stt is None  # inserted by 4750
    assert xml1.field_names.index("NHOM_MAU") == xml1.field_names.index("GIOI_TINH") + 1
    assert TABLES["XML2"].field("NGAY_TH_YL").appendix_stt is None


def test_kinds_of_key_fields() -> None:
    xml3 = TABLES["XML3"]
    for name in ("NGAY_YL", "NGAY_TH_YL", "NGAY_KQ"):
        assert xml3.field(name).kind is FieldKind.TIMESTAMP
    for name in ("SO_LUONG", "DON_GIA_BH", "THANH_TIEN_BH", "TYLE_TT_DV", "MUC_HUONG"):
        assert xml3.field(name).kind is FieldKind.DECIMAL
    assert xml3.field("STT").kind is FieldKind.INTEGER
    assert xml3.field("MA_MAY").is_list
    assert not xml3.field("TT_THAU").is_list
    xml1 = TABLES["XML1"]
    assert xml1.field("NGAY_SINH").kind is FieldKind.TIMESTAMP
    assert xml1.field("GT_THE_TU").kind is FieldKind.DATE
    assert xml1.field("GT_THE_TU").is_list
    assert xml1.field("NGAY_MIEN_CCT").kind is FieldKind.STRING
    assert TABLES["XML5"].field("THOI_DIEM_DBLS").kind is FieldKind.TIMESTAMP
    assert TABLES["XML15"].field("SO_CCCD").kind is FieldKind.STRING
    assert TABLES["XML13"].field("MA_THE_BHYT").is_list  # copies Bảng 1
    assert DOCUMENTED_TABLES["XML12"].field("NGAY_SINH").kind is FieldKind.DATE
