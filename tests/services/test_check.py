"""``check_files``: one pipeline (reader → reception → rules) on hand-built files.

Each quirk of real hospital exports is reproduced in a synthetic file; no real
record is used.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook
from tests.support import envelope, make_claim

from giamdinh.services.check import check_files
from giamdinh.services.check_model import CheckOutput, check_json, exit_code
from giamdinh.services.check_report import SHEETS, write_check_workbook
from giamdinh.standard.writer import write_envelope

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support import Claim


def _check(*paths: Path) -> CheckOutput:
    return check_files(list(paths), reference_dir=None)


def test_a_file_given_twice_or_copied_is_checked_once(tmp_path: Path) -> None:
    first = envelope(tmp_path / "a.xml", [make_claim(1)])
    copy = tmp_path / "copy.xml"
    copy.write_bytes(first.read_bytes())
    output = _check(first, first, tmp_path)
    assert [c.ma_lk for c in output.claims] == ["LK000001"]
    assert output.totals.claims == 1
    by_path = {f.path: f for f in output.files}
    assert len(output.files) == 2  # the path named twice counts once
    assert by_path[str(copy)].status == "duplicate"
    assert by_path[str(copy)].duplicate_of == str(first)
    assert by_path[str(copy)].errors[0].code == "CK001"
    claimed = output.claims[0].claimed
    assert claimed is not None
    assert output.totals.claimed == claimed


def test_a_claim_sent_in_two_files_is_assessed_in_the_later_one(
    tmp_path: Path,
) -> None:
    old = envelope(tmp_path / "1.xml", [make_claim(1, price=50000)])
    new = envelope(tmp_path / "2.xml", [make_claim(1, price=60000), make_claim(2)])
    output = _check(old, new)
    assert sorted(c.ma_lk for c in output.claims) == ["LK000001", "LK000002"]
    claim = next(c for c in output.claims if c.ma_lk == "LK000001")
    assert claim.file == str(new)
    # 0.8 x (61,000 + 62,000 + 63,000): the later file's prices
    assert claim.claimed == Decimal(148800)
    notes = [e for f in output.files for e in f.errors if e.code == "CK002"]
    assert len(notes) == 1
    assert notes[0].ma_lk == "LK000001"


def _with_decimal_comma(claim: Claim, table: str, field: str, text: str) -> Claim:
    claim[table][0][field] = text
    return claim


def test_a_money_field_that_did_not_parse_never_becomes_money(
    tmp_path: Path,
) -> None:
    bad = _with_decimal_comma(make_claim(1), "XML1", "T_BHTT", "124800,0")
    path = envelope(tmp_path / "comma.xml", [bad, make_claim(2)])
    output = _check(path)
    claim = next(c for c in output.claims if c.ma_lk == "LK000001")
    assert claim.reception == "rejected"
    assert claim.money == "not_assessable"
    assert claim.claimed is None
    assert claim.payable is None
    codes = {(e.code, e.field) for e in claim.reception_errors}
    assert ("RC104", "T_BHTT") in codes
    # CT008 compares T_BHTT with its lines: not run on a null standing for a
    # value the file did state, and said so.
    assert not [f for f in claim.findings if f.rule_id == "CT008"]
    gaps = [g for g in claim.not_checked if g.rule_id == "CT008"]
    assert gaps
    assert gaps[0].field == "T_BHTT"
    assert gaps[0].table == "XML1"
    # the same difference is never reported twice (RC150 and CT008)
    assert not [e for e in claim.reception_errors if e.code == "RC150"]
    good = next(c for c in output.claims if c.ma_lk == "LK000002")
    assert good.money == "assessed"
    assert output.totals.claims_not_assessable == 1
    assert output.totals.claimed == good.claimed
    assert exit_code(output, "never") == 0
    assert exit_code(output, "refuse") == 1


def test_a_quantity_with_a_decimal_comma_stops_the_rules_that_read_it(
    tmp_path: Path,
) -> None:
    claim = make_claim(1)
    claim["XML3"][0]["SO_LUONG"] = "0,5"
    output = _check(envelope(tmp_path / "q.xml", [claim]))
    out = output.claims[0]
    assert out.reception == "rejected"
    assert any(
        e.code == "RC104" and e.field == "SO_LUONG" for e in out.reception_errors
    )
    skipped = {g.rule_id for g in out.not_checked if g.field == "SO_LUONG"}
    assert skipped, "rules reading SO_LUONG must say they were not checked"
    assert not [f for f in out.findings if f.rule_id in skipped]


def test_missing_reference_files_are_listed_as_not_checked(tmp_path: Path) -> None:
    output = _check(envelope(tmp_path / "a.xml", [make_claim(1)]))
    assert "licences" in output.reference.missing
    gaps = output.claims[0].not_checked
    assert any(g.reference == "licences" for g in gaps)
    assert all(g.reason and g.reason_en for g in gaps)


def test_ct008_names_the_claim_and_formats_money(tmp_path: Path) -> None:
    claim = make_claim(1, T_TONGCHI_BH="70000")
    output = _check(envelope(tmp_path / "t.xml", [claim]))
    ct008 = [f for f in output.claims[0].findings if f.rule_id == "CT008"]
    assert ct008
    message = next(f.message for f in ct008 if "T_TONGCHI_BH" in f.message)
    assert "LK000001" in message
    assert "—" not in message
    assert "70.000" in message
    assert "70000.000" not in message


def test_a_facility_code_with_a_leading_zero_keeps_it(tmp_path: Path) -> None:
    path = tmp_path / "zero.xml"
    write_envelope(
        [make_claim(1, MA_CSKCB="01929", T_TONGCHI_BH="70000")],
        ma_cskcb="01929",
        ngay_lap="20260303",
        out=path,
    )
    output = _check(path)
    claim = output.claims[0]
    assert claim.ma_cskcb == "01929"
    evidence = [f.evidence for f in claim.findings]
    assert evidence
    for item in evidence:
        if "ma_cskcb" in item:
            assert item["ma_cskcb"] == "01929"
    workbook = tmp_path / "out.xlsx"
    write_check_workbook(output, workbook)
    sheet = load_workbook(workbook)[SHEETS[0]]
    assert sheet["B2"].value == "01929"
    assert sheet["B2"].data_type == "s"


def test_the_workbook_has_four_filterable_sheets(tmp_path: Path) -> None:
    bad = _with_decimal_comma(make_claim(1), "XML1", "T_BHTT", "124800,0")
    output = _check(
        envelope(tmp_path / "a.xml", [bad, make_claim(2, T_TONGCHI_BH="70000")])
    )
    path = write_check_workbook(output, tmp_path / "check.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == list(SHEETS)
    claims, findings, reception, gaps = (book[name] for name in SHEETS)
    for sheet in (claims, findings, reception, gaps):
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref
    rows = {r[0]: r for r in claims.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"LK000001", "LK000002"}
    assert rows["LK000001"][3] == "Cổng từ chối"
    assert rows["LK000001"][5] is None  # no money from a value that did not parse
    assert rows["LK000002"][5] == pytest.approx(float(output.claims[1].claimed or 0))
    assert claims["F2"].number_format == "#,##0"
    finding_rules = {r[5] for r in findings.iter_rows(min_row=2, values_only=True)}
    assert "CT008" in finding_rules
    codes = {r[2] for r in reception.iter_rows(min_row=2, values_only=True)}
    assert "RC104" in codes
    gap_rules = {r[2] for r in gaps.iter_rows(min_row=2, values_only=True)}
    assert "CT008" in gap_rules


def test_json_money_is_exact_and_never_a_float_for_whole_dong(tmp_path: Path) -> None:
    output = _check(envelope(tmp_path / "a.xml", [make_claim(1)]))
    text = check_json(output)
    # 0.8 x (51,000 + 52,000 + 53,000)
    assert '"claimed": 124800,' in text
    assert ".0," not in text


def test_a_reference_folder_as_hospitals_fill_it_is_used_and_reported(
    tmp_path: Path,
) -> None:
    from giamdinh.services.synth import run_synth

    province = tmp_path / "p"
    run_synth(claims=20, seed=3, out=province, facilities=1, dicom_files=0)
    claims = next(p for p in (province / "claims").iterdir() if p.is_dir())
    reference = province / "reference" / claims.name
    sources = reference / "equipment_sources.csv"
    text = sources.read_text(encoding="utf-8-sig")
    # a state-budget machine with no contract dates, and a row with a bad date
    sources.write_text(
        text + "XQ.9.TEST.0001,ngan_sach,,,\nXQ.9.TEST.0002,thue,,2026-13-01,\n",
        encoding="utf-8",
    )
    (reference / "licences.csv").unlink()
    output = check_files([claims], reference_dir=reference)
    assert output.claims
    assert output.reference.missing == ["licences"]
    problems = output.reference.problems
    assert any(
        p.file.startswith("equipment_sources") and p.row is not None for p in problems
    )
    assert not any(p.value == "" and p.column == "HD_TU" for p in problems)
    gaps = [g for c in output.claims for g in c.not_checked if g.reference]
    assert gaps
    assert all("licences" in g.reason_en for g in gaps)
