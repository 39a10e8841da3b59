"""Where the agent hands its calls: the ``CallSink`` protocol and the worker that calls it.

Sink calls touch the database and may take a while; they never run on the
endpoint thread (a blocked endpoint thread means no SIP and choppy audio for
every call). One worker thread runs them in order, so the reports of one call
reach the sink in the order they were made.
"""
from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Protocol

from recording.spool import CallReport, SpoolEntry

if TYPE_CHECKING:
    from hotline.tickets import TicketProgress

__all__ = ["CallReport", "CallSink", "SinkWorker"]

log = logging.getLogger(__name__)

RECORDER_CLOSE_SECONDS = 5.0  # PJSIP closes a dropped recorder's file on its next media tick


class CallSink(Protocol):
    def register_call(self, report: CallReport) -> str | None:
        """Store the call; the ticket number if it opened a ticket (``report.opens_ticket``).

        Idempotent per ``report.call_id``: a later report of the same call updates
        what changed (end time, hang-up cause, menu path) and returns the same number.
        """

    def ticket_progress(self, number: str) -> TicketProgress | None:
        """Status and deadline of ticket ``number``; None if there is no such ticket."""


class SinkWorker:
    """Runs sink calls on one background thread and keeps the spool in step with them."""

    def __init__(self, sink: CallSink) -> None:
        self._sink = sink
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-sink")
        self._pending: set[Future] = set()

    def report(self, entry: SpoolEntry, report: CallReport, *, final: bool) -> Future[str | None]:
        """Finish ``entry`` with ``report`` and register it; the future gives the ticket number.

        After the final report of a call the sidecar is removed, and so is the audio
        of a call without a ticket. A failed report leaves the entry in the spool for
        the next :meth:`Agent` retry or restart.
        """
        return self._submit(self._report, entry, report, final)

    def ticket_progress(self, number: str) -> Future[TicketProgress | None]:
        return self._submit(self._sink.ticket_progress, number)

    def close(self, timeout: float) -> bool:
        """Let queued work finish (at most ``timeout`` seconds); True if all of it did."""
        _, not_done = wait(list(self._pending), timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)
        return not not_done

    def _submit(self, function, *args) -> Future:  # type: ignore[no-untyped-def]
        future = self._executor.submit(function, *args)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)
        return future

    def _report(self, entry: SpoolEntry, report: CallReport, final: bool) -> str | None:
        try:
            finished = entry.finish(report, settle_seconds=RECORDER_CLOSE_SECONDS)
            number = self._sink.register_call(finished)
            if final:
                entry.release(keep_audio=number is not None)
            return number
        except Exception:
            log.exception("could not report a call; it stays in the spool", extra={"call_id": report.call_id})
            raise

