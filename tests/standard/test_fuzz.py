"""Fuzz: at least 10,000 mutated files thrown at the reader, zero crashes.

A seeded loop (reproducible, fast: everything is mutated in memory) takes valid seed
files — envelopes, bare tables, a QĐ 4210 shape, the check-in — and breaks them the
ways files break in the wild: flipped, inserted, deleted, duplicated bytes; truncation;
hostile fragments (DOCTYPE, entities, CDATA, byte-order marks, invalid UTF-8, NUL);
out-of-range values in typed fields; and the same inside a base64 ``NOIDUNGFILE``
(decoded, mutated, re-encoded) or in the base64 text itself.

Every mutated file goes through ``read_batch`` (so the typed Arrow build runs on the
mutated values) and the reception checks. The reader must never raise: each problem is
a finding with a known code that names the file, and a refused file keeps nothing.

``GIAMDINH_FUZZ_FILES`` and ``GIAMDINH_FUZZ_SEED`` run a longer or different campaign.
"""

from __future__ import annotations

import base64
import os
import random
import re
from collections import Counter
from typing import TYPE_CHECKING

from giamdinh.config import Settings
from giamdinh.domain import Severity
from giamdinh.standard import codes
from giamdinh.standard.reader import (
    FileResult,
    FileShape,
    FileStatus,
    read_batch,
    read_bytes,
)
from giamdinh.standard.reception import check_reception
from giamdinh.standard.writer import envelope_bytes, render_table

if TYPE_CHECKING:
    from collections.abc import Callable

    from giamdinh.standard.writer import ClaimRecords

FILES = int(os.environ.get("GIAMDINH_FUZZ_FILES", "10000"))
SEED = int(os.environ.get("GIAMDINH_FUZZ_SEED", "20260302"))
CHUNK = 1000
PER_FILE_SAMPLE = 20
# Small limits, so that inflated files and payloads meet them (IN004, IN026).
SETTINGS = Settings(max_file_bytes=60_000, max_inner_file_bytes=12_000)

HOSTILE = (
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    b'<!ENTITY lol "lol">',
    b"&e;",
    b"&lol9;",
    b"&#0;",
    b"&#x1F;",
    b"&amp;",
    b"<![CDATA[x]]>",
    b"]]>",
    b"<!-- c -->",
    b"<?pi x?>",
    b'<?xml version="1.0" encoding="latin-1"?>',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc3",
    b"\xe1\xba",
    b"\x00",
    b"\x1f",
    b"<",
    b">",
    b"&",
    b"</",
    b"/>",
    b"<MA_LK>",
    b"</MA_LK>",
    b"<STT>x</STT>",
    b"<HOSO>",
    b"</HOSO>",
    b"<FILEHOSO><LOAIHOSO>XML12</LOAIHOSO><NOIDUNGFILE>QQ==</NOIDUNGFILE></FILEHOSO>",
    b"<X><Y>deep</Y></X>",
    b'xmlns="urn:x"',
)
VALUES = (
    b"",
    b" ",
    b"-1",
    b"0",
    b"1e9",
    b"NaN",
    b"9" * 40,
    b"1.23456",
    b"20260230",
    b"202602301200",
    b"202603021260",
    b"202603022400",
    b"00000000",
    b"99991231",
    b"2026-03-02",
    b"1;2;;3",
    "Nguyễn Văn Ạ".encode(),
    b"&lt;&amp;&gt;",
    b"\t\n",
)
_FIELD = re.compile(rb"<([A-Z][A-Z0-9_]*)>([^<]*)</\1>")
_PAYLOAD = re.compile(rb"<NOIDUNGFILE>([^<]*)</NOIDUNGFILE>")


