"""The shared terminal renderer: 80 columns, codes whole, text shortened or wrapped."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from giamdinh.cli.render import (
    Column,
    build_table,
    money,
    print_pairs,
    print_table,
    shorten,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

LONG_NAME = "Bệnh viện Đại học Y Dược Thành phố Hồ Chí Minh cơ sở 2 khoa Chẩn đoán"
COLUMNS = [
    Column("MA_CSKCB", "code"),
    Column("MA_LK", "code"),
    Column("tên / name"),
    Column("đồng", "money"),
    Column("n", "number"),
]
ROWS = [
    ("01929", "LK2026030200000000123", LONG_NAME, Decimal("3127883.2"), 7),
    ("79001", "A1", "ngắn", 70000, 12345),
]


def console(width: int = 80) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, color_system=None), buffer


def render(
    *,
    width: int = 80,
    wide: bool = False,
    rows: Sequence[Sequence[object]] = ROWS,
) -> list[str]:
    out, buffer = console(width)
    print_table(COLUMNS, rows, title="Tiêu đề / title", wide=wide, out=out)
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


def test_default_view_fits_80_columns_with_codes_whole() -> None:
    lines = render()
    assert max(cell_len(line) for line in lines) <= 80
    body = "\n".join(lines)
    for code in ("01929", "LK2026030200000000123", "79001", "3.127.883,2", "70.000"):
        assert code in body
    # The long name is one line, shortened with an ellipsis.
    (row,) = [line for line in lines if "01929" in line]
    assert "…" in row
    assert LONG_NAME not in body
    assert len(lines) == 2 + 2 + 1  # title, header, rule, two rows (no wrapping)


def test_wide_view_shows_the_text_whole_and_codes_still_whole() -> None:
    lines = render(wide=True)
    assert max(cell_len(line) for line in lines) <= 80
    words = " ".join(" ".join(lines).split())
    assert all(word in words for word in LONG_NAME.split())
    assert "…" not in words
    assert "LK2026030200000000123" in words
    assert len(lines) > 5  # the name wraps under itself


def test_a_narrow_console_keeps_codes_rather_than_fit() -> None:
    lines = render(width=40)
    body = "\n".join(lines)
    assert "LK2026030200000000123" in body
    assert "3.127.883,2" in body
    assert not any("99…" in line or "LK…" in line for line in lines)


def test_short_text_is_not_padded_to_the_console() -> None:
    lines = render(rows=[("01929", "A", "ngắn", 1, 1)])
    assert max(cell_len(line) for line in lines) < 60


def test_cells_are_not_markup() -> None:
    out, buffer = console()
    print_table([Column("x")], [("[bold]not markup[/]",)], out=out)
    assert "[bold]not markup[/]" in buffer.getvalue()


def test_styled_cells_keep_their_style_and_are_not_mutated() -> None:
    cell = Text("x" * 200, style="red")
    table = build_table([Column("t")], [(cell,)], width=40)
    assert cell.plain == "x" * 200
    assert table.columns[0].max_width is not None


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal(70000), None, "70.000"),
        (Decimal("3127883.2"), None, "3.127.883,2"),
        (Decimal("12.345"), 2, "12,35"),
        (None, None, ""),
    ],
)
def test_money_is_the_project_formatter(
    value: Decimal | None, places: int | None, shown: str
) -> None:
    assert money(value, places=places) == shown


def test_shorten() -> None:
    assert shorten("a  b\nc", 10) == "a b c"
    assert shorten("abcdefghij", 5) == "abcd…"
    assert shorten("Bệnh viện", 4) == "Bện…"


def test_pairs_wrap_long_values_within_the_width() -> None:
    out, buffer = console()
    print_pairs([("MA_CSKCB", "01929"), ("Dòng / rows", "XML1 400, " * 20)], out=out)
    lines = buffer.getvalue().splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert "01929" in lines[0]
