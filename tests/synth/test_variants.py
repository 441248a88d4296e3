"""Real-world file variants: written where labelled, nowhere else, and read back."""

from __future__ import annotations

import base64
import csv
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

import pytest

from giamdinh.domain import Severity
from giamdinh.errors import ConfigError
from giamdinh.standard.reader import read_batch
from giamdinh.standard.reception import check_reception, load_portal_rules
from giamdinh.standard.spec import TABLES
from giamdinh.synth import SynthConfig, generate
from giamdinh.synth.clinical import IMAGING_KINDS, SERVICES
from giamdinh.synth.variants import (
    ACCEPTS,
    BOM,
    DISTRICTS_ABOLISHED,
    MAX_VARIANTS,
    READER_ACCEPTS_XSI_SPACE,
    RECEPTION_ALLOWS_NO_DISTRICT,
    RECEPTION_ALLOWS_UNNAMED_IMAGING,
    REJECTS,
    VARIANT_BY_NAME,
    VARIANT_NAMES,
    VARIANT_TRUTH_COLUMNS,
    VARIANT_TRUTH_FILE,
    VARIANTS,
    XSI_WITH_SPACE,
    Scope,
    optional_fields,
    render_variants_markdown,
)

if TYPE_CHECKING:
    from pathlib import Path

    from giamdinh.synth import SynthResult

#: The variants a file's bytes show (the others are in the records).
BYTE_VARIANTS = (
    "xsi_space_namespace",
    "utf8_bom",
    "crlf_line_ends",
    "base64_wrapped",
    "empty_open_close",
    "no_declaration",
    "empty_optional_omitted",
)
_PAYLOAD = re.compile(
    rb"<LOAIHOSO>(XML\d+)</LOAIHOSO><NOIDUNGFILE>(.*?)</NOIDUNGFILE>", re.S
)
_FIELD = re.compile(r"<([A-Z][A-Z0-9_]*)(?: />|></\1>|>([^<]*)</\1>)")


def truth(out: Path) -> list[dict[str, str]]:
    """Return the rows of ``ground_truth_variants.csv``."""
    with (out / VARIANT_TRUTH_FILE).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def by_file(rows: list[dict[str, str]]) -> dict[str, set[str]]:
    """Return the variants labelled in each file."""
    out: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        out[row["file"]].add(row["variant"])
    return out


def inner_tables(data: bytes) -> list[tuple[str, bytes]]:
    """Return each ``(table, inner file)`` of an envelope, base64 decoded."""
    return [
        (m.group(1).decode(), base64.b64decode(re.sub(rb"\s+", b"", m.group(2))))
        for m in _PAYLOAD.finditer(data)
    ]


def seen(data: bytes) -> set[str]:
    """Return the byte variants a file shows, judged from its bytes alone."""
    found: set[str] = set()
    inner = inner_tables(data)
    head = dict(inner)["XML1"]
    if data.startswith(BOM) and head.startswith(BOM):
        found.add("utf8_bom")
    if b"\r\n" in data and b"\r\n" in head:
        found.add("crlf_line_ends")
    if not data.removeprefix(BOM).startswith(b"<?xml") and b"<?xml" not in head:
        found.add("no_declaration")
    if any(b"\n" in m.group(2) for m in _PAYLOAD.finditer(data.replace(b"\r", b""))):
        found.add("base64_wrapped")
    if b"<CHUKYDONVI></CHUKYDONVI>" in data and b" />" not in head:
        found.add("empty_open_close")
    names = {m.group(1) for m in _FIELD.finditer(head.decode("utf-8-sig"))}
    if not set(TABLES["XML1"].field_names) <= names:
        found.add("empty_optional_omitted")
    if f'xmlns:xsi="{XSI_WITH_SPACE}"'.encode() in head:
        found.add("xsi_space_namespace")
    return found