def _seeds(make_claim: Callable[..., ClaimRecords]) -> list[bytes]:
    """Valid files of every shape the reader knows."""
    one = make_claim("FZ1", lines=1)
    two = make_claim("FZ2", lines=3)
    legacy_xml3 = (
        b"<DSACH_CHI_TIET_DVKT><CHI_TIET_DVKT><MA_LK>OLD1</MA_LK><STT>1</STT>"
        b"<MA_DICH_VU>18.0119.0028</MA_DICH_VU><SO_LUONG>1</SO_LUONG>"
        b"<DON_GIA>73300</DON_GIA><THANH_TIEN>73300</THANH_TIEN>"
        b"<NGAY_YL>201905011200</NGAY_YL></CHI_TIET_DVKT></DSACH_CHI_TIET_DVKT>"
    )
    legacy_xml1 = (
        b"<TONG_HOP><MA_LK>OLD1</MA_LK><STT>1</STT><NGAY_SINH>19800102</NGAY_SINH>"
        b"<MA_THE>HS4010100000001</MA_THE><T_TONGCHI>73300</T_TONGCHI></TONG_HOP>"
    )
    legacy_envelope = envelope_bytes(
        [{"XML1": [{"MA_LK": "OLD1"}]}], ma_cskcb="99001", ngay_lap="20190501"
    )
    for table, inner in (("XML1", legacy_xml1), ("XML3", legacy_xml3)):
        payload = base64.b64encode(inner)
        if table == "XML1":
            legacy_envelope = _PAYLOAD.sub(
                b"<NOIDUNGFILE>" + payload + b"</NOIDUNGFILE>", legacy_envelope, 1
            )
        else:
            legacy_envelope = legacy_envelope.replace(
                b"</HOSO>",
                b"<FILEHOSO><LOAIHOSO>XML3</LOAIHOSO><NOIDUNGFILE>"
                + payload
                + b"</NOIDUNGFILE></FILEHOSO></HOSO>",
            )
    checkin = {
        "MA_LK": "FZ9",
        "STT": "1",
        "MA_BN": "BN1",
        "HO_TEN": "Lê Thị B",
        "NGAY_SINH": "198001020000",
        "NGAY_VAO": "202603020800",
        "MA_CSKCB": "99001",
    }
    return [
        envelope_bytes([one, two], ma_cskcb="99001", ngay_lap="20260302"),
        envelope_bytes([one], ma_cskcb="99001", ngay_lap="20260302"),
        render_table("XML3", two["XML3"]),
        render_table("XML1", one["XML1"]),
        render_table("XML4", two["XML4"]),
        render_table("XML0", [checkin]),
        legacy_xml3,
        legacy_envelope,
    ]


# ------------------------------------------------------------------ mutators


def _span(rng: random.Random, data: bytes) -> tuple[int, int]:
    start = rng.randrange(len(data) + 1)
    return start, min(len(data), start + rng.randint(0, 64))


