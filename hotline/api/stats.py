"""Statistics and the quarterly report."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from hotline import stats
from hotline.api.deps import DatabaseDep, require_permission
from hotline.workflow import InvalidParams
from storage.models import User

router = APIRouter(tags=["statistics"])


@router.get("/stats")
def statistics(
    *,
    start: date = Query(..., alias="from", description="first day (China time)"),
    end: date = Query(..., alias="to", description="last day, inclusive"),
    _: User = Depends(require_permission("view_stats")),
    db: DatabaseDep,
) -> dict[str, Any]:
    if end < start:
        raise InvalidParams("to: must not be before from")
    with db.read() as session:
        return stats.statistics(session, stats.Period(start, end + timedelta(days=1)))


@router.get("/reports/{quarter}", response_class=PlainTextResponse)
def quarterly_report(
    *,
    quarter: str,
    format: Literal["md", "csv"] = "md",
    _: User = Depends(require_permission("view_report")),
    db: DatabaseDep,
) -> PlainTextResponse:
    """The quarterly report, e.g. ``/reports/2026Q4?format=csv``."""
    try:
        period = stats.parse_quarter(quarter)
    except ValueError as exc:
        raise InvalidParams(str(exc)) from exc
    with db.read() as session:
        markdown, table = stats.quarterly_report(session, quarter)
    media = "text/csv" if format == "csv" else "text/markdown"
    return PlainTextResponse(
        table if format == "csv" else markdown, media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{quarter.upper()}.{format}"',
                 "X-Report-Period": period.label},
    )
