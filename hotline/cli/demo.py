"""``hotline demo-call``: phone the running hotline and watch the call become a routed ticket."""
from __future__ import annotations

import json
import re
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import typer

from hotline.cli.common import CliError, database, settings
from hotline.demo import Sample, default_sample, find_sample, samples
from hotline.demo.caller import CallFailed, place_complaint_call
from hotline.demo.outcome import OutcomeError, RoutedTicket, wait_for_routed_ticket
from hotline.demo.probe import AgentUnreachable, wait_for_agent
from hotline.demo.speech import AudioError, speak, to_phone_wav
from hotline.privacy import mask_phone

DEMO_CALLER = "13800138000"
CALLING_NUMBER = re.compile(r"\+?\d{3,20}")
CHINESE = re.compile(r"[\u3400-\u9fff]")
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}
URGENCY_WORDS = {1: "一级 (emergency)", 2: "二级", 3: "三级", 4: "四级"}


def register(app: typer.Typer) -> None:
    app.command("demo-call")(demo_call)


@dataclass(frozen=True)
class _Speech:
    """What the caller will say, and how to describe it."""

    label: str
    sample: Sample | None = None
    file: Path | None = None
    text: str | None = None


def demo_call(
    what: str | None = typer.Argument(
        None, metavar="[SAMPLE | WAV | TEXT]",
        help="a bundled sample's name, an audio file, or Chinese text to speak (default: a property complaint)",
    ),
    sip_host: str | None = typer.Option(None, "--sip-host", help="the agent's address (default: HOTLINE_SIP_HOST)"),
    sip_port: int | None = typer.Option(None, "--sip-port", min=1, max=65535,
                                        help="the agent's port (default: HOTLINE_SIP_PORT)"),
    caller: str = typer.Option(DEMO_CALLER, "--caller", help="the calling number (From and P-Asserted-Identity)"),
    timeout: float = typer.Option(180.0, "--timeout", min=1.0,
                                  help="seconds to wait for the agent and then for the routed ticket"),
    as_json: bool = typer.Option(False, "--json", help="print the ticket as one JSON object"),
) -> None:
    """Place a real SIP call, choose "complaint", speak a sample complaint, hang up, show its ticket."""
    if not CALLING_NUMBER.fullmatch(caller):
        raise CliError(f"--caller must be a phone number (digits, optionally a leading +), not {caller!r}")
    config = settings()
    host = sip_host or config.sip_host
    host, port = WILDCARD_HOSTS.get(host, host), sip_port or config.sip_port
    speech = _choose_speech(what)
    deadline = time.monotonic() + timeout

    with tempfile.TemporaryDirectory(prefix="hotline-demo-") as folder:
        audio = _prepare_audio(speech, Path(folder) / "caller.wav")
        _say(f"waiting for the hotline at sip:hotline@{host}:{port} ...")
        try:
            wait_for_agent(host, port, timeout=_left(deadline))
        except AgentUnreachable as exc:
            raise CliError(f"{exc} within {timeout:.0f} s; start it with `hotline serve` "
                           "(or `hotline agent`), or pass --sip-host/--sip-port") from exc
        _say(f"calling as {mask_phone(caller)}, saying {speech.label}")
        try:
            call = place_complaint_call(host, port, audio, caller_number=caller)
        except CallFailed as exc:
            raise CliError(f"the call failed: {exc}") from exc
    _say(f"hung up after {call.spoken_seconds:.1f} s of complaint"
         + ("" if call.heard_beep else " (no beep recognised; spoke after the prompt)"))

    try:
        routed = wait_for_routed_ticket(database(), call.call_id, _left(deadline), on_progress=_say)
    except OutcomeError as exc:
        raise CliError(f"{exc}; is `hotline worker` running? (see hotline.log)") from exc
    routed_after = time.time() - call.hung_up_at
    if as_json:
        typer.echo(json.dumps(
            {**routed.to_dict(), **_names(routed), "call_id": call.call_id,
             "sample": speech.sample.name if speech.sample else None,
             "spoken_seconds": round(call.spoken_seconds, 2), "routed_after_seconds": round(routed_after, 2)},
            ensure_ascii=False,
        ))
    else:
        _print_ticket(routed, routed_after)


def _prepare_audio(speech: _Speech, target: Path) -> Path:
    try:
        if speech.text is not None:
            _say("note: espeak-ng's Mandarin is hard for Whisper to understand (70-90 % character "
                 "errors); expect a poor transcript. The bundled samples sound like a real caller.")
            speak(speech.text, target)
        else:
            to_phone_wav(speech.sample.path if speech.sample else speech.file, target)  # type: ignore[arg-type]
    except AudioError as exc:
        raise CliError(str(exc)) from exc
    return target


def _choose_speech(what: str | None) -> _Speech:
    if what is None:
        sample = default_sample()
        if sample is None:
            raise CliError("no bundled samples found; pass a WAV file or Chinese text")
        return _Speech(f"the sample {sample.name} ({sample.category})", sample=sample)
    sample = find_sample(what)
    path = Path(what).expanduser()
    if path.is_file():
        return _Speech(f"the file {path.name}", file=path)
    if sample is not None:
        return _Speech(f"the sample {sample.name} ({sample.category})", sample=sample)
    if CHINESE.search(what):
        return _Speech("the text (espeak-ng, voice cmn)", text=what)
    names = ", ".join(s.name for s in samples()) or "none"
    raise CliError(f"{what!r} is neither a bundled sample ({names}), an audio file, nor Chinese text")


def _print_ticket(routed: RoutedTicket, routed_after: float) -> None:
    names = _names(routed)
    lines = [
        f"工单 ticket      {routed.ticket}",
        f"状态 status      {routed.status_word} ({routed.status})",
        f"转写 transcript  {routed.transcript or '(nothing recognised)'}",
        f"类别 category    {routed.category or '-'} {names['category_name'] or ''}".rstrip(),
        f"部门 department  {routed.department or '-'} {names['department_name'] or ''}".rstrip(),
        f"级别 urgency     {URGENCY_WORDS.get(routed.urgency, routed.urgency)}",
    ]
    if routed.needs_review:
        lines.append("               (flagged for a dispatcher's review)")
    typer.echo("\n".join(lines))
    _say(f"routed {routed_after:.1f} s after hang-up")


def _names(routed: RoutedTicket) -> dict[str, str | None]:
    categories, departments = _taxonomy_names()
    return {
        "category_name": categories.get(routed.category or ""),
        "department_name": departments.get(routed.department or ""),
    }


@lru_cache(maxsize=1)
def _taxonomy_names() -> tuple[dict[str, str], dict[str, str]]:
    from classifier.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings().taxonomy)
    return {key: c.name for key, c in taxonomy.categories.items()}, dict(taxonomy.departments)


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())


def _say(message: str) -> None:
    typer.echo(message, err=True)
