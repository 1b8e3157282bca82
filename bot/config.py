"""Settings, read once from the environment (prefix `BINHYEN_`) and `.env` into a typed object.

Nothing else in the code reads `os.environ`: the settings object is passed in. A wrong value
stops start-up with one line naming the setting (`SettingsError`, exit code 2 in the CLI).
Secrets are `SecretStr`, so they never print in a repr or a log line.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AnyHttpUrl,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "BINHYEN_"


def _default_key_file() -> Path:
    """Keys live outside the data directory by default, so a copied database is not readable."""
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "binhyen" / "keys"


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]


_MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line that names it."""


class Settings(BaseSettings):
    """Every knob of a deployment. README lists them all."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    telegram_token: Annotated[SecretStr | None, BeforeValidator(_blank_to_none)] = None
    telegram_api_url: AnyHttpUrl = AnyHttpUrl("https://api.telegram.org")
    telegram_proxy: OptionalText = None
    data_dir: Path = Path("data")
    database_url: OptionalText = None
    database_schema: OptionalText = None
    # start-up migrates the database itself; None: yes on SQLite (one process), no on
    # PostgreSQL (several workers: `binhyen migrate` is its own step, see `migrates_itself`)
    auto_migrate: bool | None = None
    sqlite_busy_timeout: float = Field(default=15, gt=0, le=3600)  # seconds
    timezone: str = "Asia/Ho_Chi_Minh"
    key_file: Path = Field(default_factory=_default_key_file)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object a line, for a collector

    zalo_token: Annotated[SecretStr | None, BeforeValidator(_blank_to_none)] = None
    zalo_api_url: AnyHttpUrl = AnyHttpUrl("https://bot-api.zaloplatforms.com")
    zalo_webhook_secret: Annotated[SecretStr | None, BeforeValidator(_blank_to_none)] = None
    public_url: Annotated[AnyHttpUrl | None, BeforeValidator(_blank_to_none)] = None
    # Telegram's webhook secret (with PUBLIC_URL); unset, one is derived from the key file
    telegram_webhook_secret: Annotated[SecretStr | None, BeforeValidator(_blank_to_none)] = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    zalo_limit_per_second: float = Field(default=8, ge=0)
    zalo_limit_private_per_second: float = Field(default=1, ge=0)
    evidence_link_minutes: float = Field(default=30, gt=0)

    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = Field(default=8081, ge=0, le=65535)
    flow_ttl_hours: float = Field(default=24.0, gt=0)
    inbox_keep_days: float = Field(default=7.0, gt=0)
    workers: int = Field(default=4, ge=1, le=64)
    sender_process: bool = False  # `run` sends from a second process (a second core)
    poll_timeout: int = Field(default=25, ge=0, le=50)

    telegram_limit_per_second: float = Field(default=30, ge=0)
    telegram_limit_group_per_minute: float = Field(default=20, ge=0)
    telegram_limit_private_per_second: float = Field(default=1, ge=0)
    rate_margin: float = Field(default=0.01, ge=0, le=1)
    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    delivery_max_in_flight: int = Field(default=64, ge=1, le=1000)
    request_timeout: float = Field(default=15, gt=0)
    lease_ttl_seconds: float = Field(default=30, gt=0)
    tick_seconds: float = Field(default=5, gt=0)
    missed_grace_minutes: float = Field(default=60, ge=0)

    tip_accept_hours: float = Field(default=2, gt=0)
    tip_forward_hours: float = Field(default=24, gt=0)
    tip_forward_remote_hours: float = Field(default=48, gt=0)
    tip_decide_days: float = Field(default=20, gt=0)
    tip_decide_complex_days: float = Field(default=60, gt=0)
    tip_extend_days: float = Field(default=60, gt=0)
    tip_followup_days: float = Field(default=20, gt=0)
    tip_remind_at: float = Field(default=0.75, gt=0, lt=1)
    tips_per_day: int = Field(default=10, ge=1)  # per person, days in `timezone`
    tip_retention_months: int = Field(default=36, ge=1)
    lookup_failures_per_code: int = Field(default=5, ge=1)
    lookup_failures_per_account: int = Field(default=10, ge=1)
    lookup_failures_global_per_hour: int = Field(default=200, ge=1)
    lookup_lockout_minutes: float = Field(default=30, gt=0)
    lookup_pace_seconds: float = Field(default=60, gt=0)
    max_download_mb: float = Field(default=20, gt=0)
    # awareness campaigns (FACTS.md): quiet hours, weekly caps per group and per person
    campaign_quiet_hours: str = Field(default="21:00-07:00",
                                      pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    campaign_group_per_week: int = Field(default=3, ge=1, le=14)
    campaign_person_per_week: int = Field(default=2, ge=1, le=14)
    # outreach coverage (FACTS.md): the target per village, where report periods begin
    # ("MM-DD": the year, and its second half) and when each report is due (a reminder goes to
    # villages below target a month before)
    coverage_target: float = Field(default=75, gt=0, le=100)  # percent of households
    coverage_year_start: str = Field(default="12-15", pattern=_MONTH_DAY)
    coverage_half_start: str = Field(default="06-15", pattern=_MONTH_DAY)
    coverage_half_deadline: str = Field(default="06-15", pattern=_MONTH_DAY)
    coverage_year_deadline: str = Field(default="12-15", pattern=_MONTH_DAY)
    zalo_bot_link: OptionalText = None  # e.g. https://zalo.me/…: how residents find the bot
    crash_at: OptionalText = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"không biết múi giờ {value!r}") from exc
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("telegram_proxy")
    @classmethod
    def _proxy_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://", "socks5://", "socks4://")):
            raise ValueError("phải bắt đầu bằng http://, https:// hoặc socks5://")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value()
            left, sep, right = raw.partition(":")
            if not sep or not left.isdigit() or len(right) < 20:
                raise ValueError("không đúng dạng mã bot của BotFather (số:chuỗi ký tự)")
        return value

    @field_validator("zalo_webhook_secret")
    @classmethod
    def _secret_length(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("phải dài từ 8 đến 256 ký tự")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}",
                                                  value.get_secret_value()):
            raise ValueError("1 đến 256 ký tự, chỉ gồm chữ cái không dấu, chữ số, _ và -")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("chỉ hỗ trợ sqlite+aiosqlite:// hoặc postgresql+asyncpg://")
        return value

    @model_validator(mode="after")
    def _fill_database_url(self) -> Settings:
        if self.database_url is None:
            self.database_url = f"sqlite+aiosqlite:///{(self.data_dir / 'binhyen.db').resolve()}"
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_hours(self) -> tuple[time, time]:
        """(start, end) of the campaign quiet hours, local time."""
        start, end = self.campaign_quiet_hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def db_url(self) -> str:
        assert self.database_url is not None
        return self.database_url

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def migrates_itself(self) -> bool:
        """Whether start-up brings the schema up to date (`AUTO_MIGRATE`): by default on
        SQLite, where one process serves (so `make run` stays one command), and not on
        PostgreSQL, where several workers start and `binhyen migrate` runs once before them;
        there a worker refuses a database that needs migrating."""
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]).upper() if error["loc"] else "?"
        reason = str(error.get("msg", "giá trị không hợp lệ")).removeprefix("Value error, ")
        raise SettingsError(f"Cài đặt {ENV_PREFIX}{field} sai: {reason}") from None
