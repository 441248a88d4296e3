"""Hostile input is refused cleanly: the right IN finding, never an exception."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from giamdinh.config import Settings
from giamdinh.standard.reader import FileStatus, read_bytes, read_file
from giamdinh.standard.spec import TABLES
from giamdinh.standard.writer import envelope_bytes, render_table

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from giamdinh.standard.writer import ClaimRecords

XXE_FILE = b"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TONG_HOP [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<TONG_HOP><MA_LK>&xxe;</MA_LK></TONG_HOP>"""
XXE_NETWORK = b"""<?xml version="1.0"?>
<!DOCTYPE TONG_HOP [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<TONG_HOP><MA_LK>x</MA_LK></TONG_HOP>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<TONG_HOP><MA_LK>&lol9;</MA_LK></TONG_HOP>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE GIAMDINHHS SYSTEM "http://127.0.0.1:9/giamdinh.dtd">
<GIAMDINHHS/>"""
DOCTYPE_AFTER_COMMENT = (
    b"""<?xml version="1.0"?><!-- hello --><!DOCTYPE x><TONG_HOP/>"""
)


XML3_OPEN = (
    f"<{TABLES['XML3'].root_tag}><{TABLES['XML3'].list_tag}><MA_LK>LK2</MA_LK>".encode()
)


def _refused(data: bytes, code: str, settings: Settings | None = None) -> None:
    result = read_bytes(data, name="hostile.xml", settings=settings)
    assert result.status is FileStatus.REJECTED
    assert [f.code for f in result.findings] == [code], result.findings
    assert result.findings[0].severity.value == "refuse"
    assert result.findings[0].location.file == "hostile.xml"
    assert result.claims == []
    assert result.tables == {}


@pytest.mark.parametrize(
    "data",
    [XXE_FILE, XXE_NETWORK, BILLION_LAUGHS, EXTERNAL_DTD, DOCTYPE_AFTER_COMMENT],
    ids=["xxe-file", "xxe-network", "billion-laughs", "external-dtd", "after-comment"],
)
def test_doctype_and_entities_are_refused_outright(data: bytes) -> None:
    _refused(data, "IN007")


def test_undeclared_entity_reference_is_not_xml() -> None:
    _refused(b"<TONG_HOP><MA_LK>&xxe;</MA_LK></TONG_HOP>", "IN001")


def _envelope_around(inner: bytes, table: str = "XML1") -> bytes:
    payload = base64.b64encode(inner).decode()
    return (
        "<GIAMDINHHS><THONGTINDONVI><MACSKCB>99001</MACSKCB></THONGTINDONVI>"
        "<THONGTINHOSO><NGAYLAP>20260302</NGAYLAP><SOLUONGHOSO>1</SOLUONGHOSO>"
        f"<DANHSACHHOSO><HOSO><FILEHOSO><LOAIHOSO>{table}</LOAIHOSO>"
        f"<NOIDUNGFILE>{payload}</NOIDUNGFILE></FILEHOSO></HOSO></DANHSACHHOSO>"
        "</THONGTINHOSO></GIAMDINHHS>"
    ).encode()


@pytest.mark.parametrize(
    ("inner", "code"),
    [
        (XXE_FILE, "IN007"),
        (BILLION_LAUGHS, "IN007"),
        ("<TONG_HOP><MA_LK>x</MA_LK></TONG_HOP>".encode("utf-16"), "IN005"),
        (b"<?xml version='1.0' encoding='latin-1'?><TONG_HOP/>", "IN005"),
        (b"<TONG_HOP><MA_LK>Nguy\xean</MA_LK></TONG_HOP>", "IN006"),
        (b"<TONG_HOP><MA_LK>x</MA_LK>", "IN027"),
        (b"", "IN024"),
        (b"\x00\x01\x02binary", "IN005"),
    ],
    ids=[
        "xxe",
        "laughs",
        "utf16",
        "latin1-declared",
        "latin1-bytes",
        "trunc",
        "empty",
        "bin",
    ],
)
def test_hostile_inner_payload_refuses_the_hoso(inner: bytes, code: str) -> None:
    result = read_bytes(_envelope_around(inner), name="env.xml")
    assert result.status is FileStatus.REJECTED
    assert [f.code for f in result.findings] == [code], result.findings
    assert result.findings[0].location.table == "XML1"
    assert result.rejected_hoso == [0]


