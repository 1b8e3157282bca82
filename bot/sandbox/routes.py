"""HTTP handlers every emulator shares: the Bot API entry and the common control routes.

Each aiohttp application (the Telegram sandbox's, and the Zalo emulator's mounted under
/zalo) keeps its emulator under `EMULATOR_KEY`; the handlers here find it there, so
one handler serves both:

- `POST|GET /bot{token}/{method}`: a Bot API call, answered in the `{"ok": ...}`
  envelope after the injected faults (see bot.sandbox.faults) had their say;
- `POST|GET|DELETE /control/faults`, `GET /control/stats`, `POST /control/stats/reset`,
  `GET|POST /control/limits`, `POST /control/settle`, `POST /control/reset`.

`control_errors` turns a `ControlError` into `{"ok": false, "description"}`.
"""

import json
import logging
from functools import partial
from typing import Any

from aiohttp import web

from bot.sandbox.core import EmulatorCore
from bot.sandbox.errors import BotApiError, ControlError, bad_request
from bot.sandbox.faults import DELAYED_KINDS, FAULT_FIELDS, FaultRule
from bot.sandbox.files import Upload
from bot.sandbox.limits import parse_limits

EMULATOR_KEY = web.AppKey("emulator", EmulatorCore)
DEFAULT_SETTLE_TIMEOUT = 10.0
MAX_SETTLE_TIMEOUT = 300.0
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_dumps = partial(json.dumps, ensure_ascii=False)
logger = logging.getLogger(__name__)


def emulator(request: web.Request) -> EmulatorCore:
    """The emulator of the application serving this request."""
    return request.app[EMULATOR_KEY]


def json_answer(data: Any, status: int = 200) -> web.Response:
    """A JSON response that keeps Vietnamese text readable."""
    return web.json_response(data, status=status, dumps=_dumps)


def error_answer(sandbox: EmulatorCore, error: BotApiError) -> web.Response:
    """A Bot API error in the envelope, with its status; counted in the statistics."""
    sandbox.stats.count_response(error.error_code)
    return json_answer(error.to_envelope(), status=error.error_code)


# ----------------------------------------------------------------------------- Bot API


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
    sandbox = emulator(request)
    token, method = request.match_info["token"], request.match_info["method"]
    with sandbox.track_request(method):
        try:
            name = sandbox.method_name(token, method)
            sandbox.stats.count_request(name)
            params = await read_bot_api_params(request)
        except BotApiError as error:
            return error_answer(sandbox, error)
        fault = sandbox.take_fault(name, params)
        if fault is not None:
            return await _faulted(request, sandbox, fault, (token, name, params))
        return await _answer(sandbox, token, name, params)


async def _answer(
    sandbox: EmulatorCore, token: str, method: str, params: dict[str, Any]
) -> web.Response:
    """Run the call and wrap its result or error in the envelope."""
    try:
        result = await sandbox.call_bot_api(token, method, params)
    except BotApiError as error:
        return error_answer(sandbox, error)
    except Exception:
        logger.exception("sandbox failed on Bot API method %s", method)
        failure = BotApiError(500, "Internal Server Error: the sandbox failed, see its log")
        return error_answer(sandbox, failure)
    return json_answer({"ok": True, "result": result})


async def _faulted(
    request: web.Request,
    sandbox: EmulatorCore,
    fault: FaultRule,
    call: tuple[str, str, dict[str, Any]],
) -> web.StreamResponse:
    """Answer a request an injected fault hit (see bot.sandbox.faults)."""
    token, method, params = call
    if fault.error not in DELAYED_KINDS:
        return error_answer(sandbox, sandbox.fault_error(fault, params))
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


# ------------------------------------------------------------------------- control API


