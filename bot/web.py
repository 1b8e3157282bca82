"""The bot's own small web server: health, the messengers' webhooks and the one-time evidence
pages.

`/healthz` answers 200 while every supervised loop comes round in time, else 503 with JSON
naming the loops that are down (`crashed`) or late (`stale`). `/metrics` is the Prometheus
page (`bot.metrics`: counters of this process and of the sender process, the database's
figures read at scrape time; no token, phone number or tip text in it). `/webhook/<channel>` hands the
call to that channel (`Channel.receive`: it checks the platform's secret and answers 200 only
after the update is committed to the inbox); when the database cannot take it, 503, so the
platform tries again. Evidence pages, and the files the bot made for someone (a coverage
chart, a report: `/file/<token>`), are served once per link, never cached, and say nothing
about whether a refused link ever existed.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from aiohttp import web

from bot.channels.base import Channel
from bot.db import unavailable
from bot.metrics import CONTENT_TYPE, DatabaseFigures, page
from bot.runtime import Runtime
from bot.services import evidence_links, file_links
from bot.services.errors import NotAllowed
from content import coverage_views as views_words
from scheduler.supervisor import Health

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook/{channel}"
GONE = ("<!doctype html><meta charset='utf-8'><title>Bình Yên</title>"
        "<p>Liên kết này đã được dùng, đã hết hạn hoặc không đúng. "
        "Đồng chí lấy liên kết mới trong tin nhắn với Bình Yên.</p>")
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}


def webhook_path(channel: str) -> str:
    """Where a platform calls us with its updates (`BINHYEN_PUBLIC_URL` + this)."""
    return WEBHOOK_PATH.format(channel=channel)


@dataclass
class WebServer:
    rt: Runtime
    channels: Mapping[str, Channel] = field(default_factory=dict)  # by name: their webhooks
    health_of: Callable[[], Health] | None = None  # the app's supervised loops
    sender_metrics: str | None = None  # the sender process's counters (multiprocess directory)
    runner: web.AppRunner | None = None
    port: int = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post(WEBHOOK_PATH, self.webhook)
        app.router.add_get("/evidence/{token}", self.evidence_page)
        app.router.add_get(file_links.PATH, self.made_file)
        app.router.add_get("/healthz", self.health)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self, host: str, port: int) -> int:
        self.runner = web.AppRunner(self.app(), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.port

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def health(self, _request: web.Request) -> web.Response:
        if self.health_of is None:
            return web.json_response({"ok": True})
        health = self.health_of()
        return web.json_response(health.as_json(), status=200 if health.ok else 503)

    async def metrics(self, _request: web.Request) -> web.Response:
        """The Prometheus page; the database's figures in one short read transaction."""
        figures = DatabaseFigures(sorted(self.rt.channels))
        try:
            async with self.rt.db.reading() as session:
                await figures.read(session, self.rt.clock.now())
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.warning("/metrics: the database is unavailable (%s); answered 503",
                        type(exc).__name__)
            return web.Response(status=503, text="database unavailable\n")
        body = page(self.rt.metrics, figures, self.sender_metrics)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def webhook(self, request: web.Request) -> web.Response:
        channel = self.channels.get(request.match_info["channel"])
        if channel is None:
            return web.json_response({"ok": False}, status=404)
        try:
            status = await channel.receive(request.headers, await request.read())
        except Exception as exc:
            if not unavailable(exc):
                raise
            log.warning("%s webhook: the database is unavailable (%s); answered 503",
                        channel.name, type(exc).__name__)
            return web.json_response({"ok": False}, status=503)
        return web.json_response({"ok": status == 200}, status=status)

    async def evidence_page(self, request: web.Request) -> web.Response:
        try:
            async with self.rt.transaction() as session:
                opened = await evidence_links.open_once(session, self.rt,
                                                        request.match_info["token"])
        except NotAllowed:
            return web.Response(text=GONE, status=410, content_type="text/html",
                                headers=NO_STORE)
        parts = [f"<!doctype html><meta charset='utf-8'><title>Tin báo #{opened.tip.id}</title>",
                 "<meta name='viewport' content='width=device-width,initial-scale=1'>",
                 f"<h1>Bằng chứng của tin báo #{opened.tip.id}</h1>",
                 "<p>Trang này chỉ mở được một lần. Không chia sẻ nội dung ra ngoài.</p>"]
        for index, item in enumerate(opened.files, start=1):
            data = base64.b64encode(item.data).decode()
            uri = f"data:{html.escape(item.mime_type)};base64,{data}"
            if item.mime_type.startswith("image/"):
                parts.append(f"<figure><img src='{uri}' style='max-width:100%' "
                             f"alt='Bằng chứng {index}'><figcaption>Tệp {index}</figcaption>"
                             "</figure>")
            else:
                name = html.escape(item.file_name or f"tep-{index}")
                parts.append(f"<p><a download='{name}' href='{uri}'>Tải tệp {index} "
                             f"({name}, {item.size // 1024 + 1} KB)</a></p>")
        if not opened.files:
            parts.append("<p>Tin này không có tệp nào.</p>")
        return web.Response(text="\n".join(parts), content_type="text/html", headers=NO_STORE)

    async def made_file(self, request: web.Request) -> web.Response:
        """A chart shown in the browser, a report downloaded under its own name."""
        try:
            async with self.rt.transaction() as session:
                file = await file_links.open_once(session, self.rt, request.match_info["token"])
        except NotAllowed:
            return web.Response(text=views_words.LINK_GONE, status=410,
                                content_type="text/html", headers=NO_STORE)
        shown = "inline" if file.mime_type.startswith("image/") else "attachment"
        name = quote(file.file_name or f"tep-{file.id}")
        return web.Response(body=file.data, content_type=file.mime_type, headers={
            **NO_STORE, "Content-Disposition": f"{shown}; filename*=UTF-8''{name}"})
