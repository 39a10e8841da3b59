"""The SIP agent: one thread owns PJSIP and everything that touches it.

PJSIP is created with no worker threads of its own (``threadCnt = 0``) and
``mainThreadOnly``: the endpoint thread polls ``libHandleEvents`` and every
callback arrives there, so no Python code ever runs on a PJSIP thread. Sink
calls (the database) run on :class:`~hotline.sip.sink.SinkWorker`'s thread.
Every ``Call`` object is referenced by the agent until it is disconnected
(a Call without a reference is collected at once and the caller hears 603),
and all PJSIP objects are dropped before ``libDestroy``.

One process serves at most ``MAX_CALLS`` calls: the wheel's PJSIP is built with
``PJSUA_MAX_CALLS = 4`` and itself answers a fifth INVITE with 486 Busy Here.
More capacity comes from more agents behind a SIP dispatcher (deploy/kamailio).
"""
from __future__ import annotations

import gc
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import pjsua2 as pj

from hotline.config import Settings
from hotline.sip.call import AgentCall, CallServices, guarded
from hotline.sip.flow import FlowTiming
from hotline.sip.prompts import PromptCatalog
from hotline.sip.signalling import is_allowed, parse_networks, source_host
from hotline.sip.sink import CallReport, CallSink, SinkWorker
from recording.recovery import recover_spool
from recording.spool import FINISHED, Spool, SpoolBusy, SpoolEntry

log = logging.getLogger(__name__)

MAX_CALLS = 4
POLL_MILLISECONDS = 10
TICK_SECONDS = 0.05
RETRY_SECONDS = 60.0
HANGUP_GRACE_SECONDS = 5.0
SINK_DRAIN_SECONDS = 20.0
CODECS = ("PCMU/8000/1", "PCMA/8000/1")
JB_DISCARD_NONE = 0
JITTER_BUFFER_MS = 2000  # bursts up to this long are absorbed, not dropped


def _endpoint_config_keeping_all_audio() -> pj.EpConfig:
    """An endpoint configuration whose jitter buffer never discards received audio.

    Nobody listens live, so latency costs nothing, while every frame the jitter
    buffer drops to cut latency is a hole in the recording. The setting
    (``PJMEDIA_JB_DISCARD_NONE``) is an enum SWIG cannot assign from Python;
    pjsua2's own JSON persistence can.
    """
    document = pj.JsonDocument()
    document.writeObject(pj.EpConfig())
    data = json.loads(document.saveString())
    data["EpConfig"]["MediaConfig"]["jbDiscardAlgo"] = JB_DISCARD_NONE
    document = pj.JsonDocument()
    document.loadString(json.dumps(data))
    config = pj.EpConfig()
    document.readObject(config)
    return config


class AgentError(Exception):
    """The agent cannot start (bad configuration, address in use, prompts missing)."""


@dataclass(frozen=True)
class ReportedCall:
    """A call whose report reached the sink (or failed to: ``error``)."""

    report: CallReport
    ticket_number: str | None
    error: str | None = None


class _Account(pj.Account):
    def __init__(self, on_incoming: Callable[[pj.OnIncomingCallParam], None]) -> None:
        super().__init__()
        self._on_incoming = on_incoming

    @guarded
    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self._on_incoming(prm)


class _LogWriter(pj.LogWriter):
    """PJSIP's own warnings and errors, into Python logging (and so through its phone scrubbing)."""

    @guarded
    def write(self, entry: pj.LogEntry) -> None:
        level = logging.ERROR if entry.level <= 1 else logging.WARNING
        logging.getLogger("pjsip").log(level, entry.msg.strip())


