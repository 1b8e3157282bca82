"""HTTP face of the sandbox: the Telegram Bot API, the control API, the web chat page, and
the Zalo emulator beside them.

`build_app` wires a `TelegramSandbox` into an aiohttp application:

- `GET|POST /bot{token}/{method}`: the Bot API, parameters from the query string plus a
  JSON, url-encoded or multipart body (file uploads included), answered in Telegram's
  `{"ok": ...}` envelope, after the injected faults (see bot.sandbox.faults) had their
  say (the handler is shared with Zalo, see bot.sandbox.routes);
- `GET /file/bot{token}/{file_path}`: file downloads, as aiogram's `bot.download` does;
- `/control/...`: JSON operations for tests and the page (see `build_app`);
- `GET /`: the web chat page, with its script and stylesheet under `/static/`;
- `/zalo/...`: with a `ZaloSandbox`, the Zalo emulator (see bot.sandbox.zalo_server);
- `/plain/...`: with a `PlainSandbox`, the plain test messenger (see bot.sandbox.plaintext).

`start_sandbox` serves it on a local port and returns a `RunningSandbox`.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from bot.sandbox.content import CONTENT_FIELDS
from bot.sandbox.errors import BotApiError, ControlError
from bot.sandbox.files import MAX_UPLOAD_BYTES
from bot.sandbox.plaintext import MOUNT as PLAIN_MOUNT
from bot.sandbox.plaintext import PlainSandbox, build_plain_app
from bot.sandbox.routes import control_body, control_errors, json_answer, serve_emulator
from bot.sandbox.telegram import DEFAULT_TOKEN, TelegramSandbox
from bot.sandbox.zalo import MOUNT, ZaloSandbox
from bot.sandbox.zalo_server import build_zalo_app

STATIC_DIR = Path(__file__).parent / "static"
SANDBOX_KEY = web.AppKey("sandbox", TelegramSandbox)
# Room for a 50 MB upload, or a base64-encoded file in a control request.
CLIENT_MAX_SIZE = MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
INLINE_FILE_KINDS = frozenset({"photo", "sticker"})


def _sandbox(request: web.Request) -> TelegramSandbox:
    return request.app[SANDBOX_KEY]


# ------------------------------------------------------------------------- downloads


async def handle_file_download(request: web.Request) -> web.Response:
    """`GET /file/bot{token}/{file_path}`: a file's bytes (401 wrong token, 404 unknown)."""
    sandbox = _sandbox(request)
    try:
        stored = sandbox.downloadable(request.match_info["token"], request.match_info["path"])
    except BotApiError as error:
        return json_answer(error.to_envelope(), status=error.error_code)
    return web.Response(
        body=stored.content(), content_type=stored.mime_type or "application/octet-stream"
    )


# ------------------------------------------------------------------------- control API


def _query_int(request: web.Request, name: str) -> int:
    value = _optional_query_int(request, name)
    if value is None:
        raise ControlError(f'query parameter "{name}" is required')
    return value


def _optional_query_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as error:
        raise ControlError(f'query parameter "{name}" must be an integer') from error


async def control_message(request: web.Request) -> web.Response:
    """POST /control/message {"user", "chat"?, "text"?, "reply_to_message_id"?, and at most
    one of "photo", "video", "voice", "audio", "document", "sticker", "location",
    "contact", with "caption"? and "media_group_id"?} (see bot.sandbox.content)."""
    basics = {"user", "chat", "text", "reply_to_message_id"}
    body = await control_body(request, basics | CONTENT_FIELDS)
    result = await _sandbox(request).user_message(
        user=body.get("user"),
        text=body.get("text"),
        chat=body.get("chat"),
        reply_to_message_id=body.get("reply_to_message_id"),
        attachments={name: body[name] for name in CONTENT_FIELDS if name in body},
    )
    return json_answer(result)


async def control_raw_update(request: web.Request) -> web.Response:
    """POST /control/raw_update {"update", "with_id"?}: queue an update as given, whatever
    its shape (tests of how the bot takes what Telegram would never send)."""
    body = await control_body(request, {"update", "with_id"})
    if "update" not in body:
        raise ControlError('"update" is required')
    with_id = body.get("with_id", True)
    if not isinstance(with_id, bool):
        raise ControlError('"with_id" must be true or false')
    return json_answer(await _sandbox(request).raw_update(body["update"], with_id))


