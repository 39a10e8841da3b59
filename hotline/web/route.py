"""The console's route class: failures become pages people can read, not JSON.

The API answers errors with ``{"detail": ...}``; a person in a browser instead gets
the sign-in page when their session is missing or expired, and a Chinese page
naming the problem otherwise. Form posts from other sites are refused (the
session cookie is SameSite=Strict already; this is the second lock).
"""
from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from hotline import access
from hotline.api.deps import current_user
from hotline.tickets import ClosingBlocked, TicketNotFound
from hotline.web.render import page
from hotline.workflow import IllegalTransition, InvalidParams, describe_errors
from storage.models import User

_UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _cross_site(request: Request) -> bool:
    origin = request.headers.get("origin")
    return bool(origin) and origin != "null" and urlsplit(origin).netloc != request.headers.get("host")


def _has_blank_fields(request: Request) -> bool:
    return any(value == "" for _, value in request.query_params.multi_items())


def _without_blank_fields(request: Request) -> RedirectResponse:
    """A search form's empty fields mean "any": drop them, so typed parameters see only real values."""
    kept = urlencode([(name, value) for name, value in request.query_params.multi_items() if value != ""])
    return RedirectResponse(request.url.path + (f"?{kept}" if kept else ""), status_code=303)


SERVICE_ERRORS = (IllegalTransition, InvalidParams, access.PermissionDenied, TicketNotFound)


def explain(exc: Exception) -> tuple[int, str]:
    """HTTP status and a Chinese lead-in for an error of the ticket service; its own detail follows."""
    if isinstance(exc, ClosingBlocked):
        return 409, f"结案审查未通过，工单未结案。{exc}"
    if isinstance(exc, IllegalTransition):
        return 409, f"当前状态下不能执行此操作。{exc}"
    if isinstance(exc, InvalidParams):
        return 422, f"填写有误，请检查后重新提交。{exc}"
    if isinstance(exc, access.PermissionDenied):
        return 403, f"您无权执行此操作。{exc}"
    if isinstance(exc, TicketNotFound):
        return 404, f"找不到该工单，或您无权查看。{exc}"
    raise exc


def error_page(request: Request, status_code: int, message: str) -> Response:
    user = getattr(request.state, "console_user", None)
    return page(request, "error.html", user, status_code=status_code, error=message)


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            if request.method in _UNSAFE_METHODS and _cross_site(request):
                return error_page(request, 403, "拒绝来自其他网站的表单提交。请在工作台页面内操作。")
            if request.method == "GET" and _has_blank_fields(request):
                return _without_blank_fields(request)
            try:
                return await handler(request)
            except HTTPException as exc:
                if exc.status_code == 401:
                    return login_redirect(request)
                if exc.status_code == 403:
                    return error_page(request, 403, "您的角色无权使用此页面。")
                return error_page(request, exc.status_code, str(exc.detail))
            except SERVICE_ERRORS as exc:
                return error_page(request, *explain(exc))
            except RequestValidationError as exc:
                return error_page(request, 422, f"请求参数有误：{describe_errors(exc)}")  # type: ignore[arg-type]

        return console_handler


def remember_user(request: Request, user: User = Depends(current_user)) -> User:
    """The signed-in user, also kept on the request so error pages still show the menu."""
    request.state.console_user = user
    return user


def public_router() -> APIRouter:
    """Pages anyone may open (sign-in)."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def page_router() -> APIRouter:
    """Pages for signed-in staff; each route adds its own permission check."""
    return APIRouter(route_class=ConsoleRoute, include_in_schema=False, dependencies=[Depends(remember_user)])
