"""Statistics per period and the quarterly report (Markdown + CSV). Aggregates only, no personal data."""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline import deadlines
from hotline.config import Settings
from hotline.workflow import OPEN
from storage.db import Database
from storage.models import Ticket

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
# Place words in addresses: "幸福小区3号楼" → 幸福小区; "建设路12号" → 建设路.
_PLACE = re.compile(r"[\u4e00-\u9fffA-Za-z]{1,12}?(?:小区|社区|花园|家园|公寓|大厦|广场|市场|新村|村|苑|园|路|街|巷|里)")


@dataclass(frozen=True)
class Period:
    start: date  # inclusive, China calendar days
    end: date  # exclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}..{(self.end - timedelta(days=1)).isoformat()}"

    def bounds(self) -> tuple[datetime, datetime]:
        def at(day: date) -> datetime:
            return datetime.combine(day, time(), deadlines.CHINA).astimezone(UTC)

        return at(self.start), at(self.end)


def parse_quarter(text: str) -> Period:
    """``2026Q4`` → 2026-10-01 .. 2027-01-01."""
    match = _QUARTER.match(text.strip().upper())
    if not match:
        raise ValueError(f"quarter: expected YYYYQn such as 2026Q4, got {text!r}")
    year, quarter = int(match[1]), int(match[2])
    start = date(year, 3 * quarter - 2, 1)
    return Period(start, deadlines.add_months(start, 3))


def _counts(session: Session, column: Any, start: datetime, end: datetime) -> dict[str, int]:
    rows = session.execute(
        select(column, func.count())
        .where(Ticket.created_at >= start, Ticket.created_at < end)
        .group_by(column)
    ).all()
    return {str(key) if key is not None else "unassigned": count for key, count in sorted(rows, key=lambda r: -r[1])}


def statistics(session: Session, period: Period, today: date | None = None) -> dict[str, Any]:
    """Counts by category/department/status, on-time rate, satisfaction and hot spots of tickets
    registered in ``period``."""
    today = today or deadlines.china_today()
    start, end = period.bounds()
    department = func.coalesce(Ticket.assignee_department, Ticket.department)
    rows = session.execute(
        select(
            Ticket.status, Ticket.closed_at, Ticket.close_deadline, Ticket.stage_deadline,
            Ticket.satisfaction, Ticket.address, department,
        ).where(Ticket.created_at >= start, Ticket.created_at < end)
    ).all()
    closed = [r for r in rows if r.closed_at is not None and r.close_deadline is not None]
    on_time = sum(deadlines.china_today(r.closed_at) <= r.close_deadline for r in closed)
    ratings = [r.satisfaction for r in rows if r.satisfaction is not None]
    places = Counter(place for r in rows for place in set(_PLACE.findall(r.address or "")))
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label},
        "total": len(rows),
        "by_category": _counts(session, Ticket.category, start, end),
        "by_department": _counts(session, department, start, end),
        "by_status": _counts(session, Ticket.status, start, end),
        "closed": len(closed),
        "closed_on_time": on_time,
        "on_time_rate": round(on_time / len(closed), 4) if closed else None,
        "overdue_open": sum(
            r.status in OPEN and r.stage_deadline is not None and r.stage_deadline < today for r in rows
        ),
        "satisfaction_count": len(ratings),
        "average_satisfaction": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "hot_spots": [{"place": place, "tickets": n} for place, n in places.most_common(10)],
    }


def department_rows(session: Session, period: Period) -> list[dict[str, Any]]:
    """Per-department figures for the report's table and CSV."""
    start, end = period.bounds()
    department = func.coalesce(Ticket.assignee_department, Ticket.department)
    rows = session.execute(
        select(department, Ticket.closed_at, Ticket.close_deadline, Ticket.satisfaction)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
    ).all()
    table: dict[str, dict[str, Any]] = {}
    for name, closed_at, close_deadline, satisfaction in rows:
        entry = table.setdefault(name or "unassigned", {"tickets": 0, "closed": 0, "on_time": 0, "ratings": []})
        entry["tickets"] += 1
        if closed_at is not None:
            entry["closed"] += 1
            entry["on_time"] += bool(close_deadline and deadlines.china_today(closed_at) <= close_deadline)
        if satisfaction is not None:
            entry["ratings"].append(satisfaction)
    return [
        {
            "department": name,
            "tickets": e["tickets"],
            "closed": e["closed"],
            "on_time_rate": round(e["on_time"] / e["closed"], 4) if e["closed"] else None,
            "average_satisfaction": round(sum(e["ratings"]) / len(e["ratings"]), 2) if e["ratings"] else None,
        }
        for name, e in sorted(table.items())
    ]


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def report_markdown(figures: dict[str, Any], departments: list[dict[str, Any]], quarter: str) -> str:
    lines = [
        f"# 社区投诉热线 季度报告 {quarter}",
        "",
        f"统计期间 Period: {figures['period']['label']}",
        "",
        f"- 受理总量 Tickets: {figures['total']}",
        f"- 已结案 Closed: {figures['closed']} (按期 on time: {_percent(figures['on_time_rate'])})",
        f"- 超期未办结 Overdue open: {figures['overdue_open']}",
        (
            f"- 平均满意度 Average satisfaction: {figures['average_satisfaction'] or '—'}"
            f" ({figures['satisfaction_count']} 次回访)"
        ),
        "",
    ]
    for title, key in (("按类别 By category", "by_category"), ("按状态 By status", "by_status")):
        lines += [f"## {title}", "", "| | 件数 |", "|---|---:|"]
        lines += [f"| {name} | {count} |" for name, count in figures[key].items()] + [""]
    lines += ["## 按部门 By department", "", "| 部门 | 件数 | 已结案 | 按期率 | 满意度 |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| {d['department']} | {d['tickets']} | {d['closed']} | {_percent(d['on_time_rate'])} | "
        f"{d['average_satisfaction'] or '—'} |"
        for d in departments
    ]
    lines += ["", "## 热点 Hot spots", ""]
    lines += [f"- {h['place']}: {h['tickets']}" for h in figures["hot_spots"]] or ["- —"]
    return "\n".join(lines) + "\n"


def report_csv(departments: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["department", "tickets", "closed", "on_time_rate", "average_satisfaction"],
        lineterminator="\n",
    )
    writer.writeheader()
    writer.writerows(departments)
    return buffer.getvalue()


def quarterly_report(session: Session, quarter: str, today: date | None = None) -> tuple[str, str]:
    """The report for ``quarter`` (e.g. ``2026Q4``) as (Markdown, CSV)."""
    period = parse_quarter(quarter)
    departments = department_rows(session, period)
    return report_markdown(statistics(session, period, today), departments, quarter.upper()), report_csv(departments)


def write_quarterly_report(db: Database, settings: Settings, quarter: str) -> tuple[Path, Path]:
    with db.read() as session:
        markdown, table = quarterly_report(session, quarter)
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    md_path = settings.reports_dir / f"report-{quarter.upper()}.md"
    csv_path = settings.reports_dir / f"report-{quarter.upper()}.csv"
    md_path.write_text(markdown, encoding="utf-8")
    csv_path.write_text(table, encoding="utf-8")
    return md_path, csv_path
