"""The demo: bundled sample complaints and a real phone call that turns one into a ticket.

``samples/`` holds short Mandarin complaints as a resident would phone them in
(8 kHz μ-law WAV, phone band) and ``samples.tsv`` their labels: ``name`` (the
file), ``category``, ``department``, ``urgency`` and the spoken ``text``. The demo call
and the end-to-end tests play these files and check the ticket they become.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

SAMPLES_DIR = Path(__file__).parent / "samples"
DEFAULT_CATEGORIES = ("property", "noise")  # a clear, everyday complaint for a first look


@dataclass(frozen=True)
class Sample:
    file: str
    category: str
    department: str
    urgency: int
    text: str

    @property
    def name(self) -> str:
        """What a user types: the file name without ``.wav``."""
        return Path(self.file).stem

    @property
    def path(self) -> Path:
        return SAMPLES_DIR / self.file


def samples() -> list[Sample]:
    """Every bundled sample, in the order of ``samples.tsv``."""
    index = SAMPLES_DIR / "samples.tsv"
    if not index.is_file():
        return []
    with index.open(encoding="utf-8", newline="") as handle:
        return [
            Sample(row["name"], row["category"], row["department"], int(row["urgency"]), row["text"])
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def find_sample(name: str) -> Sample | None:
    """The sample called ``name``, with or without ``.wav``."""
    return next((sample for sample in samples() if name in (sample.name, sample.file)), None)


def default_sample() -> Sample | None:
    """The sample a demo call plays when none is named: a property or noise complaint."""
    bundled = samples()
    for category in DEFAULT_CATEGORIES:
        for sample in bundled:
            if sample.category == category:
                return sample
    return bundled[0] if bundled else None


def sample_for(category: str) -> Sample | None:
    return next((sample for sample in samples() if sample.category == category), None)
