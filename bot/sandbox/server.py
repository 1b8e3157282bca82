"""HTTP face of the Telegram sandbox: the Bot API, the control API and the web chat page.

`build_app` wires a `TelegramSandbox` into an aiohttp application:

- `GET|POST /bot{token}/{method}`: the Bot API, parameters from the query string plus a
  JSON, url-encoded or multipart body (file uploads included), answered in Telegram's
  `{"ok": ...}` envelope, after the injected faults (see bot.sandbox.faults) had their
  say;
- `GET /file/bot{token}/{file_path}`: file downloads, as aiogram's `bot.download` does;
- `/control/...`: JSON operations for tests and the page (see `build_app`);
- `GET /`: the web chat page, with its script and stylesheet under `/static/`.

`start_sandbox` serves it on a local port and returns a `RunningSandbox`.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from bot.sandbox.content import CONTENT_FIELDS
from bot.sandbox.errors import BotApiError, ControlError, bad_request
from bot.sandbox.faults import DELAYED_KINDS, FAULT_FIELDS, FaultRule
from bot.sandbox.files import MAX_UPLOAD_BYTES, Upload
from bot.sandbox.limits import parse_limits
from bot.sandbox.telegram import DEFAULT_TOKEN, TelegramSandbox

STATIC_DIR = Path(__file__).parent / "static"
SANDBOX_KEY = web.AppKey("sandbox", TelegramSandbox)
DEFAULT_SETTLE_TIMEOUT = 10.0
MAX_SETTLE_TIMEOUT = 300.0
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Room for a 50 MB upload, or a base64-encoded file in a control request.
CLIENT_MAX_SIZE = MAX_UPLOAD_BYTES * 4 // 3 + 1024 * 1024
INLINE_FILE_KINDS = frozenset({"photo", "sticker"})
LIMIT_FIELDS = frozenset(
    {"enabled", "global_per_second", "group_per_minute", "private_per_second", "strictness"}
)
_dumps = partial(json.dumps, ensure_ascii=False)
logger = logging.getLogger(__name__)


def _sandbox(request: web.Request) -> TelegramSandbox:
    return request.app[SANDBOX_KEY]


# ----------------------------------------------------------------------------- Bot API


def _envelope(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _error(sandbox: TelegramSandbox, error: BotApiError) -> web.Response:
    sandbox.stats.count_response(error.error_code)
    return _envelope(error.to_envelope(), status=error.error_code)


async def read_bot_api_params(request: web.Request) -> dict[str, Any]:
    """The raw parameters of a Bot API request: query string merged with the body.

    Multipart file parts become `Upload` values under their part names.
    """
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return params
    if request.content_type == "application/json":
        params.update(await _json_body(request))
    elif request.content_type in _FORM_TYPES:
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge as error:
            raise BotApiError(413, "Request Entity Too Large") from error
        for name, value in form.items():
            params[name] = _upload(name, value) if isinstance(value, web.FileField) else value
    return params


def _upload(name: str, part: web.FileField) -> Upload:
    return Upload(name, part.filename or None, part.content_type, part.file.read())


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text())
    except ValueError as error:
        raise bad_request("can't parse JSON request body") from error
    if not isinstance(body, dict):
        raise bad_request("the JSON request body must be an object")
    return body


async def handle_bot_api(request: web.Request) -> web.StreamResponse:
    """`/bot{token}/{method}`: one Bot API call, unless an injected fault hits it."""
    sandbox = _sandbox(request)
    token, method = request.match_info["token"], request.match_info["method"]
    with sandbox.track_request(method):
        try:
            name = sandbox.method_name(token, method)
            sandbox.stats.count_request(name)
            params = await read_bot_api_params(request)
        except BotApiError as error:
            return _error(sandbox, error)
        fault = sandbox.take_fault(name, params)
        if fault is not None:
            return await _faulted(request, sandbox, fault, (token, name, params))
        return await _answer(sandbox, token, name, params)


async def _answer(
    sandbox: TelegramSandbox, token: str, method: str, params: dict[str, Any]
) -> web.Response:
    """Run the call and wrap its result or error in Telegram's envelope."""
    try:
        result = await sandbox.call_bot_api(token, method, params)
    except BotApiError as error:
        return _error(sandbox, error)
    except Exception:
        logger.exception("sandbox failed on Bot API method %s", method)
        failure = BotApiError(500, "Internal Server Error: the sandbox failed, see its log")
        return _error(sandbox, failure)
    return _envelope({"ok": True, "result": result})


async def _faulted(
    request: web.Request,
    sandbox: TelegramSandbox,
    fault: FaultRule,
    call: tuple[str, str, dict[str, Any]],
) -> web.StreamResponse:
    """Answer a request an injected fault hit (see bot.sandbox.faults)."""
    token, method, params = call
    if fault.error not in DELAYED_KINDS:
        return _error(sandbox, sandbox.fault_error(fault, params))
    answer = await _answer(sandbox, token, method, params) if fault.takes_effect else None
    if fault.error == "timeout":
        await sandbox.pause(fault.delay)
        if answer is not None and not sandbox.stopping:
            return answer
    return _drop(request)


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering; the response returned is never sent."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)


