"""DingTalk's own settings, from KABOT_DINGTALK_* variables (and .env); built by the app factory, not at import.

The channel is on when the client id (AppKey) and client secret (AppSecret) are set. Values are stripped: stray
whitespace in a pasted AppKey is the usual cause of `authFailed` on the Stream gateway (dingtalk.md pitfall 13).

    ding = DingTalkSettings()          # reads KABOT_DINGTALK_CLIENT_ID, ..._CLIENT_SECRET, ...
    if ding.enabled: ...
"""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_BASE = "https://api.dingtalk.com"
DEFAULT_OAPI_BASE = "https://oapi.dingtalk.com"


class DingTalkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KABOT_DINGTALK_", env_file=".env", extra="ignore")

    client_id: str | None = None  # the app's AppKey / ClientID (ding…)
    client_secret: SecretStr | None = None  # AppSecret / ClientSecret; also the key of the HTTP-mode `sign`
    robot_code: str | None = None  # an internal app's robot code is its AppKey, hence the default
    mode: Literal["stream", "http"] = "stream"
    card_template_id: str | None = None  # the approval card template published in the card platform
    team_groups: dict[str, str] = {}  # team name -> openConversationId of its group (the robot must be in it)
    api_base: str = DEFAULT_API_BASE
    oapi_base: str = DEFAULT_OAPI_BASE

    @field_validator("client_id", "robot_code", "card_template_id", mode="before")
    @classmethod
    def _strip(cls, v: object) -> object:
        return (v.strip() or None) if isinstance(v, str) else v

    @field_validator("client_secret", mode="before")
    @classmethod
    def _strip_secret(cls, v: object) -> object:
        return (v.strip() or None) if isinstance(v, str) else v

    @field_validator("api_base", "oapi_base")
    @classmethod
    def _no_trailing_slash(cls, v: str) -> str:
        return v.strip().rstrip("/")

    @model_validator(mode="after")
    def _robot_code_defaults_to_client_id(self) -> DingTalkSettings:
        if self.robot_code is None:
            self.robot_code = self.client_id
        return self

    @property
    def enabled(self) -> bool:
        return self.client_id is not None and self.client_secret is not None

    @property
    def secret(self) -> str:
        """The client secret; only call when `enabled`."""
        assert self.client_secret is not None, "DingTalk is not configured"
        return self.client_secret.get_secret_value()