async def control_migrate(request: web.Request) -> web.Response:
    """POST /control/migrate {"chat_id", "new_chat_id"?, "user"?}: group → supergroup."""
    body = await control_body(request, {"chat_id", "new_chat_id", "user"})
    result = await _sandbox(request).migrate_chat(
        chat_id=body.get("chat_id"), new_chat_id=body.get("new_chat_id"), user=body.get("user")
    )
    return json_answer(result)


async def control_file(request: web.Request) -> web.Response:
    """GET /control/file?file_id=F: a stored file's bytes, for the web chat page."""
    file_id = request.query.get("file_id")
    if not file_id:
        raise ControlError('query parameter "file_id" is required')
    stored = await _sandbox(request).file_content(file_id)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    if stored.kind not in INLINE_FILE_KINDS:  # never render user files as pages here
        headers["Content-Disposition"] = "attachment"
    return web.Response(
        body=stored.content(),
        content_type=stored.mime_type or "application/octet-stream",
        headers=headers,
    )


async def control_press(request: web.Request) -> web.Response:
    """POST /control/press {"user_id", "chat_id", "message_id", "data"|"button", "force"?}."""
    body = await control_body(
        request, {"user_id", "chat_id", "message_id", "data", "button", "force"}
    )
    result = await _sandbox(request).press_button(
        user_id=body.get("user_id"),
        chat_id=body.get("chat_id"),
        message_id=body.get("message_id"),
        data=body.get("data"),
        button=body.get("button"),
        force=bool(body.get("force", False)),
    )
    return json_answer(result)


async def control_membership(request: web.Request) -> web.Response:
    """POST /control/membership {"user", "status", "chat"?}: my_chat_member, as on Telegram."""
    body = await control_body(request, {"user", "status", "chat"})
    result = await _sandbox(request).set_membership(
        user=body.get("user"),
        status=body.get("status"),
        chat=body.get("chat"),
    )
    return json_answer(result)


async def control_webhook(request: web.Request) -> web.Response:
    """GET /control/webhook: the webhook, its deliveries and every try."""
    return json_answer(_sandbox(request).webhooks.to_json())


async def control_transcript(request: web.Request) -> web.Response:
    """GET /control/transcript?chat_id=C."""
    chat_id = _query_int(request, "chat_id")
    return json_answer(await _sandbox(request).transcript(chat_id))


async def control_chats(request: web.Request) -> web.Response:
    """GET /control/chats."""
    return json_answer({"chats": await _sandbox(request).list_chats()})


async def control_commands(request: web.Request) -> web.Response:
    """GET /control/commands[?chat_id=C[&user_id=U][&language_code=L]]."""
    sandbox = _sandbox(request)
    body: dict[str, Any] = {"stored": await sandbox.stored_commands(), "visible": None}
    chat_id = _optional_query_int(request, "chat_id")
    if chat_id is not None:
        body["visible"] = await sandbox.visible_commands(
            chat_id,
            user_id=_optional_query_int(request, "user_id"),
            language_code=request.query.get("language_code", ""),
        )
    return json_answer(body)


async def control_personas(request: web.Request) -> web.Response:
    """GET /control/personas: who the web page can act as, and its group chats."""
    sandbox = _sandbox(request)
    return json_answer(
        {
            "personas": sandbox.personas,
            "groups": sandbox.groups,
            "bot": await sandbox.get_me(),
        }
    )


# ------------------------------------------------------------------------ chat page


async def chat_page(request: web.Request) -> web.FileResponse:
    """GET /: the web chat page."""
    return web.FileResponse(STATIC_DIR / "chat.html", headers={"Cache-Control": "no-store"})


