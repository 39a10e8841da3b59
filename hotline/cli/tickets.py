"""``hotline tickets register|list|show|transition|extend``: staff work without the web console."""
from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer

from hotline import access, tickets
from hotline.cli.common import CliError, database, settings, user_errors
from hotline.tickets import CHANNELS
from hotline.workflow import InvalidParams
from storage import tickets as store
from storage import users as user_store
from storage.models import User

tickets_app = typer.Typer(help="Tickets (工单): register, list, show, move through the workflow.", no_args_is_help=True)

AS_USER = typer.Option(..., "--as", envvar="HOTLINE_USER", help="the staff member acting (or HOTLINE_USER)")
JSON = typer.Option(False, "--json", help="JSON output: one object per ticket")


def register(app: typer.Typer) -> None:
    app.add_typer(tickets_app, name="tickets")


def acting_user(username: str) -> User:
    with database().read() as session:
        user = user_store.get_by_username(session, username)
    if user is None or not user.active:
        raise CliError(f"no active user {username!r} (see 'hotline users list')")
    return user


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str))


def _print_ticket(view: dict[str, Any]) -> None:
    for key, value in view.items():
        if value not in (None, [], {}):
            typer.echo(f"{key:>20}: {json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value}")


@tickets_app.command("register")
def register_command(
    channel: str = typer.Option(..., help=f"one of {', '.join(CHANNELS)}"),
    content: str = typer.Option(..., help="the complaint"),
    phone: str | None = typer.Option(None, help="caller phone (omit: anonymous)"),
    name: str | None = typer.Option(None, help="caller name (omit: anonymous)"),
    address: str | None = typer.Option(None),
    subject: str | None = typer.Option(None, help="被投诉人/单位"),
    demands: str | None = typer.Option(None, help="诉求"),
    as_user: str = AS_USER,
    as_json: bool = JSON,
) -> None:
    """Register a complaint taken by walk-in, letter, web, email (or phone)."""
    user = acting_user(as_user)
    with user_errors(), database().write() as session:
        if not access.allowed(user, "register"):
            raise access.PermissionDenied(f"{user.role} {user.username} may not register tickets")
        if not content.strip():
            raise InvalidParams("content: must not be empty")
        ticket = tickets.register_ticket(
            session, settings(), channel=channel, actor=user.username, content=content, caller_phone=phone,
            caller_name=name, address=address, subject=subject, demands=demands,
        )
        view = tickets.detail(session, ticket, user)
    _print_json(view) if as_json else typer.echo(f"registered {view['number']} (deadline {view['deadline']})")


@tickets_app.command("list")
def list_command(
    status: list[str] = typer.Option([], help="repeat for several"),
    category: str | None = typer.Option(None),
    department: str | None = typer.Option(None),
    urgency: int | None = typer.Option(None, min=1, max=4),
    needs_review: bool | None = typer.Option(None, "--needs-review/--reviewed"),
    overdue: bool = typer.Option(False, "--overdue"),
    q: str | None = typer.Option(None, "--q", help="text search"),
    limit: int = typer.Option(50, min=1, max=10000),
    offset: int = typer.Option(0, min=0),
    as_user: str = AS_USER,
    as_json: bool = JSON,
) -> None:
    """Tickets this user may see, newest first; phone numbers masked."""
    user = acting_user(as_user)
    with user_errors(), database().read() as session:
        if not access.allowed(user, "view_tickets"):
            raise access.PermissionDenied(f"{user.role} {user.username} may not read tickets")
        criteria = tickets.ticket_filter(
            user, statuses=status or None, category=category, department=department, urgency=urgency,
            needs_review=needs_review, overdue=overdue, text=q,
        )
        page, total = store.list_tickets(session, criteria, limit=limit, offset=offset)
        views = [tickets.summary(t) for t in page]
    for view in views:
        if as_json:
            _print_json(view)
        else:
            typer.echo(
                f"{view['number']}  {view['status_word']:<6} {view['channel']:<8} {view['category'] or '-':<14} "
                f"{view['department'] or '-':<10} U{view['urgency']}  due {view['deadline'] or '-'}"
                f"{'  OVERDUE' if view['overdue'] else ''}"
            )
    if not as_json:
        typer.echo(f"{len(views)} of {total}", err=True)


@tickets_app.command("show")
def show_command(
    number: str,
    history: bool = typer.Option(False, "--history", help="include the event history"),
    as_user: str = AS_USER,
    as_json: bool = JSON,
) -> None:
    """One ticket; the full phone number only for supervisors and the handling department."""
    user = acting_user(as_user)
    with user_errors(), database().read() as session:
        ticket = tickets.visible_ticket(session, user, number)
        view = tickets.detail(session, ticket, user)
        if history:
            view["history"] = [tickets.event_view(e) for e in store.history(session, ticket.id)]
    _print_json(view) if as_json else _print_ticket(view)


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--param expects key=value, got {pair!r}")
        params[key.strip()] = value
    return params


@tickets_app.command("transition")
def transition_command(
    number: str,
    action: str = typer.Argument(..., help="accept, reject, transfer, dispatch, object, investigate, handle, "
                                            "reply, follow_up, close, appeal, archive"),
    param: list[str] = typer.Option([], "--param", "-p", help="key=value, e.g. -p department=juweihui"),
    as_user: str = AS_USER,
    as_json: bool = JSON,
) -> None:
    """Move a ticket through the workflow."""
    user = acting_user(as_user)
    params = _parse_params(param)
    with user_errors():
        tickets.run_transition(database(), settings(), number, user, action, params)
    with database().read() as session:
        view = tickets.detail(session, tickets.visible_ticket(session, user, number), user)
    _print_json(view) if as_json else typer.echo(f"{number}: {view['status']} ({view['status_word']})")


@tickets_app.command("extend")
def extend_command(
    number: str,
    until: str = typer.Option(..., help="new deadline, YYYY-MM-DD"),
    reason: str = typer.Option(...),
    as_user: str = AS_USER,
) -> None:
    """延期: a later deadline for the current stage, with a reason."""
    user = acting_user(as_user)
    try:
        new_date = date.fromisoformat(until)
    except ValueError as exc:
        raise CliError(f"--until: expected YYYY-MM-DD, got {until!r}") from exc
    with user_errors(), database().write() as session:
        ticket = tickets.visible_ticket(session, user, number)
        tickets.extend(session, settings(), ticket, user, until=new_date, reason=reason)
    typer.echo(f"{number}: extended until {new_date.isoformat()}")
