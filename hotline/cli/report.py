"""``hotline report --quarter 2026Q4``: the quarterly report as Markdown and CSV."""
from __future__ import annotations

import typer

from hotline.cli.common import CliError, database, settings
from hotline.stats import parse_quarter, write_quarterly_report


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(quarter: str = typer.Option(..., help="e.g. 2026Q4")) -> None:
    """Write report-<quarter>.md and .csv under HOTLINE_HOME/reports."""
    try:
        parse_quarter(quarter)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    md_path, csv_path = write_quarterly_report(database(), settings(), quarter)
    typer.echo(md_path)
    typer.echo(csv_path)
