"""Statistics for supervisors: counts, on-time rate, satisfaction, hot spots, the quarterly report."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import Depends, Query, Request, Response
from markupsafe import Markup

from hotline import access, deadlines, stats
from hotline.api.deps import DatabaseDep, SettingsDep, require_permission
from hotline.web import labels
from hotline.web.charts import bar_chart
from hotline.web.render import page
from hotline.web.route import page_router
from hotline.workflow import STATUS_WORDS
from storage.models import User

router = page_router()
REPORT_QUARTERS = 4  # the current quarter and the three before it


@dataclass(frozen=True)
class Chart:
    """One figure: a bar chart, and the same rows as a table for screen readers."""

    id: str
    title: str
    rows: list[tuple[str, int]]

    @property
    def svg(self) -> Markup:
        return bar_chart(self.id, self.title, self.rows, unit="件")


def _quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def recent_quarters(today: date) -> list[str]:
    quarters, start = [], stats.parse_quarter(_quarter_of(today)).start
    for _ in range(REPORT_QUARTERS):
        quarters.append(_quarter_of(start))
        start = deadlines.add_months(start, -3)
    return quarters


@router.get("/console/statistics")
def statistics(
    *,
    request: Request,
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    user: User = Depends(require_permission("view_stats")),
    db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    today = deadlines.china_today()
    start = start or stats.parse_quarter(_quarter_of(today)).start
    end = end or today
    if end < start:
        return page(request, "statistics.html", user, status_code=422, error="结束日期不能早于开始日期。",
                    start=start, end=end, figures=None, charts=[], quarters=[])
    with db.read() as session:
        figures = stats.statistics(session, stats.Period(start, end + timedelta(days=1)), today)
    category = lambda code: labels.category_name(settings.taxonomy, code)  # noqa: E731
    department = lambda code: labels.department_name(settings.taxonomy, code)  # noqa: E731
    charts = [
        Chart("by-category", "按类别", [(category(k), v) for k, v in figures["by_category"].items()]),
        Chart("by-department", "按承办部门", [(department(k), v) for k, v in figures["by_department"].items()]),
        Chart("by-status", "按状态", [(STATUS_WORDS.get(k, k), v) for k, v in figures["by_status"].items()]),
        Chart("hot-spots", "热点地址（地址中的地名）", [(h["place"], h["tickets"]) for h in figures["hot_spots"]]),
    ]
    return page(
        request, "statistics.html", user, start=start, end=end, figures=figures, charts=charts,
        quarters=recent_quarters(today) if access.allowed(user, "view_report") else [],
    )
