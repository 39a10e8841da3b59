"""Who sees which ticket: the Python rule and its SQL twin must always agree."""
from __future__ import annotations

from collections.abc import Callable
from itertools import product

import pytest
from sqlalchemy import select

from hotline import access
from storage.db import Database
from storage.models import Ticket, User

# (confidential, department, assignee_department, subject_department)
TICKET_SHAPES = [
    (False, "juweihui", None, None),
    (False, "juweihui", "wuye", None),
    (False, "wuye", None, "juweihui"),
    (False, None, None, None),
    (True, "jijian", None, "jiedao"),
    (True, "jijian", "jijian", "jiedao"),
    (True, "jijian", None, "jijian"),
    (True, "jiedao", None, "jiedao"),
]


def _ticket(confidential: bool, department: str | None, assignee: str | None, subject: str | None) -> Ticket:
    return Ticket(confidential=confidential, department=department, assignee_department=assignee,
                  subject_department=subject)


def test_visibility_rule_and_sql_clause_agree(
    staff: dict[str, User], make_ticket: Callable[..., Ticket], db: Database
) -> None:
    numbers = {}
    for shape in TICKET_SHAPES:
        confidential, department, assignee, subject = shape
        numbers[make_ticket(confidential=confidential, department=department, assignee_department=assignee,
                            subject_department=subject).number] = shape
    disabled = User(username="gone", role="supervisor", department=None, active=False)
    for user in [*staff.values(), disabled]:
        with db.read() as session:
            seen = set(session.scalars(select(Ticket.number).where(access.visible_tickets_clause(user))))
        expected = {n for n, shape in numbers.items() if access.can_view_ticket(user, _ticket(*shape))}
        assert seen == expected, user.username


@pytest.mark.parametrize(
    ("role", "department", "visible"),
    [
        ("supervisor", None, True),
        ("handler", "jijian", True),
        ("handler", "jiedao", False),  # the accused unit
        ("handler", "juweihui", False),
        ("dispatcher", None, False),
        ("auditor", None, False),
        ("admin", None, False),
    ],
)
def test_confidential_tickets(role: str, department: str | None, visible: bool) -> None:
    user = User(username="u", role=role, department=department, active=True)
    assert access.can_view_ticket(user, _ticket(True, "jijian", "jijian", "jiedao")) is visible


def test_confidential_report_against_the_discipline_department_is_for_supervisors_only() -> None:
    ticket = _ticket(True, "jijian", None, "jijian")
    assert not access.can_view_ticket(User(username="j", role="handler", department="jijian", active=True), ticket)
    assert access.can_view_ticket(User(username="s", role="supervisor", department=None, active=True), ticket)


def test_handlers_see_only_their_department_and_never_complaints_about_themselves() -> None:
    handler = User(username="h", role="handler", department="juweihui", active=True)
    assert access.can_view_ticket(handler, _ticket(False, "juweihui", None, None))
    assert not access.can_view_ticket(handler, _ticket(False, "juweihui", "wuye", None))  # dispatched elsewhere
    assert access.can_view_ticket(handler, _ticket(False, "wuye", "juweihui", None))
    assert not access.can_view_ticket(handler, _ticket(False, "juweihui", None, "juweihui"))


def test_full_phone_only_for_supervisors_and_the_handling_department() -> None:
    ticket = _ticket(False, "juweihui", "juweihui", None)
    full = {
        (role, department): access.can_see_full_phone(User(username="u", role=role, department=department,
                                                           active=True), ticket)
        for role, department in product(access.ROLES, [None, "juweihui", "wuye"])
        if (role == "handler") == (department is not None)
    }
    assert {key for key, value in full.items() if value} == {("supervisor", None), ("handler", "juweihui")}


def test_every_action_in_the_table_names_known_roles() -> None:
    assert all(roles <= set(access.ROLES) for roles in access.PERMISSIONS.values())
    assert access.roles_for("close") == {"supervisor"}
    assert access.roles_for("manage_users") == {"admin"}
