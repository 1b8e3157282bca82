"""HTTP face of the Zalo emulator, mounted under /zalo in the Telegram sandbox's app.

`build_zalo_app` makes the sub-application (paths below are relative to /zalo):

- `POST /bot{token}/{method}`: Zalo's bot API (shared handler, see bot.sandbox.routes);
- `GET /files/{name}`: a file a user sent (its `photo_url`, a sticker's or a voice
  note's `url`), as Zalo's CDN serves it: no token needed;
- `POST /control/message`, `POST /control/raw_update`, `POST /control/block`, `GET /control/transcript?chat_id=`,
  `GET /control/chats`, `GET /control/personas`, `GET /control/webhook`,
  `GET|POST /control/window` (the contact window, see bot.sandbox.zalo), and the
  shared `/control/faults`, `/control/stats`, `/control/limits`, `/control/settle`,
  `/control/reset`.
"""

from aiohttp import web

from bot.sandbox.errors import ControlError
from bot.sandbox.routes import control_body, json_answer, query_str, serve_emulator
from bot.sandbox.zalo import MESSAGE_FIELDS, ZaloSandbox

ZALO_KEY = web.AppKey("zalo", ZaloSandbox)


def _zalo(request: web.Request) -> ZaloSandbox:
    return request.app[ZALO_KEY]


async def handle_zalo_file(request: web.Request) -> web.Response:
    """GET /files/{name}: a stored file's bytes (404 if unknown)."""
    stored = _zalo(request).file(request.match_info["name"])
    return web.Response(
        body=stored.content(),
        content_type=stored.mime_type or "application/octet-stream",
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def zalo_message(request: web.Request) -> web.Response:
    """POST /control/message {"user": {"id", "display_name"}, and "text", or one of
    "photo" (with "caption"?), "sticker", "voice", "unsupported"} → {"message_id",
    "chat_id"}."""
    body = await control_body(request, set(MESSAGE_FIELDS))
    result = await _zalo(request).user_message(
        user=body.get("user"),
        text=body.get("text"),
        caption=body.get("caption"),
        content=body,
    )
    return json_answer(result)


async def zalo_raw_update(request: web.Request) -> web.Response:
    """POST /control/raw_update {"update"}: queue an update as given, whatever its shape."""
    body = await control_body(request, {"update"})
    if "update" not in body:
        raise ControlError('"update" is required')
    return json_answer(await _zalo(request).raw_update(body["update"]))


async def zalo_block(request: web.Request) -> web.Response:
    """POST /control/block {"user_id"}: the user blocks the bot."""
    body = await control_body(request, {"user_id"})
    return json_answer(await _zalo(request).block(body.get("user_id")))


async def zalo_transcript(request: web.Request) -> web.Response:
    """GET /control/transcript?chat_id=C (the user's id)."""
    return json_answer(await _zalo(request).transcript(query_str(request, "chat_id")))


async def zalo_chats(request: web.Request) -> web.Response:
    """GET /control/chats."""
    return json_answer({"chats": await _zalo(request).list_chats()})


async def zalo_personas(request: web.Request) -> web.Response:
    """GET /control/personas: who the web page can act as, and the bot."""
    zalo = _zalo(request)
    return json_answer({"personas": zalo.personas, "bot": await zalo.get_me()})


async def zalo_webhook(request: web.Request) -> web.Response:
    """GET /control/webhook: the webhook, its deliveries and every try."""
    return json_answer(_zalo(request).webhooks.to_json())


async def zalo_window(request: web.Request) -> web.Response:
    """GET /control/window: {"hours", "refused": {chat: count}}; POST {"hours": 48 | null}
    sets it (null: no window)."""
    zalo = _zalo(request)
    if request.method == "GET":
        return json_answer(zalo.window_json())
    body = await control_body(request, {"hours"})
    return json_answer(await zalo.set_window(body.get("hours")))


ROUTES = (
    ("GET", "/files/{name}", handle_zalo_file),
    ("POST", "/control/message", zalo_message),
    ("POST", "/control/raw_update", zalo_raw_update),
    ("POST", "/control/block", zalo_block),
    ("GET", "/control/transcript", zalo_transcript),
    ("GET", "/control/chats", zalo_chats),
    ("GET", "/control/personas", zalo_personas),
    ("GET", "/control/webhook", zalo_webhook),
    ("GET", "/control/window", zalo_window),
    ("POST", "/control/window", zalo_window),
)


def build_zalo_app(zalo: ZaloSandbox) -> web.Application:
    """The Zalo emulator's sub-application, to mount at bot.sandbox.zalo.MOUNT."""
    app = web.Application()
    app[ZALO_KEY] = zalo
    serve_emulator(app, zalo)
    for http_method, path, handler in ROUTES:
        app.router.add_route(http_method, path, handler)
    return app
