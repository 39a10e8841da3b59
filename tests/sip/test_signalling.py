"""Who is calling (P-Asserted-Identity, else From) and whether the source may call at all."""
from __future__ import annotations

import pytest

from hotline.sip.signalling import (
    caller_number,
    is_allowed,
    parse_networks,
    source_host,
    uri_number,
)


def invite(*headers: str) -> str:
    lines = ["INVITE sip:hotline@127.0.0.1:5060 SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1",
             *headers, "Call-ID: abc@127.0.0.1", "CSeq: 1 INVITE", "Content-Type: application/sdp",
             "Content-Length: 4"]
    return "\r\n".join(lines) + "\r\n\r\nv=0\r\n"


def test_p_asserted_identity_wins_over_from() -> None:
    message = invite('From: "Zhang" <sip:13800000000@10.0.0.1>;tag=1',
                     "P-Asserted-Identity: <sip:+8613900001111@trunk.example.cn;user=phone>")
    assert caller_number(message) == "+8613900001111"


def test_from_is_used_without_p_asserted_identity() -> None:
    assert caller_number(invite("From: <sip:13800000000@10.0.0.1>;tag=1")) == "13800000000"


def test_compact_from_header_and_folded_lines_are_read() -> None:
    assert caller_number(invite("f: <sip:010-6512-3456@pbx>\r\n ;tag=9")) == "01065123456"


def test_a_tel_identity_among_several_is_found() -> None:
    message = invite("From: <sip:anonymous@anonymous.invalid>;tag=1",
                     'P-Asserted-Identity: "Trunk, Beijing" <sip:gateway@trunk>, <tel:+86-10-6512-3456>')
    assert caller_number(message) == "+861065123456"


@pytest.mark.parametrize(
    "value",
    ["<sip:anonymous@anonymous.invalid>;tag=1", "<sip:trunk.example.cn>", "<mailto:x@y>", "<sip:*21#@pbx>",
     "garbage"],
)
def test_withheld_or_non_numeric_callers_have_no_number(value: str) -> None:
    assert caller_number(invite(f"From: {value}")) is None


def test_bare_addr_spec_and_percent_escapes() -> None:
    assert uri_number("sip:%2B8613900001111@host;transport=tcp") == "+8613900001111"


@pytest.mark.parametrize(
    ("address", "host"), [("127.0.0.1:5060", "127.0.0.1"), ("[::1]:5060", "::1"), ("10.1.2.3", "10.1.2.3")]
)
def test_source_host_from_pjsip_address(address: str, host: str) -> None:
    assert source_host(address) == host


def test_only_sources_inside_the_allowed_networks_may_call() -> None:
    networks = parse_networks(["127.0.0.2/32", "10.20.0.0/16", "::1/128"])
    assert is_allowed("127.0.0.2", networks)
    assert is_allowed("10.20.3.4", networks)
    assert is_allowed("::1", networks)
    assert is_allowed("::ffff:10.20.3.4", networks)  # IPv4 seen on a dual-stack socket
    assert not is_allowed("127.0.0.3", networks)
    assert not is_allowed("not-an-address", networks)


def test_a_bad_network_in_the_settings_is_named() -> None:
    with pytest.raises(ValueError, match="'10.0.0.0/33'"):
        parse_networks(["127.0.0.1/32", "10.0.0.0/33"])
