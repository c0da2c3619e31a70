"""Process settings from `CIRCLEBOT_*` environment variables (secrets are never printed)."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ProcessSettings(BaseSettings):
    """Everything the process reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="CIRCLEBOT_", extra="ignore")

    database_url: str = "sqlite:///circlebot.db"
    config_file: Path | None = None
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    http_host: str = "0.0.0.0"
    http_port: int = Field(default=3000, ge=0, le=65535)
    replica_id: str = Field(default_factory=_default_replica_id)

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_user_token: SecretStr | None = None  # optional: lets Hide delete others' messages
    slack_api_url: str | None = None

    discord_token: SecretStr | None = None
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    discord_shards: str | None = None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None
