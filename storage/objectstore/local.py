"""Local-folder backend: the embedded default.

A folder cannot lock itself, so this backend is where the application enforces
the retention: objects are written once and made read-only, their retain-until
and legal hold live in a read-only JSON sidecar (``<key>.lock.json``), and
``delete_if_expired`` is the only code path that removes a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from storage.files import atomic_write
from storage.objectstore.base import (
    CHUNK_SIZE,
    LOCK_MODE,
    ChecksumMismatch,
    ObjectExists,
    ObjectInfo,
    ObjectNotFound,
    ObjectStoreError,
    PresignNotSupported,
)

_SIDECAR_SUFFIX = ".lock.json"
_READ_ONLY = 0o444


def read_file_range(
    path: Path, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Bytes ``start``..``end`` (inclusive) of a file, in chunks."""
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = None if end is None else end - start + 1
        while remaining is None or remaining > 0:
            chunk = handle.read(chunk_size if remaining is None else min(chunk_size, remaining))
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk


class LocalStore:
    backend = "local"
    can_presign = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._sidecar_lock = threading.Lock()

    # -- paths -----------------------------------------------------------------
    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if any(part in ("", ".", "..") for part in parts) or "\\" in key:
            raise ValueError(f"invalid object key {key!r}")
        if key.endswith(_SIDECAR_SUFFIX):
            raise ValueError(f"object keys may not end in {_SIDECAR_SUFFIX}")
        return self.root.joinpath(*parts)

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(path.name + _SIDECAR_SUFFIX)

    # -- lock metadata ---------------------------------------------------------
    def _read_info(self, key: str, path: Path) -> ObjectInfo:
        try:
            data = json.loads(self._sidecar(path).read_text())
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        data["retain_until"] = datetime.fromisoformat(data["retain_until"])
        return ObjectInfo(**data)

    def _write_info(self, path: Path, info: ObjectInfo) -> None:
        data = asdict(info) | {"retain_until": info.retain_until.isoformat() if info.retain_until else None}
        atomic_write(self._sidecar(path), json.dumps(data).encode(), mode=_READ_ONLY)

    def _version(self, key: str, version_id: str | None) -> tuple[Path, ObjectInfo]:
        path = self._path(key)
        info = self._read_info(key, path)
        if version_id is not None and version_id != info.version_id:
            raise ObjectNotFound(f"{key} version {version_id}")
        if not path.exists():
            raise ObjectNotFound(key)
        return path, info

    # -- interface -------------------------------------------------------------
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
        path = self._path(key)
        if path.exists():
            return self._adopt_existing(key, path, sha256, size, retain_until, legal_hold)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            digest, written = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                while chunk := src.read(1024 * 1024):
                    digest.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256 or written != size:
                raise ChecksumMismatch(f"{key}: content does not match the SHA-256/size it was sent with")
            os.chmod(tmp, _READ_ONLY)
            try:
                os.link(tmp, path)  # never replaces an existing object
            except FileExistsError:
                return self._adopt_existing(key, path, sha256, size, retain_until, legal_hold)
        finally:
            Path(tmp).unlink(missing_ok=True)
        info = ObjectInfo(key, uuid.uuid4().hex, size, sha256, retain_until, LOCK_MODE, legal_hold)
        with self._sidecar_lock:
            self._write_info(path, info)
        return info

    def _adopt_existing(
        self, key: str, path: Path, sha256: str, size: int, retain_until: datetime, legal_hold: bool
    ) -> ObjectInfo:
        """A retried upload: identical content is accepted, anything else refused."""
        digest = hashlib.sha256()
        for chunk in read_file_range(path, chunk_size=1024 * 1024):
            digest.update(chunk)
        if digest.hexdigest() != sha256:
            raise ObjectExists(f"{key} already holds different content")
        with self._sidecar_lock:
            try:
                return self._read_info(key, path)
            except ObjectNotFound:  # crashed between writing the data and its lock
                info = ObjectInfo(key, uuid.uuid4().hex, size, sha256, retain_until, LOCK_MODE, legal_hold)
                self._write_info(path, info)
                return info

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        path, info = self._version(key, version_id)
        return replace(info, size=path.stat().st_size)

    def stream(
        self,
        key: str,
        version_id: str | None = None,
        *,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Iterator[bytes]:
        path, _ = self._version(key, version_id)
        return read_file_range(path, start, end, chunk_size)

    def presigned_url(self, key: str, version_id: str | None, *, expires_seconds: int) -> str:
        raise PresignNotSupported("presigned URLs need the S3 backend")

    def set_legal_hold(self, key: str, version_id: str | None, on: bool) -> None:
        with self._sidecar_lock:
            path, info = self._version(key, version_id)
            self._write_info(path, replace(info, legal_hold=on))

    def delete_if_expired(self, key: str, version_id: str | None) -> None:
        with self._sidecar_lock:
            path = self._path(key)
            info = self._read_info(key, path)
            if version_id is not None and version_id != info.version_id:
                raise ObjectNotFound(f"{key} version {version_id}")
            if info.retain_until is None:
                raise ObjectStoreError(f"{key} has no retention metadata; refusing to delete")
            info.ensure_deletable(datetime.now(UTC))
            path.unlink(missing_ok=True)
            self._sidecar(path).unlink()
            self._prune_empty_parents(path.parent)

    def _prune_empty_parents(self, directory: Path) -> None:
        while directory != self.root and directory.is_relative_to(self.root):
            try:
                directory.rmdir()
            except OSError:  # not empty
                return
            directory = directory.parent
