"""A local stand-in for the Telegram Bot API, so the real bot runs with no token or network.

`TelegramSandbox` keeps the fake Telegram's state and implements the Bot API methods the
bot uses (text, media with uploads and file_ids, locations, albums, getFile) plus control
operations that act as Telegram users; `start_sandbox` serves it over HTTP (Bot API at
/bot{token}/{method}, downloads at /file/bot{token}/{path}, control API at /control/...,
a web chat page at /). Tests can inject faults (429, 5xx, timeouts, dropped connections,
403, 400), switch on Telegram's flood limits, upgrade a group to a supergroup, read
statistics and drive time with a fake clock. Point aiogram at it with
`AiohttpSession(api=TelegramAPIServer.from_base(running.base_url))`.

`ZaloSandbox` does the same for the Zalo Bot Platform (one-to-one text chats, string ids,
one update per getUpdates, webhooks with a secret); `start_sandbox(zalo_token=...)` serves
it under /zalo beside the Telegram sandbox, at `running.zalo_base_url`.
"""

from bot.sandbox.errors import BotApiError, ControlError
from bot.sandbox.server import RunningSandbox, build_app, start_sandbox
from bot.sandbox.telegram import DEFAULT_TOKEN, TelegramSandbox
from bot.sandbox.zalo import DEFAULT_ZALO_TOKEN, ZaloSandbox

__all__ = [
    "DEFAULT_TOKEN",
    "DEFAULT_ZALO_TOKEN",
    "BotApiError",
    "ControlError",
    "RunningSandbox",
    "TelegramSandbox",
    "ZaloSandbox",
    "build_app",
    "start_sandbox",
]
