"""Channels are plug-ins (issue 15, item 2): the registry is the one list of messengers, the
settings say which of them run, and every registered one builds into a `Channel` named as
listed, without the app knowing which class it is."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.channels.base import Channel, Endpoint
from bot.channels.registry import CHANNELS, channel_type, configured
from bot.config import Settings
from bot.flows import Engine
from bot.runtime import Runtime
from handlers import build_registry

TOKEN = "123456789:AAbbccddeeffgghhiijjkkllmmnnooppqq"


def test_the_settings_say_which_messengers_run(settings: Settings) -> None:
    assert configured(settings) == {}
    settings.telegram_token = SecretStr(TOKEN)
    settings.telegram_proxy = "socks5://127.0.0.1:1080"
    settings.zalo_token = SecretStr("987654321:zalo-token")
    found = configured(settings)
    assert sorted(found) == ["telegram", "zalo"]  # the test messenger is never configured
    assert found["telegram"] == Endpoint(TOKEN, "https://api.telegram.org/",
                                         "socks5://127.0.0.1:1080")
    assert found["zalo"].token == "987654321:zalo-token"


def test_every_registered_messenger_builds_a_channel_named_as_listed(rt: Runtime) -> None:
    engine = Engine(rt, build_registry())
    assert sorted(CHANNELS) == ["plain", "telegram", "zalo"]
    for name in CHANNELS:
        channel: Channel = channel_type(name).build(rt, engine,
                                                    Endpoint(TOKEN, "http://127.0.0.1:9"))
        assert channel.name == name and not channel.webhook
        parts = channel.parts()
        assert parts.capabilities.max_text >= 2000
        assert channel.limits().private_per_second > 0


def test_webhooks_when_the_bot_has_a_public_address(rt: Runtime) -> None:
    """Telegram with the address alone (its secret is derived from the key file unless set);
    Zalo with the address and its secret."""
    engine = Engine(rt, build_registry())
    where = Endpoint(TOKEN, "http://127.0.0.1:9")
    rt.settings.public_url = "https://binhyen.example.vn"  # type: ignore[assignment]
    assert not channel_type("zalo").build(rt, engine, where).webhook
    assert channel_type("telegram").build(rt, engine, where).webhook
    rt.settings.zalo_webhook_secret = SecretStr("bi-mat-dai-du")
    assert channel_type("zalo").build(rt, engine, where).webhook


def test_an_unknown_messenger_is_named_in_the_error() -> None:
    with pytest.raises(LookupError, match="'viber'"):
        channel_type("viber")