class Agent:
    """Answers calls on ``host:port`` (UDP and TCP) until :meth:`stop`."""

    def __init__(self, settings: Settings, sink: CallSink) -> None:
        self.settings = settings
        self.host = settings.sip_host
        self.port = settings.sip_port
        try:
            self._networks = parse_networks(settings.sip_allowed_networks)
        except ValueError as exc:
            raise AgentError(str(exc)) from exc
        self._catalog = PromptCatalog(settings.sip_prompts_dir)
        problems = self._catalog.problems()
        if problems:
            more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
            raise AgentError(f"prompts unusable: {'; '.join(problems[:3])}{more} "
                             "(make them with scripts/make_prompts.py, or fix HOTLINE_SIP_PROMPTS_DIR)")
        # One folder per SIP port, so agents behind a dispatcher can share one HOTLINE_HOME.
        self._spool = Spool(settings.spool_dir / f"sip-{self.port}")
        try:
            self._spool.lock()
        except SpoolBusy as exc:
            raise AgentError(str(exc)) from exc
        self._worker = SinkWorker(sink)
        self.reported: list[ReportedCall] = []
        self.recovered = 0
        self._in_flight: set[str] = set()
        self._calls: list[AgentCall] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sip-endpoint", daemon=True)
        self._closing = False

    # -- control (any thread) ------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        """Start the endpoint thread; returns once the agent listens, raises AgentError if it can't."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise AgentError("the SIP endpoint did not start in time")
        error = self._startup_error
        if error is not None:
            self._thread.join()
            message = error.reason if isinstance(error, pj.Error) else str(error)
            raise AgentError(f"{self.host}:{self.port}: {message}") from error

    def stop(self, timeout: float = 60.0) -> None:
        """Hang up every call, report it, and close PJSIP."""
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # -- the endpoint thread ---------------------------------------------------
    def _run(self) -> None:
        self._endpoint = pj.Endpoint()
        self._endpoint.libCreate()
        try:
            self._recover()
            self._open()
        except BaseException as exc:  # noqa: BLE001 - handed to start()'s caller
            self._startup_error = exc
            self._ready.set()
            self._destroy()
            return
        self._ready.set()
        try:
            self._loop()
        finally:
            self._shut_down()
            self._destroy()

    def _recover(self) -> None:
        """Report what a crashed predecessor left in the spool, before any new call records."""
        pending = recover_spool(self._spool)
        self.recovered = len(pending)
        for entry in pending:
            self._report_spooled(entry)

    def _open(self) -> None:
        config = _endpoint_config_keeping_all_audio()
        config.uaConfig.threadCnt = 0
        config.uaConfig.mainThreadOnly = True
        config.uaConfig.maxCalls = MAX_CALLS
        config.uaConfig.userAgent = "hotline-sip-agent"
        config.medConfig.clockRate = 8000  # recordings stay bit-exact to the G.711 that arrived
        config.medConfig.sndClockRate = 8000
        config.medConfig.ecTailLen = 0
        config.medConfig.noVad = True
        config.medConfig.jbMax = JITTER_BUFFER_MS
        writer = _LogWriter()
        config.logConfig.writer = writer
        writer.__disown__()  # the endpoint deletes its writer
        config.logConfig.level = 2
        config.logConfig.consoleLevel = 2
        config.logConfig.msgLogging = False  # SIP messages carry phone numbers
        self._endpoint.libInit(config)
        self._endpoint.audDevManager().setNullDev()
        for codec in self._endpoint.codecEnum2():
            self._endpoint.codecSetPriority(codec.codecId, 200 if codec.codecId in CODECS else 0)
        transport = pj.TransportConfig()
        transport.boundAddress = self.host
        transport.port = self.port
        if self.settings.sip_public_host:
            transport.publicAddress = self.settings.sip_public_host
        for kind in (pj.PJSIP_TRANSPORT_UDP, pj.PJSIP_TRANSPORT_TCP):
            self._endpoint.transportCreate(kind, transport)
        self._endpoint.libStart()
        account = pj.AccountConfig()
        account.idUri = f"sip:hotline@{self.settings.sip_public_host or self.host}:{self.port}"
        # RTP on the SIP address, on ports the kernel hands out: agents never compete for them.
        account.mediaConfig.transportConfig.boundAddress = self.host
        account.mediaConfig.transportConfig.port = 0
        if self.settings.sip_public_host:
            account.mediaConfig.transportConfig.publicAddress = self.settings.sip_public_host
        self._account = _Account(self._incoming)
        self._account.create(account, True)
        self._services = CallServices(
            catalog=self._catalog,
            spool=self._spool,
            worker=self._worker,
            timing=FlowTiming(
                menu_timeout=self.settings.sip_menu_timeout_seconds,
                max_silence=self.settings.sip_max_silence_seconds,
                max_call=self.settings.sip_max_call_seconds,
                entry_timeout=max(10.0, 3 * self.settings.sip_menu_timeout_seconds),
            ),
            rtp_timeout=self.settings.sip_rtp_timeout_seconds,
            on_final_report=self._track,
        )

    def _loop(self) -> None:
        next_tick = next_retry = time.monotonic()
        while not self._stop.is_set():
            self._endpoint.libHandleEvents(POLL_MILLISECONDS)
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + TICK_SECONDS
                self._tick(now)
            if now >= next_retry:
                next_retry = now + RETRY_SECONDS
                self._retry_unreported()

    def _tick(self, now: float) -> None:
        for call in self._calls:
            try:
                call.tick(now)
            except Exception:
                log.exception("error in call timer; hanging up", extra={"call_id": call.call_id})
                guarded(call.hang_up)("error")
        # Disconnected calls are dropped here, outside their own callbacks.
        self._calls = [call for call in self._calls if not call.ended]

    def _incoming(self, prm: pj.OnIncomingCallParam) -> None:
        call = AgentCall(self._account, prm.callId, self._services)
        self._calls.append(call)  # before anything can fail: no reference means 603
        host = source_host(prm.rdata.srcAddress)
        if self._closing:
            call.refuse(503, "Shutting Down")
        elif not is_allowed(host, self._networks):
            log.warning("refused a call from a source outside sip_allowed_networks", extra={"source": host})
            call.refuse(403, "Forbidden")
        else:
            try:
                call.accept(prm.rdata.wholeMsg)
            except OSError:
                log.exception("cannot write the spool; refusing the call")
                call.refuse(503, "Recording Unavailable")
                return
            log.info("answered a call", extra={"call_id": call.call_id})

    # -- reporting -----------------------------------------------------------
    def _track(self, report: CallReport, future: Future[str | None]) -> None:
        self._in_flight.add(report.call_id)

        def done(finished: Future[str | None]) -> None:
            self._in_flight.discard(report.call_id)
            error = finished.exception()
            number = None if error else finished.result()
            self.reported.append(ReportedCall(report, number, str(error) if error else None))
            log.info(
                "call reported" if error is None else "call report failed; kept in the spool",
                extra={"call_id": report.call_id, "ticket": number, "interrupted": report.interrupted,
                       "menu_path": report.menu_path, "hangup_cause": report.hangup_cause},
            )

        future.add_done_callback(done)

    def _report_spooled(self, entry: SpoolEntry) -> None:
        assert entry.report is not None
        self._track(entry.report, self._worker.report(entry, entry.report, final=True))

    def _retry_unreported(self) -> None:
        """Finished calls whose report failed earlier (e.g. the database was down)."""
        active = {call.report.call_id for call in self._calls if call.report}
        for entry in self._spool.entries():
            if entry.state != FINISHED or entry.report is None:
                continue
            if entry.report.call_id in active or entry.report.call_id in self._in_flight:
                continue
            self._report_spooled(entry)

    # -- shutdown ------------------------------------------------------------
    def _shut_down(self) -> None:
        self._closing = True
        for call in self._calls:
            guarded(call.shut_down)()
        deadline = time.monotonic() + HANGUP_GRACE_SECONDS
        while any(not call.ended for call in self._calls) and time.monotonic() < deadline:
            self._endpoint.libHandleEvents(POLL_MILLISECONDS)
        if not self._worker.close(SINK_DRAIN_SECONDS):
            log.error("some call reports did not finish; they stay in the spool for the next start")

    def _destroy(self) -> None:
        """Drop every PJSIP object first: one alive after libDestroy aborts the process."""
        self._calls.clear()
        self.__dict__.pop("_services", None)
        self.__dict__.pop("_account", None)
        gc.collect()
        try:
            self._endpoint.libDestroy()
        finally:
            self.__dict__.pop("_endpoint", None)
            gc.collect()
            self._spool.unlock()
