"""What the classifier returns: a route and the keywords that explain it."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Keyword:
    """One matched keyword; ``start``/``end`` index the ORIGINAL text for highlighting."""

    term: str  # the keyword as configured (or the pattern)
    matched: str  # the text as written, e.g. 找火 for 着火
    start: int
    end: int
    weight: float
    via: str  # "char", "pinyin" (sound-alike) or "pattern"
    source: str  # "taxonomy" or "learned"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Routing:
    category: str
    category_name: str
    department: str
    department_name: str
    urgency: int  # 1 = life or property in immediate danger … 4 = enquiry/suggestion/praise
    confidential: bool
    confidence: float  # 0-1
    needs_review: bool
    runner_up: str | None
    keywords: list[Keyword]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["keywords"] = [k.to_dict() for k in self.keywords]
        return data
