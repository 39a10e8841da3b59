"""Chinese words for the codes the console shows: roles, channels, events, taxonomy names.

Status and workflow-action words come from ``hotline.workflow``; category and
department names from the deployment's taxonomy file, so a renamed department is
renamed in the console too. Only words that exist nowhere else live here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from classifier.taxonomy import Taxonomy, TaxonomyError, load_taxonomy
from hotline import access
from hotline.workflow import ACTION_WORDS

ROLE_WORDS = {
    access.DISPATCHER: "受理员",
    access.SUPERVISOR: "主管",
    access.HANDLER: "承办人员",
    access.AUDITOR: "审计员",
    access.ADMIN: "管理员",
}
CHANNEL_WORDS = {"phone": "电话", "walk_in": "来访", "letter": "来信", "web": "网上", "email": "电子邮件"}
COMPLEXITY_WORDS = {"general": "一般", "complex": "复杂", "multi": "多部门或历史遗留"}
URGENCY_WORDS = {1: "一级 · 紧急", 2: "二级 · 严重隐患", 3: "三级 · 一般", 4: "四级 · 咨询建议"}
EVENT_WORDS = ACTION_WORDS | {
    "classify": "自动分类",
    "alert": "一级警报",
    "remind": "催办",
    "escalate": "督办",
    "close_review": "结案审查未通过",
    "attach": "上传附件",
}
# What a finished form says it did (``?done=<action>&ticket=<number>`` after the redirect).
DONE_MESSAGES = {word: f"{EVENT_WORDS[word]}已完成。" for word in EVENT_WORDS} | {
    "confirm": "分类已确认，已派单。",
    "correct": "分类已更正并派单；更正已记录，供分类器学习。",
}
TOLD_VIA = ("电话", "短信", "信函", "当面", "电子邮件")
OUTSIDE_BODIES = ("12315 市场监管", "12333 人社", "12398 能源监管", "110 公安", "119 消防", "120 急救")
UNASSIGNED = "unassigned"


@lru_cache(maxsize=4)
def taxonomy(path: Path | None) -> Taxonomy | None:
    """The deployment's taxonomy; ``None`` if it cannot be read (the console then shows codes)."""
    try:
        return load_taxonomy(path)
    except TaxonomyError:
        return None


def category_name(path: Path | None, code: str | None) -> str:
    if not code:
        return "未分类"
    loaded = taxonomy(path)
    category = loaded.categories.get(code) if loaded else None
    return category.name.split(" (")[0].split("（")[0] if category else code


def department_name(path: Path | None, code: str | None) -> str:
    if not code or code == UNASSIGNED:
        return "未指定"
    loaded = taxonomy(path)
    return loaded.departments.get(code, code) if loaded else code


@dataclass(frozen=True)
class CategoryChoice:
    code: str
    name: str
    department: str  # the category's default department, preselected when it is chosen
    confidential: bool


@dataclass(frozen=True)
class RoutingChoices:
    categories: list[CategoryChoice]
    departments: list[tuple[str, str]]


def routing_choices(path: Path | None) -> RoutingChoices:
    """Options of the routing forms, in the taxonomy's order."""
    loaded = taxonomy(path)
    if loaded is None:
        return RoutingChoices([], [])
    return RoutingChoices(
        [
            CategoryChoice(code, category_name(path, code), category.department, category.confidential)
            for code, category in loaded.categories.items()
        ],
        list(loaded.departments.items()),
    )
