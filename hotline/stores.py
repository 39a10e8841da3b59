"""The configured recording store, built from the settings."""

from __future__ import annotations

from hotline.config import Settings
from storage.objectstore import ObjectStore, open_store


def recording_store(settings: Settings) -> ObjectStore:
    return open_store(
        settings.storage_backend,
        local_root=settings.recordings_dir,
        s3_bucket=settings.s3_bucket,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_region=settings.s3_region,
        s3_access_key=settings.s3_access_key,
        s3_secret_key=settings.s3_secret_key,
    )