async def handle_file_download(request: web.Request) -> web.Response:
    """`GET /file/bot{token}/{file_path}`: a file's bytes (401 wrong token, 404 unknown)."""
    sandbox = _sandbox(request)
    try:
        stored = sandbox.downloadable(request.match_info["token"], request.match_info["path"])
    except BotApiError as error:
        return _envelope(error.to_envelope(), status=error.error_code)
    return web.Response(
        body=stored.content(), content_type=stored.mime_type or "application/octet-stream"
    )


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
    """POST /control/message {"user", "chat"?, "text"?, "reply_to_message_id"?, and at most
    one of "photo", "video", "voice", "audio", "document", "sticker", "location",
    "contact", with "caption"? and "media_group_id"?} (see bot.sandbox.content)."""
    basics = {"user", "chat", "text", "reply_to_message_id"}
    body = await _control_body(request, basics | CONTENT_FIELDS)
    result = await _sandbox(request).user_message(
        user=body.get("user"),
        text=body.get("text"),
        chat=body.get("chat"),
        reply_to_message_id=body.get("reply_to_message_id"),
        attachments={name: body[name] for name in CONTENT_FIELDS if name in body},
    )
    return _json(result)


async def control_migrate(request: web.Request) -> web.Response:
    """POST /control/migrate {"chat_id", "new_chat_id"?, "user"?}: group → supergroup."""
    body = await _control_body(request, {"chat_id", "new_chat_id", "user"})
    result = await _sandbox(request).migrate_chat(
        chat_id=body.get("chat_id"), new_chat_id=body.get("new_chat_id"), user=body.get("user")
    )
    return _json(result)


async def control_add_fault(request: web.Request) -> web.Response:
    """POST /control/faults {"error", "method"?, "chat_id"?, "times"?, ...} → {"rule_id"}."""
    body = await _control_body(request, set(FAULT_FIELDS))
    rule = _sandbox(request).faults.add(body)
    return _json({"rule_id": rule.rule_id})


async def control_list_faults(request: web.Request) -> web.Response:
    """GET /control/faults: the active rules, with their hits so far."""
    return _json({"faults": _sandbox(request).faults.rules()})


async def control_clear_faults(request: web.Request) -> web.Response:
    """DELETE /control/faults: remove every rule."""
    return _json({"ok": True, "cleared": _sandbox(request).faults.clear()})


async def control_stats(request: web.Request) -> web.Response:
    """GET /control/stats: requests, 429s, faults hit, messages, busiest windows."""
    return _json(_sandbox(request).stats.to_json())


async def control_reset_stats(request: web.Request) -> web.Response:
    """POST /control/stats/reset: start counting afresh (chats are kept)."""
    _sandbox(request).stats.clear()
    return _json({"ok": True})


async def control_get_limits(request: web.Request) -> web.Response:
    """GET /control/limits: the flood limits and whether they are enforced."""
    return _json(_sandbox(request).limiter.limits.to_json())


async def control_set_limits(request: web.Request) -> web.Response:
    """POST /control/limits {"enabled"?, "global_per_second"?, "group_per_minute"?,
    "private_per_second"?, "strictness"?}: change the given settings, keep the others."""
    body = await _control_body(request, set(LIMIT_FIELDS))
    limiter = _sandbox(request).limiter
    limiter.limits = parse_limits(body, limiter.limits)
    return _json(limiter.limits.to_json())


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
    POST /control/migrate, GET /control/transcript?chat_id=,
    GET /control/chats, GET /control/commands, GET /control/personas,
    POST|GET|DELETE /control/faults, GET /control/stats, POST /control/stats/reset,
    GET|POST /control/limits, GET /control/file?file_id= (raw bytes),
    POST /control/reset, POST /control/settle.
    """
    app = web.Application(middlewares=[control_errors], client_max_size=CLIENT_MAX_SIZE)
    app[SANDBOX_KEY] = sandbox
    for http_method in ("GET", "POST"):
        app.router.add_route(http_method, "/bot{token}/{method}", handle_bot_api)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file_download)
    app.router.add_post("/control/message", control_message)
    app.router.add_post("/control/migrate", control_migrate)
    app.router.add_post("/control/faults", control_add_fault)
    app.router.add_get("/control/faults", control_list_faults)
    app.router.add_delete("/control/faults", control_clear_faults)
    app.router.add_get("/control/stats", control_stats)
    app.router.add_post("/control/stats/reset", control_reset_stats)
    app.router.add_get("/control/limits", control_get_limits)
    app.router.add_post("/control/limits", control_set_limits)
    app.router.add_get("/control/file", control_file)
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
    clock: Callable[[], float] | None = None,
) -> RunningSandbox:
    """Serve a sandbox on host:port (0 = any port): `sandbox`, or a new one for `token`
    reading `clock` (default time.time; e.g. `lambda: fake.now().timestamp()`)."""
    if sandbox is not None and clock is not None:
        raise ValueError("give the clock to the TelegramSandbox you pass, not to start_sandbox")
    if sandbox is None:
        sandbox = TelegramSandbox(token=token, clock=clock or time.time)
    runner = web.AppRunner(
        build_app(sandbox), access_log=None, handler_cancellation=True, shutdown_timeout=5.0
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    real_port = int(runner.addresses[0][1])
    url_host = f"[{host}]" if ":" in host else host
    return RunningSandbox(sandbox, f"http://{url_host}:{real_port}", real_port, runner)
