"""HTTP face of the Telegram sandbox: the Bot API, the control API and the web chat page.

`build_app` wires a `TelegramSandbox` into an aiohttp application:

- `GET|POST /bot{token}/{method}`: the Bot API, parameters from the query string plus a
  JSON, url-encoded or multipart body, answered in Telegram's `{"ok": ...}` envelope;
- `/control/...`: JSON operations for tests and the page (see `build_app`);
- `GET /`: the web chat page, with its script and stylesheet under `/static/`.

`start_sandbox` serves it on a local port and returns a `RunningSandbox`.
"""

import json
import logging
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from bot.sandbox.errors import BotApiError, ControlError, bad_request
from bot.sandbox.telegram import DEFAULT_TOKEN, TelegramSandbox

STATIC_DIR = Path(__file__).parent / "static"
SANDBOX_KEY = web.AppKey("sandbox", TelegramSandbox)
DEFAULT_SETTLE_TIMEOUT = 10.0
MAX_SETTLE_TIMEOUT = 300.0
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_dumps = partial(json.dumps, ensure_ascii=False)
logger = logging.getLogger(__name__)


def _sandbox(request: web.Request) -> TelegramSandbox:
    return request.app[SANDBOX_KEY]


# ----------------------------------------------------------------------------- Bot API


