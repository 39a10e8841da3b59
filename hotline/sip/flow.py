"""The conversation with one caller, as a state machine that knows nothing of SIP.

Events come in (answered, key pressed, prompt finished, time passed, ticket
registered, progress looked up, caller gone); actions go out (play prompts, end
the recording and register the call, look a ticket up, hang up). ``hotline.sip.call``
turns the actions into PJSIP operations. Keeping SIP out makes every path of the
menu testable in milliseconds.

Steps of the call are kept as the *menu path*, e.g. ``menu:1>complaint:#>number-read``
or ``menu:2>query:not-found>query:found``.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from hotline.sip.prompts import Progress, spoken_progress, spoken_ticket_number

TICKET_NUMBER = re.compile(r"\d{12}")
MAX_ENTRY_KEYS = 24
QUERY_ATTEMPTS = 2
MENU_PATH_LENGTH = 128
MENU_KEYS = ("1", "2", "0")  # 1 and 0: complaint; 2: progress query


@dataclass(frozen=True)
class Play:
    """Play these prompts, replacing whatever is playing (none: just stop)."""

    prompts: tuple[str, ...]


@dataclass(frozen=True)
class EndRecording:
    """The complaint is complete: close the recording and register the call."""


@dataclass(frozen=True)
class LookUp:
    number: str


@dataclass(frozen=True)
class HangUp:
    cause: str


Action = Play | EndRecording | LookUp | HangUp


@dataclass(frozen=True)
class FlowTiming:
    """All waits of the conversation, in seconds."""

    menu_timeout: float
    max_silence: float
    max_call: float
    entry_timeout: float = 20.0
    sink_timeout: float = 10.0


class Stage(enum.Enum):
    GREETING = "greeting"  # line name, recording notice, 119/110/120 notice: never cut short
    MENU_PROMPT = "menu-prompt"
    MENU = "menu"  # waiting for a key
    COMPLAINT_PROMPT = "complaint-prompt"
    RECORDING = "recording"  # the caller speaks
    REGISTERING = "registering"  # waiting for the ticket number
    QUERY_PROMPT = "query-prompt"
    ENTERING = "entering"  # the caller keys a ticket number
    LOOKING_UP = "looking-up"
    CLOSING = "closing"  # the last prompt, then hang up
    DONE = "done"


CUT_OFF_STAGES = frozenset({Stage.GREETING, Stage.MENU_PROMPT, Stage.MENU, Stage.COMPLAINT_PROMPT, Stage.RECORDING})
MENU_STAGES = (Stage.GREETING, Stage.MENU_PROMPT, Stage.MENU)


@dataclass
class CallFlow:
    timing: FlowTiming
    stage: Stage = Stage.GREETING
    steps: list[str] = field(default_factory=list)
    _answered_at: float = 0.0
    _deadline: float | None = None  # menu timeout, key entry or sink answer
    _last_voice: float = 0.0
    _entry: str = ""
    _early_choice: str | None = None  # a menu key pressed during the notices
    _thanking: bool = False  # the "registering, please wait" prompt is still playing
    _registration: tuple[str | None] | None = None  # the sink's answer, kept until it is heard
    _wrong_numbers: int = 0
    _closing_cause: str = "completed"

    @property
    def menu_path(self) -> str:
        return ">".join(self.steps)[:MENU_PATH_LENGTH]

    @property
    def recording_complaint(self) -> bool:
        return self.stage is Stage.RECORDING

    @property
    def cut_off(self) -> bool:
        """Ending now would cut the caller off before the complaint is complete."""
        return self.stage in CUT_OFF_STAGES

    def start(self, now: float) -> list[Action]:
        self._answered_at = now
        self.stage = Stage.GREETING
        return [Play(("greeting", "recorded", "emergency"))]

    def key(self, key: str, now: float) -> list[Action]:
        if self.stage is Stage.GREETING:
            # The notices must be heard; a caller who knows the menu is served right after them.
            if key in MENU_KEYS and self._early_choice is None:
                self._early_choice = key
        elif self.stage in MENU_STAGES:
            if key in MENU_KEYS:
                return self._choose(key)
        elif self.stage is Stage.RECORDING and key == "#":
            return self._end_complaint("#", now)
        elif self.stage in (Stage.QUERY_PROMPT, Stage.ENTERING):
            interrupted_prompt = self.stage is Stage.QUERY_PROMPT
            self.stage = Stage.ENTERING
            self._deadline = now + self.timing.entry_timeout
            if key == "#":
                return self._entered(now)
            if key == "*":
                self._entry = ""
            elif key.isdigit() and len(self._entry) < MAX_ENTRY_KEYS:
                self._entry += key
            return [Play(())] if interrupted_prompt else []
        return []

    def prompt_finished(self, now: float) -> list[Action]:
        if self.stage is Stage.GREETING:
            if self._early_choice is not None:
                return self._choose(self._early_choice)
            self.stage = Stage.MENU_PROMPT
            return [Play(("menu",))]
        if self.stage is Stage.MENU_PROMPT:
            self.stage = Stage.MENU
            self._deadline = now + self.timing.menu_timeout
        elif self.stage is Stage.COMPLAINT_PROMPT:
            self.stage = Stage.RECORDING
            self._last_voice = now
        elif self.stage is Stage.QUERY_PROMPT:
            self.stage = Stage.ENTERING
            self._deadline = now + self.timing.entry_timeout
        elif self.stage is Stage.REGISTERING:
            self._thanking = False
            if self._registration is not None:
                return self._read_number(*self._registration)
        elif self.stage is Stage.CLOSING:
            self.stage = Stage.DONE
            return [HangUp(self._closing_cause)]
        return []

    def tick(self, now: float, voice: bool) -> list[Action]:
        """Time passed; ``voice`` says whether the caller is audible right now."""
        if self.stage in (Stage.COMPLAINT_PROMPT, Stage.RECORDING) and (
            now - self._answered_at >= self.timing.max_call
        ):
            return self._end_complaint("max-length", now)
        if self.stage is Stage.RECORDING:
            if voice:
                self._last_voice = now
            if now - self._last_voice >= self.timing.max_silence:
                return self._end_complaint("silence", now)
            return []
        if self.stage in (*MENU_STAGES, Stage.QUERY_PROMPT, Stage.ENTERING) and (
            now - self._answered_at >= self.timing.max_call
        ):
            self.steps.append("max-length")
            return self._close(("goodbye",), "max-length")
        if self._deadline is None or now < self._deadline:
            return []
        if self.stage is Stage.MENU:
            self.steps.append("menu:timeout")
            return self._complaint_prompt()
        if self.stage is Stage.ENTERING:
            return self._entered(now)
        if self.stage is Stage.REGISTERING:
            return self.registered(None)
        if self.stage is Stage.LOOKING_UP:
            return self.looked_up(None, failed=True)
        return []

    def registered(self, number: str | None) -> list[Action]:
        """The sink answered (or failed, or took too long: ``None``); read it once "thanks" is over."""
        if self.stage is not Stage.REGISTERING or self._registration is not None:
            return []
        self._registration = (number,)
        return [] if self._thanking else self._read_number(number)

    def _read_number(self, number: str | None) -> list[Action]:
        if number is None:
            self.steps.append("number-unavailable")
            return self._close(("registration_failed", "goodbye"))
        self.steps.append("number-read")
        return self._close((*spoken_ticket_number(number), "goodbye"))

    def looked_up(self, progress: Progress | None, *, failed: bool = False) -> list[Action]:
        if self.stage is not Stage.LOOKING_UP:
            return []
        if failed:
            self.steps.append("query:unavailable")
            return self._close(("query_unavailable", "goodbye"))
        if progress is None:
            return self._wrong_number()
        self.steps.append("query:found")
        return self._close((*spoken_progress(progress), "goodbye"))

    def caller_gone(self, cause: str) -> None:
        """The call ended under the flow (hang-up, RTP timeout, shutdown).

        A caller who chose to complain may have spoken over the complaint prompt:
        ending then still ends a complaint, and its recording is kept.
        """
        if self.stage in (Stage.COMPLAINT_PROMPT, Stage.RECORDING):
            self.steps.append(f"complaint:{cause}")
        self.stage = Stage.DONE

    # -- transitions -------------------------------------------------------
    def _choose(self, key: str) -> list[Action]:
        self.steps.append(f"menu:{key}")
        if key == "2":
            return self._query_prompt(("query",))
        return self._complaint_prompt()

    def _complaint_prompt(self) -> list[Action]:
        self.stage = Stage.COMPLAINT_PROMPT
        self._deadline = None
        return [Play(("complaint", "beep"))]

    def _end_complaint(self, reason: str, now: float) -> list[Action]:
        self.steps.append(f"complaint:{reason}")
        self.stage = Stage.REGISTERING
        self._deadline = now + self.timing.sink_timeout
        self._thanking = True
        return [EndRecording(), Play(("thanks",))]

    def _query_prompt(self, prompts: tuple[str, ...]) -> list[Action]:
        self.stage = Stage.QUERY_PROMPT
        self._deadline = None
        self._entry = ""
        return [Play(prompts)]

    def _entered(self, now: float) -> list[Action]:
        entry, self._entry = self._entry, ""
        if not TICKET_NUMBER.fullmatch(entry):
            return self._wrong_number()
        self.stage = Stage.LOOKING_UP
        self._deadline = now + self.timing.sink_timeout
        return [LookUp(entry)]

    def _wrong_number(self) -> list[Action]:
        self.steps.append("query:not-found")
        self._wrong_numbers += 1
        if self._wrong_numbers < QUERY_ATTEMPTS:
            return self._query_prompt(("not_found",))
        return self._close(("not_found_final", "goodbye"))

    def _close(self, prompts: tuple[str, ...], cause: str = "completed") -> list[Action]:
        self.stage = Stage.CLOSING
        self._deadline = None
        self._closing_cause = cause
        return [Play(prompts)]