def _flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _insert(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    piece = (
        rng.choice(HOSTILE)
        if rng.random() < 0.7
        else bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
    )
    return data[:at] + piece + data[at:]


def _delete(rng: random.Random, data: bytes) -> bytes:
    start, end = _span(rng, data)
    return data[:start] + data[end:]


def _duplicate(rng: random.Random, data: bytes) -> bytes:
    start, end = _span(rng, data)
    return data[:end] + data[start:end] * rng.randint(1, 3) + data[end:]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _value(rng: random.Random, data: bytes) -> bytes:
    fields = list(_FIELD.finditer(data))
    if not fields:
        return _flip(rng, data)
    match = rng.choice(fields)
    return data[: match.start(2)] + rng.choice(VALUES) + data[match.end(2) :]


def _rename(rng: random.Random, data: bytes) -> bytes:
    """Rename one field (both tags): unknown or repeated fields, 4210 names."""
    fields = list(_FIELD.finditer(data))
    if not fields:
        return _flip(rng, data)
    match = rng.choice(fields)
    other = rng.choice([*(m.group(1) for m in fields), b"MA_THE", b"UNKNOWN_X"])
    return (
        data[: match.start()]
        + b"<"
        + other
        + b">"
        + match.group(2)
        + b"</"
        + other
        + b">"
        + data[match.end() :]
    )


def _prolog(rng: random.Random, data: bytes) -> bytes:
    """Put a hostile fragment before the root element (DOCTYPE, BOM, declaration)."""
    at = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    return data[:at] + rng.choice(HOSTILE[:14]) + data[at:]


def _inflate(rng: random.Random, data: bytes) -> bytes:
    """Repeat one field many times: oversized files and payloads, repeated fields."""
    fields = list(_FIELD.finditer(data))
    if not fields:
        return data * rng.randint(2, 40)
    match = rng.choice(fields)
    return (
        data[: match.end()] + match.group() * rng.randint(2, 400) + data[match.end() :]
    )


BYTE_MUTATORS: tuple[Callable[[random.Random, bytes], bytes], ...] = (
    _flip,
    _insert,
    _delete,
    _duplicate,
    _truncate,
    _value,
    _rename,
    _prolog,
    _inflate,
)


def _payload(rng: random.Random, data: bytes) -> bytes:
    """Mutate inside one base64 payload, or break the base64 text itself."""
    payloads = list(_PAYLOAD.finditer(data))
    if not payloads:
        return _value(rng, data)
    match = rng.choice(payloads)
    text = match.group(1)
    try:
        inner = base64.b64decode(text, validate=True)
    except ValueError:  # an earlier mutation broke it already
        inner = None
    if inner is None or rng.random() < 0.2:
        broken = rng.choice(
            (
                text[:-1],
                text + b"A",
                text.replace(b"A", b"!", 1),
                b"====",
                b" \n" + text[: len(text) // 2] + b"\r\n",
                text[: rng.randrange(len(text) + 1)],
            )
        )
    else:
        for _ in range(rng.randint(1, 2)):
            inner = rng.choice(BYTE_MUTATORS)(rng, inner)
        broken = base64.b64encode(inner)
    return data[: match.start(1)] + broken + data[match.end(1) :]


def mutate(rng: random.Random, data: bytes) -> bytes:
    """Return ``data`` broken by one to three random mutations."""
    for _ in range(rng.randint(1, 3)):
        data = (
            _payload(rng, data)
            if rng.random() < 0.45
            else rng.choice(BYTE_MUTATORS)(rng, data)
        )
    return data


# ------------------------------------------------------------------ checks


def _check_clean(result: FileResult, name: str) -> None:
    """A result is clean: known codes, the file named, refusals keep nothing."""
    assert result.path == name
    for finding in result.findings:
        assert finding.code in codes.CODES, finding
        assert finding.location.file == name, finding
        assert finding.message
        assert finding.message_en
    refused = [f for f in result.findings if f.severity is Severity.REFUSE]
    if result.status is FileStatus.REJECTED:
        assert refused, result
        assert not result.claims
    elif result.status is FileStatus.PARTIAL:
        assert refused
        assert result.claims
    if result.shape is FileShape.ENVELOPE:
        hoso = {c.hoso for c in result.claims}
        assert not hoso & set(result.rejected_hoso)


def _run_chunk(sources: list[tuple[str, bytes]]) -> list[FileResult]:
    """Read a chunk as one batch, check it, return the result of each file."""
    batch = read_batch(sources, settings=SETTINGS)
    assert [r.path for r in batch.files] == [name for name, _ in sources]
    accepted = {r.path for r in batch.files if r.claims}
    for result in batch.files:
        _check_clean(result, result.path)
    for table in batch.tables.values():
        assert set(table.column("_file").to_pylist()) <= accepted
    for finding in check_reception(batch.tables):
        assert finding.location.file in accepted, finding
    # A sample also goes through the per-file path (its own typed build): same verdict.
    for (name, data), result in list(zip(sources, batch.files, strict=True))[
        ::PER_FILE_SAMPLE
    ]:
        alone = read_bytes(data, name=name, settings=SETTINGS)
        _check_clean(alone, name)
        assert alone.status is result.status, name
        assert alone.findings == result.findings, name
    return batch.files


def test_ten_thousand_mutated_files_give_only_clean_findings(
    claim_factory: Callable[..., ClaimRecords],
) -> None:
    seeds = _seeds(claim_factory)
    for seed in seeds:  # the seeds themselves are valid
        assert read_bytes(seed).status is FileStatus.OK
    rng = random.Random(SEED)  # noqa: S311 - reproducible mutations, not secrets
    outcomes: Counter[FileStatus] = Counter()
    found: Counter[str] = Counter()
    crashes: list[str] = []
    sources: list[tuple[str, bytes]] = []
    for index in range(FILES):
        sources.append((f"fuzz-{SEED}-{index:06d}.xml", mutate(rng, rng.choice(seeds))))
        if len(sources) < CHUNK and index < FILES - 1:
            continue
        try:
            results = _run_chunk(sources)
            outcomes.update(r.status for r in results)
            found.update(f.code for r in results for f in r.findings)
        except Exception as error:  # every crash is reported below
            crashes.extend(_crashing(sources, error))
        sources = []
    assert not crashes, crashes[:5]
    assert sum(outcomes.values()) == FILES
    if FILES < 10_000:  # a short campaign need not reach every case
        return
    # The campaign reaches every outcome: files kept, partly kept and refused ...
    assert set(outcomes) == set(FileStatus), outcomes
    # ... and the hostile cases: DOCTYPE, size limits, encodings, base64, truncation.
    for code in ("IN002", "IN004", "IN005", "IN006", "IN007", "IN025", "IN026"):
        assert found[code], (code, found)


def _crashing(sources: list[tuple[str, bytes]], error: Exception) -> list[str]:
    """Name the files of a failed chunk that fail on their own (to reproduce)."""
    out: list[str] = []
    for name, data in sources:
        try:
            _run_chunk([(name, data)])
        except Exception as alone:  # reported to the caller
            out.append(f"{name}: {alone!r} (data starts {data[:80]!r})")
    return out or [f"{sources[0][0]}..: {error!r} (only as a batch)"]
