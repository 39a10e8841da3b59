"""``hotline retention sweep``: delete recordings whose retention has ended (and not on hold)."""

from __future__ import annotations

import typer

from hotline.cli.common import CliError, database, settings
from hotline.stores import recording_store
from storage.retention import sweep

retention_app = typer.Typer(help="Recording retention (at least two years; see HOTLINE_RETENTION_YEARS).",
                            no_args_is_help=True)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")


@retention_app.command("sweep")
def sweep_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="list what would be deleted, delete nothing"),
) -> None:
    """Delete expired recordings, each with a purge record; running it again does nothing."""
    result = sweep(database(), recording_store(settings()), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    for purged in result.purged:
        typer.echo(f"{verb} recording {purged.recording_id} {purged.key} (kept until {purged.retain_until:%Y-%m-%d})")
    for recording_id, error in result.failed:
        typer.echo(f"kept recording {recording_id}: {error}", err=True)
    typer.echo(f"run {result.run_id}: {len(result.purged)} {verb}, {len(result.failed)} not deleted")
    if result.failed:
        raise CliError(f"{len(result.failed)} recording(s) could not be deleted; see above")
