"""The ``giamdinh`` command: a thin face over ``giamdinh.services``.

Each command group lives in its own module and is registered here. Operator faults
(``GiamdinhError``) become a one-line message and exit code 2.
"""

from __future__ import annotations

import typer

from giamdinh import __version__

app = typer.Typer(
    name="giamdinh",
    help="Giám định BHYT: kiểm tra, giám định hồ sơ XML 130/4750 và định mức KT-KT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
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


# Command groups register below, one line each.
from giamdinh.cli import reference as _reference  # noqa: E402

app.add_typer(_reference.app, name="reference")
from giamdinh.cli import db as _db  # noqa: E402
from giamdinh.cli import norms as _norms  # noqa: E402

app.add_typer(_db.app, name="db")
app.add_typer(_norms.app, name="norms")
from giamdinh.cli import ingest as _ingest  # noqa: E402

app.command("ingest")(_ingest.ingest)
app.command("validate")(_ingest.validate)
app.add_typer(_ingest.store_app, name="store")
from giamdinh.cli import signals as _signals  # noqa: E402

app.command("signals")(_signals.signals)
from giamdinh.cli import check as _check  # noqa: E402
from giamdinh.cli import rules as _rules  # noqa: E402

app.command("check")(_check.check)
app.command("assess")(_check.assess)
app.add_typer(_rules.app, name="rules")
from giamdinh.cli import synth as _synth  # noqa: E402

app.command("synth")(_synth.synth)
from giamdinh.cli import demo as _demo  # noqa: E402

app.command("demo")(_demo.demo)
