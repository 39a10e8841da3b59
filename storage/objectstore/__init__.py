"""Where recordings live: one interface, a local-folder and an S3 backend."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from storage.objectstore.base import (
    CHUNK_SIZE,
    LOCK_MODE,
    ChecksumMismatch,
    ObjectExists,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    PresignNotSupported,
    RetentionActive,
    StoreMisconfigured,
    StoreUnavailable,
)
from storage.objectstore.local import LocalStore
from storage.objectstore.s3 import S3Store

__all__ = [
    "CHUNK_SIZE",
    "LOCK_MODE",
    "ChecksumMismatch",
    "LocalStore",
    "ObjectExists",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStoreError",
    "PresignNotSupported",
    "RetentionActive",
    "S3Store",
    "StoreMisconfigured",
    "StoreUnavailable",
    "open_store",
]


def open_store(
    backend: Literal["local", "s3"],
    *,
    local_root: Path | None = None,
    s3_bucket: str | None = None,
    s3_endpoint_url: str | None = None,
    s3_region: str = "us-east-1",
    s3_access_key: str | None = None,
    s3_secret_key: str | None = None,
    create_bucket: bool = True,
) -> ObjectStore:
    """Build the configured backend from plain values (``storage`` does not read settings)."""
    if backend == "local":
        if local_root is None:
            raise StoreMisconfigured("the local backend needs a folder")
        return LocalStore(local_root)
    if backend == "s3":
        if not s3_bucket:
            raise StoreMisconfigured("the S3 backend needs a bucket name")
        return S3Store(
            bucket=s3_bucket,
            endpoint_url=s3_endpoint_url,
            region=s3_region,
            access_key=s3_access_key,
            secret_key=s3_secret_key,
            create_bucket=create_bucket,
        )
    raise StoreMisconfigured(f"unknown storage backend {backend!r}")