def test_every_variant_is_described() -> None:
    assert len(set(VARIANT_NAMES)) == len(VARIANTS) <= MAX_VARIANTS
    assert {v.portal for v in VARIANTS} == {ACCEPTS, REJECTS}
    for v in VARIANTS:
        assert v.scope in {"file", "claim", "line"}
        assert 0.0 <= v.default_share <= v.share <= 1.0
        # The variants the portal refuses are opt-in, for tests only.
        assert v.portal == ACCEPTS or v.share == 0.0
        assert f"`{v.name}`" in render_variants_markdown()
    # The ones the reader or reception cannot take yet wait for their fixes.
    gates = {
        "xsi_space_namespace": READER_ACCEPTS_XSI_SPACE,
        "district_empty": RECEPTION_ALLOWS_NO_DISTRICT,
        "imaging_result_unnamed": RECEPTION_ALLOWS_UNNAMED_IMAGING,
    }
    for name, enabled in gates.items():
        variant = VARIANT_BY_NAME[name]
        assert variant.share > 0
        assert variant.enabled is enabled
        assert (variant.default_share > 0) is enabled
    assert all(v.enabled for v in VARIANTS if v.name not in gates)


def test_labelled_files_show_their_variants_and_others_none(
    small: SynthResult,
) -> None:
    rows = truth(small.out)
    assert rows
    assert tuple(rows[0]) == VARIANT_TRUTH_COLUMNS
    labels = by_file(rows)
    files = sorted(small.out.glob("claims/*/*.xml"))
    for path in files:
        name = str(path.relative_to(small.out))
        expected = labels.get(name, set()) & set(BYTE_VARIANTS)
        assert seen(path.read_bytes()) == expected, name
    assert set(labels) <= {str(p.relative_to(small.out)) for p in files}


def test_default_shares(small: SynthResult) -> None:
    """Every accepted variant is in about its share of the 600 files."""
    labels = by_file(truth(small.out))
    counts = Counter(v for variants in labels.values() for v in variants)
    assert counts == {k: v for k, v in small.variants.items() if v}
    for v in VARIANTS:
        share = counts[v.name] / small.files
        if v.scope is Scope.FILE or not v.default_share:
            assert share == pytest.approx(v.default_share, abs=0.07), v.name
        else:
            # drawn per file, written only where the file has such a claim or line
            assert 0 < share <= v.default_share + 0.07, v.name
    # Each file draws each variant on its own: about 1 - Π(1 - share) have one.
    none = 1.0
    for v in VARIANTS:
        none *= 1 - v.default_share
    assert 0.5 < len(labels) / small.files <= 1 - none + 0.05


def test_variants_keep_the_content(tmp_path: Path) -> None:
    """Read back, a file with byte variants says what the clean file says (the
    content variants change the content on purpose and are left out here)."""
    content = dict.fromkeys(("district_empty", "imaging_result_unnamed"), 0.0)
    base = SynthConfig(
        claims=150, seed=9, facilities=6, anomaly_rate=0.1, variant_rates=content
    )
    plain = generate(replace(base, variant_share=0.0), tmp_path / "plain")
    shaped = generate(base, tmp_path / "shaped")
    assert not truth(plain.out)
    assert not any(plain.variants.values())
    labelled = by_file(truth(shaped.out))
    assert labelled
    for path in sorted(plain.out.glob("claims/*/*.xml")):
        name = str(path.relative_to(plain.out))
        other = (shaped.out / name).read_bytes()
        assert (path.read_bytes() == other) is (name not in labelled), name
    first, second = (
        read_batch(sorted(r.out.glob("claims/*/*.xml"))) for r in (plain, shaped)
    )
    assert first.findings == []
    # The reader notes (information) the XSI namespace with a space, once it reads it.
    assert [f for f in second.findings if f.severity is not Severity.INFO] == []
    for table, rows in first.tables.items():
        assert _normal(rows.to_pylist()) == _normal(second.tables[table].to_pylist()), (
            table
        )


