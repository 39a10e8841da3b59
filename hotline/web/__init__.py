"""The web console (工作台): server-rendered pages in Chinese over the same services as the API.

Pages live under ``/console/`` (sign-in at ``/login``); the API's JSON routes stay
where they are, and the console links to them for downloads (attachments,
reports, audit exports, recording audio) so each rule is enforced in one place.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")


def install(app: FastAPI) -> None:
    """Add the console's pages and its static files (CSS, JS) to the API app."""
    from hotline.web import audit, deadlines, queue, signin, statistics, ticket

    for module in (signin, queue, ticket, deadlines, statistics, audit):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
