"""``hotline users add|list|disable|enable``: staff accounts (run by the operator of the instance)."""
from __future__ import annotations

import json

import typer

from hotline import users
from hotline.access import ROLES
from hotline.cli.common import database, user_errors

users_app = typer.Typer(help="Staff accounts and roles.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")


@users_app.command("add")
def add(
    username: str,
    role: str = typer.Option(..., help=f"one of {', '.join(ROLES)}"),
    department: str | None = typer.Option(None, help="required for handlers, e.g. juweihui"),
    display_name: str = typer.Option("", "--name"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                 envvar="HOTLINE_NEW_PASSWORD"),
) -> None:
    """Create a user (password from --password, HOTLINE_NEW_PASSWORD, or a prompt)."""
    with user_errors(), database().write() as session:
        user = users.create_user(
            session, username=username, password=password, role=role, department=department,
            display_name=display_name,
        )
    typer.echo(f"added {user.username} ({user.role}{', ' + user.department if user.department else ''})")


@users_app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json")) -> None:
    with database().read() as session:
        views = [users.user_view(u) for u in users.list_users(session)]
    for view in views:
        if as_json:
            typer.echo(json.dumps(view, ensure_ascii=False))
        else:
            state = "active" if view["active"] else "disabled"
            typer.echo(f"{view['username']:<20} {view['role']:<11} {view['department'] or '-':<10} {state}")


def _set_active(username: str, active: bool) -> None:
    with user_errors(), database().write() as session:
        users.set_active(session, username, active)
    typer.echo(f"{username} {'enabled' if active else 'disabled'}")


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable a user: tokens stop working at once; nothing is deleted."""
    _set_active(username, False)


@users_app.command("enable")
def enable(username: str) -> None:
    _set_active(username, True)
