"""Stable codes of the problems the reader finds while ingesting claim files (``IN``).

Every problem the secure reader (``giamdinh.standard.reader``) meets is a ``Finding``
whose code is one of the ``IN`` codes below; codes are never reused or renumbered. The
table is rendered in ``docs/standard/ingest-codes.md`` (a test keeps it current).

Scopes: ``file`` (the whole file is refused: nothing of it is kept; the same codes
refuse one ``HOSO`` when its inner payload has the problem), ``hoso`` (one ``HOSO`` of
an envelope — one claim — is dropped, the rest of the file goes on), ``claim`` (in a
bare table file, a record without ``MA_LK`` is dropped), ``record`` (the record is
kept, the finding informs), ``file-info`` (the file is kept).

Messages are templates filled with ``str.format`` from the finding's ``evidence``.
"""

from __future__ import annotations

from dataclasses import dataclass

from giamdinh.domain import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestCode:
    """One ingest problem: stable code, scope, severity and message templates."""

    code: str
    name: str
    scope: str
    severity: Severity
    message: str
    message_en: str


_R = Severity.REFUSE

CODES: dict[str, IngestCode] = {
    c.code: c
    for c in (
        IngestCode(
            code="IN001",
            name="file.not_xml",
            scope="file",
            severity=_R,
            message="Tệp không phải XML hợp lệ: {detail}",
            message_en="The file is not well-formed XML: {detail}",
        ),
        IngestCode(
            code="IN002",
            name="file.truncated",
            scope="file",
            severity=_R,
            message="Tệp bị cắt cụt (kết thúc giữa chừng): {detail}",
            message_en="The file is truncated (ends in the middle): {detail}",
        ),
        IngestCode(
            code="IN003",
            name="file.empty",
            scope="file",
            severity=_R,
            message="Tệp rỗng",
            message_en="The file is empty",
        ),
        IngestCode(
            code="IN004",
            name="file.too_large",
            scope="file",
            severity=_R,
            message="Tệp {size} byte vượt giới hạn {limit} byte",
            message_en="The file has {size} bytes, over the limit of {limit} bytes",
        ),
        IngestCode(
            code="IN005",
            name="encoding.not_utf8_declared",
            scope="file",
            severity=_R,
            message="Bảng mã khai báo/phát hiện là {encoding}, chuẩn yêu cầu UTF-8",
            message_en="Encoding declared or detected as {encoding}; UTF-8 is required",
        ),
        IngestCode(
            code="IN006",
            name="encoding.invalid_utf8",
            scope="file",
            severity=_R,
            message="Dữ liệu không phải UTF-8 hợp lệ tại byte {offset}",
            message_en="The bytes are not valid UTF-8 at offset {offset}",
        ),
        IngestCode(
            code="IN007",
            name="security.doctype",
            scope="file",
            severity=_R,
            message="Tệp chứa khai báo DOCTYPE/ENTITY (bị từ chối vì lý do an toàn)",
            message_en="The file has a DOCTYPE/ENTITY declaration (refused for safety)",
        ),
        IngestCode(
            code="IN008",
            name="file.unknown_root",
            scope="file",
            severity=_R,
            message="Thẻ gốc <{root}> không phải GIAMDINHHS hay một bảng của chuẩn",
            message_en="Root element <{root}> is neither GIAMDINHHS nor a known table",
        ),
        IngestCode(
            code="IN009",
            name="envelope.structure",
            scope="file",
            severity=_R,
            message="Cấu trúc GIAMDINHHS sai: {detail}",
            message_en="Malformed GIAMDINHHS envelope: {detail}",
        ),
        IngestCode(
            code="IN010",
            name="envelope.count_mismatch",
            scope="file-info",
            severity=Severity.REVIEW,
            message="SOLUONGHOSO = {declared} nhưng tệp có {actual} HOSO",
            message_en="SOLUONGHOSO says {declared} but the file holds {actual} HOSO",
        ),
        IngestCode(
            code="IN011",
            name="envelope.no_facility",
            scope="file-info",
            severity=Severity.REVIEW,
            message="Thiếu mã cơ sở KBCB (THONGTINDONVI/MACSKCB)",
            message_en="Facility code missing (THONGTINDONVI/MACSKCB)",
        ),
        IngestCode(
            code="IN012",
            name="file.node_too_large",
            scope="file",
            severity=_R,
            message="Một nút văn bản vượt giới hạn 10 MB của bộ đọc XML: {detail}",
            message_en="A text node exceeds the XML parser's 10 MB limit: {detail}",
        ),
        IngestCode(
            code="IN020",
            name="hoso.unknown_table",
            scope="hoso",
            severity=_R,
            message="LOAIHOSO '{loaihoso}' không thuộc XML1–XML15",
            message_en="LOAIHOSO '{loaihoso}' is not one of XML1–XML15",
        ),
        IngestCode(
            code="IN021",
            name="hoso.xml12_sent",
            scope="hoso",
            severity=_R,
            message="XML12 (giám định y khoa) không được gửi trong hồ sơ",
            message_en="XML12 (medical assessment) is never sent in an envelope",
        ),
        IngestCode(
            code="IN022",
            name="hoso.checkin_in_envelope",
            scope="hoso",
            severity=_R,
            message="Bảng check-in XML0 phải gửi riêng, không nằm trong GIAMDINHHS",
            message_en="The XML0 check-in is sent on its own, not inside GIAMDINHHS",
        ),
        IngestCode(
            code="IN023",
            name="hoso.duplicate_table",
            scope="hoso",
            severity=_R,
            message="{table} xuất hiện {count} lần trong một HOSO",
            message_en="{table} appears {count} times in one HOSO",
        ),
        IngestCode(
            code="IN024",
            name="hoso.filehoso_incomplete",
            scope="hoso",
            severity=_R,
            message="FILEHOSO thiếu hoặc rỗng: {detail}",
            message_en="FILEHOSO incomplete or empty: {detail}",
        ),
        IngestCode(
            code="IN025",
            name="hoso.bad_base64",
            scope="hoso",
            severity=_R,
            message="NOIDUNGFILE của {table} không phải base64 hợp lệ: {detail}",
            message_en="NOIDUNGFILE of {table} is not valid base64: {detail}",
        ),
        IngestCode(
            code="IN026",
            name="hoso.inner_too_large",
            scope="hoso",
            severity=_R,
            message="NOIDUNGFILE của {table} giải mã ra khoảng {size} byte, "
            "vượt {limit}",
            message_en="NOIDUNGFILE of {table} decodes to about {size} bytes, "
            "over the limit of {limit}",
        ),
        IngestCode(
            code="IN027",
            name="hoso.inner_not_xml",
            scope="hoso",
            severity=_R,
            message="Nội dung {table} không phải XML hợp lệ: {detail}",
            message_en="The {table} content is not well-formed XML: {detail}",
        ),
        IngestCode(
            code="IN028",
            name="hoso.inner_wrong_root",
            scope="hoso",
            severity=_R,
            message="Nội dung {table} có thẻ gốc <{root}>, cần <{expected}>",
            message_en="The {table} content has root <{root}>, expected <{expected}>",
        ),
        IngestCode(
            code="IN029",
            name="hoso.no_xml1",
            scope="hoso",
            severity=_R,
            message="HOSO không có bảng tổng hợp XML1",
            message_en="The HOSO has no XML1 summary table",
        ),
        IngestCode(
            code="IN030",
            name="hoso.no_ma_lk",
            scope="hoso",
            severity=_R,
            message="XML1 không có MA_LK",
            message_en="XML1 has no MA_LK",
        ),
        IngestCode(
            code="IN031",
            name="hoso.ma_lk_mismatch",
            scope="hoso",
            severity=_R,
            message="MA_LK '{found}' của {table} khác MA_LK '{expected}' của XML1",
            message_en="MA_LK '{found}' in {table} differs from XML1's '{expected}'",
        ),
        IngestCode(
            code="IN032",
            name="record.duplicate_field",
            scope="hoso",
            severity=_R,
            message="Trường {field} lặp {count} lần trong một dòng của {table}",
            message_en="Field {field} repeated {count} times in one {table} record",
        ),
        IngestCode(
            code="IN033",
            name="hoso.inner_shape",
            scope="hoso",
            severity=_R,
            message="Nội dung {table} sai cấu trúc: {detail}",
            message_en="The {table} content has the wrong structure: {detail}",
        ),
        IngestCode(
            code="IN034",
            name="claim.no_ma_lk",
            scope="claim",
            severity=_R,
            message="Dòng {table} không có MA_LK",
            message_en="A {table} record has no MA_LK",
        ),
        IngestCode(
            code="IN035",
            name="hoso.inline_inner_table",
            scope="hoso",
            severity=_R,
            message="NOIDUNGFILE của {table} chứa XML trực tiếp (thẻ gốc <{root}>) "
            "thay vì nội dung mã hoá base64",
            message_en="NOIDUNGFILE of {table} holds inline XML (root <{root}>) "
            "instead of base64-encoded content",
        ),
        IngestCode(
            code="IN040",
            name="record.unknown_field",
            scope="record",
            severity=Severity.REVIEW,
            message="{table} có trường ngoài chuẩn {field} ({count} dòng), bị bỏ qua",
            message_en="{table} has field {field} outside the standard "
            "({count} records); ignored",
        ),
        IngestCode(
            code="IN041",
            name="record.nested_field",
            scope="record",
            severity=Severity.REVIEW,
            message="Trường {field} của {table} chứa thẻ con; chỉ lấy phần chữ",
            message_en="Field {field} of {table} holds child elements; text kept",
        ),
        IngestCode(
            code="IN042",
            name="legacy.qd4210",
            scope="file-info",
            severity=Severity.INFO,
            message="{table} theo cấu trúc QĐ 4210 cũ; đổi tên trường: {renamed}",
            message_en="{table} in the older QĐ 4210 shape; renamed fields: {renamed}",
        ),
        IngestCode(
            code="IN043",
            name="xml.namespace_uri_repaired",
            scope="file-info",
            severity=Severity.INFO,
            message='{table}: khai báo {declaration}="{uri}" có khoảng trắng trong '
            "URI ({count} lần); đã mã hoá %20 khoảng trắng đó để đọc được",
            message_en='{table}: declaration {declaration}="{uri}" has whitespace '
            "in its URI ({count} times); it was percent-encoded (%20) to read it",
        ),
    )
}


def get(code: str) -> IngestCode:
    """Return the ingest code ``code`` (e.g. ``"IN025"``).

    Raises:
        KeyError: If there is no such code.
    """
    return CODES[code]


def markdown_table() -> str:
    """Return the Markdown table of every ingest code, as in the docs."""
    lines = [
        "| Code | Name | Scope | Severity | Message (vi) | Message (en) |",
        "|---|---|---|---|---|---|",
    ]
    lines.extend(
        f"| `{c.code}` | `{c.name}` | {c.scope} | {c.severity.value} | "
        f"{c.message} | {c.message_en} |"
        for c in CODES.values()
    )
    return "\n".join(lines) + "\n"


__all__ = ["CODES", "IngestCode", "get", "markdown_table"]
