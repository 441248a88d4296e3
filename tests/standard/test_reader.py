"""The reader: envelopes and bare tables, typed Arrow output, per-HOSO refusal."""

from __future__ import annotations

import base64
import datetime as dt
import gc
from decimal import Decimal
from typing import TYPE_CHECKING

import pyarrow as pa
from lxml import etree

from giamdinh.config import Settings
from giamdinh.standard.reader import (
    FileShape,
    FileStatus,
    concat_tables,
    empty_table,
    iter_claim_records,
    read_batch,
    read_bytes,
    read_file,
    read_files,
    table_schema,
)
from giamdinh.standard.spec import TABLES
from giamdinh.standard.writer import envelope_bytes, render_table

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from giamdinh.standard.writer import ClaimRecords

SYNTHETIC = "synthetic/GIAMDINHHS_synthetic_outpatient_imaging.xml"


def test_synthetic_envelope_is_read_typed(samples_dir: Path) -> None:
    result = read_file(samples_dir / SYNTHETIC)
    assert result.status is FileStatus.OK
    assert result.shape is FileShape.ENVELOPE
    assert result.ma_cskcb == "99001"
    assert result.ngay_lap == "20260302"
    assert [(c.ma_lk, c.hoso) for c in result.claims] == [("SYN0000001", 0)]
    assert result.findings == []
    assert len(result.sha256) == 64
    xml3 = result.tables["XML3"]
    assert xml3.schema == table_schema("XML3")
    assert xml3.num_rows == 3
    first = xml3.slice(0, 1).to_pylist()[0]
    assert first["MA_DICH_VU"] == "02.03"
    assert first["STT"] == 1
    assert first["DON_GIA_BH"] == Decimal("45000.000")
    assert first["NGAY_YL"] == dt.datetime(2026, 3, 2, 8, 5)  # noqa: DTZ001 - naive by contract
    assert first["_hoso"] == 0
    assert first["_envelope_cskcb"] == "99001"
    assert first["_file"] == str(samples_dir / SYNTHETIC)
    xml1 = result.tables["XML1"].to_pylist()[0]
    assert xml1["T_TONGCHI_BV"] == Decimal("176900.000")
    assert xml1["GT_THE_TU"] == "20260101"  # list field: raw text


def test_schema_follows_the_contract() -> None:
    schema = table_schema("XML3")
    assert schema.field("NGAY_YL").type == pa.timestamp("s")
    assert schema.field("SO_LUONG").type == pa.decimal128(18, 3)
    assert schema.field("STT").type == pa.int64()
    assert schema.field("MA_MAY").type == pa.string()
    assert schema.field("NGAY_YL__raw").type == pa.string()
    assert "MA_MAY__raw" not in schema.names
    assert schema.names[-3:] == ["_file", "_hoso", "_envelope_cskcb"]
    assert table_schema("XML1").field("NGAY_SINH").type == pa.timestamp("s")
    assert table_schema("XML7").field("NGAY_CT").type == pa.date32()
    assert empty_table("XML2").num_rows == 0


def test_bare_inner_files_are_detected_by_root(samples_dir: Path) -> None:
    for name, table in [
        ("inner_XML1.xml", "XML1"),
        ("inner_XML3.xml", "XML3"),
        ("XML0_checkin_synthetic.xml", "XML0"),
    ]:
        result = read_file(samples_dir / "synthetic" / name)
        assert result.status is FileStatus.OK, result.findings
        assert result.shape is FileShape.TABLE
        assert result.table == table
        assert list(result.tables) == [table]
        assert result.tables[table]["_envelope_cskcb"].null_count == (
            result.tables[table].num_rows
        )