def _normal(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows without the file name; an omitted element (null) reads as empty."""
    return [
        {k: ("" if v is None else v) for k, v in r.items() if k != "_file"}
        for r in rows
    ]


def test_omitted_elements_are_optional_ones(small: SynthResult) -> None:
    optional = optional_fields()
    assert "MA_LK" not in optional["XML1"]
    assert "MAHUYEN_CU_TRU" not in optional["XML1"]
    # What reception requires, always or on a condition, is never left out.
    rules = load_portal_rules()
    for table, names in optional.items():
        never = {
            r.field
            for r in rules.fields.get(table, [])
            if (not r.required and r.condition is None)
            or any(
                not p.required and p.condition is None and p.valid_to is None
                for p in r.periods
            )
        }
        assert names <= never, table
    assert len(optional["XML1"]) > 10
    omitted = 0
    for name in by_file(truth(small.out)):
        data = (small.out / name).read_bytes()
        for table, inner in inner_tables(data):
            written = {m.group(1) for m in _FIELD.finditer(inner.decode("utf-8-sig"))}
            missing = set(TABLES[table].field_names) - written
            assert missing <= optional[table], (name, table, missing - optional[table])
            omitted += bool(missing)
    assert omitted


@pytest.fixture(scope="module")
def reform(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """June 2025 with the reform variants forced: some stays end in July."""
    return generate(
        SynthConfig(
            claims=400,
            seed=4,
            month=date(2025, 6, 1),
            facilities=6,
            variant_share=0.0,
            variant_rates={"district_empty": 1.0, "imaging_result_unnamed": 0.5},
        ),
        tmp_path_factory.mktemp("reform") / "province",
    )


def test_districts_are_left_out_only_after_they_were_abolished(
    reform: SynthResult,
) -> None:
    rows = [r for r in truth(reform.out) if r["variant"] == "district_empty"]
    tables = read_batch(sorted(reform.out.glob("claims/*/*.xml"))).tables
    labelled = {r["ma_lk"] for r in rows}
    assert {r["table"] for r in rows} == {"XML1"}
    ended_after = 0
    for head in tables["XML1"].to_pylist():
        after = f"{head['NGAY_RA']:%Y%m%d}" >= DISTRICTS_ABOLISHED
        ended_after += after
        assert (head["MAHUYEN_CU_TRU"] == "") is after, head["MA_LK"]
        assert (head["MA_LK"] in labelled) is after
        assert ("huyện" in head["DIA_CHI"]) is not after
        assert head["MAXA_CU_TRU"]
    # Only stays that run into July: a few, not none, not all.
    assert 0 < ended_after < 40


def test_imaging_results_without_a_name_are_labelled(reform: SynthResult) -> None:
    rows = [r for r in truth(reform.out) if r["variant"] == "imaging_result_unnamed"]
    labelled = {(r["ma_lk"], int(r["stt"])) for r in rows}
    assert labelled
    assert {r["table"] for r in rows} == {"XML4"}
    xml4 = read_batch(sorted(reform.out.glob("claims/*/*.xml"))).tables["XML4"]
    for row in xml4.to_pylist():
        key = (row["MA_LK"], row["STT"])
        assert (row["TEN_CHI_SO"] == "") is (key in labelled), key
        if key in labelled:
            assert SERVICES[row["MA_DICH_VU"]].kind in IMAGING_KINDS
            assert row["MO_TA"]
            assert row["KET_LUAN"]


def test_reception_accepts_no_district_after_the_reform(reform: SynthResult) -> None:
    tables = read_batch(sorted(reform.out.glob("claims/*/*.xml"))).tables
    found = [f for f in check_reception(tables) if f.location.field == "MAHUYEN_CU_TRU"]
    assert found == []


def test_reception_accepts_unnamed_imaging_results(reform: SynthResult) -> None:
    tables = read_batch(sorted(reform.out.glob("claims/*/*.xml"))).tables
    found = [f for f in check_reception(tables) if f.location.field == "TEN_CHI_SO"]
    assert found == []


@pytest.fixture(scope="module")
def xsi(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """Half of the files declare the XSI namespace with a space, in batches."""
    return generate(
        SynthConfig(
            claims=200,
            seed=8,
            facilities=5,
            claims_per_file=5,
            variant_share=0.0,
            variant_rates={"xsi_space_namespace": 0.5},
        ),
        tmp_path_factory.mktemp("xsi") / "province",
    )


def test_the_xsi_namespace_with_a_space_is_where_labelled(xsi: SynthResult) -> None:
    labels = by_file(truth(xsi.out))
    assert labels
    attribute = f'xmlns:xsi="{XSI_WITH_SPACE}"'.encode()
    tables_with: Counter[str] = Counter()
    for path in sorted(xsi.out.glob("claims/*/*.xml")):
        name = str(path.relative_to(xsi.out))
        for table, inner in inner_tables(path.read_bytes()):
            tag = re.escape(TABLES[table].root_tag.encode())
            root = re.search(rb"<" + tag + rb"[ >][^>]*>", inner)
            assert root is not None, (name, table)
            has = attribute in root.group()
            expected = name in labels and table in {"XML1", "XML2", "XML7"}
            assert has is expected, (name, table)
            tables_with[table] += has
    assert set(tables_with) >= {"XML1", "XML2", "XML7"}
    assert all(tables_with[t] for t in ("XML1", "XML2", "XML7"))


def test_the_reader_accepts_the_xsi_namespace_with_a_space(xsi: SynthResult) -> None:
    batch = read_batch(sorted(xsi.out.glob("claims/*/*.xml")))
    assert [f.status.value for f in batch.files] == ["ok"] * xsi.files
    assert {f.severity.value for f in batch.findings} <= {"info"}
    assert batch.tables["XML1"].num_rows == xsi.claims


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """The variants the portal refuses, each in a share of the files."""
    rejected = [v.name for v in VARIANTS if v.portal == REJECTS]
    return generate(
        SynthConfig(
            claims=200,
            seed=12,
            facilities=5,
            variant_share=0.0,
            variant_rates=dict.fromkeys(rejected, 0.1),
        ),
        tmp_path_factory.mktemp("refused") / "province",
    )


def test_refused_variants_are_refused_where_labelled(refused: SynthResult) -> None:
    rows = truth(refused.out)
    assert {r["portal"] for r in rows} == {REJECTS}
    assert {r["variant"] for r in rows} == {
        v.name for v in VARIANTS if v.portal == REJECTS
    }
    batch = read_batch(sorted(refused.out.glob("claims/*/*.xml")))
    found = [*batch.findings, *check_reception(batch.tables)]
    got = {
        (f.code, f.location.ma_lk, f.location.table, f.location.stt, f.location.field)
        for f in found
    }
    # A claim whose XML3 is inline XML is refused whole, before reception.
    inline = {r["ma_lk"] for r in rows if r["variant"] == "inline_xml_table"}
    expected = set()
    for r in rows:
        stt = int(r["stt"]) if r["stt"] else None
        if r["ma_lk"] in inline:
            continue
        if r["variant"] == "decimal_comma_quantity":
            expected.add(("RC104", r["ma_lk"], "XML3", stt, "SO_LUONG"))
        elif r["variant"] == "nan_number":
            expected.add(("RC104", r["ma_lk"], "XML3", stt, "DON_GIA_BV"))
        elif r["variant"] == "decimal_comma_money":
            expected.add(("RC104", r["ma_lk"], "XML1", 1, "T_TONGCHI_BV"))
    assert expected
    assert expected <= got
    inline_files = {
        str(refused.out / r["file"]) for r in rows if r["variant"] == "inline_xml_table"
    }
    assert inline_files
    # IN035: the reader says what it is (inline XML instead of base64)
    assert {f.location.file for f in batch.findings if f.code == "IN035"} == (
        inline_files
    )
    # Nothing else: every problem is on a labelled claim.
    labelled = {r["ma_lk"] for r in rows}
    assert {f.location.ma_lk for f in found if f.code != "IN035"} <= labelled
    assert {f.code for f in found} == {"RC104", "IN035"}
    accepted = set(batch.tables["XML1"].column("MA_LK").to_pylist())
    assert not accepted & inline
    assert len(accepted) == refused.claims - len(inline)


def test_unknown_or_out_of_range_variants_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="variant share"):
        SynthConfig(claims=1, variant_share=1.5)
    with pytest.raises(ConfigError, match="share of variant"):
        SynthConfig(claims=1, variant_rates={"utf8_bom": -0.1})
    with pytest.raises(ConfigError, match="unknown file variants"):
        generate(SynthConfig(claims=1, variant_rates={"utf16": 0.5}), tmp_path)
