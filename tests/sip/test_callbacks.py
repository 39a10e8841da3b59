"""PJSIP callbacks must never raise into SWIG: it prints the error and leaves the SIP transaction hanging."""
from __future__ import annotations

import logging

import pytest

from hotline.sip.call import guarded


class Handler:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @guarded
    def onCallState(self, state: str) -> str:
        self.calls.append(state)
        if state == "boom":
            raise RuntimeError("bug in a callback")
        return state


def test_a_callback_error_is_logged_and_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    handler = Handler()
    with caplog.at_level(logging.ERROR):
        assert handler.onCallState("boom") is None
    assert handler.onCallState("confirmed") == "confirmed"  # the next callback still runs
    assert handler.calls == ["boom", "confirmed"]
    (record,) = caplog.records
    assert "Handler.onCallState" in record.getMessage()
    assert record.exc_info and "bug in a callback" in str(record.exc_info[1])


def test_interrupts_are_not_swallowed() -> None:
    @guarded
    def stop() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stop()
