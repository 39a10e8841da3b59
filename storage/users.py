"""User queries. Password hashing happens in the caller; this module stores what it is given."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import User


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def add_user(
    session: Session,
    *,
    username: str,
    password_hash: str,
    role: str,
    department: str | None = None,
    display_name: str = "",
) -> User:
    user = User(
        username=username,
        password_hash=password_hash,
        role=role,
        department=department,
        display_name=display_name,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.username)).all()


def count_users(session: Session, *, role: str | None = None, active: bool | None = None) -> int:
    query = select(func.count()).select_from(User)
    if role:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active.is_(active))
    return session.scalar(query) or 0
