"""The audit log for auditors: search, page through, export, and the hash-chain check.

Search criteria and the auditor check are the audit API's own (``hotline.api.audit``),
so the page, its export links and the API always agree on what matches.
"""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response

from hotline.api.audit import audit_query, auditor
from hotline.api.deps import DatabaseDep
from hotline.web.render import page
from hotline.web.route import page_router
from storage import audit
from storage.models import User

router = page_router()
PAGE_SIZE = 50
FILTERS = ("actor", "action", "result", "recording_id", "ticket", "since", "until")
RESULT_WORDS = {
    "granted": "准许", "refused": "拒绝", "not_found": "不存在", "gone": "已删除", "bad_range": "范围无效",
    "mismatch": "内容被改动", "unavailable": "存储不可用", "unsupported": "不支持", "done": "完成",
}  # fmt: skip
ACTION_WORDS = {"listen": "收听", "presign": "下载链接", "grant": "授权", "revoke": "撤销授权", "export": "导出"}


@router.get("/console/audit")
def audit_log(
    *,
    request: Request,
    query: audit.AuditQuery = Depends(audit_query),
    page_number: int = Query(1, alias="page", ge=1),
    user: User = Depends(auditor),
    db: DatabaseDep,
) -> Response:
    with db.read() as session:
        entries, total = audit.search(session, query, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE)
    check = audit.verify_chain(db, anchor=False)  # looking does not write; anchoring is the API's POST
    filters = {name: request.query_params[name] for name in FILTERS if request.query_params.get(name)}
    return page(
        request, "audit.html", user, entries=entries, total=total, check=check,
        filters=filters, page_number=page_number, pages=max(1, -(-total // PAGE_SIZE)),
        pager_base=f"/console/audit?{urlencode(filters)}&", export_query=urlencode(filters),
        result_words=RESULT_WORDS, action_words=ACTION_WORDS,
    )
