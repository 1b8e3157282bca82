"""Every messenger the bot can run on, by name: the one list the app reads (`bot.app`).

A channel runs when the settings name its platform (a token is set: `configured`) or when the
caller gives its endpoint (the sandbox, the tests). How to add one: `bot.channels.base`.
"""

from __future__ import annotations

from bot.channels import plaintext, telegram, zalo
from bot.channels.base import ChannelType, Endpoint
from bot.config import Settings

CHANNELS: dict[str, ChannelType] = {
    telegram.NAME: telegram.PLUGIN,
    zalo.NAME: zalo.PLUGIN,
    plaintext.NAME: plaintext.PLUGIN,  # text only, for the tests (tests/harness.py)
}


def configured(settings: Settings) -> dict[str, Endpoint]:
    """The messengers the settings name, with where each one is."""
    found = {name: kind.endpoint(settings) for name, kind in CHANNELS.items()}
    return {name: where for name, where in found.items() if where is not None}


def channel_type(name: str) -> ChannelType:
    try:
        return CHANNELS[name]
    except KeyError:
        raise LookupError(f"no channel named {name!r} (see bot.channels.registry)") from None
