"""Staff accounts: creation with validation, authentication, the first admin."""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy.orm import Session

from hotline import access
from hotline.config import Settings
from hotline.security import hash_password, verify_password
from hotline.workflow import InvalidParams
from storage import users as store
from storage.db import Database
from storage.models import User

_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
_DEPARTMENT = re.compile(r"^[a-z0-9_]{1,32}$")
MIN_PASSWORD_LENGTH = 8
CREDENTIALS_FILE = "admin-credentials.txt"


class UserExists(ValueError):
    """The username is taken (HTTP 409)."""


class UserNotFound(LookupError):
    """No such user (HTTP 404)."""


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    department: str | None = None,
    display_name: str = "",
) -> User:
    """A validated, active user; handlers must belong to a department."""
    if not _USERNAME.match(username or ""):
        raise InvalidParams("username: 2-64 letters, digits, '.', '_' or '-'")
    if role not in access.ROLES:
        raise InvalidParams(f"role: must be one of {', '.join(access.ROLES)}")
    if role == access.HANDLER and not department:
        raise InvalidParams("department: a handler must belong to a department")
    if department and not _DEPARTMENT.match(department):
        raise InvalidParams("department: lowercase letters, digits and _ only (at most 32)")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidParams(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if store.get_by_username(session, username):
        raise UserExists(f"user {username} already exists")
    return store.add_user(
        session, username=username, password_hash=hash_password(password), role=role,
        department=department, display_name=(display_name or "").strip()[:128],
    )


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, else ``None`` (no hint which part was wrong)."""
    user = store.get_by_username(session, username)
    if user is None:
        verify_password(_dummy_hash(), password)  # same work either way: no username probing by timing
        return None
    if not user.active or not verify_password(user.password_hash, password):
        return None
    return user


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def set_active(session: Session, username: str, active: bool) -> User:
    user = store.get_by_username(session, username)
    if user is None:
        raise UserNotFound(f"no user {username}")
    if not active and user.active and user.role == access.ADMIN and store.count_users(
        session, role=access.ADMIN, active=True
    ) == 1:
        raise InvalidParams(f"{username} is the last active admin; enable another admin first")
    user.active = active
    return user


def list_users(session: Session) -> Sequence[User]:
    return store.list_users(session)


def user_view(user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "department": user.department,
        "active": user.active,
        "created_at": user.created_at.isoformat() if user.created_at else None,
    }


def ensure_first_admin(db: Database, settings: Settings) -> tuple[str, str] | None:
    """On first start (no admin yet) create ``admin`` with a random password.

    The credentials go to ``home/admin-credentials.txt`` (mode 0600) and are returned so the
    caller can print them once; ``None`` when an admin already exists.
    """
    with db.write() as session:
        if store.count_users(session, role=access.ADMIN):
            return None
        username, password = "admin", secrets.token_urlsafe(12)
        if store.get_by_username(session, username):
            username = f"admin-{secrets.token_hex(3)}"
        create_user(session, username=username, password=password, role=access.ADMIN, display_name="Administrator")
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / CREDENTIALS_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"username: {username}\npassword: {password}\n")
    os.chmod(path, 0o600)
    return username, password
