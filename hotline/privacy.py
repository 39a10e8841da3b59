"""Masking of personal data (phone numbers, names) for lists and logs."""
from __future__ import annotations

import re

# Mobiles (1[3-9]x xxxx xxxx), landlines with area code, local numbers; not 12-digit ticket numbers,
# nor digit runs inside identifiers (hex keys, UUIDs), which are bounded by ASCII letters.
PHONE_PATTERN = re.compile(
    r"(?<![\dA-Za-z])(?:\+?86[- ]?)?(?:1[3-9]\d[- ]?\d{4}[- ]?\d{4}|0\d{2,3}[- ]?\d{7,8}|[3-9]\d{6,7})(?![\dA-Za-z])"
)


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``; short numbers keep only their last two digits."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) >= 11:
        return f"{digits[-11:-8]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 4) + digits[-2:]


def mask_name(name: str | None) -> str | None:
    """``张三丰`` → ``张**``; ``Li Lei`` → ``L*****``: keep the first character only."""
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def scrub_phones(text: str) -> str:
    """Replace every phone-like number in free text by its masked form."""
    return PHONE_PATTERN.sub(lambda match: mask_phone(match.group(0)) or "", text)
