"""Quirks of real hospital exports, reproduced byte for byte in synthetic files.

Each test writes the quirk exactly as hospital systems do and checks what the reader
makes of it: read with a note (a repaired namespace URI), or refused with a finding
that says what it is (an inline inner table).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest
from tests.standard.conftest import make_claim

from giamdinh.domain import Severity
from giamdinh.standard import reader
from giamdinh.standard.reader import FileStatus, read_bytes
from giamdinh.standard.spec import TABLES
from giamdinh.standard.writer import envelope_bytes, render_table

if TYPE_CHECKING:
    from giamdinh.standard.writer import ClaimRecords

# What hospital systems write on the root of every inner table (and sometimes of the
# envelope): a space where the XML Schema instance URI has a dash.
BAD_XSI = b' xmlns:xsi="http://www.w3.org/2001/XMLSchema instance"'
XSD = b' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'


def _with_root_attributes(data: bytes, root: str, attributes: bytes) -> bytes:
    """Return ``data`` with ``attributes`` added to the start tag of ``root``."""
    tag = f"<{root}>".encode()
    assert data.count(tag) == 1
    return data.replace(tag, f"<{root}".encode() + attributes + b">", 1)


def _quirky_table(table: str, rows: list[dict[str, str]], *, crlf: bool) -> bytes:
    data = render_table(table, rows)
    data = _with_root_attributes(data, TABLES[table].root_tag, XSD + BAD_XSI)
    return data.replace(b"\n", b"\r\n") if crlf else data


def _envelope(claims: list[ClaimRecords], *, crlf: bool = False) -> bytes:
    """An envelope whose every inner table carries the bad declaration."""
    parts = [
        b'<?xml version="1.0" encoding="utf-8"?>\r\n<GIAMDINHHS>'
        b"<THONGTINDONVI><MACSKCB>01929</MACSKCB></THONGTINDONVI><THONGTINHOSO>"
        b"<NGAYLAP>20260302</NGAYLAP>",
        f"<SOLUONGHOSO>{len(claims)}</SOLUONGHOSO><DANHSACHHOSO>".encode(),
    ]
    for claim in claims:
        parts.append(b"<HOSO>")
        for table, rows in claim.items():
            payload = base64.b64encode(_quirky_table(table, rows, crlf=crlf))
            parts.append(
                f"<FILEHOSO><LOAIHOSO>{table}</LOAIHOSO><NOIDUNGFILE>".encode()
                + payload
                + b"</NOIDUNGFILE></FILEHOSO>"
            )
        parts.append(b"</HOSO>")
    parts.append(b"</DANHSACHHOSO></THONGTINHOSO><CHUKYDONVI /></GIAMDINHHS>")
    return b"".join(parts)


# ------------------------------------------------------- namespace URI with a space


def test_libxml2_refuses_the_bad_uri_as_written() -> None:
    """The quirk is real: without the repair, lxml refuses the inner table."""
    from lxml import etree

    data = _quirky_table("XML1", make_claim("LK1")["XML1"], crlf=True)
    with pytest.raises(etree.XMLSyntaxError, match="not a valid URI"):
        etree.fromstring(data, reader._parser())


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_envelope_with_bad_xsi_uri_on_every_inner_table_is_read(crlf: bool) -> None:
    claims = [make_claim("LK1"), make_claim("LK2", lines=3)]
    result = read_bytes(_envelope(claims, crlf=crlf), name="bv01929.xml")
    assert result.status is FileStatus.OK, result.findings
    assert [c.ma_lk for c in result.claims] == ["LK1", "LK2"]
    assert result.ma_cskcb == "01929"
    assert set(result.tables["XML1"]["_envelope_cskcb"].to_pylist()) == {"01929"}
    assert result.tables["XML3"].num_rows == 5
    clean = read_bytes(
        envelope_bytes(claims, ma_cskcb="01929", ngay_lap="20260302"), name="x"
    )
    for table, values in clean.tables.items():
        drop = ["_file"]
        assert (
            result.tables[table].drop_columns(drop).equals(values.drop_columns(drop))
        ), table
    assert [c.content for c in result.claims] == [c.content for c in clean.claims]
    notes = [f for f in result.findings if f.code == "IN043"]
    assert notes == result.findings  # nothing else to say about the file
    assert sorted(f.location.table or "" for f in notes) == ["XML1", "XML3", "XML4"]
    for note in notes:
        assert note.severity is Severity.INFO
        assert note.location.file == "bv01929.xml"
        assert note.evidence["declaration"] == "xmlns:xsi"
        assert note.evidence["uri"] == "http://www.w3.org/2001/XMLSchema instance"
        assert note.evidence["count"] == 2  # once per file and table, not per HOSO
        assert "XMLSchema instance" in note.message
        assert note.message_en is not None
        assert "percent-encoded" in note.message_en


def test_bare_inner_table_with_bad_xsi_uri_is_read() -> None:
    rows = make_claim("LK1", lines=2)["XML3"]
    data = b"\xef\xbb\xbf" + _quirky_table("XML3", rows, crlf=True)
    result = read_bytes(data, name="xml3.xml")
    assert result.status is FileStatus.OK, result.findings
    assert result.tables["XML3"]["MA_LK"].to_pylist() == ["LK1", "LK1"]
    (note,) = result.findings
    assert (note.code, note.location.table) == ("IN043", "XML3")


def test_bad_uri_on_the_envelope_root_is_repaired_too() -> None:
    claims = [make_claim("LK1")]
    data = envelope_bytes(claims, ma_cskcb="01929", ngay_lap="20260302")
    good = b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    assert data.count(good) == 1
    data = data.replace(good, BAD_XSI.strip())
    result = read_bytes(data, name="env.xml")
    assert result.status is FileStatus.OK, result.findings
    (note,) = result.findings
    assert note.code == "IN043"
    assert note.location.table is None  # the envelope is not one of the tables
    assert note.evidence["table"] == "GIAMDINHHS"


def test_prefix_still_bound_after_the_repair() -> None:
    """A file that does use ``xsi:`` keeps a bound prefix (percent-encoded URI)."""
    rows = make_claim("LK1")["XML4"]
    data = _quirky_table("XML4", rows, crlf=False).replace(
        b"<MO_TA />", b'<MO_TA xsi:nil="true" />'
    )
    result = read_bytes(data, name="xml4.xml")
    assert result.status is FileStatus.OK, result.findings
    assert result.tables["XML4"]["MO_TA"].to_pylist() == [""]


@pytest.mark.parametrize(
    ("data", "kept"),
    [
        # Text that looks like a declaration is content, not markup: kept as is.
        (
            b'<TONG_HOP><MA_LK>LK1</MA_LK><STT>1</STT><HO_TEN> xmlns="a b"</HO_TEN>'
            b"</TONG_HOP>",
            ' xmlns="a b"',
        ),
        # Whitespace in an ordinary attribute is not a namespace: nothing to do.
        (
            b'<TONG_HOP note="a b"><MA_LK>LK1</MA_LK><STT>1</STT>'
            b"<HO_TEN>x</HO_TEN></TONG_HOP>",
            "x",
        ),
    ],
    ids=["text", "attribute"],
)
def test_only_namespace_declarations_are_touched(data: bytes, kept: str) -> None:
    result = read_bytes(data, name="xml1.xml")
    assert result.status is FileStatus.OK, result.findings
    assert result.findings == []
    assert result.tables["XML1"]["HO_TEN"].to_pylist() == [kept]


def test_repair_is_byte_exact_and_narrow() -> None:
    data = (
        b'<a xmlns=\'u v\'\txmlns:p="x\ty" xmlns:q="ok" b="c d">'
        b'<b>xmlns:z="m n"</b></a>'
    )
    repaired, notes = reader._repair_namespaces(data)
    assert repaired == (
        b'<a xmlns=\'u%20v\'\txmlns:p="x%09y" xmlns:q="ok" b="c d">'
        b'<b>xmlns:z="m n"</b></a>'
    )
    assert notes == [("xmlns", "u v"), ("xmlns:p", "x\ty")]
    same = b'<a xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
    assert reader._repair_namespaces(same) == (same, [])


@pytest.mark.parametrize(
    ("tail", "code"),
    [
        (b'<!DOCTYPE TONG_HOP [<!ENTITY x "y">]>', "IN007"),
        (b"", "IN001"),
    ],
    ids=["doctype", "entity-reference"],
)
def test_security_is_unchanged_by_the_repair(tail: bytes, code: str) -> None:
    data = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        + tail
        + b"<TONG_HOP"
        + BAD_XSI
        + b"><MA_LK>&x;</MA_LK></TONG_HOP>"
    )
    result = read_bytes(data, name="hostile.xml")
    assert result.status is FileStatus.REJECTED
    assert [f.code for f in result.findings] == [code]
    assert reader._PARSER_OPTIONS == {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "huge_tree": False,
    }


# ------------------------------------------------------------ inline inner tables


def test_inline_inner_table_is_refused_and_named() -> None:
    claim = make_claim("LK1")
    inline = render_table("XML1", claim["XML1"]).split(b"?>", 1)[1]
    data = (
        b'<?xml version="1.0" encoding="utf-8"?><GIAMDINHHS><THONGTINDONVI>'
        b"<MACSKCB>01929</MACSKCB></THONGTINDONVI><THONGTINHOSO><NGAYLAP>20260302"
        b"</NGAYLAP><SOLUONGHOSO>1</SOLUONGHOSO><DANHSACHHOSO><HOSO><FILEHOSO>"
        b"<LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>"
        + inline
        + b"</NOIDUNGFILE></FILEHOSO></HOSO></DANHSACHHOSO></THONGTINHOSO>"
        b"</GIAMDINHHS>"
    )
    result = read_bytes(data, name="inline.xml")
    assert result.status is FileStatus.REJECTED
    (finding,) = result.findings
    assert finding.code == "IN035"
    assert finding.evidence == {"table": "XML1", "root": "TONG_HOP"}
    assert "XML trực tiếp" in finding.message
    assert "<TONG_HOP>" in finding.message
    assert "empty" not in (finding.message_en or "")
    assert "inline XML (root <TONG_HOP>)" in (finding.message_en or "")
