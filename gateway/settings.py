"""Every setting, from the command line or from ROSETTA_* environment variables."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROSETTA_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    db: str = Field("rosetta.db", description="a SQLite file path, or a database URL")
    reload: bool = False
    workers: int = Field(1, ge=1)
    seed: bool = Field(True, description="load the sample books into an empty database")
    api_token: SecretStr | None = Field(
        None, description="when set, every change needs it; reads stay public"
    )
    max_body: int = Field(1024 * 1024, ge=1024, description="largest request body, in bytes")
    event_poll_interval: float = Field(
        0.5, gt=0, description="seconds between reads of events committed by other processes"
    )
    event_queue_size: int = Field(
        1000, ge=1, description="events a subscriber may leave unread before it is cut off"
    )
    log_level: str = "info"

    @property
    def token(self) -> str | None:
        return self.api_token.get_secret_value() if self.api_token else None
