"""Command-line interface (Typer) over the services."""
