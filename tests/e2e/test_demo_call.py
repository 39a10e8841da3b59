"""``hotline demo-call``: a real pjsua2 call to the running hotline, printed as its routed ticket."""
from __future__ import annotations

import json
import os
import subprocess

import pytest
from e2e_harness import CLI, sip_harness
from sqlalchemy import select

from hotline.config import Settings
from hotline.demo import find_sample
from storage.db import Database
from storage.models import Ticket
from transcription.text import cer

DEMO_CALLER = "13800138000"


@pytest.mark.slow
@pytest.mark.sip
@pytest.mark.model
def test_demo_call_prints_the_routed_ticket_as_json(start_hotline, db: Database) -> None:
    hotline = start_hotline()
    sample = find_sample("noise-bar")
    assert sample is not None

    result = hotline.cli("demo-call", sample.name, "--json", "--sip-port", str(hotline.sip[1]), "--timeout", "300")

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["category"], shown["department"], shown["urgency"]) == (
        sample.category, sample.department, sample.urgency)
    assert shown["category_name"] and shown["department_name"]
    assert cer(sample.text, shown["transcript"]) <= 0.25, shown["transcript"]
    with db.read() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.number == shown["ticket"])).one()
        assert (ticket.channel, ticket.caller_phone, ticket.category) == ("phone", DEMO_CALLER, sample.category)
    assert hotline.stop() == 0


def test_demo_call_without_an_agent_fails_clearly(settings: Settings) -> None:
    result = subprocess.run(
        [*CLI, "demo-call", "--sip-port", str(sip_harness.free_port()), "--timeout", "1"],
        env=dict(os.environ), capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode != 0
    assert "no SIP agent answers at sip:hotline@127.0.0.1:" in result.stderr
    assert "hotline serve" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_demo_call_refuses_what_it_cannot_say(settings: Settings) -> None:
    result = subprocess.run([*CLI, "demo-call", "no-such-sample"], env=dict(os.environ),
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode != 0
    assert "neither a bundled sample" in result.stderr and "noise-bar" in result.stderr
    assert "Traceback" not in result.stderr
