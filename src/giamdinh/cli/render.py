"""Terminal output that reads in 80 columns: every command prints its tables here.

A table is column specs plus rows::

    print_table(
        [Column("MA_LK", "code"), Column("số tiền", "money"), Column("lý do")],
        [(claim.ma_lk, finding.amount, finding.message) for ...],
        title="Kết quả kiểm tra",
        wide=wide,
    )

The kind of a column says how its cells may be shown:

- ``code``: MA_LK, MA_CSKCB, technique and service codes, rule ids, table and
  field names, dates, states. Never shortened and never wrapped: the column is as
  wide as its longest value (a code cut to ``99…`` or folded over two lines is a
  different code). Leading zeros stay (``01929``): cells are shown as given.
- ``money``: amounts in đồng, formatted by ``giamdinh.domain.money.format_dong``
  (the one money formatter), right-aligned, never cut. ``places`` fixes decimals.
- ``number``: counts and quantities, right-aligned, never cut.
- ``text``: free text (names, titles, messages, paths). In the default view each
  cell is one line, shortened with ``…`` to the width the other columns leave;
  with ``wide=True`` (the commands' ``--wide``) it is shown whole, wrapped.

Cells are plain values (``str``, numbers, ``Decimal``, ``None`` as empty) shown
as they are, never read as Rich markup, or ``rich.text.Text`` for styled cells.
Consoles are made per call (``console()``) so that the width follows ``COLUMNS``
and the terminal of the moment; output to a pipe or a file is 80 columns wide.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from giamdinh.domain.money import format_dong

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "WIDE_OPTION",
    "Column",
    "Kind",
    "build_table",
    "console",
    "money",
    "print_pairs",
    "print_table",
    "shorten",
]

Kind = Literal["code", "money", "number", "text"]

#: The ``--wide`` option of every command that shows free text in a table.
WIDE_OPTION = typer.Option(
    False,
    "--wide",
    help="Show long text whole (wrapped) instead of shortened to one line.",
)

#: Cells between two columns: the right padding and the (blank) divider.
_GAP = 2
#: A text column keeps at least this many cells (shortened: its ``…`` included).
_LEAST_TEXT = 8


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table: its header, its kind and, for money, its decimals."""

    header: str
    kind: Kind = "text"
    places: int | None = None


def console(*, stderr: bool = False) -> Console:
    """A console as wide as the terminal (or ``COLUMNS``), 80 for pipes and files."""
    return Console(stderr=stderr, highlight=False)


def money(value: Decimal | int | None, *, places: int | None = None) -> str:
    """Format đồng for a terminal line (the project's one money formatter)."""
    return format_dong(value, places=places)


def shorten(text: str, width: int) -> str:
    """Return ``text`` on one line, cut to ``width`` cells with ``…`` if longer."""
    line = " ".join(text.split())
    if cell_len(line) <= width:
        return line
    cut = Text(line)
    cut.truncate(max(width, 1), overflow="ellipsis")
    return cut.plain


def _cell(value: object, column: Column) -> Text:
    if isinstance(value, Text):
        return value.copy()
    if value is None:
        return Text("")
    if column.kind == "money" and isinstance(value, Decimal | int):
        return Text(format_dong(value, places=column.places))
    return Text(str(value))


def _text_widths(
    columns: Sequence[Column], natural: list[int], *, width: int, least: int
) -> dict[int, int]:
    """Share the width the fixed columns leave among the text columns.

    A text column narrower than its fair share keeps its natural width; the others
    share the rest evenly, each at least ``least`` cells (or its natural width if
    smaller): when the fixed columns leave less, the table grows wider than
    ``width`` rather than cut a code.
    """
    text = [i for i, c in enumerate(columns) if c.kind == "text"]
    fixed = sum(n for i, n in enumerate(natural) if i not in text)
    room = width - fixed - _GAP * (len(columns) - 1)
    shares: dict[int, int] = {}
    pending = sorted(text, key=lambda i: natural[i])
    while pending:
        fair = room // len(pending)
        first = pending[0]
        if natural[first] <= fair:
            shares[first] = natural[first]
            room -= natural[first]
            pending.pop(0)
            continue
        for i in pending:
            shares[i] = max(fair, min(least, natural[i]))
        break
    return shares


def build_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    width: int,
    wide: bool = False,
) -> Table:
    """Build a table that fits ``width`` cells without cutting a code.

    Code, money and number columns are as wide as their longest cell; the text
    columns share the rest. If the fixed columns alone leave too little (under
    ``_LEAST_TEXT`` cells a text column), the table is made wider than ``width``
    (its ``width`` set) rather than cut a code.

    Args:
        columns: the column specs, in order.
        rows: one sequence of cells per row, in column order.
        width: the width to fit (the console's).
        wide: show text whole (wrapped) instead of shortened to one line.

    Returns:
        The Rich table.
    """
    cells = [[_cell(v, c) for v, c in zip(row, columns, strict=True)] for row in rows]
    if not wide:
        for row in cells:
            for i, column in enumerate(columns):
                if column.kind == "text" and "\n" in row[i].plain:
                    row[i] = Text(" ".join(row[i].plain.split()), style=row[i].style)
    natural = [
        # NOTE: a header may stack its two languages on two lines.
        max([*map(cell_len, c.header.split("\n")), *(row[i].cell_len for row in cells)])
        for i, c in enumerate(columns)
    ]
    shares = _text_widths(columns, natural, width=width, least=_LEAST_TEXT)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, _GAP - 1, 0, 0),
        header_style="bold",
    )
    for i, column in enumerate(columns):
        if column.kind != "text":
            table.add_column(
                column.header,
                justify="left" if column.kind == "code" else "right",
                no_wrap=True,
                min_width=natural[i],
            )
        elif wide:
            table.add_column(
                column.header, overflow="fold", min_width=shares[i], max_width=shares[i]
            )
        else:
            table.add_column(
                column.header,
                no_wrap=True,
                overflow="ellipsis",
                min_width=shares[i],
                max_width=shares[i],
            )
            for row in cells:
                row[i].truncate(shares[i], overflow="ellipsis")
    for row in cells:
        table.add_row(*row)
    total = sum(shares.get(i, n) for i, n in enumerate(natural))
    total += _GAP * (len(columns) - 1)
    if total > width:
        table.width = total
    return table


def print_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[object]],
    *,
    title: str | None = None,
    wide: bool = False,
    out: Console | None = None,
) -> None:
    """Print a title line (wrapped at the console width) and the table under it.

    Args:
        columns: the column specs, in order.
        rows: one sequence of cells per row, in column order.
        title: a line above the table (bold).
        wide: show text whole (wrapped) instead of shortened to one line.
        out: the console (default: a new one on stdout).
    """
    target = out or console()
    if title:
        target.print(Text(title, style="bold"))
    target.print(build_table(columns, rows, width=target.width, wide=wide), crop=False)


def print_pairs(
    pairs: Iterable[tuple[str, object]],
    *,
    title: str | None = None,
    out: Console | None = None,
) -> None:
    """Print labelled values, one per line; a long value wraps under itself.

    Args:
        pairs: (label, value) in order; values as in ``print_table`` cells.
        title: a line above them (bold).
        out: the console (default: a new one on stdout).
    """
    target = out or console()
    if title:
        target.print(Text(title, style="bold"))
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, _GAP, 0, 0))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    for label, value in pairs:
        table.add_row(Text(label), _cell(value, Column("", "text")))
    target.print(table)
