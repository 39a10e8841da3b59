"""Reading an incoming INVITE: who is calling, and from where.

The caller's number is taken from ``P-Asserted-Identity`` (set by the trunk,
trustworthy) and only failing that from ``From`` (set by the phone). Where a call
comes from is judged by the packet's source address against the trunk networks.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import unquote

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NUMBER = re.compile(r"\+?[0-9]{3,31}")
VISUAL_SEPARATORS = re.compile(r"[-.() ]")
COMPACT_NAMES = {"f": "from"}


def headers(message: str) -> dict[str, list[str]]:
    """Header values of a SIP message by lower-case name (compact forms expanded)."""
    head = re.split(r"\r?\n\r?\n", message, maxsplit=1)[0]
    unfolded = re.sub(r"\r?\n[ \t]+", " ", head)
    found: dict[str, list[str]] = {}
    for line in unfolded.splitlines()[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        name = name.strip().lower()
        found.setdefault(COMPACT_NAMES.get(name, name), []).append(value.strip())
    return found


def uri_number(value: str) -> str | None:
    """The telephone number in a name-addr/addr-spec, e.g. ``"x" <sip:+8613812345678@h>``."""
    match = re.search(r"<([^>]*)>", value)
    uri = match.group(1) if match else value.split(";", 1)[0]
    scheme, colon, rest = uri.strip().partition(":")
    if not colon:
        return None
    scheme = scheme.lower()
    if scheme in ("sip", "sips"):
        if "@" not in rest:
            return None
        user = rest.split("@", 1)[0]
    elif scheme == "tel":
        user = rest
    else:
        return None
    user = VISUAL_SEPARATORS.sub("", unquote(user.split(";", 1)[0]))
    return user if NUMBER.fullmatch(user) else None


def caller_number(message: str) -> str | None:
    """The caller's number from P-Asserted-Identity, else From; None if withheld or not a number."""
    found = headers(message)
    for name in ("p-asserted-identity", "from"):
        for value in found.get(name, []):
            for part in _split_identities(value):
                number = uri_number(part)
                if number:
                    return number
    return None


def _split_identities(value: str) -> list[str]:
    """P-Asserted-Identity may carry a sip: and a tel: identity separated by a comma."""
    return [part for part in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)(?![^<]*>)", value) if part.strip()]


def source_host(address: str) -> str:
    """``"127.0.0.1:5060"`` → ``"127.0.0.1"``; ``"[::1]:5060"`` → ``"::1"``."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def parse_networks(networks: Iterable[str]) -> list[IPNetwork]:
    """The allowed trunk networks; ValueError names the first one that is not a network."""
    parsed = []
    for network in networks:
        try:
            parsed.append(ipaddress.ip_network(network.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"sip_allowed_networks: {network!r} is not an IP network") from exc
    return parsed


def is_allowed(host: str, networks: Iterable[IPNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
