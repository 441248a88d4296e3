"""The writer produces valid UTF-8 XML with fields in spec order and escaped text."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import pytest
from lxml import etree

from giamdinh.standard.spec import TABLES
from giamdinh.standard.writer import envelope_bytes, render_table, write_envelope

if TYPE_CHECKING:
    from pathlib import Path


def test_inner_file_has_all_fields_in_order_and_escapes_text() -> None:
    data = render_table("XML3", [{"MA_LK": "LK1", "TEN_DICH_VU": "Chụp <X> & đọc\r\n"}])
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = etree.fromstring(data)
    record = root.find("DSACH_CHI_TIET_DVKT/CHI_TIET_DVKT")
    assert record is not None
    assert tuple(child.tag for child in record) == TABLES["XML3"].field_names
    assert record.findtext("TEN_DICH_VU") == "Chụp <X> & đọc\r\n"
    assert record.findtext("STT") == ""


def test_single_record_table_uses_root_as_record() -> None:
    root = etree.fromstring(render_table("XML1", [{"MA_LK": "LK1"}]))
    assert root.tag == "TONG_HOP"
    assert root.findtext("MA_LK") == "LK1"
    with pytest.raises(ValueError, match="exactly one record"):
        render_table("XML1", [{}, {}])


def test_writer_refuses_what_xml_cannot_carry() -> None:
    with pytest.raises(ValueError, match="U\\+0001"):
        render_table("XML4", [{"MO_TA": "a\x01b"}])
    with pytest.raises(ValueError, match="not in the spec"):
        render_table("XML4", [{"NOT_A_FIELD": "x"}])
    with pytest.raises(ValueError, match="unknown table"):
        render_table("XML12", [{}])
    with pytest.raises(ValueError, match="cannot go in an envelope"):
        envelope_bytes([{"XML1": [{}], "XML0": [{}]}], ma_cskcb="1", ngay_lap="2")


def test_envelope_to_stream_and_path_are_identical(tmp_path: Path) -> None:
    claims = [
        {"XML1": [{"MA_LK": f"LK{i}"}], "XML3": [{"MA_LK": f"LK{i}", "STT": "1"}]}
        for i in range(3)
    ]
    data = envelope_bytes(claims, ma_cskcb="99001", ngay_lap="20260302")
    stream = io.BytesIO()
    assert (
        write_envelope(claims, ma_cskcb="99001", ngay_lap="20260302", out=stream) == 3
    )
    assert stream.getvalue() == data
    target = tmp_path / "out.xml"
    assert (
        write_envelope(claims, ma_cskcb="99001", ngay_lap="20260302", out=target) == 3
    )
    assert target.read_bytes() == data
    root = etree.fromstring(data)
    assert root.findtext("THONGTINHOSO/SOLUONGHOSO") == "3"
    files = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO/FILEHOSO")
    assert [f.findtext("LOAIHOSO") for f in files] == ["XML1", "XML3"] * 3
    inner = etree.fromstring(base64.b64decode(files[0].findtext("NOIDUNGFILE") or ""))
    assert inner.findtext("MA_LK") == "LK0"
