"""Files attached to a case, stored once by content hash in a folder beside the store.

A file is accepted only when its first bytes say it is one of the kinds a joint
verification uses (PDF, PNG, JPEG, TIFF, an Office Open XML workbook or document,
XML, plain text, a DICOM file) and it is at most ``MAX_BYTES`` long. The kind is
read from the content, never from the file name, so a renamed executable is
refused. The few signatures needed are checked here rather than through libmagic,
which would add a system library for eight fixed prefixes.

Files live at ``<folder>/<sha[:2]>/<sha>``; the same content attached twice is
stored once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from giamdinh.errors import ConfigError

MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFile:
    """A file as stored: content hash, size, detected media type, original name."""

    sha256: str
    size: int
    media_type: str
    filename: str


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    if "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return None


def _text_kind(head: bytes) -> str | None:
    body = head.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        # NOTE: the head may cut a multi-byte character at its end.
        if exc.start < len(body) - 3:
            return None
        decoded = body[: exc.start].decode("utf-8")
    if any(ch < " " and ch not in "\t\r\n" for ch in decoded):
        return None
    return "application/xml" if decoded.lstrip().startswith("<") else "text/plain"


def detect(path: Path) -> str | None:  # noqa: PLR0911 - one return per signature
    """Return the media type of ``path`` from its content, or ``None``."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] in {b"II*\x00", b"MM\x00*"}:
        return "image/tiff"
    if len(head) >= 132 and head[128:132] == b"DICM":  # noqa: PLR2004
        return "application/dicom"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    if not head:
        return None
    return _text_kind(head)


def store_file(source: Path, folder: Path, *, max_bytes: int = MAX_BYTES) -> StoredFile:
    """Check ``source`` and copy it into ``folder`` under its SHA-256.

    Raises:
        ConfigError: the file is missing, empty, too large or of a kind not
            accepted (the message names the file).
    """
    if not source.is_file():
        msg = f"{source}: không có tệp này / no such file"
        raise ConfigError(msg)
    size = source.stat().st_size
    if size == 0:
        msg = f"{source}: tệp rỗng / the file is empty"
        raise ConfigError(msg)
    if size > max_bytes:
        msg = (
            f"{source}: {size:,} bytes, quá giới hạn {max_bytes:,} / "
            f"larger than the {max_bytes:,}-byte limit"
        )
        raise ConfigError(msg)
    media_type = detect(source)
    if media_type is None:
        msg = (
            f"{source}: loại tệp không được chấp nhận (PDF, ảnh, Excel, Word, XML, "
            "văn bản, DICOM) / not an accepted kind of file (PDF, PNG, JPEG, TIFF, "
            "XLSX, DOCX, XML, text, DICOM)"
        )
        raise ConfigError(msg)
    digest = hashlib.sha256()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, delete=False) as out:
        tmp = Path(out.name)
        with source.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    sha = digest.hexdigest()
    target = folder / sha[:2] / sha
    target.parent.mkdir(exist_ok=True)
    if target.exists():
        tmp.unlink()
    else:
        tmp.replace(target)
    return StoredFile(
        sha256=sha, size=size, media_type=media_type, filename=source.name
    )


def path_of(folder: Path, sha256: str) -> Path:
    """Return where the content ``sha256`` is stored."""
    return folder / sha256[:2] / sha256


__all__ = ["MAX_BYTES", "StoredFile", "detect", "path_of", "store_file"]
