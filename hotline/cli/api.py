"""``hotline api``: the HTTP API alone (``hotline serve`` adds the SIP agent and worker)."""
from __future__ import annotations

import typer

from hotline.api.app import build_server
from hotline.cli.common import database, settings
from hotline.logging import configure_logging
from hotline.users import CREDENTIALS_FILE, ensure_first_admin


def register(app: typer.Typer) -> None:
    app.command("api")(api)


def announce_first_admin() -> None:
    """Create the first admin if there is none and print its credentials once."""
    credentials = ensure_first_admin(database(), settings())
    if credentials:
        username, password = credentials
        typer.echo(
            f"created the first admin: {username} / {password} "
            f"(also in {settings().home / CREDENTIALS_FILE}, mode 0600)"
        )


def api(
    host: str | None = typer.Option(None, help="default: HOTLINE_HOST (127.0.0.1)"),
    port: int | None = typer.Option(None, min=1, max=65535, help="default: HOTLINE_PORT (8080)"),
) -> None:
    """Serve the API (OpenAPI at /docs, health at /health)."""
    configure_logging(settings())
    announce_first_admin()
    build_server(settings(), host, port).run()
