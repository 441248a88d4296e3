"""Options and parsers that several commands share (light: no service imports)."""

from __future__ import annotations

from datetime import date

import typer

from giamdinh.errors import ConfigError

__all__ = ["AS_OF_OPTION", "OVERRIDES_OPTION", "REGISTRY_OPTION", "parse_day"]

OVERRIDES_OPTION = typer.Option(
    None,
    "--overrides",
    envvar="GIAMDINH_RULE_OVERRIDES",
    help="Append-only YAML log of rule overrides of this deployment.",
)
REGISTRY_OPTION = typer.Option(
    None,
    "--registry-url",
    help="Licence registry database (default: GIAMDINH_REGISTRY_URL): NV002/NV005 "
    "judge licences of every connected province.",
)
AS_OF_OPTION = typer.Option(
    None,
    "--as-of",
    help="Replay as of this day (YYYY-MM-DD): rules, tables, overrides.",
)


def parse_day(text: str | None, option: str = "--as-of") -> date | None:
    """Parse a day option (``--as-of`` by default).

    Raises:
        ConfigError: not a YYYY-MM-DD date; the message names ``option``.
    """
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"{option} {text!r}: expected YYYY-MM-DD") from exc
