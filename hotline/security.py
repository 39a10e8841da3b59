"""Passwords (argon2) and signed, expiring bearer tokens (itsdangerous)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

from hotline.config import Settings

_hasher = PasswordHasher()
_TOKEN_SALT = "hotline-api-token"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.signing_key, salt=_TOKEN_SALT)


def issue_token(settings: Settings, username: str) -> str:
    """A token naming the user; it expires after ``settings.token_ttl_minutes``."""
    return _serializer(settings).dumps({"sub": username})


def read_token(settings: Settings, token: str) -> str | None:
    """The username a valid, unexpired token names; ``None`` otherwise."""
    try:
        payload = _serializer(settings).loads(token, max_age=settings.token_ttl_minutes * 60)
    except BadSignature:  # includes SignatureExpired
        return None
    subject = payload.get("sub") if isinstance(payload, dict) else None
    return subject if isinstance(subject, str) else None
