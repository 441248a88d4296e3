"""``giamdinh review`` end to end on a generated province (SQLite operational store).

The users are added and the cases opened once per module through the command
line; every test then works on its own copy of that database. Every command runs
in an 80-column terminal: no line may be wider, and case codes, claim codes and
amounts must appear whole.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from rich.cells import cell_len
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.config import get_settings
from giamdinh.domain.money import format_dong
from giamdinh.services.review import list_cases, show_case

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.review_support import ReviewProvince
    from typer.testing import Result

    from giamdinh.services.review import CaseView, LineView

pytestmark = pytest.mark.e2e

runner = CliRunner()
WIDTH = 80
CHIEF, AN, BINH = "chief", "an", "binh"
SENT_ON = "2026-04-06"
BASIS_TEXT = "Thông tư 12/2026/TT-BTC, Điều 10, khoản 1 điểm c (2026-02-10)"
CODE = re.compile(r"GD\d{4}-\d{6}")


def invoke(*args: str, code: int = 0) -> Result:
    """Run ``giamdinh`` in an 80-column terminal; check exit code and width."""
    result = runner.invoke(app, list(args), env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == code, result.output
    wide = [line for line in result.output.splitlines() if cell_len(line) > WIDTH]
    assert not wide, f"wider than {WIDTH} columns:\n" + "\n".join(wide)
    return result


def whole(value: str, output: str) -> bool:
    """Whether ``value`` appears in ``output`` not as part of a longer code/amount."""
    pattern = rf"(?<![\w.,-]){re.escape(value)}(?![\w.-]|,\d)"
    return re.search(pattern, output) is not None


def said(output: str) -> str:
    """The output as one line (a message may be wrapped at any space)."""
    return " ".join(output.split())


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened:
    """The module's database with users and cases, and what opening printed."""

    db: Path
    store: Path
    added: list[str]
    opened: str


@pytest.fixture(scope="module")
def opened(
    review_province: ReviewProvince, tmp_path_factory: pytest.TempPathFactory
) -> Opened:
    db = tmp_path_factory.mktemp("review-cli") / "giamdinh.db"
    url = f"sqlite:///{db}"
    facilities = sorted(
        {p.name for p in (review_province.province / "claims").iterdir() if p.is_dir()}
    )
    added = [
        invoke("users", "add", CHIEF, "--name", "Trưởng phòng",
               "--role", "supervisor", "--database-url", url).output,
        invoke("users", "add", AN, "--name", "Nguyễn Văn An",
               "--role", "assessor", "--database-url", url).output,
        invoke("users", "add", BINH, "--name", "Trần Thị Bình",
               "--role", "assessor", "--database-url", url).output,
    ]  # fmt: skip
    added.extend(
        invoke("users", "add", f"cs.{facility}", "--name",
               f"Phòng BHYT {facility}", "--role", "facility", "--facility",
               facility, "--database-url", url).output
        for facility in facilities
    )  # fmt: skip
    result = invoke(
        "review", "open", "--from-findings", "--from-leads", "--as", CHIEF,
        "--store", str(review_province.store), "--database-url", url,
    )  # fmt: skip
    return Opened(db=db, store=review_province.store, added=added, opened=result.output)


@pytest.fixture
def url(opened: Opened, tmp_path: Path) -> Iterator[str]:
    """A copy of the module's database for one test (evidence files beside it)."""
    db = tmp_path / "giamdinh.db"
    shutil.copy(opened.db, db)
    get_settings.cache_clear()
    yield f"sqlite:///{db}"
    get_settings.cache_clear()


def _biggest(url: str, origin: str = "findings") -> CaseView:
    rows = [r for r in list_cases(user=CHIEF, database_url=url) if r.origin == origin]
    best = max(rows, key=lambda r: (r.lines, r.code))
    return show_case(best.code, user=CHIEF, database_url=url)


def _decide(
    url: str, view: CaseView, line: LineView, *extra: str, user: str = AN, code: int = 0
) -> Result:
    return invoke(
        "review", "decide", view.row.code, "--as", user, "--line", str(line.stt),
        "--claim", line.ma_lk, "--table", line.tbl, "--reason", "Đối chiếu bệnh án",
        "--on", SENT_ON, "--database-url", url, *extra, code=code,
    )  # fmt: skip


# ------------------------------------------------------------------ opening, listing