def test_unparsable_values_are_null_with_raw_text(
    tmp_path: Path, claim_factory: Callable[..., ClaimRecords]
) -> None:
    claim = claim_factory("LK1", lines=4)
    lines = claim["XML3"]
    lines[0]["NGAY_YL"] = "202602301200"  # 30 February
    lines[1]["SO_LUONG"] = "1,5"
    lines[2]["DON_GIA_BH"] = "73300.12345"  # more than 3 decimals
    lines[3]["STT"] = "x"
    lines[3]["NGAY_KQ"] = ""
    path = tmp_path / "one.xml"
    path.write_bytes(envelope_bytes([claim], ma_cskcb="99001", ngay_lap="20260302"))
    xml3 = read_file(path).tables["XML3"].to_pylist()
    assert xml3[0]["NGAY_YL"] is None
    assert xml3[0]["NGAY_YL__raw"] == "202602301200"
    assert xml3[1]["SO_LUONG"] is None
    assert xml3[1]["SO_LUONG__raw"] == "1,5"
    assert xml3[2]["DON_GIA_BH__raw"] == "73300.12345"
    assert xml3[3]["STT"] is None
    assert xml3[3]["STT__raw"] == "x"
    assert xml3[3]["NGAY_KQ"] is None
    assert xml3[3]["NGAY_KQ__raw"] is None  # empty is not unparsable
    assert xml3[0]["SO_LUONG"] == Decimal(1)
    assert xml3[0]["SO_LUONG__raw"] is None
    assert xml3[0]["TEN_VAT_TU"] == ""  # empty string element


