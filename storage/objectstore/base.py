"""The object store interface shared by the local-folder and S3 backends.

Every object is written once, with its SHA-256 and a retain-until date, and stays
locked (COMPLIANCE mode) until then; a legal hold keeps it longer. Nothing in this
interface can shorten a retention or delete a locked object.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

LOCK_MODE = "COMPLIANCE"
CHUNK_SIZE = 256 * 1024


class ObjectStoreError(Exception):
    """Base of every object store failure."""


class StoreUnavailable(ObjectStoreError):
    """The store cannot be reached right now; try again later."""


class StoreMisconfigured(ObjectStoreError):
    """The store is reachable but unusable as configured (e.g. a bucket without Object Lock)."""


class ObjectNotFound(ObjectStoreError):
    """No such key or version."""


class ObjectExists(ObjectStoreError):
    """A different object already sits under this key; objects are written once."""


class ChecksumMismatch(ObjectStoreError):
    """The bytes do not match the SHA-256 they were sent or stored with."""


class RetentionActive(ObjectStoreError):
    """Deleting was refused: the retain-until date has not passed or a legal hold is on."""


class PresignNotSupported(ObjectStoreError):
    """Only S3 can hand out presigned URLs."""


@dataclass(frozen=True)
class ObjectInfo:
    """What the store recorded about one object version."""

    key: str
    version_id: str | None
    size: int
    sha256: str | None  # hex digest the store recorded at upload time
    retain_until: datetime | None
    lock_mode: str | None
    legal_hold: bool

    def is_locked(self, now: datetime) -> bool:
        return self.legal_hold or (self.retain_until is not None and self.retain_until > now)

    def ensure_deletable(self, now: datetime) -> None:
        """``RetentionActive`` while the retention runs or a legal hold is on."""
        if self.is_locked(now):
            until = self.retain_until.isoformat() if self.retain_until else "?"
            raise RetentionActive(
                f"{self.key} is retained until {until}" + (" and under legal hold" if self.legal_hold else "")
            )


class ObjectStore(Protocol):
    backend: str
    can_presign: bool

    def put(
        self,
        key: str,
        source: Path,
        *,
        sha256: str,
        size: int,
        retain_until: datetime,
        legal_hold: bool = False,
    ) -> ObjectInfo:
        """Store ``source`` under ``key``, locked until ``retain_until``.

        Idempotent: an object already stored under ``key`` with the same SHA-256 is
        returned as is; different content under the same key raises ``ObjectExists``.
        """
        ...

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo: ...

    def stream(
        self,
        key: str,
        version_id: str | None = None,
        *,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Iterator[bytes]:
        """Bytes ``start``..``end`` (inclusive; ``None`` = to the end) of the object."""
        ...

    def presigned_url(self, key: str, version_id: str | None, *, expires_seconds: int) -> str: ...

    def set_legal_hold(self, key: str, version_id: str | None, on: bool) -> None: ...

    def delete_if_expired(self, key: str, version_id: str | None) -> None:
        """Delete the version if its retention has passed and no hold is on, else ``RetentionActive``.

        "Passed" by the store's own clock, never one a caller supplies.
        """
        ...