def test_users_are_added_and_cases_opened(opened: Opened) -> None:
    assert opened.added[0].strip() == f"{CHIEF}: supervisor"
    assert any(re.fullmatch(r"cs\.0\d+: facility \(0\d+\)\n", a) for a in opened.added)
    url = f"sqlite:///{opened.db}"
    rows = list_cases(user=CHIEF, database_url=url)
    findings = [r for r in rows if r.origin == "findings"]
    leads = [r for r in rows if r.origin == "lead"]
    assert findings
    assert leads
    text = said(opened.opened)
    assert f"Hồ sơ mở / cases opened {len(findings)}" in text
    assert f"Hồ sơ mở / cases opened {len(leads)}" in text
    stake = sum((r.stake for r in findings), Decimal(0))
    assert whole(format_dong(stake), opened.opened)
    assert whole(format_dong(sum((r.stake for r in leads), Decimal(0))), opened.opened)
    again = invoke(
        "review", "open", "--from-findings", "--as", CHIEF, "--store",
        str(opened.store), "--database-url", url, "--group", "claim",
    )  # fmt: skip
    assert "Hồ sơ mở / cases opened 0" in said(again.output)


def test_open_needs_a_source_and_an_insurer(opened: Opened, url: str) -> None:
    invoke("review", "open", "--as", CHIEF, "--store", str(opened.store),
           "--database-url", url, code=2)  # fmt: skip
    facility = next(r.ma_cskcb for r in list_cases(user=CHIEF, database_url=url))
    refused = invoke(
        "review", "open", "--from-findings", "--as", f"cs.{facility}", "--store",
        str(opened.store), "--database-url", url, code=2,
    )  # fmt: skip
    assert "only assessors open cases" in said(refused.output)
    invoke("review", "open", "--from-findings", "--as", CHIEF, "--store",
           str(opened.store), "--group", "week", "--database-url", url,
           code=2)  # fmt: skip


def test_list_shows_codes_and_money_whole(url: str) -> None:
    rows = list_cases(user=CHIEF, database_url=url)
    table = invoke("review", "list", "--as", CHIEF, "--database-url", url).output
    assert f"cases: {len(rows)}" in table
    lines = table.splitlines()
    for row in rows:
        (shown,) = [line for line in lines if whole(row.code, line)]
        assert whole(row.ma_cskcb, shown), shown
        assert whole(format_dong(row.open), shown), shown
        assert row.deadline is not None
        assert f"{row.deadline.due:%d/%m/%Y}" in shown
    assert set(CODE.findall(table)) == {r.code for r in rows}

    data = json.loads(
        invoke("review", "list", "--as", CHIEF, "--format", "json",
               "--database-url", url).output
    )  # fmt: skip
    assert [d["code"] for d in data] == [r.code for r in rows]
    for d, row in zip(data, rows, strict=True):
        assert Decimal(d["stake"]) == row.stake
        assert d["ma_cskcb"] == row.ma_cskcb
        assert d["step"] == "send_result"
        assert d["due"] == "2026-04-13"  # 7 working days after Thursday 2 April
        assert d["version"] == 1

    wide = invoke("review", "list", "--as", CHIEF, "--wide", "--database-url", url)
    assert set(CODE.findall(wide.output)) == {r.code for r in rows}


def test_overdue_and_facility_lists(url: str) -> None:
    rows = list_cases(user=CHIEF, database_url=url)
    late = invoke("review", "list", "--as", CHIEF, "--overdue", "--today",
                  "2026-04-14", "--database-url", url).output  # fmt: skip
    assert f"overdue cases: {len(rows)}" in late
    assert set(CODE.findall(late)) == {r.code for r in rows}
    assert "quá hạn" in late
    in_time = invoke(
        "review", "list", "--as", CHIEF, "--overdue", "--today", "2026-04-13",
        "--format", "json", "--database-url", url,
    )  # fmt: skip
    assert json.loads(in_time.output) == []

    facility = rows[0].ma_cskcb
    theirs = invoke("review", "list", "--as", f"cs.{facility}", "--database-url", url)
    assert set(CODE.findall(theirs.output)) == {
        r.code for r in rows if r.ma_cskcb == facility
    }
    bad = invoke("review", "list", "--as", CHIEF, "--state", "lost",
                 "--database-url", url, code=2)  # fmt: skip
    assert "--state" in bad.output
    invoke("review", "list", "--as", CHIEF, "--today", "14/04/2026",
           "--database-url", url, code=2)  # fmt: skip


