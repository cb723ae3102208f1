"""Settings from KABOT_* environment variables and an optional .env; built by the app factory."""

from __future__ import annotations

from decimal import Decimal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    # WeCom (the channel is on when the first five are set)
    wecom_corp_id: str | None = None
    wecom_agent_id: int | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"
    wecom_team_webhooks: dict[str, SecretStr] = {}

    @field_validator("wecom_aes_key")
    @classmethod
    def _aes_key_length(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) != 43:
            raise ValueError("KABOT_WECOM_AES_KEY must be the 43-character EncodingAESKey")
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
