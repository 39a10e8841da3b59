from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from hotline import tickets
from hotline.config import Settings
from hotline.logging import configure_logging
from hotline.privacy import mask_name, mask_phone, scrub_phones
from storage.db import Database


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("010-87654321", "010****4321"),
        ("87654321", "******21"),
        ("110", "****10"),
        (None, None),
        ("", ""),
    ],
)
def test_mask_phone(phone: str | None, masked: str | None) -> None:
    assert mask_phone(phone) == masked


def test_mask_name() -> None:
    assert [mask_name(n) for n in ("张三丰", "李", "Li Lei", None)] == ["张**", "*", "L*****", None]


def test_scrub_phones_keeps_ticket_numbers_and_dates() -> None:
    text = "来电 13812345678，座机 010-87654321，工单 202610080001，日期 2026-10-08"
    assert scrub_phones(text) == "来电 138****5678，座机 010****4321，工单 202610080001，日期 2026-10-08"


def test_scrub_phones_leaves_digits_inside_identifiers() -> None:
    key = "recordings/2026/11/30/202611300001-ff0c3b8efb56789012a99a4cab7da73d.wav"
    assert scrub_phones(f"stored {key}") == f"stored {key}"


@pytest.fixture
def log_stream(settings: Settings) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    configure_logging(settings, stream=stream)
    yield stream
    root.handlers[:], root.level = before


def test_logs_are_json_and_never_carry_phone_numbers(log_stream: io.StringIO, db: Database, settings: Settings) -> None:
    with db.write() as session:
        ticket = tickets.register_ticket(session, settings, channel="phone", actor="sip", caller_phone="13812345678")
    logging.getLogger("hotline.test").warning("callback to %s failed", "13912345678", extra={"phone": "13712345678"})
    try:
        raise ValueError("bad number 13612345678")
    except ValueError:
        logging.getLogger("hotline.test").exception("oops")
    output = log_stream.getvalue()
    entries = [json.loads(line) for line in output.splitlines()]
    assert {"message": "ticket registered", "ticket": ticket.number, "channel": "phone"}.items() <= entries[0].items()
    assert entries[1]["message"] == "callback to 139****5678 failed" and entries[1]["phone"] == "137****5678"
    for number in ("13812345678", "13912345678", "13712345678", "13612345678"):
        assert number not in output
