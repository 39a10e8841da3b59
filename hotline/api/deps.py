"""FastAPI dependencies: the app's settings and database, the signed-in user, role checks."""
from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer

from hotline import access
from hotline.config import Settings
from hotline.security import read_token
from storage import users as user_store
from storage.db import Database
from storage.models import User

TOKEN_COOKIE = "hotline_token"
_bearer = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def _unauthorised(message: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    request: Request,
    bearer: str | None = Depends(_bearer),
    settings: Settings = Depends(get_settings),
    db: Database = Depends(get_db),
) -> User:
    """The user named by the bearer token or the ``hotline_token`` cookie; 401 otherwise."""
    token = bearer or request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise _unauthorised("not signed in: send 'Authorization: Bearer <token>' (POST /auth/token)")
    username = read_token(settings, token)
    if username is None:
        raise _unauthorised("token invalid or expired; sign in again")
    with db.read() as session:
        user = user_store.get_by_username(session, username)
    if user is None or not user.active:
        raise _unauthorised("account unknown or disabled")
    return user


# Shorthands for endpoint signatures.
CurrentUser = Annotated[User, Depends(current_user)]
DatabaseDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_roles(*roles: str) -> Callable[..., User]:
    """Dependency: the signed-in user, if their role is one of ``roles`` (403 otherwise)."""

    def check(user: User = Depends(current_user)) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role} may not do this")
        return user

    return check


def require_permission(action: str) -> Callable[..., User]:
    """``require_roles`` for the roles the permission table gives ``action``."""
    return require_roles(*access.roles_for(action))
