"""Measuring the classifier on a labelled TSV (columns id, category, department, urgency, text).

Emergency figures count urgency 1 (一级): a level-1 case routed at any lower
level is a miss, whatever its category; that is the error that matters most.
"""
from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from classifier.engine import Classifier
from classifier.routing import Routing

COLUMNS = ("id", "category", "department", "urgency", "text")
EMERGENCY_URGENCY = 1


class LabelledFileError(ValueError):
    """The labelled file cannot be read or has the wrong shape."""


@dataclass(frozen=True)
class LabelledText:
    id: str
    category: str
    department: str
    urgency: int
    text: str


def read_labelled(path: Path) -> list[LabelledText]:
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header is None or tuple(h.strip() for h in header) != COLUMNS:
                raise LabelledFileError(
                    f"{path}: the first line must be the header {' '.join(COLUMNS)} (tab-separated)"
                )
            rows = []
            for line, fields in enumerate(reader, start=2):
                if not fields or not "".join(fields).strip():
                    continue
                if len(fields) != len(COLUMNS):
                    raise LabelledFileError(f"{path}:{line}: expected {len(COLUMNS)} tab-separated columns")
                ident, category, department, urgency, text = (f.strip() for f in fields)
                if urgency not in {"1", "2", "3", "4"}:
                    raise LabelledFileError(f"{path}:{line}: urgency must be 1-4, not {urgency!r}")
                if not text:
                    raise LabelledFileError(f"{path}:{line}: empty text")
                rows.append(LabelledText(ident, category, department, int(urgency), text))
    except FileNotFoundError as exc:
        raise LabelledFileError(f"{path}: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelledFileError(f"{path}: cannot read: {exc}") from exc
    if not rows:
        raise LabelledFileError(f"{path}: no labelled rows")
    return rows


@dataclass
class Evaluation:
    total: int = 0
    category_correct: int = 0
    department_correct: int = 0
    urgency_correct: int = 0
    emergency_found: int = 0  # gold level 1, predicted level 1
    emergency_missed: int = 0  # gold level 1, predicted lower
    emergency_false: int = 0  # predicted level 1, gold lower
    predicted: Counter[str] = field(default_factory=Counter)
    gold: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    errors: list[tuple[LabelledText, Routing]] = field(default_factory=list)

    @property
    def category_accuracy(self) -> float:
        return _ratio(self.category_correct, self.total)

    @property
    def department_accuracy(self) -> float:
        return _ratio(self.department_correct, self.total)

    @property
    def urgency_accuracy(self) -> float:
        return _ratio(self.urgency_correct, self.total)

    @property
    def emergency_recall(self) -> float:
        return _ratio(self.emergency_found, self.emergency_found + self.emergency_missed)

    @property
    def emergency_precision(self) -> float:
        return _ratio(self.emergency_found, self.emergency_found + self.emergency_false)

    def precision(self, category: str) -> float:
        return _ratio(self.correct[category], self.predicted[category])

    def recall(self, category: str) -> float:
        return _ratio(self.correct[category], self.gold[category])


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def evaluate(classifier: Classifier, rows: Iterable[LabelledText]) -> Evaluation:
    result = Evaluation()
    for row in rows:
        routing = classifier.classify(row.text)
        result.total += 1
        result.gold[row.category] += 1
        result.predicted[routing.category] += 1
        result.category_correct += routing.category == row.category
        result.department_correct += routing.department == row.department
        result.urgency_correct += routing.urgency == row.urgency
        if routing.category == row.category:
            result.correct[row.category] += 1
        else:
            result.confusions[(row.category, routing.category)] += 1
        gold_level_one = row.urgency == EMERGENCY_URGENCY
        predicted_level_one = routing.urgency == EMERGENCY_URGENCY
        result.emergency_found += gold_level_one and predicted_level_one
        result.emergency_missed += gold_level_one and not predicted_level_one
        result.emergency_false += predicted_level_one and not gold_level_one
        if routing.category != row.category or routing.urgency != row.urgency:
            result.errors.append((row, routing))
    return result


def format_report(result: Evaluation, show_errors: bool = True) -> str:
    def pct(value: float) -> str:
        return f"{100 * value:5.1f} %"

    lines = [
        f"texts                {result.total}",
        f"category accuracy    {pct(result.category_accuracy)}  ({result.category_correct}/{result.total})",
        f"department accuracy  {pct(result.department_accuracy)}  ({result.department_correct}/{result.total})",
        f"urgency accuracy     {pct(result.urgency_accuracy)}  ({result.urgency_correct}/{result.total})",
        (
            f"emergency recall     {pct(result.emergency_recall)}  ({result.emergency_found}/"
            f"{result.emergency_found + result.emergency_missed} level-1 cases found)"
        ),
        (
            f"emergency precision  {pct(result.emergency_precision)}  "
            f"({result.emergency_false} routed to level 1 wrongly)"
        ),
        "",
        f"{'category':<16}{'precision':>10}{'recall':>9}{'texts':>7}",
    ]
    for category in sorted(set(result.gold) | set(result.predicted)):
        lines.append(
            f"{category:<16}{pct(result.precision(category)):>10}{pct(result.recall(category)):>9}"
            f"{result.gold[category]:>7}"
        )
    if result.confusions:
        lines += ["", "confusions (expected → got: count)"]
        lines += [f"  {gold} → {got}: {n}" for (gold, got), n in result.confusions.most_common()]
    if show_errors and result.errors:
        lines += ["", "errors (id expected/urgency → got/urgency: text)"]
        for row, routing in result.errors:
            lines.append(
                f"  {row.id} {row.category}/{row.urgency} → {routing.category}/{routing.urgency}: {row.text}"
            )
    return "\n".join(lines)
