"""``hotline agent``: answer the complaint line (SIP) until SIGTERM/SIGINT."""
from __future__ import annotations

import signal
import threading

import typer

from hotline.cli.common import CliError, database, settings
from hotline.logging import configure_logging
from hotline.phone import DatabaseCallSink
from hotline.sip.agent import MAX_CALLS, Agent, AgentError


def register(app: typer.Typer) -> None:
    app.command("agent")(agent)


def agent(
    sip_host: str | None = typer.Option(None, "--sip-host", help="default: HOTLINE_SIP_HOST (127.0.0.1)"),
    sip_port: int | None = typer.Option(None, "--sip-port", min=1, max=65535,
                                        help="default: HOTLINE_SIP_PORT (5060)"),
) -> None:
    """Answer calls, record them and register their tickets; stops cleanly on SIGTERM/SIGINT."""
    overrides = {key: value for key, value in (("sip_host", sip_host), ("sip_port", sip_port)) if value is not None}
    configured = settings().model_copy(update=overrides)
    configure_logging(configured)
    try:
        runner = Agent(configured, DatabaseCallSink(database(), configured))
        runner.start()
    except AgentError as exc:
        raise CliError(f"cannot start the SIP agent: {exc}") from exc
    if runner.recovered:
        typer.echo(f"recovered {runner.recovered} call(s) left in the spool by an earlier run")
    typer.echo(f"SIP agent listening on sip:{configured.sip_host}:{configured.sip_port} "
               f"(UDP and TCP, up to {MAX_CALLS} calls)")
    _wait_for_signal()
    typer.echo("stopping: hanging up active calls", err=True)
    runner.stop()
    for reported in runner.reported:
        report = reported.report
        outcome = f"ticket {reported.ticket_number}" if reported.ticket_number else (
            f"NOT reported ({reported.error}); kept in the spool" if reported.error else "no ticket")
        typer.echo(f"call {report.call_id}: {report.menu_path or '-'}, {report.hangup_cause}, "
                   f"{'interrupted, ' if report.interrupted else ''}{outcome}", err=True)


def _wait_for_signal() -> None:
    stop = threading.Event()

    def request_stop(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stop.wait(0.5):
        pass
