"""Attachments: the kind is read from the content; files are stored once by hash."""

from __future__ import annotations

import hashlib
import re
import zipfile
from typing import TYPE_CHECKING

import pytest
from openpyxl import Workbook

from giamdinh.errors import ConfigError
from giamdinh.review.attachments import MAX_BYTES, detect, path_of, store_file

if TYPE_CHECKING:
    from pathlib import Path

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _zip(path: Path, names: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, body in names.items():
            archive.writestr(name, body)
    return path


def _xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["STT", "MA_DICH_VU", "THANH_TIEN"])
    sheet.append([1, "DV001", 40000])
    book.save(path)
    return path


def _docx(path: Path) -> Path:
    return _zip(
        path,
        {
            "[Content_Types].xml": "<Types/>",
            "word/document.xml": "<w:document><w:body>Giải trình</w:body></w:document>",
        },
    )


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("bienban.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf"),
        ("anh.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20, "image/png"),
        ("anh.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "image/jpeg"),
        ("scan.tif", b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20, "image/tiff"),
        ("ct.dcm", b"\x00" * 128 + b"DICM" + b"\x02\x00", "application/dicom"),
        (
            "hoso.xml",
            '<?xml version="1.0"?>\n<GIAMDINHHS>Bệnh án</GIAMDINHHS>'.encode(),
            "application/xml",
        ),
        ("indented.xml", b"\n\t  <root/>\n", "application/xml"),
        (
            "giaitrinh.txt",
            "Giải trình: thuốc đã dùng đúng chỉ định.\r\n".encode(),
            "text/plain",
        ),
        ("bom.txt", "\ufeffCó BOM".encode(), "text/plain"),
    ],
)
def test_accepted_kinds(
    tmp_path: Path, name: str, content: bytes, media_type: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    stored = store_file(source, tmp_path / "files")
    assert stored.media_type == media_type
    assert stored.size == len(content)
    assert stored.filename == name
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    assert path_of(tmp_path / "files", stored.sha256).read_bytes() == content


def test_an_openpyxl_workbook_is_a_spreadsheet(tmp_path: Path) -> None:
    stored = store_file(_xlsx(tmp_path / "bangke.xlsx"), tmp_path / "files")
    assert stored.media_type == XLSX


def test_a_word_document_is_a_document(tmp_path: Path) -> None:
    stored = store_file(_docx(tmp_path / "giaitrinh.docx"), tmp_path / "files")
    assert stored.media_type == DOCX


def test_the_kind_comes_from_the_content_not_the_name(tmp_path: Path) -> None:
    # A workbook named .pdf is a workbook; a PDF named .xlsx is a PDF.
    renamed = _xlsx(tmp_path / "bangke.pdf")
    assert detect(renamed) == XLSX
    pdf = tmp_path / "not-a-sheet.xlsx"
    pdf.write_bytes(b"%PDF-1.4\n")
    assert detect(pdf) == "application/pdf"


def test_a_multibyte_character_cut_by_the_head_is_still_text(tmp_path: Path) -> None:
    # The first 4096 bytes end in the middle of "ệ" (3 bytes in UTF-8).
    source = tmp_path / "long.txt"
    source.write_bytes(b"a" * 4095 + "ệ".encode() + b" tail")
    assert detect(source) == "text/plain"


REFUSED = [
    pytest.param("report.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56, id="elf"),
    pytest.param(
        "giaitrinh.docx",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48,
        id="exe",
    ),
    pytest.param("junk.txt", bytes(range(256)) * 4, id="binary-junk"),
    pytest.param("nul.txt", b"Giai trinh\x00 con tiep", id="nul"),
    pytest.param("latin.txt", b"Gi\xe1i tr\xecnh " * 10, id="not-utf8"),
    pytest.param("broken.xlsx", b"PK\x03\x04" + b"\x00" * 60, id="corrupt-zip"),
]


@pytest.mark.parametrize(("name", "content"), REFUSED)
def test_refused_kinds_name_the_file(tmp_path: Path, name: str, content: bytes) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(
        ConfigError, match=re.escape(f"{source}: ") + ".*not an accepted kind"
    ):
        store_file(source, tmp_path / "files")
    assert not (tmp_path / "files").exists() or not any((tmp_path / "files").rglob("*"))


def test_a_zip_that_is_not_an_office_file_is_refused(tmp_path: Path) -> None:
    source = _zip(tmp_path / "evidence.xlsx", {"a.txt": "x", "xl/other.xml": "<x/>"})
    with pytest.raises(ConfigError, match=r"evidence\.xlsx: .*not an accepted kind"):
        store_file(source, tmp_path / "files")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "empty.pdf"
    source.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"empty\.pdf: .*the file is empty"):
        store_file(source, tmp_path / "files")


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "big.txt"
    source.write_bytes(b"x" * 101)
    with pytest.raises(
        ConfigError, match=r"big\.txt: 101 bytes, .*larger than the 100-byte limit"
    ):
        store_file(source, tmp_path / "files", max_bytes=100)
    # Exactly at the limit is accepted.
    source.write_bytes(b"x" * 100)
    assert store_file(source, tmp_path / "files", max_bytes=100).size == 100


def test_the_default_limit_is_20_mib() -> None:
    assert MAX_BYTES == 20 * 1024 * 1024


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.pdf: .*no such file"):
        store_file(tmp_path / "nowhere.pdf", tmp_path / "files")
    with pytest.raises(ConfigError, match="no such file"):
        store_file(tmp_path, tmp_path / "files")  # a folder is not a file


def test_the_same_content_is_stored_once(tmp_path: Path) -> None:
    content = b"%PDF-1.7\nbien ban giam dinh\n"
    first = tmp_path / "a.pdf"
    second = tmp_path / "b.pdf"
    first.write_bytes(content)
    second.write_bytes(content)
    folder = tmp_path / "files"
    one = store_file(first, folder)
    two = store_file(second, folder)
    sha = hashlib.sha256(content).hexdigest()
    assert one.sha256 == two.sha256 == sha
    assert (one.filename, two.filename) == ("a.pdf", "b.pdf")
    stored = [p for p in folder.rglob("*") if p.is_file()]
    assert stored == [folder / sha[:2] / sha]  # no temporary file left behind
    assert path_of(folder, sha) == folder / sha[:2] / sha
    assert stored[0].read_bytes() == content


def test_different_contents_are_different_files(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    for number in range(3):
        source = tmp_path / f"{number}.txt"
        source.write_text(f"giải trình {number}", encoding="utf-8")
        store_file(source, folder)
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 3
