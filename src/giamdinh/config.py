"""Settings, read from the environment (prefix ``GIAMDINH_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings; every field is documented in ``docs/settings.md``."""

    model_config = SettingsConfigDict(
        env_prefix="GIAMDINH_", env_file=".env", extra="ignore"
    )

    store_dir: Path = Field(
        default=Path("store"),
        description="Directory of the claim store (Parquet + DuckDB).",
    )
    database_url: str = Field(
        default="sqlite:///giamdinh.db",
        description="SQLAlchemy URL of the operational store (cases, norms, audit).",
    )
    attachments_dir: Path | None = Field(
        default=None,
        description=(
            "Folder of the files attached to review cases; by default beside the"
            " SQLite database (`<name>.attachments`), else `attachments`."
        ),
    )
    max_attachment_bytes: int = Field(
        default=20 * 1024 * 1024,
        description="Largest file accepted as evidence in a review case, in bytes.",
    )
    max_file_bytes: int = Field(
        default=256 * 1024 * 1024,
        description="Largest claim file accepted, in bytes; larger files are refused.",
    )
    max_inner_file_bytes: int = Field(
        default=64 * 1024 * 1024,
        description="Largest decoded size of one base64 NOIDUNGFILE, in bytes.",
    )
    registry_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the licence registry (the exchange's database); when"
            " set, NV002/NV005 judge licences of every province it holds."
        ),
    )
    exchange_province: str | None = Field(
        default=None,
        description="Two-digit code of the province this instance speaks for (79).",
    )
    exchange_key_file: Path | None = Field(
        default=None,
        description="The province's Ed25519 private key (PEM, mode 0600).",
    )
    language: str = Field(
        default="vi", description="Language of user-facing messages: 'vi' or 'en'."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (overridable in tests and the API)."""
    return Settings()
