"""Every path of the phone menu, driven through the flow's events without any SIP."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from hotline.sip.flow import (
    CallFlow,
    EndRecording,
    FlowTiming,
    HangUp,
    LookUp,
    Play,
    Stage,
)
from hotline.sip.prompts import spoken_date, spoken_digits

TIMING = FlowTiming(menu_timeout=5, max_silence=8, max_call=300, entry_timeout=20, sink_timeout=10)
NOTICES = Play(("greeting", "recorded", "emergency"))
COMPLAINT_PROMPT = Play(("complaint", "beep"))
NUMBER = "202503140007"


@dataclass
class Progress:
    status: str
    deadline: date | None
    extended: bool = False


def answered() -> CallFlow:
    flow = CallFlow(TIMING)
    assert flow.start(0.0) == [NOTICES]
    return flow


def at_menu(now: float = 15.0) -> CallFlow:
    flow = answered()
    assert flow.prompt_finished(now) == [Play(("menu",))]
    assert flow.prompt_finished(now + 5) == []
    assert flow.stage is Stage.MENU
    return flow


def recording(key: str = "1", now: float = 20.0) -> CallFlow:
    flow = at_menu(now - 5)
    assert flow.key(key, now) == [COMPLAINT_PROMPT]
    flow.prompt_finished(now + 8)
    assert flow.stage is Stage.RECORDING and flow.recording_complaint
    return flow


@pytest.mark.parametrize("key", ["1", "0"])
def test_one_or_zero_makes_a_complaint(key: str) -> None:
    flow = recording(key)
    assert flow.steps == [f"menu:{key}"]


def test_no_choice_within_the_menu_timeout_makes_a_complaint() -> None:
    flow = at_menu(now=15.0)
    assert flow.tick(24.9, voice=False) == []
    assert flow.tick(25.0, voice=False) == [COMPLAINT_PROMPT]
    assert flow.steps == ["menu:timeout"]


def test_the_notices_are_never_cut_short_but_an_early_choice_is_kept() -> None:
    flow = answered()
    assert flow.key("2", 1.0) == []  # the recording and 119/110/120 notices keep playing
    assert flow.key("1", 2.0) == []  # the first choice counts
    assert flow.prompt_finished(15.0) == [Play(("query",))]
    assert flow.steps == ["menu:2"]


def test_the_menu_prompt_may_be_interrupted_by_a_choice() -> None:
    flow = answered()
    flow.prompt_finished(15.0)
    assert flow.stage is Stage.MENU_PROMPT
    assert flow.key("1", 16.0) == [COMPLAINT_PROMPT]


def test_other_keys_in_the_menu_are_ignored() -> None:
    flow = at_menu()
    assert flow.key("5", 21.0) == [] and flow.key("#", 21.0) == []
    assert flow.stage is Stage.MENU


def test_hash_ends_the_complaint_and_the_number_is_read_twice_after_the_thanks() -> None:
    flow = recording()
    assert flow.key("#", 40.0) == [EndRecording(), Play(("thanks",))]
    assert flow.stage is Stage.REGISTERING
    assert flow.registered(NUMBER) == []  # "thanks" still playing
    read = ("ticket_intro", *spoken_digits(NUMBER))
    assert flow.prompt_finished(43.0) == [Play((*read, "ticket_repeat", *read, "goodbye"))]
    assert flow.prompt_finished(60.0) == [HangUp("completed")]
    assert flow.menu_path == "menu:1>complaint:#>number-read"


def test_a_number_arriving_after_the_thanks_is_read_at_once() -> None:
    flow = recording()
    flow.key("#", 40.0)
    assert flow.prompt_finished(43.0) == []
    (play,) = flow.registered(NUMBER)
    assert isinstance(play, Play) and play.prompts[0] == "ticket_intro"


def test_silence_ends_the_complaint() -> None:
    flow = recording(now=20.0)
    start = 28.0
    assert flow.tick(start + 5, voice=True) == []
    assert flow.tick(start + 5 + 7.9, voice=False) == []
    assert flow.tick(start + 5 + 8, voice=False) == [EndRecording(), Play(("thanks",))]
    assert flow.steps[-1] == "complaint:silence"


def test_the_maximum_call_length_ends_the_complaint() -> None:
    flow = recording()
    assert flow.tick(299.0, voice=True) == []
    assert flow.tick(300.0, voice=True)[0] == EndRecording()
    assert flow.steps[-1] == "complaint:max-length"


def test_the_maximum_call_length_ends_a_call_stuck_in_the_menu() -> None:
    flow = CallFlow(FlowTiming(menu_timeout=500, max_silence=8, max_call=60))
    flow.start(0.0)
    flow.prompt_finished(15.0)
    flow.prompt_finished(20.0)
    assert flow.tick(60.0, voice=False) == [Play(("goodbye",))]
    assert flow.prompt_finished(62.0) == [HangUp("max-length")]


def test_a_sink_that_fails_or_takes_too_long_gets_an_apology_not_silence() -> None:
    flow = recording()
    flow.key("#", 40.0)
    flow.prompt_finished(43.0)
    assert flow.tick(49.9, voice=False) == []
    assert flow.tick(50.0, voice=False) == [Play(("registration_failed", "goodbye"))]
    assert flow.registered(NUMBER) == []  # too late: the caller has already been told
    assert flow.menu_path == "menu:1>complaint:#>number-unavailable"


def test_hanging_up_while_recording_is_part_of_the_menu_path() -> None:
    flow = recording()
    assert flow.cut_off
    flow.caller_gone("caller-hangup")
    assert flow.stage is Stage.DONE and not flow.cut_off
    assert flow.menu_path == "menu:1>complaint:caller-hangup"


def test_hanging_up_during_the_complaint_prompt_still_ends_a_complaint() -> None:
    flow = at_menu()
    flow.key("1", 21.0)
    flow.caller_gone("caller-hangup")  # the caller may have spoken over the prompt
    assert flow.menu_path == "menu:1>complaint:caller-hangup"


def test_hanging_up_during_the_greeting_leaves_an_empty_menu_path() -> None:
    flow = answered()
    assert flow.cut_off
    flow.caller_gone("caller-hangup")
    assert flow.menu_path == ""


def query() -> CallFlow:
    flow = at_menu()
    assert flow.key("2", 21.0) == [Play(("query",))]
    return flow


def key_in(flow: CallFlow, keys: str, now: float) -> list:
    actions: list = []
    for key in keys:
        actions += flow.key(key, now)
    return actions


def test_progress_query_reads_status_and_deadline_in_words() -> None:
    flow = query()
    assert key_in(flow, NUMBER + "#", 22.0) == [Play(()), LookUp(NUMBER)]  # keys stop the prompt
    progress = Progress("dispatched", date(2025, 3, 21), extended=True)
    (play,) = flow.looked_up(progress)
    assert play == Play(("status_intro", "status_dispatched", "deadline_intro", *spoken_date(date(2025, 3, 21)),
                         "extended", "goodbye"))
    assert flow.prompt_finished(40.0) == [HangUp("completed")]
    assert flow.menu_path == "menu:2>query:found"


def test_a_wrong_number_gets_a_clear_prompt_and_a_second_try() -> None:
    flow = query()
    flow.prompt_finished(26.0)
    assert key_in(flow, "202503149999#", 30.0) == [LookUp("202503149999")]
    assert flow.looked_up(None) == [Play(("not_found",))]
    assert key_in(flow, "12#", 33.0) == [Play(()), Play(("not_found_final", "goodbye"))]  # too short
    assert flow.menu_path == "menu:2>query:not-found>query:not-found"
    assert flow.stage is Stage.CLOSING


def test_star_clears_the_number_being_keyed() -> None:
    flow = query()
    flow.prompt_finished(26.0)
    key_in(flow, "999*", 27.0)
    assert key_in(flow, NUMBER + "#", 28.0) == [LookUp(NUMBER)]


def test_a_number_without_hash_is_taken_after_the_entry_timeout() -> None:
    flow = query()
    flow.prompt_finished(26.0)
    key_in(flow, NUMBER, 27.0)
    assert flow.tick(46.9, voice=False) == []
    assert flow.tick(47.0, voice=False) == [LookUp(NUMBER)]


def test_a_failed_lookup_is_told_as_such() -> None:
    flow = query()
    key_in(flow, NUMBER + "#", 22.0)
    assert flow.looked_up(None, failed=True) == [Play(("query_unavailable", "goodbye"))]
    assert flow.menu_path == "menu:2>query:unavailable"


def test_a_query_is_not_a_complaint_cut_off() -> None:
    flow = query()
    assert not flow.cut_off
