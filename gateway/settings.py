"""Every setting, from the command line or from ROSETTA_* environment variables."""

from __future__ import annotations

import ipaddress
import re
import socket

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ANY_ORIGIN = "*"
# What a browser sends in Origin: a scheme, a host and maybe a port; never a path.
_ORIGIN = re.compile(r"https?://[^/?#\s]+")


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
    max_body: int = Field(
        1024 * 1024, ge=1024, description="largest request body or WebSocket message, in bytes"
    )
    body_timeout: float = Field(
        30.0, gt=0, description="seconds a client has to send a whole request body"
    )
    shutdown_timeout: float = Field(
        10.0, gt=0, description="seconds that calls in flight get to finish on shutdown"
    )
    ws_allowed_origins: str = Field(
        "",
        description="browser origins, besides the gateway's own, that may open /ws "
        "(comma-separated; * for any)",
    )
    ws_max_connections: int = Field(
        10_000, ge=1, description="open WebSocket connections per worker process"
    )
    ws_max_batch: int = Field(100, ge=1, description="requests in one JSON-RPC batch")
    ws_ping_interval: float = Field(
        20.0, ge=0, description="seconds between keepalive pings on /ws; 0 sends none"
    )
    ws_ping_timeout: float = Field(
        20.0, gt=0, description="seconds a WebSocket client has to answer a ping"
    )
    event_poll_interval: float = Field(
        0.5, gt=0, description="seconds between reads of events committed by other processes"
    )
    db_timeout: float = Field(
        5.0,
        gt=0,
        description="seconds a PostgreSQL call may take, connecting included, before the "
        "caller is answered `unavailable`",
    )
    event_queue_size: int = Field(
        1000, ge=1, description="events a subscriber may leave unread before it is cut off"
    )
    event_retention: int = Field(
        100_000,
        ge=1,
        description="newest events kept for subscribers that resume; older ones are pruned",
    )
    event_position_interval: float = Field(
        5.0,
        gt=0,
        description="seconds between position notifications to a subscriber whose patterns "
        "filtered out the latest events",
    )
    log_level: str = "info"
    instance: str = Field(
        "",
        description="this gateway's name in /metrics (rosetta_instance_info); "
        "empty: host:port, with the machine's host name for a wildcard address",
    )

    @field_validator("ws_allowed_origins")
    @classmethod
    def _origins_are_origins(cls, value: str) -> str:
        # A typo such as a missing scheme would otherwise never match, silently.
        wrong = [o for o in split_origins(value) if o != ANY_ORIGIN and not _ORIGIN.fullmatch(o)]
        if wrong:
            raise ValueError(f"not origins such as https://app.example:8443: {', '.join(wrong)}")
        return value

    @property
    def token(self) -> str | None:
        return self.api_token.get_secret_value() if self.api_token else None

    @property
    def instance_name(self) -> str:
        host = socket.gethostname() if _every_interface(self.host) else self.host
        return self.instance or f"{host}:{self.port}"

    @property
    def allowed_origins(self) -> frozenset[str]:
        return frozenset(split_origins(self.ws_allowed_origins))


def _every_interface(host: str) -> bool:
    """0.0.0.0, :: or nothing: no address another machine could reach this one by."""
    try:
        return not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False  # a host name


def split_origins(value: str) -> list[str]:
    """Comma-separated origins, compared as browsers write them: lower case, no final slash."""
    return [o.strip().rstrip("/").lower() for o in value.split(",") if o.strip()]
