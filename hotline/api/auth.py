"""OAuth2 password flow: username + password → bearer token."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from hotline.api.deps import CurrentUser, DatabaseDep, SettingsDep
from hotline.security import issue_token
from hotline.users import authenticate, user_view

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token")
def token(
    *,
    form: OAuth2PasswordRequestForm = Depends(),
    db: DatabaseDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    with db.read() as session:
        user = authenticate(session, form.username, form.password)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong username or password, or account disabled",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return {
        "access_token": issue_token(settings, user.username),
        "token_type": "bearer",
        "expires_in": settings.token_ttl_minutes * 60,
    }


@router.get("/me")
def me(user: CurrentUser) -> dict[str, Any]:
    return user_view(user)
