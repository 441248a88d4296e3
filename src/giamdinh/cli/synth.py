"""``giamdinh synth``: a synthetic province with planted, labelled anomalies."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time

import typer
from rich.text import Text

from giamdinh.cli import render
from giamdinh.cli.errors import operator_errors


def synth(  # noqa: PLR0917 - Typer options are parameters
    claims: int = typer.Option(..., "--claims", help="Number of claims (episodes)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same bytes)."),
    out: Path = typer.Option(..., "--out", help="New or empty output directory."),
    anomaly_rate: float = typer.Option(
        0.05, "--anomaly-rate", help="Share of claims with one planted anomaly."
    ),
    month: str = typer.Option("2026-03", "--month", help="Month of care, YYYY-MM."),
    facilities: int = typer.Option(20, "--facilities", help="Number of facilities."),
    claims_per_file: int = typer.Option(
        1, "--claims-per-file", help="Claims per envelope file (1 = one per file)."
    ),
    rate: list[str] = typer.Option(
        [], "--rate", help="Rate of one pattern, e.g. --rate duplicate_line=0.01."
    ),
    dicom_files: int = typer.Option(
        12, "--dicom", help="How many imaging studies also get a DICOM file."
    ),
    neighbour: list[str] = typer.Option(
        [],
        "--neighbour",
        help="Neighbouring province (2 digits, repeatable): also write the licence "
        "registries of the province and its neighbours, with planted leads.",
    ),
) -> None:
    """Sinh dữ liệu tỉnh mẫu (synthetic province): claims, catalogues, device logs."""
    from giamdinh.services.synth import run_synth  # noqa: PLC0415 - see cli.main

    with operator_errors():
        result = run_synth(
            claims=claims,
            seed=seed,
            out=out,
            anomaly_rate=anomaly_rate,
            month=month,
            facilities=facilities,
            claims_per_file=claims_per_file,
            rates=rate,
            dicom_files=dicom_files,
            neighbours=neighbour,
        )
    planted = sum(result.labels.values())
    render.console().print(
        Text(
            f"{result.claims} hồ sơ / claims, {result.files} tệp XML / files, "
            f"{result.lines.get('XML3', 0)} dòng DVKT / service lines, "
            f"{planted} nhãn bất thường / anomaly labels → {result.out}"
        )
    )