def test_bad_hoso_is_dropped_alone(
    write_envelope_file: Callable[..., Path],
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    good_a, bad, good_b = (claim_factory(f"LK{i}") for i in range(3))
    bad["XML3"][1]["MA_LK"] = "OTHER"
    result = read_file(write_envelope_file([good_a, bad, good_b]))
    assert result.status is FileStatus.PARTIAL
    assert [(c.ma_lk, c.hoso) for c in result.claims] == [("LK0", 0), ("LK2", 2)]
    assert result.rejected_hoso == [1]
    (finding,) = result.findings
    assert finding.code == "IN031"
    assert finding.severity.value == "refuse"
    location = finding.location
    assert (location.ma_lk, location.table, location.stt, location.field) == (
        "LK1",
        "XML3",
        2,
        "MA_LK",
    )
    assert location.file is not None
    assert "OTHER" in finding.message
    assert result.tables["XML3"]["_hoso"].to_pylist() == [0, 0, 2, 2]
    assert set(result.tables["XML1"]["MA_LK"].to_pylist()) == {"LK0", "LK2"}


def _envelope_with_files(files: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<FILEHOSO><LOAIHOSO>{name}</LOAIHOSO><NOIDUNGFILE>{content}</NOIDUNGFILE>"
        "</FILEHOSO>"
        for name, content in files
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><GIAMDINHHS><THONGTINDONVI><MACSKCB>"
        "99001</MACSKCB></THONGTINDONVI><THONGTINHOSO><NGAYLAP>20260302</NGAYLAP>"
        f"<SOLUONGHOSO>1</SOLUONGHOSO><DANHSACHHOSO><HOSO>{body}</HOSO>"
        "</DANHSACHHOSO></THONGTINHOSO><CHUKYDONVI/></GIAMDINHHS>"
    ).encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_hoso_level_refusals(
    tmp_path: Path, claim_factory: Callable[..., ClaimRecords]
) -> None:
    claim = claim_factory("LK1")
    xml1 = _b64(render_table("XML1", claim["XML1"]))
    xml3 = _b64(render_table("XML3", claim["XML3"]))
    cases = {
        "IN020": [("XML1", xml1), ("XML99", xml3)],
        "IN021": [("XML1", xml1), ("XML12", xml3)],
        "IN022": [("XML1", xml1), ("XML0", xml3)],
        "IN023": [("XML1", xml1), ("XML3", xml3), ("XML3", xml3)],
        "IN024": [("XML1", xml1), ("XML3", "")],
        "IN025": [("XML1", xml1), ("XML3", xml3[:-3] + "*==")],
        "IN027": [
            ("XML1", xml1),
            (
                "XML3",
                _b64(b"<CHITIEU_CHITIET_DVKT_VTYT><b></CHITIEU_CHITIET_DVKT_VTYT>"),
            ),
        ],
        "IN028": [("XML1", xml1), ("XML3", xml1)],
        "IN029": [("XML3", xml3)],
        "IN030": [("XML1", _b64(render_table("XML1", [{"STT": "1"}])))],
    }
    for code, files in cases.items():
        path = tmp_path / f"{code}.xml"
        path.write_bytes(_envelope_with_files(files))
        result = read_file(path)
        assert result.status is FileStatus.REJECTED, code
        assert [f.code for f in result.findings] == [code], (code, result.findings)
        assert result.tables == {}


def test_base64_with_line_breaks_is_accepted(
    tmp_path: Path, claim_factory: Callable[..., ClaimRecords]
) -> None:
    claim = claim_factory("LK1")
    encoded = base64.encodebytes(render_table("XML1", claim["XML1"])).decode()
    path = tmp_path / "mime.xml"
    path.write_bytes(_envelope_with_files([("XML1", encoded)]))
    result = read_file(path)
    assert result.status is FileStatus.OK, result.findings


def test_inner_size_limit_is_checked_before_decoding(
    tmp_path: Path, claim_factory: Callable[..., ClaimRecords]
) -> None:
    claim = claim_factory("LK1", lines=50)
    path = tmp_path / "big.xml"
    path.write_bytes(envelope_bytes([claim], ma_cskcb="99001", ngay_lap="20260302"))
    result = read_file(path, settings=Settings(max_inner_file_bytes=10_000))
    assert [f.code for f in result.findings] == ["IN026"]
    assert result.findings[0].location.table == "XML3"
    assert result.findings[0].location.ma_lk == "LK1"
    result = read_file(path, settings=Settings(max_file_bytes=1000))
    assert [f.code for f in result.findings] == ["IN004"]


def test_unknown_and_nested_fields_are_reported_not_fatal(tmp_path: Path) -> None:
    inner = (
        b"<CHITIEU_CHITIET_DICHVUCANLAMSANG><DSACH_CHI_TIET_CLS><CHI_TIET_CLS>"
        b"<MA_LK>LK1</MA_LK><STT>1</STT><EXTRA>x</EXTRA><MO_TA>a<b>B</b>c</MO_TA>"
        b"</CHI_TIET_CLS></DSACH_CHI_TIET_CLS></CHITIEU_CHITIET_DICHVUCANLAMSANG>"
    )
    path = tmp_path / "xml4.xml"
    path.write_bytes(inner)
    result = read_file(path)
    assert result.status is FileStatus.OK
    assert sorted(f.code for f in result.findings) == ["IN040", "IN041"]
    row = result.tables["XML4"].to_pylist()[0]
    assert row["MO_TA"] == "aBc"
    assert row["MA_DICH_VU"] is None  # missing element


def test_duplicate_field_refuses_the_hoso(
    write_envelope_file: Callable[..., Path],
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    claim = claim_factory("LK1")
    path = write_envelope_file([claim, claim_factory("LK2")])
    data = path.read_bytes()
    xml4 = render_table("XML4", claim["XML4"])
    doubled = xml4.replace(b"<STT>1</STT>", b"<STT>1</STT><STT>2</STT>")
    data = data.replace(base64.b64encode(xml4), base64.b64encode(doubled), 1)
    path.write_bytes(data)
    result = read_file(path)
    assert result.status is FileStatus.PARTIAL
    assert [f.code for f in result.findings] == ["IN032"]
    assert result.findings[0].location.field == "STT"
    assert [c.ma_lk for c in result.claims] == ["LK2"]


def test_legacy_4210_shapes(tmp_path: Path) -> None:
    xml1 = (
        "<TONG_HOP><MA_LK>OLD1</MA_LK><STT>1</STT><HO_TEN>Lê Thị B</HO_TEN>"
        "<NGAY_SINH>19800102</NGAY_SINH><MA_THE>HS4010100000001</MA_THE>"
        "<TEN_BENH>Viêm phế quản</TEN_BENH><MA_BENH>J20</MA_BENH>"
        "<T_TONGCHI>73300</T_TONGCHI><MA_LYDO_VVIEN>1</MA_LYDO_VVIEN></TONG_HOP>"
    ).encode()
    xml3 = (
        b"<DSACH_CHI_TIET_DVKT><CHI_TIET_DVKT><MA_LK>OLD1</MA_LK><STT>1</STT>"
        b"<MA_DICH_VU>18.0119.0028</MA_DICH_VU><SO_LUONG>1</SO_LUONG>"
        b"<DON_GIA>73300</DON_GIA><THANH_TIEN>73300</THANH_TIEN><TYLE_TT>100</TYLE_TT>"
        b"<NGAY_YL>201905011200</NGAY_YL></CHI_TIET_DVKT></DSACH_CHI_TIET_DVKT>"
    )
    path = tmp_path / "old.xml"
    path.write_bytes(_envelope_with_files([("XML1", _b64(xml1)), ("XML3", _b64(xml3))]))
    result = read_file(path)
    assert result.status is FileStatus.OK, result.findings
    assert result.legacy_4210
    codes = sorted(f.code for f in result.findings)
    assert codes == ["IN040", "IN042", "IN042"]  # MA_LYDO_VVIEN has no counterpart
    row1 = result.tables["XML1"].to_pylist()[0]
    assert row1["MA_THE_BHYT"] == "HS4010100000001"
    assert row1["CHAN_DOAN_RV"] == "Viêm phế quản"
    assert row1["MA_BENH_CHINH"] == "J20"
    assert row1["T_TONGCHI_BV"] == Decimal(73300)
    assert row1["NGAY_SINH"] == dt.datetime(1980, 1, 2)  # noqa: DTZ001
    row3 = result.tables["XML3"].to_pylist()[0]
    assert row3["DON_GIA_BV"] == Decimal(73300)
    assert row3["TYLE_TT_BH"] == Decimal(100)
    assert row3["NGAY_YL"] == dt.datetime(2019, 5, 1, 12, 0)  # noqa: DTZ001
    bare = tmp_path / "old_xml3.xml"
    bare.write_bytes(xml3)
    bare_result = read_file(bare)
    assert bare_result.table == "XML3"
    assert bare_result.legacy_4210
    assert bare_result.tables["XML3"]["DON_GIA_BV"].to_pylist() == [Decimal(73300)]


def test_batch_builds_one_table_per_logical_table(
    tmp_path: Path, claim_factory: Callable[..., ClaimRecords]
) -> None:
    paths = []
    for i in range(3):
        path = tmp_path / f"f{i}.xml"
        path.write_bytes(
            envelope_bytes([claim_factory(f"LK{i}")], ma_cskcb="99001", ngay_lap="1")
        )
        paths.append(path)
    junk = tmp_path / "junk.xml"
    junk.write_bytes(b"not xml at all")
    batch = read_batch([paths[0], junk, paths[1], paths[2]])
    assert [f.status for f in batch.files] == [
        FileStatus.OK,
        FileStatus.REJECTED,
        FileStatus.OK,
        FileStatus.OK,
    ]
    assert batch.tables["XML3"].num_rows == 6
    assert batch.tables["XML3"]["_file"].unique().to_pylist() == [str(p) for p in paths]
    singles = concat_tables(r.tables for r in read_files(paths))
    assert singles["XML3"].equals(batch.tables["XML3"])
    assert [f.code for f in batch.findings] == ["IN001"]


def test_iter_claim_records_gives_text_as_written(
    write_envelope_file: Callable[..., Path],
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    claims = [claim_factory("LK1"), claim_factory("LK2", lines=1)]
    path = write_envelope_file(claims)
    assert list(iter_claim_records(path)) == claims
    assert set(TABLES) >= set(claims[0])


def test_claim_content_hash_follows_the_records_not_the_file(
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    one, two = claim_factory("LK1"), claim_factory("LK2")
    first = read_bytes(envelope_bytes([one, two], ma_cskcb="99001", ngay_lap="1"))
    # The same claim alone, in another file with another header: same content.
    alone = read_bytes(envelope_bytes([two], ma_cskcb="99001", ngay_lap="2"))
    assert first.claims[1].content == alone.claims[0].content
    assert first.claims[0].content != first.claims[1].content
    # One field's text changed, or empty instead of missing: another content.
    changed = {t: [dict(r) for r in rows] for t, rows in two.items()}
    changed["XML3"][0]["SO_LUONG"] = "2"
    again = read_bytes(envelope_bytes([changed], ma_cskcb="99001", ngay_lap="2"))
    assert again.claims[0].content != alone.claims[0].content
    xml4 = render_table("XML4", two["XML4"])
    field = "<KET_LUAN>Bình thường</KET_LUAN>".encode()
    assert field in xml4
    without = xml4.replace(field, b"")
    empty = xml4.replace(field, b"<KET_LUAN />")
    contents = {read_bytes(data).claims[0].content for data in (xml4, without, empty)}
    assert len(contents) == 3


def test_read_batch_gives_the_garbage_collector_back_as_it_was(
    write_envelope_file: Callable[..., Path],
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    path = write_envelope_file([claim_factory("LK1")])
    assert gc.isenabled()
    assert read_batch([path, ("junk.xml", b"<x")]).files[0].claims
    assert gc.isenabled()
    gc.disable()
    try:
        read_batch([path])
        assert not gc.isenabled()
    finally:
        gc.enable()


def _reordered(data: bytes, *, extra: bool) -> bytes:
    """The same inner file with every record's fields in reverse order."""
    root = etree.fromstring(data)
    records = [root] if len(root) and not len(root[0]) else list(root.iter())
    for record in records:
        fields = [child for child in record if not len(child)]
        if len(fields) != len(record) or not fields:
            continue
        for child in fields:
            record.remove(child)
        record.extend(reversed(fields))
        if extra:
            etree.SubElement(record, "EXTRA").text = "x"
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def test_usual_and_irregular_records_read_alike(
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    claims = [claim_factory("LK1", lines=3), claim_factory("LK2")]
    claims[1]["XML3"][0]["SO_LUONG"] = "x"  # kept as raw text either way
    for claim in claims:  # blank text that is all of a field's content is kept
        claim["XML1"][0]["GHI_CHU"] = " "
        claim["XML3"][-1]["DU_PHONG"] = "\n\t "
        claim["XML3"][0]["TEN_DICH_VU"] = " a  b "
    data = envelope_bytes(claims, ma_cskcb="99001", ngay_lap="1")
    irregular = data
    for table, rows in claims[0].items():
        inner = render_table(table, rows)
        changed = _reordered(inner, extra=table == "XML3")
        assert changed != inner
        irregular = irregular.replace(
            base64.b64encode(inner), base64.b64encode(changed), 1
        )
    assert irregular != data
    usual = read_batch([("f.xml", data)])
    careful = read_batch([("f.xml", irregular)])
    assert usual.tables["XML1"].column("GHI_CHU").to_pylist() == [" ", " "]
    assert usual.tables["XML3"].column("DU_PHONG").to_pylist()[2] == "\n\t "
    assert careful.files[0].findings[0].code == "IN040"
    assert [c.content for c in usual.files[0].claims] == [
        c.content for c in careful.files[0].claims
    ]
    assert usual.tables.keys() == careful.tables.keys()
    for name, table in usual.tables.items():
        assert table.equals(careful.tables[name]), name


def test_comments_do_not_change_what_is_read(
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    claim = claim_factory("LK1")
    claim["XML3"][0]["DU_PHONG"] = " "
    data = envelope_bytes([claim], ma_cskcb="99001", ngay_lap="1")
    inner = render_table("XML3", claim["XML3"])
    field = b"<DU_PHONG> </DU_PHONG>"
    assert field in inner
    commented = inner.replace(field, b"<DU_PHONG> <!-- x --></DU_PHONG>").replace(
        b"<STT>1</STT>", b"<STT>1</STT><?pi x?>\n <!-- y -->"
    )
    other = data.replace(base64.b64encode(inner), base64.b64encode(commented), 1)
    assert other != data
    plain, with_comments = read_batch([("f.xml", data), ("f.xml", other)]).files
    assert plain.claims[0].content == with_comments.claims[0].content
    assert with_comments.findings == []
