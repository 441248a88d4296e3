"""Render the command-line reference as Markdown (``docs/cli.md`` is generated from it).

The page is built from the command tree, not from terminal help output, so it does
not depend on the width or colours of the terminal that generates it.
"""

from __future__ import annotations

from typing import Any

import typer.main
from typer import _click as click

from giamdinh.cli.main import app


def _param_row(param: Any) -> str:
    if getattr(param, "param_type_name", "") == "option":
        names = ", ".join(f"`{opt}`" for opt in [*param.opts, *param.secondary_opts])
        help_text = (param.help or "").replace("\n", " ").replace("|", "\\|")
        default = param.default
        show = (
            ""
            if default in (None, False, (), []) or callable(default)
            else f"{default}"
        )
        return f"| {names} | {help_text} | {show.replace('|', chr(92) + '|')} |"
    metavar = str(param.name).upper()
    suffix = "..." if getattr(param, "nargs", 1) == -1 else ""
    return f"| `{metavar}{suffix}` | (argument) | |"


def _render(command: Any, path: list[str], out: list[str]) -> None:
    name = " ".join(path)
    level = "#" * min(len(path) + 1, 4)
    out.append(f"{level} `{name}`\n")
    help_text = (command.help or "").strip()
    if help_text:
        out.append(help_text.split("\f")[0].strip() + "\n")
    params = [p for p in command.params if p.name not in {"help"} and not p.hidden]
    if params:
        out.append("| option / argument | meaning | default |")
        out.append("|---|---|---|")
        out.extend(_param_row(p) for p in params)
        out.append("")
    for sub_name, sub in sorted(_subcommands(command)):
        _render(sub, [*path, sub_name], out)


def _subcommands(command: Any) -> list[tuple[str, Any]]:
    """The visible subcommands of a group (importing lazily registered ones)."""
    if not hasattr(command, "list_commands"):
        return []
    ctx = click.Context(command)
    found = [
        (name, command.get_command(ctx, name)) for name in command.list_commands(ctx)
    ]
    return [(name, sub) for name, sub in found if sub is not None and not sub.hidden]


def render_markdown() -> str:
    """Return the Markdown reference of every ``giamdinh`` command and option."""
    root = typer.main.get_command(app)
    out: list[str] = []
    _render(root, ["giamdinh"], out)
    return "\n".join(out).rstrip() + "\n"


def command_paths() -> list[str]:
    """Return the full name of every command, e.g. ``giamdinh reference show``."""
    root = typer.main.get_command(app)
    found: list[str] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(" ".join(path))
        for sub_name, sub in _subcommands(command):
            walk(sub, [*path, sub_name])

    walk(root, ["giamdinh"])
    return found
