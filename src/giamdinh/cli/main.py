"""The ``giamdinh`` command: a thin face over ``giamdinh.services``.

Operator faults (``GiamdinhError``) become a one-line message and exit code 2.

Fast to start: ``giamdinh --help`` must not pay for scikit-learn, SciPy, SQLAlchemy,
DuckDB or pyarrow, which the commands need only when they run. Two conventions keep
it so:

1. **main.py imports no command module.** Each command is registered in ``COMMANDS``
   by where it lives (``"giamdinh.cli.check:check"``: module and attribute, a command
   function or a ``typer.Typer`` group) and its one-line help. The module is imported
   only when that command (or its ``--help``) runs; ``giamdinh --help`` lists the
   one-line helps as written here, and a test checks each against the command's own
   docstring so the two cannot drift apart.
2. **A command module imports only light things at its top** (``typer``, ``rich``,
   ``giamdinh.cli.*``, ``giamdinh.errors``, the standard library), so that
   ``giamdinh CMD --help`` is fast too. Services and heavy libraries are imported
   inside the command functions that use them; annotations of those types go under
   ``if TYPE_CHECKING:``. Typer reads the parameter annotations at run time, so
   parameters keep light types (``Path``, ``str``, ``int``, ``bool``, lists of them).

``tests/cli/test_main.py`` checks both: importing this module loads none of the heavy
libraries, and the registered help lines match the commands.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main

# NOTE: Typer ships its own copy of Click as ``typer._click``; its group and command
# classes derive from that copy, so the lazy group uses it too.
from typer import _click as click
from typer.core import TyperCommand, TyperGroup
from typer.models import CommandInfo, TyperInfo

from giamdinh import __version__


@dataclass(frozen=True, slots=True, kw_only=True)
class LazyCommand:
    """A command registered by where it lives, imported only when it runs.

    Attributes:
        target: ``"module:attribute"``; the attribute is a command function or a
            ``typer.Typer`` group.
        help: the one-line help that ``giamdinh --help`` lists (the first paragraph
            of the command's own help, checked by a test).
    """

    target: str
    help: str

    def load(self, name: str) -> click.Command:
        """Import the module and build the Click command named ``name``."""
        module_name, _, attribute = self.target.partition(":")
        obj: Any = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            return typer.main.get_group_from_info(
                TyperInfo(obj, name=name),
                pretty_exceptions_short=obj.pretty_exceptions_short,
                rich_markup_mode=obj.rich_markup_mode,
                suggest_commands=obj.suggest_commands,
            )
        return typer.main.get_command_from_info(
            CommandInfo(name=name, callback=obj),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
        )


#: Every command, in the order ``giamdinh --help`` lists them.
COMMANDS: dict[str, LazyCommand] = {
    "ingest": LazyCommand(
        target="giamdinh.cli.ingest:ingest",
        help="Ingest claim files into the store (one atomic batch) and print a "
        "summary.",
    ),
    "validate": LazyCommand(
        target="giamdinh.cli.ingest:validate",
        help="Check files as the portal would (exit 1 if a claim or a file is "
        "refused).",
    ),
    "signals": LazyCommand(
        target="giamdinh.cli.signals:signals",
        help="Tín hiệu giám định: ngày bất khả, máy quá tải, hai nơi, so sánh cùng "
        "hạng.",
    ),
    "check": LazyCommand(
        target="giamdinh.cli.check:check",
        help="Pre-check claim files: the portal's checks and the rules (exit 0/1/2).",
    ),
    "assess": LazyCommand(
        target="giamdinh.cli.check:assess",
        help="Assess every current claim of the store; write findings and decisions "
        "to it.",
    ),
    "synth": LazyCommand(
        target="giamdinh.cli.synth:synth",
        help="Sinh dữ liệu tỉnh mẫu (synthetic province): claims, catalogues, "
        "device logs.",
    ),
    "demo": LazyCommand(
        target="giamdinh.cli.demo:demo",
        help="Chạy thử toàn bộ: sinh tỉnh mẫu, tiếp nhận, giám định, tín hiệu, "
        "định mức.",
    ),
    "reference": LazyCommand(
        target="giamdinh.cli.reference:app",
        help="Dữ liệu tham chiếu (danh mục 01/DM–06/DM, ICD-10, kỹ thuật) theo ngày.",
    ),
    "db": LazyCommand(
        target="giamdinh.cli.db:app",
        help="Cơ sở dữ liệu vận hành (SQLite/PostgreSQL): nâng cấp, trạng thái.",
    ),
    "norms": LazyCommand(
        target="giamdinh.cli.norms:app",
        help="Định mức kinh tế-kỹ thuật: dự thảo, chi phí, so sánh, tổng hợp, tiến độ.",
    ),
    "review": LazyCommand(
        target="giamdinh.cli.review:app",
        help="Giám định chung với cơ sở: hồ sơ, hạn luật định, quyết định, nhật ký.",
    ),
    "exchange": LazyCommand(
        target="giamdinh.cli.exchange:app",
        help="Sổ đăng ký hành nghề liên tỉnh: nhập, phát, kéo nguồn tin đã ký.",
    ),
    "serve": LazyCommand(
        target="giamdinh.cli.serve:serve",
        help="Chạy ứng dụng web và API (FastAPI + uvicorn); --demo với tỉnh mẫu.",
    ),
    "users": LazyCommand(
        target="giamdinh.cli.users:app",
        help="Tài khoản: thêm, liệt kê, khóa, mật khẩu, mã truy cập API.",
    ),
    "policy": LazyCommand(
        target="giamdinh.cli.policy:app",
        help="Phương án chính sách: phát lại trên hồ sơ đã lưu; máy đặt, mượn, chuyển "
        "đổi.",
    ),
    "store": LazyCommand(
        target="giamdinh.cli.ingest:store_app",
        help="Kho hồ sơ (Parquet + DuckDB): xem nội dung.",
    ),
    "rules": LazyCommand(
        target="giamdinh.cli.rules:app",
        help="Bộ quy tắc giám định: xem, chạy thử, ghi đè.",
    ),
}


class LazyGroup(TyperGroup):
    """The root group: commands from ``COMMANDS``, each imported on first use.

    While the group's own help is written, a command not yet imported is listed as
    a stub carrying its registered help line, so listing them imports nothing.
    """

    lazy: ClassVar[dict[str, LazyCommand]] = COMMANDS
    _listing: bool = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return the eager commands (if any), then the registered ones in order."""
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy if name not in eager)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the command, importing its module the first time it is needed."""
        command = super().get_command(ctx, cmd_name)
        spec = self.lazy.get(cmd_name)
        if command is not None or spec is None:
            return command
        if self._listing:
            return TyperCommand(cmd_name, help=spec.help)
        command = spec.load(cmd_name)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the help, listing the commands without importing them."""
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve as Typer does; suggest registered commands for a typo too."""
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.UsageError as error:
            if args and "Did you mean" not in error.message:
                matches = difflib.get_close_matches(args[0], self.list_commands(ctx))
                if matches:
                    names = ", ".join(repr(m) for m in matches)
                    error.message = (
                        f"{error.message.rstrip('.')}. Did you mean {names}?"
                    )
            raise


app = typer.Typer(
    name="giamdinh",
    help="Giám định BHYT: kiểm tra, giám định hồ sơ XML 130/4750 và định mức KT-KT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=LazyGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"giamdinh {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """Giám định BHYT (BHYT claim assessment)."""


if __name__ == "__main__":
    app(prog_name="giamdinh")
