"""``hotline audit verify|export``: check the hash chain; export the log for auditors."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path

import typer

from hotline import access, deadlines
from hotline.cli.common import CliError, database
from hotline.cli.tickets import AS_USER, acting_user
from storage import audit

audit_app = typer.Typer(help="The append-only, hash-chained audit log of recording access.", no_args_is_help=True)


class Format(StrEnum):
    csv = "csv"
    json = "json"


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def verify(anchor: bool = typer.Option(True, help="remember the verified head, so a cut-off tail is noticed")) -> None:
    """Recompute the chain; exit 1 if any entry was changed, removed or inserted."""
    check = audit.verify_chain(database(), anchor=anchor)
    for problem in check.problems:
        typer.echo(f"entry {problem.entry_id}: {problem.kind}: {problem.message}", err=True)
    if not check.ok:
        raise CliError(f"audit chain BROKEN: {len(check.problems)} problem(s) in {check.entries} entries")
    head = f"head {check.head_id} {check.head_hash}" if check.entries else "empty log"
    typer.echo(f"audit chain intact: {check.entries} entries, {head}{' (anchored)' if check.anchored else ''}")


def _day(value: str | None, name: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise CliError(f"--{name} must be a date like 2026-11-30") from None


@audit_app.command("export")
def export(
    export_format: Format = typer.Option(Format.csv, "--format"),
    output: Path | None = typer.Option(None, "--output", "-o", help="file to write (default: standard output)"),
    actor: str | None = typer.Option(None),
    action: str | None = typer.Option(None),
    result: str | None = typer.Option(None),
    ticket: str | None = typer.Option(None, help="ticket number"),
    since: str | None = typer.Option(None, help="first day (China time), e.g. 2026-11-01"),
    until: str | None = typer.Option(None, help="last day (China time), inclusive"),
    as_user: str = AS_USER,
) -> None:
    """Export entries in chain order with their hashes (auditors; the export itself is logged)."""
    auditor = acting_user(as_user)
    if auditor.role != access.AUDITOR:
        raise CliError(f"{as_user} is {auditor.role}; exporting the audit log needs an auditor")
    first, last = _day(since, "since"), _day(until, "until")
    query = audit.AuditQuery(
        actor=actor,
        action=action,
        result=result,
        ticket_number=ticket,
        since=datetime.combine(first, time(), deadlines.CHINA) if first else None,
        until=datetime.combine(last + timedelta(days=1), time(), deadlines.CHINA) if last else None,
    )
    db = database()
    with db.write() as session:
        audit.append(
            session, actor=auditor.username, action="export", result="done", client="cli", detail=export_format.value
        )
    target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        with db.read() as session:
            for piece in audit.export_lines(audit.iter_entries(session, query), export_format.value):
                target.write(piece)
    finally:
        if output:
            target.close()
    if output:
        typer.echo(f"exported to {output}", err=True)
