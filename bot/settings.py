"""Settings from KABOT_* environment variables and an optional .env; built by the app factory."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

DEFAULT_API_BASE = "https://api.dingtalk.com"
DEFAULT_OAPI_BASE = "https://oapi.dingtalk.com"


class DingTalkSettings(BaseSettings):
    """DingTalk's own KABOT_DINGTALK_* variables, one nested value for the channel. It is on when the client id and
    secret are set; values are stripped (a stray space in a pasted AppKey is the usual cause of `authFailed` on the
    Stream gateway, dingtalk.md pitfall 13)."""

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KABOT_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./kabot.db"
    redis_url: str | None = None
    base_currency: str = "CNY"
    default_timezone: str = "Asia/Shanghai"
    admin_contact: str = "系统管理员"  # who an unknown user should ask to be added
    company_name: str = "kabot 示例贸易有限公司"
    log_level: str = "INFO"
    log_message_bodies: bool = False  # local debugging only: lets database statements with bodies reach the log
    policy_file: str | None = None
    vat_rate: Decimal = Decimal(13)  # percent; margins on 含税 prices are computed without it (exports: 0)
    home_country: str = "CN"  # ISO code: customers elsewhere get export quotes (0% VAT, English sheet)
    fx_confirm_change_pct: Decimal = Decimal(10)  # a new rate this far from the current one must be confirmed
    stage_rules_file: str | None = None
    # Delivery
    outbox_poll_seconds: float = 1.0
    worker_poll_seconds: float = 0.1  # how soon `kabot work` notices messages `serve --workers` stored
    # CPU priority of the workers `serve` starts: "idle" (only CPU nothing else wants), "low" (nice 10), "normal"
    worker_priority: Literal["idle", "low", "normal"] = "idle"
    # WeCom (the channel is on when the first five are set)
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_team_webhooks: dict[str, SecretStr] = {}
    # DingTalk: its own KABOT_DINGTALK_* variables (DingTalkSettings above)
    dingtalk: DingTalkSettings = Field(default_factory=DingTalkSettings)

    @field_validator("wecom_aes_key")
    @classmethod
    def _aes_key_length(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) != 43:
            raise ValueError(
                "应为 43 个字符的 EncodingAESKey（企业微信应用“接收消息”设置里的）"
                " / must be the 43-character EncodingAESKey"
            )
        return v

    def wecom_missing(self) -> list[str]:
        """The WeCom settings not set yet (the channel is on when none are missing)."""
        needed = {
            "KABOT_WECOM_CORP_ID": self.wecom_corp_id,
            "KABOT_WECOM_AGENT_ID": self.wecom_agent_id,
            "KABOT_WECOM_SECRET": self.wecom_secret,
            "KABOT_WECOM_TOKEN": self.wecom_token,
            "KABOT_WECOM_AES_KEY": self.wecom_aes_key,
        }
        return [name for name, value in needed.items() if value is None]

    @property
    def wecom_enabled(self) -> bool:
        return not self.wecom_missing()

    def dingtalk_missing(self) -> list[str]:
        """The DingTalk settings not set yet (the channel is on when the client id and secret are set)."""
        needed = {
            "KABOT_DINGTALK_CLIENT_ID": self.dingtalk.client_id,
            "KABOT_DINGTALK_CLIENT_SECRET": self.dingtalk.client_secret,
        }
        return [name for name, value in needed.items() if value is None]


class SettingsError(ValueError):
    """A KABOT_* value that cannot be used: one line per mistake, naming the variable and where it was set."""


ENV_FILE = ".env"
_WHAT_IS_WRONG = {  # pydantic's error types, as a user would be told
    "int_parsing": "应为整数，例如 1000002",
    "int_type": "应为整数，例如 1000002",
    "decimal_parsing": "应为数字，例如 13",
    "decimal_type": "应为数字，例如 13",
    "float_parsing": "应为数字，例如 1.0",
    "float_type": "应为数字，例如 1.0",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "dict_type": '应为 JSON 对象，例如 {"华东": "…"}',
    "json_invalid": '不是有效的 JSON，例如 {"华东": "…"}',
    "string_type": "应为文字",
}


_SECRET = re.compile(r"SECRET|TOKEN|KEY|WEBHOOK")  # never echoed, not even in part


def load_settings() -> Settings:
    """Settings(), with every mistake in the environment or .env reported in Chinese (English detail after)."""
    try:
        return Settings()
    except ValidationError as err:
        prefix = "KABOT_DINGTALK_" if err.title == DingTalkSettings.__name__ else "KABOT_"
        lines = []
        for e in err.errors():
            name = prefix + "_".join(str(part) for part in e["loc"]).upper()
            if e["type"] == "literal_error":
                what = f"只能是 {e.get('ctx', {}).get('expected', '')}".replace(" or ", " 或 ")
            elif e["type"] == "value_error":
                what = str(e.get("ctx", {}).get("error", e["msg"]))
            else:
                what = f"{_WHAT_IS_WRONG.get(e['type'], '取值不对')} / {e['msg']}"
            shown = "" if _SECRET.search(name) else f" = {_shown(e.get('input'))}"
            lines.append(f"设置有误 / invalid setting {name}（{_where(name)}）{shown}：{what}")
        raise SettingsError("\n".join(lines)) from None
    except SourceError as err:  # a dict-valued variable that is not JSON at all
        field = re.search(r'field "(\w+)"', str(err))
        name = "KABOT_" + (field[1].upper() if field else "?")
        raise SettingsError(
            f"设置有误 / invalid setting {name}（{_where(name)}）：{_WHAT_IS_WRONG['json_invalid']} / not valid JSON"
        ) from None


def _where(name: str) -> str:
    """The environment, or the line of .env that sets `name` (the environment wins, as in pydantic-settings)."""
    if any(k.upper() == name for k in os.environ):
        return "环境变量"
    env = Path(ENV_FILE)
    if env.is_file():
        for n, line in enumerate(env.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if re.match(rf"\s*(export\s+)?{name}\s*=", line, re.IGNORECASE):
                return f"{env.resolve()} 第{n}行"
    return "环境变量或 .env"


def _shown(value: object) -> str:
    """The bad value, cut short."""
    text = repr(value) if not isinstance(value, dict) else "{…}"
    return text if len(text) <= 12 else text[:6] + "…"
