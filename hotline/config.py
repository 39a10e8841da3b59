"""All configuration of the hotline, in one place.

Settings come from ``HOTLINE_*`` environment variables and, optionally, a TOML
file named by ``HOTLINE_CONFIG``. Every setting has a safe default for the
embedded run: SQLite, recordings and spool in local folders, all below one data
directory (``HOTLINE_HOME``) so that two instances never touch each other.
"""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from storage.recordings import MIN_RETENTION_YEARS


class DeadlinePolicy(BaseModel):
    """Time limits of the complaint rules; working days on the Chinese calendar."""

    accept_days: int = Field(3, ge=1, description="registration → acceptance")
    investigate_days: int = Field(5, ge=1, description="dispatch → investigation finished")
    handle_days: int = Field(10, ge=1, description="dispatch → handled")
    general_close_days: int = Field(15, ge=1, description="a general case closed")
    complex_close_months: int = Field(2, ge=1, description="a complex case closed")
    multi_close_months: int = Field(3, ge=1, description="multi-department / long-standing case")
    appeal_window_days: int = Field(15, ge=1, description="appeal allowed after the reply")
    appeal_handle_days: int = Field(5, ge=1, description="re-investigation of an appeal")
    remind_before_days: int = Field(3, ge=0, description="reminder (催办) before a deadline")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    home: Path = Path("./var")
    database_url: str | None = None
    log_level: str = "INFO"
    secret_key: str | None = None
    token_ttl_minutes: int = Field(480, ge=1)

    # API and console
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)

    # SIP agent
    line_name: str = "社区投诉热线"
    sip_host: str = "127.0.0.1"
    sip_port: int = Field(5060, ge=1, le=65535)
    sip_public_host: str | None = None
    sip_allowed_networks: list[str] = ["127.0.0.0/8", "::1/128"]
    sip_menu_timeout_seconds: float = Field(5.0, gt=0)
    sip_max_silence_seconds: float = Field(8.0, gt=0)
    sip_max_call_seconds: float = Field(300.0, gt=0)
    sip_rtp_timeout_seconds: float = Field(20.0, gt=0)
    sip_prompts_dir: Path | None = None

    # Recordings and retention
    storage_backend: Literal["local", "s3"] = "local"
    retention_years: int = MIN_RETENTION_YEARS
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "hotline-recordings"
    s3_presign_seconds: int = Field(300, ge=1, le=3600)
    upload_retry_seconds: float = Field(5.0, gt=0)

    # Transcription, classification, jobs
    whisper_model: Path | None = None
    whisper_beam_size: int = Field(5, ge=1)
    whisper_compute_type: str = "int8"
    whisper_threads: int = Field(0, ge=0)
    taxonomy: Path | None = None
    job_max_attempts: int = Field(3, ge=1)
    job_lease_seconds: float = Field(300.0, gt=0)
    worker_poll_seconds: float = Field(1.0, gt=0)
    reminder_interval_seconds: float = Field(300.0, gt=0)
    alert_webhook_url: str | None = None

    deadline: DeadlinePolicy = DeadlinePolicy()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("HOTLINE_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    @field_validator("retention_years")
    @classmethod
    def _retention_at_least_two_years(cls, years: int) -> int:
        if years < MIN_RETENTION_YEARS:
            raise ValueError(
                f"HOTLINE_RETENTION_YEARS={years} is below the legal minimum of "
                f"{MIN_RETENTION_YEARS} years; recordings must be kept at least two years"
            )
        return years

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, home: Path) -> Path:
        return home.expanduser().resolve()

    # Derived locations: everything of the embedded run lives under ``home``.
    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'hotline.db'}"

    @property
    def recordings_dir(self) -> Path:
        return self.home / "recordings"

    @property
    def spool_dir(self) -> Path:
        return self.home / "spool"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def attachments_dir(self) -> Path:
        return self.home / "attachments"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @cached_property
    def signing_key(self) -> str:
        """The token signing key: configured, or created once under ``home``."""
        if self.secret_key:
            return self.secret_key
        key_file = self.home / "secret.key"
        if not key_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(os.urandom(32).hex())
        return key_file.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Read the settings once; callers pass the object on instead of re-reading."""
    return Settings(**overrides)  # type: ignore[arg-type]
