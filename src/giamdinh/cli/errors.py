"""Map operator faults to a clear message and exit code 2."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.markup import escape

from giamdinh.cli import render
from giamdinh.errors import GiamdinhError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

T = TypeVar("T")
EXIT_USAGE = 2


@contextmanager
def operator_errors() -> Iterator[None]:
    """Turn a ``GiamdinhError`` into 'Lỗi: ...' on stderr and exit code 2."""
    try:
        yield
    except GiamdinhError as exc:
        render.console(stderr=True).print(
            f"[bold red]Lỗi[/] ({type(exc).__name__}): {escape(str(exc))}"
        )
        raise typer.Exit(code=EXIT_USAGE) from exc


def run_guarded(func: Callable[[], T]) -> T:
    """Call ``func`` with operator errors mapped to exit code 2."""
    with operator_errors():
        return func()