def build_app(sandbox: TelegramSandbox, zalo: ZaloSandbox | None = None,
              plain: PlainSandbox | None = None) -> web.Application:
    """The sandbox's aiohttp application, with `zalo` mounted under /zalo and `plain` under
    /plain if given.

    Control routes (JSON in and out; errors are {"ok": false, "description"} with 400,
    or 404 for an unknown chat):
    POST /control/message, POST /control/press, POST /control/membership,
    POST /control/migrate, POST /control/raw_update, GET /control/transcript?chat_id=,
    GET /control/chats, GET /control/commands, GET /control/personas, GET /control/webhook,
    POST|GET|DELETE /control/faults, GET /control/stats, POST /control/stats/reset,
    GET|POST /control/limits, GET /control/file?file_id= (raw bytes),
    POST /control/reset, POST /control/settle.
    """
    app = web.Application(middlewares=[control_errors], client_max_size=CLIENT_MAX_SIZE)
    app[SANDBOX_KEY] = sandbox
    serve_emulator(app, sandbox)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file_download)
    app.router.add_post("/control/message", control_message)
    app.router.add_post("/control/migrate", control_migrate)
    app.router.add_post("/control/raw_update", control_raw_update)
    app.router.add_get("/control/file", control_file)
    app.router.add_post("/control/press", control_press)
    app.router.add_post("/control/membership", control_membership)
    app.router.add_get("/control/transcript", control_transcript)
    app.router.add_get("/control/chats", control_chats)
    app.router.add_get("/control/commands", control_commands)
    app.router.add_get("/control/personas", control_personas)
    app.router.add_get("/control/webhook", control_webhook)
    app.router.add_get("/", chat_page)
    app.router.add_static("/static/", STATIC_DIR)
    if zalo is not None:
        app.add_subapp(MOUNT, build_zalo_app(zalo))
    if plain is not None:
        app.add_subapp(PLAIN_MOUNT, build_plain_app(plain))
    return app


# ---------------------------------------------------------------------------- running


@dataclass
class RunningSandbox:
    """A sandbox served over HTTP; `base_url` is what aiogram's API server is built from,
    `zalo_base_url` what the bot's Zalo client calls `/bot{token}/{method}` under."""

    sandbox: TelegramSandbox
    base_url: str
    port: int
    runner: web.AppRunner = field(repr=False)
    zalo: ZaloSandbox | None = None
    plain: PlainSandbox | None = None

    @property
    def zalo_base_url(self) -> str:
        """The Zalo emulator's base URL (only served when `zalo` is set)."""
        return f"{self.base_url}{MOUNT}"

    @property
    def plain_base_url(self) -> str:
        """The plain messenger's base URL (only served when `plain` is set)."""
        return f"{self.base_url}{PLAIN_MOUNT}"

    async def close(self) -> None:
        """Answer any waiting getUpdates, stop webhook deliveries and stop serving."""
        await self.sandbox.close()
        if self.zalo is not None:
            await self.zalo.close()
        if self.plain is not None:
            self.plain.shutdown()
        await self.runner.cleanup()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    token: str = DEFAULT_TOKEN,
    *,
    sandbox: TelegramSandbox | None = None,
    clock: Callable[[], float] | None = None,
    zalo_token: str | None = None,
    plain_token: str | None = None,
) -> RunningSandbox:
    """Serve a sandbox on host:port (0 = any port): `sandbox`, or a new one for `token`
    reading `clock` (default time.time; e.g. `lambda: fake.now().timestamp()`). With
    `zalo_token`, a `ZaloSandbox` for that token, on the same clock, is served under
    /zalo too; with `plain_token`, a `PlainSandbox` under /plain."""
    if sandbox is not None and clock is not None:
        raise ValueError("give the clock to the TelegramSandbox you pass, not to start_sandbox")
    if sandbox is None:
        sandbox = TelegramSandbox(token=token, clock=clock or time.time)
    zalo = None if zalo_token is None else ZaloSandbox(zalo_token, clock=sandbox.clock)
    plain = None if plain_token is None else PlainSandbox(plain_token, clock=sandbox.clock)
    runner = web.AppRunner(
        build_app(sandbox, zalo, plain), access_log=None, handler_cancellation=True, shutdown_timeout=5.0
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    real_port = int(runner.addresses[0][1])
    url_host = f"[{host}]" if ":" in host else host
    running = RunningSandbox(sandbox, f"http://{url_host}:{real_port}", real_port, runner, zalo,
                             plain)
    if zalo is not None:
        zalo.public_url = running.zalo_base_url
    return running