def test_show_prints_lines_deadline_and_evidence(url: str) -> None:
    view = _biggest(url)
    shown = invoke("review", "show", view.row.code, "--as", CHIEF,
                   "--database-url", url).output  # fmt: skip
    assert whole(view.row.code, shown)
    assert whole(format_dong(view.money.stake), shown)
    for line in view.lines:
        # a case may hold several lines of one claim: one row per (claim, table, STT)
        (row,) = [
            r
            for r in shown.splitlines()
            if whole(line.ma_lk, r) and whole(line.tbl, r) and whole(str(line.stt), r)
        ]
        assert whole(format_dong(line.stake), row), row
        assert whole(line.tbl, row)
    assert "13/04/2026" in shown
    assert "Thông tư 12/2026/TT-BTC" in said(shown)
    assert "send, reassign" in said(shown)

    lead = _biggest(url, origin="lead")
    evidence = invoke("review", "show", lead.row.code, "--as", CHIEF,
                      "--database-url", url).output  # fmt: skip
    assert "never a refusal ground" in said(evidence)
    for line in lead.lines:
        assert whole(line.ma_lk, evidence)

    stranger = next(
        r for r in list_cases(user=CHIEF, database_url=url)
        if r.ma_cskcb != view.row.ma_cskcb
    )  # fmt: skip
    hidden = invoke(
        "review", "show", stranger.code, "--as", f"cs.{view.row.ma_cskcb}",
        "--database-url", url, code=2,
    )  # fmt: skip
    assert f"no case {stranger.code}" in said(hidden.output)


# ------------------------------------------------------------------ acting