def _envelope(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


async def read_bot_api_params(request: web.Request) -> dict[str, Any]:
    """The raw parameters of a Bot API request: query string merged with the body."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return params
    if request.content_type == "application/json":
        params.update(await _json_body(request))
    elif request.content_type in _FORM_TYPES:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                raise bad_request(f'file uploads are not supported by the sandbox ("{name}")')
            params[name] = value
    return params


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text())
    except ValueError as error:
        raise bad_request("can't parse JSON request body") from error
    if not isinstance(body, dict):
        raise bad_request("the JSON request body must be an object")
    return body


async def handle_bot_api(request: web.Request) -> web.Response:
    """`/bot{token}/{method}`: one Bot API call."""
    sandbox = _sandbox(request)
    token, method = request.match_info["token"], request.match_info["method"]
    with sandbox.track_request(method):
        try:
            sandbox.resolve_method(token, method)
            params = await read_bot_api_params(request)
            result = await sandbox.call_bot_api(token, method, params)
        except BotApiError as error:
            return _envelope(error.to_envelope(), status=error.error_code)
        except Exception:
            logger.exception("sandbox failed on Bot API method %s", method)
            failure = BotApiError(500, "Internal Server Error: the sandbox failed, see its log")
            return _envelope(failure.to_envelope(), status=500)
    return _envelope({"ok": True, "result": result})


# ------------------------------------------------------------------------- control API


def _control_error(description: str, status: int) -> web.Response:
    return web.json_response({"ok": False, "description": description}, status=status, dumps=_dumps)


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn a `ControlError` from a control route into a JSON error response."""
    try:
        return await handler(request)
    except ControlError as error:
        return _control_error(error.description, error.status)


async def _control_body(request: web.Request, allowed: set[str]) -> dict[str, Any]:
    try:
        body = json.loads(await request.text() or "{}")
    except ValueError as error:
        raise ControlError("the request body must be JSON") from error
    if not isinstance(body, dict):
        raise ControlError("the request body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ControlError(f'unknown field "{unknown[0]}"')
    return body


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


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


async def control_message(request: web.Request) -> web.Response:
    """POST /control/message {"user", "chat"?, "text", "reply_to_message_id"?}."""
    body = await _control_body(request, {"user", "chat", "text", "reply_to_message_id"})
    result = await _sandbox(request).user_message(
        user=body.get("user"),
        text=body.get("text"),
        chat=body.get("chat"),
        reply_to_message_id=body.get("reply_to_message_id"),
    )
    return _json(result)


async def control_press(request: web.Request) -> web.Response:
    """POST /control/press {"user_id", "chat_id", "message_id", "data"|"button", "force"?}."""
    body = await _control_body(
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
    return _json(result)


async def control_membership(request: web.Request) -> web.Response:
    """POST /control/membership {"user", "status", "chat"?}: my_chat_member, as on Telegram."""
    body = await _control_body(request, {"user", "status", "chat"})
    result = await _sandbox(request).set_membership(
        user=body.get("user"),
        status=body.get("status"),
        chat=body.get("chat"),
    )
    return _json(result)


async def control_transcript(request: web.Request) -> web.Response:
    """GET /control/transcript?chat_id=C."""
    chat_id = _query_int(request, "chat_id")
    return _json(await _sandbox(request).transcript(chat_id))


async def control_chats(request: web.Request) -> web.Response:
    """GET /control/chats."""
    return _json({"chats": await _sandbox(request).list_chats()})


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
    return _json(body)


async def control_personas(request: web.Request) -> web.Response:
    """GET /control/personas: who the web page can act as, and its group chats."""
    sandbox = _sandbox(request)
    return _json(
        {
            "personas": sandbox.personas,
            "groups": sandbox.groups,
            "bot": await sandbox.get_me(),
        }
    )


async def control_reset(request: web.Request) -> web.Response:
    """POST /control/reset."""
    await _sandbox(request).reset()
    return _json({"ok": True})


async def control_settle(request: web.Request) -> web.Response:
    """POST /control/settle {"timeout"?}: 200 once the bot is idle, else 504."""
    body = await _control_body(request, {"timeout"})
    timeout = body.get("timeout", DEFAULT_SETTLE_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
        raise ControlError('"timeout" must be a number of seconds >= 0')
    sandbox = _sandbox(request)
    if await sandbox.settle(min(float(timeout), MAX_SETTLE_TIMEOUT)):
        return _json({"ok": True})
    reasons = await sandbox.busy_reasons() or ["activity did not stop"]
    description = f"the bot did not settle within {timeout} s: " + "; ".join(reasons)
    return _json({"ok": False, "description": description}, status=504)


# ------------------------------------------------------------------------ chat page


async def chat_page(request: web.Request) -> web.FileResponse:
    """GET /: the web chat page."""
    return web.FileResponse(STATIC_DIR / "chat.html", headers={"Cache-Control": "no-store"})


def build_app(sandbox: TelegramSandbox) -> web.Application:
    """The sandbox's aiohttp application.

    Control routes (JSON in and out; errors are {"ok": false, "description"} with 400,
    or 404 for an unknown chat):
    POST /control/message, POST /control/press, POST /control/membership,
    GET /control/transcript?chat_id=,
    GET /control/chats, GET /control/commands, GET /control/personas,
    POST /control/reset, POST /control/settle.
    """
    app = web.Application(middlewares=[control_errors])
    app[SANDBOX_KEY] = sandbox
    for http_method in ("GET", "POST"):
        app.router.add_route(http_method, "/bot{token}/{method}", handle_bot_api)
    app.router.add_post("/control/message", control_message)
    app.router.add_post("/control/press", control_press)
    app.router.add_post("/control/membership", control_membership)
    app.router.add_get("/control/transcript", control_transcript)
    app.router.add_get("/control/chats", control_chats)
    app.router.add_get("/control/commands", control_commands)
    app.router.add_get("/control/personas", control_personas)
    app.router.add_post("/control/reset", control_reset)
    app.router.add_post("/control/settle", control_settle)
    app.router.add_get("/", chat_page)
    app.router.add_static("/static/", STATIC_DIR)
    return app


# ---------------------------------------------------------------------------- running


@dataclass
class RunningSandbox:
    """A sandbox served over HTTP; `base_url` is what aiogram's API server is built from."""

    sandbox: TelegramSandbox
    base_url: str
    port: int
    runner: web.AppRunner = field(repr=False)

    async def close(self) -> None:
        """Answer any waiting getUpdates and stop serving."""
        self.sandbox.shutdown()
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
) -> RunningSandbox:
    """Serve a sandbox (a new one for `token`, unless given) on host:port; 0 = any port."""
    sandbox = sandbox if sandbox is not None else TelegramSandbox(token=token)
    runner = web.AppRunner(
        build_app(sandbox), access_log=None, handler_cancellation=True, shutdown_timeout=5.0
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    real_port = int(runner.addresses[0][1])
    url_host = f"[{host}]" if ":" in host else host
    return RunningSandbox(sandbox, f"http://{url_host}:{real_port}", real_port, runner)
