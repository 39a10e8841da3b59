"""The test hotline the console tests share: accounts, texts, the seeded world, screenshots."""
from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.config import Settings
from storage import tickets as ticket_store
from storage.db import Database
from storage.models import Ticket, User

PASSWORD = "console-pass-1"
FULL_PHONE = "13812345678"
MASKED_PHONE = "138****5678"
PHONE_CALLER = "13987654321"
MASKED_PHONE_CALLER = "139****4321"

# username → (role, department, recording grant scopes)
ACCOUNTS = {
    "dispatcher": ("dispatcher", None, ()),
    "supervisor": ("supervisor", None, ("all",)),
    "supervisor_nogrant": ("supervisor", None, ()),
    "handler": ("handler", "juweihui", ()),
    "auditor": ("auditor", None, ()),
    "admin": ("admin", None, ()),
}
EMERGENCY_TEXT = "三号楼二单元着火了，浓烟很大，楼里还有老人被困，快来人"
SANITATION_TEXT = "小区门口的垃圾桶满了三天没人清运，臭味特别大，苍蝇到处飞"
NOISE_TEXT = "楼上邻居每天半夜装修，电钻声音太吵了，根本睡不着"
CALL_TRANSCRIPT = "喂你好我要反映一下小区的路灯坏了一个多星期了晚上黑乎乎的"


def tone_wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    """A short 440 Hz phone-quality WAV that a browser can decode and play."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


@dataclass
class World:
    settings: Settings
    db: Database
    users: dict[str, User] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)  # emergency, sanitation, noise, call
    recording_id: int = 0

    def ticket(self, name: str) -> Ticket:
        """The ticket as stored now (detached: read its columns, not its relations)."""
        with self.db.read() as session:
            found = ticket_store.get_by_number(session, self.numbers[name])
            assert found is not None
            return found


SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