def test_the_workflow_through_the_command_line(  # noqa: PLR0915 - one case's life
    opened: Opened, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _biggest(url)
    code, staff = view.row.code, f"cs.{view.row.ma_cskcb}"
    assert len(view.lines) >= 2

    sent = invoke("review", "send", code, "--as", AN, "--on", SENT_ON,
                  "--version", "1", "--database-url", url).output  # fmt: skip
    assert whole(code, sent)
    assert "version 2" in said(sent)
    assert "09/04/2026" in sent  # the facility's 3 working days
    stale = invoke("review", "meet", code, "--as", AN, "--participants", "BHXH",
                   "--minutes", "x", "--version", "1", "--database-url", url,
                   code=2)  # fmt: skip
    assert f"case {code} changed since you read it (version 2, yours 1)" in said(
        stale.output
    )

    pdf = tmp_path / "benh-an.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
    answered = invoke("review", "answer", code, "--as", staff, "--file", str(pdf),
                      "--note", "Bệnh án kèm theo", "--on", SENT_ON,
                      "--database-url", url).output  # fmt: skip
    assert "1 file(s)" in said(answered)
    assert "Cơ sở đã giải trình" in said(answered)
    exe = tmp_path / "giai-trinh.exe"
    exe.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
    refused_file = invoke("review", "answer", code, "--as", staff, "--file",
                          str(exe), "--database-url", url, code=2)  # fmt: skip
    assert "giai-trinh.exe" in said(refused_file.output)
    assert "not an accepted kind of file" in said(refused_file.output)
    met = invoke("review", "meet", code, "--as", AN, "--participants",
                 "BHXH tỉnh; bệnh viện", "--minutes", "Đối chiếu bệnh án",
                 "--on", SENT_ON, "--database-url", url).output  # fmt: skip
    assert "Đang giám định chung" in said(met)

    first, second, *rest = view.lines
    bad = _decide(url, view, first, "--payable", "7O000", code=2)
    assert "--payable '7O000'" in said(bad.output)
    no_basis = _decide(url, view, first, "--payable", "0",
                       "--refused", format_dong(first.stake), code=2)  # fmt: skip
    assert "needs its basis" in said(no_basis.output)
    # The whole stake, written with thousands dots (70.000).
    decided = _decide(url, view, first, "--payable", format_dong(first.stake))
    assert f"line {first.stt} decided" in said(decided.output)
    pay = (second.stake / 2).quantize(Decimal(1), rounding=ROUND_DOWN)
    _decide(url, view, second, "--payable", str(pay), "--refused",  # 70000
            format_dong(second.stake - pay), "--basis", "tt12_2026/10.1.c")  # fmt: skip
    for line in rest:
        _decide(url, view, line, "--payable", str(line.stake.quantize(Decimal(1))))
    after = show_case(code, user=CHIEF, database_url=url)
    assert after.row.state.value == "decided"
    assert after.money.payable == first.stake + pay + sum(
        (ln.stake for ln in rest), Decimal(0)
    )
    assert after.money.refused == second.stake - pay
    (newest,) = next(
        ln for ln in after.lines if ln.line_key == second.line_key
    ).decisions
    assert newest.basis == f"{BASIS_TEXT} [tt12_2026/10.1.c]"

    closed = invoke("review", "close", code, "--as", AN, "--on", SENT_ON,
                    "--database-url", url).output  # fmt: skip
    assert "Đã đóng" in closed
    appeal = invoke("review", "appeal", code, "--as", staff, "--reason",
                    "Có chỉ định", "--file", str(pdf), "--on", SENT_ON,
                    "--database-url", url).output  # fmt: skip
    assert "Cơ sở đề nghị xem xét lại" in said(appeal)
    again = invoke("review", "appeal", code, "--as", staff, "--reason", "Lần hai",
                   "--on", SENT_ON, "--database-url", url, code=2)  # fmt: skip
    assert "cannot appeal a case that is appealed" in said(again.output)
    same = _decide(url, view, first, "--payable", format_dong(first.stake), code=2)
    assert "re-decided by another assessor" in said(same.output)
    invoke("review", "reassign", code, "--as", AN, "--to", BINH,
           "--database-url", url, code=2)  # fmt: skip
    moved = invoke("review", "reassign", code, "--as", CHIEF, "--to", BINH,
                   "--database-url", url).output  # fmt: skip
    assert f"assigned to {BINH}" in said(moved)
    for line in view.lines:
        _decide(url, view, line, "--payable", format_dong(line.stake), user=BINH)
    second_appeal = invoke("review", "appeal", code, "--as", staff, "--reason",
                           "Lần hai", "--on", SENT_ON, "--database-url", url,
                           code=2)  # fmt: skip
    assert "one appeal only" in said(second_appeal.output)
    reopened = invoke("review", "reopen", code, "--as", CHIEF, "--reason",
                      "Sai sót", "--database-url", url).output  # fmt: skip
    assert "mở lại / reopened" in said(reopened)

    shown = invoke("review", "show", code, "--as", CHIEF, "--database-url", url)
    history = said(shown.output)
    for action in ("open", "send", "answer", "meet", "decide", "close", "appeal",
                   "reassign", "reopen"):  # fmt: skip
        assert f" {action} " in f"{history} ", action
    assert "benh-an.pdf" in history
    assert "Đối chiếu bệnh án" in history  # the minutes

    monkeypatch.chdir(tmp_path)
    exported = invoke("review", "export", "--as", CHIEF, "-o", "mau09.xlsx",
                      "--store", str(opened.store), "--database-url", url)  # fmt: skip
    decided_lines = len(view.lines)
    assert said(exported.output).startswith(
        f"mau09.xlsx: {decided_lines} dòng đã quyết định"
    )
    sheet = load_workbook(tmp_path / "mau09.xlsx")["Mau09BH"]
    assert sheet.max_row == 1 + decided_lines
    no_names = invoke("review", "export", "--as", staff, "-o", "their.xlsx",
                      "--no-names", "--store", str(opened.store),
                      "--database-url", url)  # fmt: skip
    assert f"{decided_lines} dòng" in said(no_names.output)
    theirs = load_workbook(tmp_path / "their.xlsx")["Mau09BH"]
    assert all(row[4].value is None for row in theirs.iter_rows(min_row=2))


def test_verify_log_proves_the_chain_and_names_a_changed_entry(
    url: str, tmp_path: Path
) -> None:
    view = _biggest(url)
    invoke("review", "send", view.row.code, "--as", AN, "--on", SENT_ON,
           "--database-url", url)  # fmt: skip
    intact = invoke("review", "verify-log", "--database-url", url)
    entries = int(re.findall(r"intact: (\d+) entries", said(intact.output))[0])
    assert entries > len(list_cases(user=CHIEF, database_url=url))
    with sqlite3.connect(tmp_path / "giamdinh.db") as con:
        con.execute("update review_audit set after = '{}' where id = 5")
    con.close()
    broken = invoke("review", "verify-log", "--database-url", url, code=1)
    text = said(broken.output)
    assert "broken at entry 5" in text
    assert "mục 5" in text


# ------------------------------------------------------------------ the position


def _pair(output: str, label: str) -> str:
    """The value beside ``label`` in the joint-verification section (wrapped too)."""
    lines = output.splitlines()
    (title,) = [i for i, line in enumerate(lines) if "joint verification (" in line]
    lines = lines[title + 1 :]
    (at,) = [i for i, line in enumerate(lines) if line.startswith(label)]
    value = [lines[at].removeprefix(label)]
    for line in lines[at + 1 :]:
        if not line.startswith(" ") or not line.strip():
            break
        value.append(line)
    return said(" ".join(value))


def _check_position(
    output: str, url: str, run: Path, *, payable: Decimal, refused: Decimal
) -> None:
    """The joint-verification figures: the run's money with two lines decided."""
    claims = pq.read_table(run / "claims.parquet")
    auto = {
        k: Decimal(pa.compute.sum(claims[k]).as_py())
        for k in ("payable", "refused", "adjusted", "under_review")
    }
    rows = list_cases(user=CHIEF, database_url=url)
    assert f"joint verification ({run.name})" in said(output)
    assert _pair(output, "Hồ sơ / cases") == f"{len(rows)} ({len(rows)} đang mở / open)"
    in_cases = sum((r.stake for r in rows), Decimal(0))
    assert _pair(output, "Tiền trong hồ sơ / money in cases") == format_dong(in_cases)
    review = _pair(output, "Chờ giám định / under review")
    assert review == (
        f"{format_dong(auto['under_review'] - payable - refused)} "
        f"(tự động / automated {format_dong(auto['under_review'])})"
    )
    assert _pair(output, "Đã quyết định / decided") == (
        f"2 dòng / lines: chấp nhận / payable {format_dong(payable)}, từ chối / "
        f"refused {format_dong(refused)}, điều chỉnh / adjusted 0"
    )
    assert _pair(output, "Được thanh toán / payable") == format_dong(
        auto["payable"] + payable
    )
    assert _pair(output, "Từ chối / refused") == format_dong(auto["refused"] + refused)
    assert _pair(output, "Điều chỉnh / adjusted") == format_dong(auto["adjusted"])


def test_store_show_and_assess_print_the_joint_verification(
    url: str, review_province: ReviewProvince, tmp_path: Path
) -> None:
    view = _biggest(url)
    invoke("review", "send", view.row.code, "--as", AN, "--on", SENT_ON,
           "--database-url", url)  # fmt: skip
    invoke("review", "meet", view.row.code, "--as", AN, "--participants", "BHXH",
           "--minutes", "Biên bản", "--on", SENT_ON, "--database-url", url)  # fmt: skip
    first, second = view.lines[:2]
    _decide(url, view, first, "--payable", format_dong(first.stake))
    _decide(url, view, second, "--payable", "0", "--refused",
            format_dong(second.stake), "--basis", "tt12_2026/10.1.c")  # fmt: skip

    shown = invoke("store", "show", "--store", str(review_province.store),
                   "--database-url", url).output  # fmt: skip
    _check_position(
        shown, url, review_province.run, payable=first.stake, refused=second.stake
    )

    store = tmp_path / "store"
    shutil.copytree(review_province.store, store)
    get_settings.cache_clear()
    assessed = runner.invoke(
        app,
        ["assess", "--store", str(store), "--reference",
         str(review_province.province / "reference")],
        env={"COLUMNS": str(WIDTH), "GIAMDINH_DATABASE_URL": url},
    )  # fmt: skip
    get_settings.cache_clear()
    assert assessed.exit_code == 0, assessed.output
    newest = sorted((store / "assessments").iterdir())[-1]
    assert newest.name != review_province.run.name
    # The new run has the same lines: the decisions still apply to it.
    _check_position(
        assessed.output, url, newest, payable=first.stake, refused=second.stake
    )


def test_store_show_without_cases_prints_no_position(
    review_province: ReviewProvince, tmp_path: Path
) -> None:
    empty = f"sqlite:///{tmp_path / 'none.db'}"
    shown = invoke("store", "show", "--store", str(review_province.store),
                   "--database-url", empty).output  # fmt: skip
    assert "joint verification" not in shown
    assert review_province.run.name in said(shown)
    assert not (tmp_path / "none.db").exists()