def test_wrong_encodings_are_refused() -> None:
    text = (
        "<?xml version='1.0' encoding='utf-16'?>"
        "<TONG_HOP><MA_LK>Nguyễn</MA_LK></TONG_HOP>"
    )
    _refused(text.encode("utf-16"), "IN005")
    _refused(text.encode("utf-16-be"), "IN005")  # no byte-order mark: NUL bytes
    latin = (
        "<?xml version='1.0' encoding='ISO-8859-1'?>"
        "<TONG_HOP><MA_LK>é</MA_LK></TONG_HOP>"
    )
    _refused(latin.encode("latin-1"), "IN005")
    undeclared = "<TONG_HOP><MA_LK>Tên: é</MA_LK></TONG_HOP>".encode("latin-1")
    result = read_bytes(undeclared, name="latin.xml")
    assert [f.code for f in result.findings] == ["IN006"]
    assert result.findings[0].evidence["offset"] == undeclared.index(b"\xea")
    bom = b"\xef\xbb\xbf<TONG_HOP><MA_LK>x</MA_LK></TONG_HOP>"
    assert read_bytes(bom).status is FileStatus.OK


def test_empty_garbage_and_unknown_roots(tmp_path: Path) -> None:
    _refused(b"", "IN003")
    _refused(b"  \n\t ", "IN003")
    _refused(bytes(range(256)) * 4, "IN005")
    _refused(b"\x89PNG\r\n\x1a\n" + bytes(range(1, 200)), "IN001")
    _refused(b"<html><body>hi</body></html>", "IN008")
    _refused(b"GIAMDINHHS", "IN001")
    missing = read_file(tmp_path / "does-not-exist.xml")
    assert [f.code for f in missing.findings] == ["IN001"]


def test_truncated_files_are_refused(
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    data = envelope_bytes([claim_factory("LK1")], ma_cskcb="99001", ngay_lap="1")
    for cut in (len(data) - 3, len(data) - 20, len(data) // 2, 60):
        _refused(data[:cut], "IN002")
    inner = render_table("XML3", claim_factory("LK1")["XML3"])
    for cut in (len(inner) - 5, len(inner) // 2):
        _refused(inner[:cut], "IN002")


def test_size_limits(claim_factory: Callable[..., ClaimRecords]) -> None:
    data = envelope_bytes([claim_factory("LK1", lines=30)], ma_cskcb="1", ngay_lap="1")
    _refused(data, "IN004", Settings(max_file_bytes=len(data) - 1))
    result = read_bytes(data, settings=Settings(max_inner_file_bytes=2_000))
    assert [f.code for f in result.findings] == ["IN026"]
    # Beyond libxml2's 10 MB text-node limit the parser itself refuses (huge_tree off).
    huge = _envelope_around(b"A" * 8_000_000)
    _refused(huge, "IN012", Settings(max_inner_file_bytes=100_000_000))


def test_malformed_base64() -> None:
    good = base64.b64encode(b"<TONG_HOP><MA_LK>x</MA_LK></TONG_HOP>").decode()
    for bad in (good[:-1], good.replace("P", "!", 1), "====", good + "A"):
        envelope = _envelope_around(b"").replace(
            b"<NOIDUNGFILE></NOIDUNGFILE>", f"<NOIDUNGFILE>{bad}</NOIDUNGFILE>".encode()
        )
        result = read_bytes(envelope)
        assert [f.code for f in result.findings] == ["IN025"], bad
        assert result.findings[0].location.table == "XML1"


@pytest.mark.parametrize(
    ("inner", "code"),
    [
        (XXE_FILE, "IN007"),
        (BILLION_LAUGHS, "IN007"),
        (b"<?xml version='1.0' encoding='windows-1258'?><x/>", "IN005"),
        (XML3_OPEN + b"\xff", "IN006"),
        (XML3_OPEN, "IN027"),
        (None, "IN025"),
        (b"A" * 30_000, "IN026"),
    ],
    ids=["xxe", "laughs", "cp1258", "bad-utf8", "truncated", "bad-base64", "too-big"],
)
def test_hostile_table_names_its_claim_and_the_rest_of_the_file_goes_on(
    inner: bytes | None, code: str, claim_factory: Callable[..., ClaimRecords]
) -> None:
    first, second = claim_factory("LK1"), claim_factory("LK2")
    data = envelope_bytes([first, second], ma_cskcb="99001", ngay_lap="20260302")
    good = base64.b64encode(render_table("XML3", second["XML3"]))
    bad = b"PD94bWwg!" if inner is None else base64.b64encode(inner)
    assert data.count(good) == 1
    data = data.replace(good, bad)
    result = read_bytes(
        data, name="batch.xml", settings=Settings(max_inner_file_bytes=20_000)
    )
    assert result.status is FileStatus.PARTIAL
    (finding,) = result.findings
    assert finding.code == code
    assert finding.severity.value == "refuse"
    where = finding.location
    assert (where.file, where.ma_lk, where.table) == ("batch.xml", "LK2", "XML3")
    assert [c.ma_lk for c in result.claims] == ["LK1"]
    assert result.rejected_hoso == [1]
    assert set(result.tables["XML3"]["MA_LK"].to_pylist()) == {"LK1"}
