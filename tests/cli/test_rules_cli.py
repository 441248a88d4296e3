"""``giamdinh rules list`` and ``dry-run`` read in 80 columns, codes whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from tests.support import envelope, make_claim
from typer.testing import CliRunner

from giamdinh.cli.main import app
from giamdinh.domain.money import format_dong
from giamdinh.refdata import SAMPLES_DIR
from giamdinh.services.assessment import dry_run_files, load_rules

if TYPE_CHECKING:
    from pathlib import Path

NARROW = {"COLUMNS": "80"}


def _lines(output: str) -> list[str]:
    lines = output.splitlines()
    assert not [line for line in lines if cell_len(line) > 80]
    return lines


def test_list_in_80_columns_shows_every_rule_id_whole_on_one_line() -> None:
    result = CliRunner().invoke(app, ["rules", "list"], env=NARROW)
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    rules, _ = load_rules()
    rows = [line for line in lines if line[:5] in {r.id for r in rules}]
    assert {line[:5] for line in rows} == {r.id for r in rules}
    assert len(rows) == len(list(rules))  # one line per rule: titles never wrap
    assert any(line.endswith("…") for line in rows)


def test_list_wide_shows_titles_whole_and_names() -> None:
    result = CliRunner().invoke(app, ["rules", "list", "--wide"], env=NARROW)
    assert result.exit_code == 0, result.output
    rules, _ = load_rules()
    text = " ".join(result.stdout.split())
    rule = next(r for r in rules if len(r.title) > 40)
    assert rule.name in text
    assert all(word in text for word in rule.title.split())


def test_dry_run_in_80_columns(tmp_path: Path) -> None:
    claims = envelope(tmp_path / "a.xml", [make_claim(i, price=90000) for i in (1, 2)])
    reference = SAMPLES_DIR / "facility_99001"
    result = CliRunner().invoke(
        app,
        ["rules", "dry-run", "CT001", str(claims), "--reference", str(reference)],
        env=NARROW,
    )
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    (row,) = [line for line in lines if line.startswith("99001 ")]
    expected = dry_run_files("CT001", [claims], reference_dir=reference)
    assert expected.amount > 0
    assert row.split()[-1] == format_dong(expected.amount)
