"""A runtime without any messenger, for service-level tests (a text-only renderer stands in
for a channel: it is the real renderer text-only messengers use)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.base import Capabilities, TextRenderer
from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.runtime import ChannelParts, Runtime
from bot.services.keys import open_keyring

TEXT_CHANNEL = "text"


@pytest.fixture
async def rt(settings: Settings, db: Database, clock: FakeClock) -> AsyncIterator[Runtime]:
    keyring = await open_keyring(db, settings.key_file)
    runtime = Runtime(settings, db, keyring, clock)
    runtime.channels[TEXT_CHANNEL] = ChannelParts(
        TextRenderer(limit=2000),
        Capabilities(buttons=False, groups=False, share_requests=False, max_text=2000),
    )
    yield runtime
