"""Sign-in, sign-out and the start page that sends each role to its work."""
from __future__ import annotations

from fastapi import Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from hotline import access
from hotline.api.deps import TOKEN_COOKIE, DatabaseDep, SettingsDep, current_user
from hotline.security import issue_token
from hotline.users import authenticate
from hotline.web.render import page, pages_for
from hotline.web.route import login_redirect, public_router

router = public_router()

# Where each role starts its day; a role without such a page gets the first page it may open.
LANDING = {
    access.DISPATCHER: "/console/queue",
    access.SUPERVISOR: "/console/queue",
    access.HANDLER: "/console/deadlines",
    access.AUDITOR: "/console/audit",
}


def _safe_next(target: str | None) -> str:
    """Only paths on this site: never an open redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", None, next_url=_safe_next(next), username="")


@router.post("/login")
def login(
    *,
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    db: DatabaseDep,
    settings: SettingsDep,
) -> Response:
    with db.read() as session:
        user = authenticate(session, username.strip(), password)
    if user is None:
        return page(
            request, "login.html", None, status_code=401, next_url=_safe_next(next), username=username,
            error="用户名或密码错误，或账号已停用。请重新输入。",
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        TOKEN_COOKIE, issue_token(settings, user.username), max_age=settings.token_ttl_minutes * 60,
        httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/",
    )
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/")
def start(request: Request, db: DatabaseDep, settings: SettingsDep) -> Response:
    try:
        user = current_user(request, None, settings, db)
    except HTTPException:  # not signed in, or the session expired
        return login_redirect(request)
    allowed = [item.href for item in pages_for(user)]
    landing = LANDING.get(user.role)
    target = landing if landing in allowed else next(iter(allowed), None)
    if target is None:
        return page(request, "home.html", user)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(target + query, status_code=303)
