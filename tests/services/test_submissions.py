"""Checks and reference folders sent to the server: scoped, limited, safe."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from typing import TYPE_CHECKING

import openpyxl
import pytest
from tests.uploads import (
    claim_files,
    facility_with_claims,
    lying_zip,
    own_context,
    with_bad_row,
    with_other_facility,
    zip_bomb,
    zip_of,
)

from giamdinh.errors import ConfigError, ForbiddenError
from giamdinh.review.workflow import Actor, Role
from giamdinh.services.check_model import CheckOutput
from giamdinh.services.check_report import SHEETS
from giamdinh.services.reference_upload import (
    BACKUPS,
    ReferenceNotFoundError,
    kind_of,
    reference_facilities,
    reference_report,
    upload_reference,
)
from giamdinh.services.submissions import (
    CheckNotFoundError,
    get_check,
    list_checks,
    submit_check,
    workbook_path,
)
from giamdinh.services.uploads import Upload, ZipLimits, member_parts, safe_name

if TYPE_CHECKING:
    from pathlib import Path

    from tests.site import Site

    from giamdinh.services.context import AppContext


def _facility(code: str) -> Actor:
    return Actor(username=f"cs.{code}", role=Role.FACILITY, ma_cskcb=code)


ASSESSOR = Actor(username="gdv.an", role=Role.ASSESSOR)
MINISTRY = Actor(username="bo.yte", role=Role.MINISTRY)


def _up(name: str, data: bytes) -> Upload:
    return Upload(name, io.BytesIO(data))


@pytest.fixture
def ctx(site: Site, tmp_path: Path) -> AppContext:
    return own_context(site, tmp_path)


@pytest.fixture
def codes(site: Site) -> tuple[str, str]:
    first = facility_with_claims(site)
    return first, facility_with_claims(site, other_than=first)


def _nothing_kept(ctx: AppContext) -> None:
    root = ctx.checks_dir
    kept = [p.name for p in root.iterdir() if p.name != ".incoming"]
    assert kept == []
    assert not any((root / ".incoming").iterdir())


# ------------------------------------------------------------------- checks


def test_a_claim_file_is_checked_kept_and_scoped(
    site: Site, ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, other = codes
    path = claim_files(site, code)[0]
    result = submit_check([_up(path.name, path.read_bytes())], _facility(code), ctx)

    record, output = result.record, result.output
    assert record.ma_cskcb == code
    assert record.reference is True
    assert [f.name for f in record.files] == [path.name]
    assert record.files[0].size == path.stat().st_size
    assert output.totals.claims == 1
    claim = output.claims[0]
    assert claim.ma_cskcb == code
    assert claim.file == path.name  # the uploaded name, not the server's path
    assert output.reference.folder == code
    assert str(ctx.data_dir) not in output.model_dump_json()

    folder = ctx.checks_dir / record.id
    assert sorted(p.name for p in folder.iterdir()) == [
        "meta.json",
        "result.json",
        "result.xlsx",
    ]
    kept = CheckOutput.model_validate_json((folder / "result.json").read_text())
    assert kept.totals == output.totals
    book = openpyxl.load_workbook(workbook_path(record.id, _facility(code), ctx))
    assert book.sheetnames == list(SHEETS)
    assert book[SHEETS[0]]["A2"].value == claim.ma_lk

    again = get_check(record.id, _facility(code), ctx)
    assert again.output.claims[0].ma_lk == claim.ma_lk
    assert [r.id for r in list_checks(_facility(code), ctx)] == [record.id]
    assert get_check(record.id, ASSESSOR, ctx).record.id == record.id
    assert [r.id for r in list_checks(ASSESSOR, ctx, ma_cskcb=code)] == [record.id]

    with pytest.raises(CheckNotFoundError):
        get_check(record.id, _facility(other), ctx)
    with pytest.raises(CheckNotFoundError):
        workbook_path(record.id, _facility(other), ctx)
    assert list_checks(_facility(other), ctx) == []
    with pytest.raises(ForbiddenError):
        get_check(record.id, MINISTRY, ctx)
    with pytest.raises(ForbiddenError):
        list_checks(MINISTRY, ctx)
    for bad in ("../" + record.id, record.id.upper(), "x" * 24, ""):
        with pytest.raises(CheckNotFoundError):
            get_check(bad, _facility(code), ctx)


def test_a_zip_of_several_files_is_one_check(
    site: Site, ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, _ = codes
    paths = claim_files(site, code)[:3]
    data = zip_of(
        {
            **{f"thang3/{p.name}": p.read_bytes() for p in paths},
            "README.txt": b"not a claim",
            "__MACOSX/thang3/._x.xml": b"junk",
        }
    )
    result = submit_check([_up("lo-1.zip", data)], ASSESSOR, ctx)

    assert result.record.ma_cskcb == code  # taken from the files
    assert [u.kind for u in result.record.uploads] == ["zip"]
    names = [f"lo-1.zip/thang3/{p.name}" for p in paths]
    assert [f.path for f in result.output.files] == names
    assert result.output.totals.claims == 3
    assert {c.file for c in result.output.claims} == set(names)
    skipped = {s.name for s in result.record.skipped}
    assert skipped == {"lo-1.zip/README.txt", "lo-1.zip/__MACOSX/thang3/._x.xml"}
    assert list_checks(_facility(code), ctx)[0].id == result.record.id


def test_another_facility_file_refuses_the_whole_upload(
    site: Site, ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, other = codes
    mine = claim_files(site, code)[0]
    theirs = claim_files(site, other)[0]
    with pytest.raises(ConfigError) as refused:
        submit_check(
            [_up(mine.name, mine.read_bytes()), _up(theirs.name, theirs.read_bytes())],
            _facility(code),
            ctx,
        )
    message = str(refused.value)
    assert theirs.name in message
    assert other in message
    assert "không phải của cơ sở" in message
    _nothing_kept(ctx)


def test_a_facility_cannot_name_another_facility(
    ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, other = codes
    with pytest.raises(ForbiddenError):
        submit_check([_up("a.xml", b"<x/>")], _facility(code), ctx, ma_cskcb=other)
    with pytest.raises(ForbiddenError):
        submit_check([_up("a.xml", b"<x/>")], MINISTRY, ctx)


def test_an_assessor_checks_one_facility_at_a_time(
    site: Site, ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, other = codes
    files = [claim_files(site, code)[0], claim_files(site, other)[0]]
    uploads = [_up(p.name, p.read_bytes()) for p in files]
    with pytest.raises(ConfigError, match="several facilities"):
        submit_check(uploads, ASSESSOR, ctx)
    one = files[1]
    with pytest.raises(ConfigError) as refused:
        submit_check([_up(one.name, one.read_bytes())], ASSESSOR, ctx, ma_cskcb=code)
    assert one.name in str(refused.value)
    with pytest.raises(ConfigError, match="not a facility code"):
        submit_check([_up(one.name, b"")], ASSESSOR, ctx, ma_cskcb="../x")
    _nothing_kept(ctx)


def test_an_oversize_upload_is_refused_naming_the_file(
    site: Site, ctx: AppContext, codes: tuple[str, str]
) -> None:
    first, second = claim_files(site, codes[0])[:2]
    limit = first.stat().st_size + second.stat().st_size // 2
    small = replace(ctx, max_upload_bytes=limit)
    with pytest.raises(ConfigError) as refused:
        submit_check(
            [
                _up(first.name, first.read_bytes()),
                _up(second.name, second.read_bytes()),
            ],
            _facility(codes[0]),
            small,
        )
    message = str(refused.value)
    assert second.name in message
    assert f"vượt quá giới hạn {round(limit / 1024)} KB" in message
    assert "exceeds the limit" in message
    _nothing_kept(ctx)


def test_other_files_and_empty_uploads_are_refused(ctx: AppContext) -> None:
    with pytest.raises(ConfigError, match="not a valid file name"):
        submit_check([_up("../..", b"<x/>")], ASSESSOR, ctx)
    with pytest.raises(ConfigError, match="no file was chosen"):
        submit_check([_up("", b"")], ASSESSOR, ctx)
    with pytest.raises(ConfigError, match="no XML file"):
        submit_check([_up("x.zip", zip_of({"a.txt": b"x"}))], ASSESSOR, ctx)
    with pytest.raises(ConfigError, match="not a valid zip"):
        submit_check([_up("x.zip", b"PK\x03\x04 broken")], ASSESSOR, ctx)


def test_a_zip_bomb_is_refused_without_extracting_it(ctx: AppContext) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(ConfigError) as refused:
        submit_check([_up("bomb.zip", bomb)], ASSESSOR, ctx)
    assert time.perf_counter() - started < 2
    message = str(refused.value)
    assert "bomb.zip: zeros.xml" in message
    assert "zip bomb" in message
    _nothing_kept(ctx)


@pytest.mark.parametrize(
    "name", ["../evil.xml", "a/../../evil.xml", "/etc/evil.xml", "C:\\evil.xml"]
)
def test_a_zip_with_an_unsafe_name_is_refused(ctx: AppContext, name: str) -> None:
    data = zip_of({"ok.xml": b"<x/>", name: b"<x/>"})
    with pytest.raises(ConfigError, match="unsafe name") as refused:
        submit_check([_up("claims.zip", data)], ASSESSOR, ctx)
    assert name in str(refused.value)
    assert not (ctx.data_dir / "evil.xml").exists()
    assert not (ctx.checks_dir / "evil.xml").exists()
    _nothing_kept(ctx)


def test_zip_limits_are_counted(ctx: AppContext) -> None:
    three = zip_of({f"{i}.xml": b"<x/>" * 10 for i in range(3)})
    with pytest.raises(ConfigError, match="3 entries, over the limit of 2"):
        submit_check(
            [_up("many.zip", three)], ASSESSOR, ctx, limits=ZipLimits(max_members=2)
        )
    with pytest.raises(ConfigError, match="over the limit"):
        submit_check(
            [_up("big.zip", three)],
            ASSESSOR,
            ctx,
            limits=ZipLimits(max_member_bytes=39),
        )
    with pytest.raises(ConfigError, match="over the limit"):
        submit_check(
            [_up("big.zip", three)],
            ASSESSOR,
            ctx,
            limits=ZipLimits(max_total_bytes=100),
        )
    _nothing_kept(ctx)


def test_a_size_understated_in_the_zip_stops_the_extraction(ctx: AppContext) -> None:
    data = b"<x>" + b"a" * 100_000 + b"</x>"
    with pytest.raises(ConfigError, match=r"claims\.xml") as refused:
        submit_check([_up("lie.zip", lying_zip(data, 1000))], ASSESSOR, ctx)
    assert "lie.zip" in str(refused.value)
    _nothing_kept(ctx)


def test_names_are_reduced_to_safe_base_names() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\x\\claims.xml") == "claims.xml"
    assert safe_name("..") == ""
    assert safe_name("a\x00b.xml") == "ab.xml"
    assert member_parts("z.zip", "a/./b.xml") == ("a", "b.xml")
    for bad in ("../x", "/x", "C:x", "a\\..\\x", "a\x01b"):
        with pytest.raises(ConfigError):
            member_parts("z.zip", bad)


# ---------------------------------------------------------------- reference


def test_a_reference_upload_reports_the_bad_row_and_loads_the_rest(
    ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, _ = codes
    folder = ctx.reference_dirs / code
    before = reference_report(_facility(code), ctx)
    m05_before = next(f for f in before.files if f.kind == "M05")
    data = with_bad_row(folder / "M05.csv", row=3)

    result = upload_reference([_up("M05.csv", data)], _facility(code), ctx)

    assert result.applied
    assert result.uploaded == ["M05.csv"]
    assert "M01.csv" in result.carried_over
    bad = [p for p in result.report.problems if p.file == "M05.csv"]
    assert [(p.row, p.column, p.value, p.outcome) for p in bad] == [
        (3, "TU_NGAY", "2026-01-01", "row_skipped")
    ]
    m05 = next(f for f in result.report.files if f.kind == "M05")
    assert m05.rows == m05_before.rows - 1
    assert m05.rows_skipped == 1
    assert (folder / "M05.csv").read_bytes() == data
    assert (folder / "M01.csv").is_file()
    backups = list((ctx.reference_dirs / BACKUPS / code).iterdir())
    assert len(backups) == 1
    assert result.backup == backups[0].name
    assert (backups[0] / "M05.csv").read_bytes() != data

    now = reference_report(_facility(code), ctx)
    assert now.upload is not None
    assert now.upload.username == f"cs.{code}"
    assert [(p.file, p.row) for p in now.problems if p.file == "M05.csv"] == [
        ("M05.csv", 3)
    ]
    assert now.backups == [result.backup]
    assert reference_report(ASSESSOR, ctx, code).problems == now.problems


def test_rows_of_another_facility_are_refused(
    ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, other = codes
    folder = ctx.reference_dirs / code
    original = (folder / "M05.csv").read_bytes()
    data = with_other_facility(folder / "M05.csv", other, row=2)
    with pytest.raises(ConfigError) as refused:
        upload_reference([_up("M05.csv", data)], _facility(code), ctx)
    assert f"M05.csv dòng/row 2: {other}" in str(refused.value)
    assert (folder / "M05.csv").read_bytes() == original
    assert not (ctx.reference_dirs / BACKUPS).exists()


def test_a_folder_without_a_usable_form_is_not_swapped_in(
    ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, _ = codes
    folder = ctx.reference_dirs / code
    licences = (folder / "licences.csv").read_bytes()
    files = sorted(p.name for p in folder.iterdir())
    result = upload_reference(
        [_up("licences.csv", licences)], _facility(code), ctx, replace_all=True
    )
    assert not result.applied
    assert "none of M01…M06" in result.message
    assert sorted(p.name for p in folder.iterdir()) == files


def test_reference_uploads_are_the_facility_s_own(
    ctx: AppContext, codes: tuple[str, str]
) -> None:
    code, other = codes
    m01 = (ctx.reference_dirs / code / "M01.csv").read_bytes()
    with pytest.raises(ForbiddenError):
        upload_reference([_up("M01.csv", m01)], ASSESSOR, ctx)
    with pytest.raises(ReferenceNotFoundError):
        reference_report(_facility(code), ctx, other)
    with pytest.raises(ReferenceNotFoundError):
        reference_report(ASSESSOR, ctx, "../" + code)
    with pytest.raises(ForbiddenError):
        reference_report(MINISTRY, ctx, code)
    assert reference_facilities(_facility(code), ctx) == [code]
    assert {code, other} <= set(reference_facilities(ASSESSOR, ctx))
    with pytest.raises(ConfigError, match=r"notes\.csv: not a reference file"):
        upload_reference([_up("notes.csv", b"x")], _facility(code), ctx)
    with pytest.raises(ConfigError, match="both M01"):
        upload_reference(
            [_up("M01.csv", m01), _up("m01_khoa.csv", m01)], _facility(code), ctx
        )


def test_reference_file_kinds_follow_the_loader() -> None:
    assert kind_of("M05.csv") == "M05"
    assert kind_of("m05_dich_vu.XLSX") == "M05"
    assert kind_of("licences.csv") == "licences"
    assert kind_of("equipment_sources.xlsx") == "equipment_sources"
    assert kind_of("licences_2026.csv") is None
    assert kind_of("M05.txt") is None
