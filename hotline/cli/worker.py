"""``hotline worker``: transcribe and route recorded calls, upload recordings, send reminders."""
from __future__ import annotations

import logging
import signal
from typing import TYPE_CHECKING

import typer

from hotline.cli.common import CliError, database, settings
from hotline.logging import configure_logging

if TYPE_CHECKING:
    from hotline.worker import Worker

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    once: bool = typer.Option(False, "--once", help="do the work available now, then exit"),
) -> None:
    """Run until SIGTERM/SIGINT; the job in progress is finished first (a second Ctrl-C releases it)."""
    # Imported here: Whisper and the classifier are needed by this command only.
    from hotline.worker import CONFIGURATION_ERRORS, Worker

    configure_logging(settings())
    runner = Worker(settings(), database())
    try:
        if once:
            processed = runner.run_once()
            typer.echo(f"{processed} job(s) processed", err=True)
            return
        _stop_on_signals(runner)
        runner.run()
    except CONFIGURATION_ERRORS as exc:
        raise CliError(f"worker stopped, its job left queued: {exc}") from exc


def _stop_on_signals(runner: Worker) -> None:
    def stop(signum: int, _frame: object) -> None:
        log.info("stop requested; finishing the current job", extra={"signal": signal.Signals(signum).name})
        runner.stop()
        # A second Ctrl-C interrupts the job; the worker then releases it for another worker.
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
