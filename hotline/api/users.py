"""User administration (admins only)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from hotline import users
from hotline.api.deps import DatabaseDep, require_permission
from storage.models import User

router = APIRouter(prefix="/users", tags=["users"])
admin_only = require_permission("manage_users")


class UserIn(BaseModel):
    username: str
    password: str = Field(min_length=users.MIN_PASSWORD_LENGTH)
    role: str
    department: str | None = None
    display_name: str = ""


class UserPatch(BaseModel):
    active: bool


@router.get("")
def list_users(*, _: User = Depends(admin_only), db: DatabaseDep) -> list[dict[str, Any]]:
    with db.read() as session:
        return [users.user_view(u) for u in users.list_users(session)]


@router.post("", status_code=status.HTTP_201_CREATED)
def add_user(*, body: UserIn, _: User = Depends(admin_only), db: DatabaseDep) -> dict[str, Any]:
    with db.write() as session:
        return users.user_view(users.create_user(session, **body.model_dump()))


@router.patch("/{username}")
def update_user(
    *, username: str, body: UserPatch, _: User = Depends(admin_only), db: DatabaseDep
) -> dict[str, Any]:
    with db.write() as session:
        return users.user_view(users.set_active(session, username, body.active))