@web.middleware
async def control_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turn a `ControlError` from a control route into a JSON error response."""
    try:
        return await handler(request)
    except ControlError as error:
        return json_answer({"ok": False, "description": error.description}, error.status)


async def control_body(request: web.Request, allowed: set[str]) -> dict[str, Any]:
    """The JSON object a control request carries ({} if empty); only `allowed` fields."""
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


def query_str(request: web.Request, name: str) -> str:
    """A required query parameter."""
    raw = request.query.get(name)
    if not raw:
        raise ControlError(f'query parameter "{name}" is required')
    return raw


async def control_add_fault(request: web.Request) -> web.Response:
    """POST /control/faults {"error", "method"?, "chat_id"?, "times"?, ...} → {"rule_id"}."""
    body = await control_body(request, set(FAULT_FIELDS))
    rule = emulator(request).faults.add(body)
    return json_answer({"rule_id": rule.rule_id})


async def control_list_faults(request: web.Request) -> web.Response:
    """GET /control/faults: the active rules, with their hits so far."""
    return json_answer({"faults": emulator(request).faults.rules()})


async def control_clear_faults(request: web.Request) -> web.Response:
    """DELETE /control/faults: remove every rule."""
    return json_answer({"ok": True, "cleared": emulator(request).faults.clear()})


async def control_stats(request: web.Request) -> web.Response:
    """GET /control/stats: requests, 429s, faults hit, messages, busiest windows."""
    return json_answer(emulator(request).stats.to_json())


async def control_reset_stats(request: web.Request) -> web.Response:
    """POST /control/stats/reset: start counting afresh (chats are kept)."""
    emulator(request).stats.clear()
    return json_answer({"ok": True})


async def control_get_limits(request: web.Request) -> web.Response:
    """GET /control/limits: the flood limits and whether they are enforced."""
    return json_answer(emulator(request).limits_json())


async def control_set_limits(request: web.Request) -> web.Response:
    """POST /control/limits {"enabled"?, "global_per_second"?, "group_per_minute"?,
    "private_per_second"?, "strictness"?}: change the given settings, keep the others
    (the emulator's `limit_fields` say which it has)."""
    sandbox = emulator(request)
    body = await control_body(request, set(sandbox.limit_fields))
    sandbox.limiter.limits = parse_limits(body, sandbox.limiter.limits)
    return json_answer(sandbox.limits_json())


async def control_reset(request: web.Request) -> web.Response:
    """POST /control/reset."""
    await emulator(request).reset()
    return json_answer({"ok": True})


async def control_settle(request: web.Request) -> web.Response:
    """POST /control/settle {"timeout"?}: 200 once the bot is idle, else 504."""
    body = await control_body(request, {"timeout"})
    timeout = body.get("timeout", DEFAULT_SETTLE_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
        raise ControlError('"timeout" must be a number of seconds >= 0')
    sandbox = emulator(request)
    if await sandbox.settle(min(float(timeout), MAX_SETTLE_TIMEOUT)):
        return json_answer({"ok": True})
    reasons = await sandbox.busy_reasons() or ["activity did not stop"]
    description = f"the bot did not settle within {timeout} s: " + "; ".join(reasons)
    return json_answer({"ok": False, "description": description}, status=504)


def serve_emulator(app: web.Application, sandbox: EmulatorCore) -> None:
    """Make `app` serve `sandbox`: the Bot API and the control routes every emulator has."""
    app[EMULATOR_KEY] = sandbox
    for http_method in ("GET", "POST"):
        app.router.add_route(http_method, "/bot{token}/{method}", handle_bot_api)
    app.router.add_post("/control/faults", control_add_fault)
    app.router.add_get("/control/faults", control_list_faults)
    app.router.add_delete("/control/faults", control_clear_faults)
    app.router.add_get("/control/stats", control_stats)
    app.router.add_post("/control/stats/reset", control_reset_stats)
    app.router.add_get("/control/limits", control_get_limits)
    app.router.add_post("/control/limits", control_set_limits)
    app.router.add_post("/control/reset", control_reset)
    app.router.add_post("/control/settle", control_settle)
