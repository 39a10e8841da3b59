"""``hotline reminders run``: record due reminders (催办) and escalations (督办) now."""
from __future__ import annotations

import json
from datetime import date

import typer

from hotline.cli.common import CliError, database, settings
from hotline.reminders import run_reminders

reminders_app = typer.Typer(help="Deadline reminders and escalations.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(reminders_app, name="reminders")


@reminders_app.command("run")
def run(
    today: str | None = typer.Option(None, help="pretend it is this day (YYYY-MM-DD)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Idempotent: running it twice records nothing twice."""
    try:
        day = date.fromisoformat(today) if today else None
    except ValueError as exc:
        raise CliError(f"--today: expected YYYY-MM-DD, got {today!r}") from exc
    notices = run_reminders(database(), settings(), today=day)
    for notice in notices:
        typer.echo(json.dumps(notice.to_dict(), ensure_ascii=False) if as_json
                   else f"{notice.kind:<8} {notice.ticket} {notice.stage} due {notice.deadline} -> {notice.department}")
    if not as_json:
        typer.echo(f"{len(notices)} new", err=True)
