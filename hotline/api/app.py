"""The API application: one factory, errors as short JSON messages, never a traceback."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import text

from hotline import access, web
from hotline.config import Settings
from hotline.tickets import TicketNotFound
from hotline.users import UserExists, UserNotFound
from hotline.workflow import IllegalTransition, InvalidParams, describe_errors
from storage.db import Database

log = logging.getLogger(__name__)


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=code)


def _install_error_handlers(app: FastAPI) -> None:
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, describe_errors(exc))  # type: ignore[arg-type]

    handlers = {
        RequestValidationError: validation,
        InvalidParams: lambda _r, exc: _error(422, str(exc)),
        IllegalTransition: lambda _r, exc: _error(409, str(exc)),
        UserExists: lambda _r, exc: _error(409, str(exc)),
        access.PermissionDenied: lambda _r, exc: _error(403, str(exc)),
        TicketNotFound: lambda _r, exc: _error(404, str(exc)),
        UserNotFound: lambda _r, exc: _error(404, str(exc)),
    }
    for exception, handler in handlers.items():
        app.add_exception_handler(exception, handler)  # type: ignore[arg-type]

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return _error(500, "internal error; see the server log")


def create_app(settings: Settings) -> FastAPI:
    """The API for one instance: its database is migrated before the first request."""
    db = Database(settings.db_url)
    db.migrate()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="社区投诉热线 API",
        description="Community complaint hotline: tickets (工单), workflow, deadlines, statistics.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    _install_error_handlers(app)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        try:
            with db.read() as session:
                session.execute(text("SELECT 1"))
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)  # type: ignore[return-value]
        return {"status": "ok", "database": "ok"}

    from hotline.api import audit, auth, jobs, recordings, stats, tickets, users

    app.include_router(auth.router)
    app.include_router(tickets.router)
    app.include_router(users.router)
    app.include_router(stats.router)
    app.include_router(jobs.router)
    app.include_router(recordings.router)
    app.include_router(audit.router)
    web.install(app)  # the console: pages under /console, sign-in at /login
    return app


def build_server(settings: Settings, host: str | None = None, port: int | None = None) -> uvicorn.Server:
    """A uvicorn server for ``create_app(settings)``; ``.run()`` blocks, ``should_exit`` stops it.

    Logging stays ours (JSON, scrubbed): uvicorn's loggers propagate to the root handler.
    """
    config = uvicorn.Config(
        create_app(settings), host=host or settings.host, port=port or settings.port,
        log_config=None, proxy_headers=False,
    )
    return uvicorn.Server(config)
