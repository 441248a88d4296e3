"""Files for the upload tests: demo claims, zips good and hostile, reference rows."""

from __future__ import annotations

import csv
import io
import shutil
import struct
import zipfile
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tests.site import Site

    from giamdinh.services.context import AppContext

#: A claim file with a DTD and an external entity (the reader refuses it: IN007).
XXE = b"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE GIAMDINHHS [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<GIAMDINHHS><THONGTINDONVI><MACSKCB>&xxe;</MACSKCB></THONGTINDONVI></GIAMDINHHS>"""

BOMB_MB = 200


def facility_with_claims(site: Site, *, other_than: str | None = None) -> str:
    """Return a facility with an account, claim files and a reference folder."""
    province = site.folder / "province"
    for code in site.facilities:
        if code == other_than:
            continue
        if (province / "claims" / code).is_dir() and (
            province / "reference" / code
        ).is_dir():
            return code
    raise AssertionError("no facility with claims and a reference folder")


def claim_files(site: Site, code: str) -> list[Path]:
    """Return the demo claim files of facility ``code``, sorted."""
    return sorted((site.folder / "province" / "claims" / code).glob("*.xml"))


def own_context(site: Site, tmp_path: Path, **changes: object) -> AppContext:
    """Return the site's context with its own checks and reference folders."""
    references = tmp_path / "reference"
    shutil.copytree(site.folder / "province" / "reference", references)
    return replace(
        site.context,
        data_dir=tmp_path / "web",
        reference_dirs=references,
        **changes,  # type: ignore[arg-type]
    )


def zip_of(members: dict[str, bytes]) -> bytes:
    """Return a zip holding ``members`` (names written as given)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2026, 3, 2, 0, 0, 0)), data)
    return buffer.getvalue()


def zip_bomb(megabytes: int = BOMB_MB) -> bytes:
    """Return a zip of one member of ``megabytes`` MB of zeros (about 1000:1)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("zeros.xml", "w") as member,
    ):
        chunk = b"\0" * (1 << 20)
        for _ in range(megabytes):
            member.write(chunk)
    return buffer.getvalue()


def lying_zip(data: bytes, declared: int) -> bytes:
    """Return a zip of one member whose central directory understates its size."""
    raw = bytearray(zip_of({"claims.xml": data}))
    central = raw.rfind(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, declared)
    return bytes(raw)


def _rewrite(path: Path, column: str, row: int, value: str) -> bytes:
    """Return a CSV file with one cell changed (``row`` as seen, header = 1)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    rows[row - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def with_bad_row(m05: Path, *, row: int = 3, bad_day: str = "2026-01-01") -> bytes:
    """Return ``M05.csv`` with ``TU_NGAY`` of row ``row`` not a date ``yyyymmdd``."""
    return _rewrite(m05, "TU_NGAY", row, bad_day)


def with_other_facility(m05: Path, code: str, *, row: int = 2) -> bytes:
    """Return ``M05.csv`` with ``MA_CSKCB`` of row ``row`` set to ``code``."""
    return _rewrite(m05, "MA_CSKCB", row, code)
