"""`binhyen`: run the bot, migrate, the sandbox, areas, households, invites, roles, keys,
backups, demo data, coverage reports, a person's data (export, forget).

Exit codes: 0 done, 1 a rule said no (the message says why), 2 a wrong setting or key file.
Whatever stops start-up — a wrong setting, a key file that is unreadable, not ours or open to
others, a database that cannot be reached or that needs `binhyen migrate` (where start-up does
not migrate: AUTO_MIGRATE), a port already taken — is one line on stderr that says what to do,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from bot.config import Settings, SettingsError, load_settings
from bot.crypto import KeyFileError
from bot.db import Database, DatabaseUnreachable, SchemaNotCurrent
from bot.faults import CrashPoints
from bot.logs import setup_logging
from bot.loop import run_loop
from bot.models import Person, Role
from bot.runtime import Runtime
from bot.services import areas, demo, meta, outbox, people, privacy
from bot.services.errors import DomainError
from bot.services.keys import open_keyring, rotate_key_file
from content import privacy as privacy_words

T = TypeVar("T")
DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError("thời hạn dạng 30m, 12h, 7d hoặc 2w")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class StartupError(Exception):
    """Start-up cannot go on; the message is one line that says why (exit code 2)."""


async def open_runtime(settings: Settings) -> Runtime:
    """The database, brought up to date (or checked, where `binhyen migrate` is its own step:
    `Settings.migrates_itself`), and the keys."""
    db = _database(settings)
    try:
        await db.ready(migrate=settings.migrates_itself)
        keyring = await open_keyring(db, settings.key_file)
    except BaseException:
        await db.dispose()
        raise
    return Runtime(settings, db, keyring, faults=CrashPoints(settings.crash_at))


def _database(settings: Settings) -> Database:
    return Database(settings.db_url, schema=settings.database_schema,
                    concurrency=settings.workers, busy_timeout_s=settings.sqlite_busy_timeout)


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Runtime]:
    """The database and keys for one command, closed again afterwards."""
    rt = await open_runtime(settings)
    try:
        yield rt
    finally:
        await rt.db.dispose()


# ---- commands --------------------------------------------------------------------------------

async def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    """The schema to the newest revision, whatever AUTO_MIGRATE says (this is the step it
    leaves to the operator), and the key file checked (made, for a new database). Several
    started at once: one migrates, the others wait for it and find nothing to do."""
    db = _database(settings)
    try:
        done = await db.migrate()
        await open_keyring(db, settings.key_file)
    finally:
        await db.dispose()
    now = ", ".join(done.after)
    if not done.changed:
        print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất ({now}), không có gì phải làm.")
    elif done.before:
        print(f"Đã nâng cấp cơ sở dữ liệu từ phiên bản {', '.join(done.before)} lên {now}.")
    else:
        print(f"Đã tạo cơ sở dữ liệu ở phiên bản {now}.")
    return 0


async def cmd_areas_import(settings: Settings, args: argparse.Namespace) -> int:
    rows = areas.parse_area_file(Path(args.file))
    async with opened(settings) as rt, rt.transaction() as session:
        count = await areas.import_areas(session, rows, rt.clock)
    print(f"Đã nhập {count} khu vực từ {args.file}.")
    return 0


async def cmd_households_import(settings: Settings, args: argparse.Namespace) -> int:
    """A group's roster from a CSV or XLSX file, as a leader would send it in chat: nothing is
    imported while any row is wrong (exit 1, the rows named); a progress line every few
    hundred households."""
    from bot.services.coverage import households, roster
    from content import households as words

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DomainError(words.CLI_UNREADABLE.format(path=path, error=exc.strerror)) from None
    try:
        rows = roster.parse(data)
    except roster.RowProblems as problem:  # every wrong row, not only the first few
        lines = [words.ROWS_REFUSED.format(count=len(problem.problems))]
        lines += [words.ROW_LINE.format(line=line, reason=reason)
                  for line, reason in problem.problems]
        print("\n".join(lines), file=sys.stderr)
        return 1

    def progress(done: int, total: int) -> None:
        if total > households.PROGRESS_EVERY:
            print(words.CLI_PROGRESS.format(done=done, total=total), flush=True)

    async with opened(settings) as rt, rt.transaction() as session:
        group = await areas.by_code(session, args.area)
        imported = await households.import_roster(session, rt, group, rows, progress=progress)
    print("\n".join(households.summary(imported)))
    return 0


async def cmd_areas_seed(settings: Settings, args: argparse.Namespace) -> int:
    """The official provinces and communes (`vietnam-provinces`): one province at a time."""
    from bot.services import area_seed

    entry = area_seed.find_province(args.province)
    async with opened(settings) as rt, rt.transaction() as session:
        seeded = await area_seed.seed(session, rt.clock, entry)
    print(f"{seeded.province.name} ({seeded.province.code}): {seeded.communes} xã, phường, "
          f"đặc khu; thêm mới {seeded.added} khu vực, đổi tên {seeded.renamed}.")
    print("Thôn, tổ của mỗi xã: `binhyen areas import TỆP`, cột parent là mã xã (5 chữ số).")
    return 0


async def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """The six-month or annual coverage report of an area, as XLSX or CSV."""
    from bot.services.coverage import periods, report, report_file
    from bot.services.coverage.periods import PeriodError

    try:
        period = periods.parse(settings, args.period)
    except PeriodError as problem:
        raise DomainError(str(problem)) from problem
    async with opened(settings) as rt, rt.db.reading() as session:
        area = await areas.by_code(session, args.area)
        data = await report.gather(session, rt, area, period)
    out = Path(args.out or report_file.file_name(data, args.format))
    out.write_bytes(report.render(data, args.format))
    frozen = (f" (số liệu chốt, bản số {data.coverage.snapshot_number})"
              if data.coverage.snapshot_number is not None else "")
    print(f"Đã ghi báo cáo {area.name}, kỳ {period.key}{frozen}: {out}")
    return 0


async def cmd_invite(settings: Settings, args: argparse.Namespace) -> int:
    async with opened(settings) as rt, rt.transaction() as session:
        area = await areas.by_code(session, args.area)
        invite, token = await people.create_invite(
            session, rt, role=Role(args.role), area=area, created_by="cli",
            valid_for=args.expires,
        )
        username = await meta.get(session, "telegram_username")
    expires = invite.expires_at.astimezone(settings.tz).strftime("%H:%M %d/%m/%Y")
    print(f"Lời mời số {invite.id}: vai trò {args.role} tại {area.name}, hết hạn {expires}.")
    if username:
        print(f"Đường dẫn (dùng một lần): https://t.me/{username}?start={token}")
    print(f"Mã mời: {token}")
    print(f"Hoặc gõ trong tin nhắn riêng với bot: /start {token}")
    return 0


async def cmd_roles_list(settings: Settings, args: argparse.Namespace) -> int:
    async with opened(settings) as rt, rt.db.reading() as session:
        views = await people.list_grants(session, rt, include_inactive=args.all)
    if not views:
        print("Chưa có vai trò nào được cấp.")
        return 0
    print(f"{'số':>4}  {'vai trò':<16} {'khu vực':<28} {'người':<24} trạng thái")
    for view in views:
        grant = view.grant
        if grant.revoked_at:
            status = "đã thu hồi"
        elif grant.expires_at and grant.expires_at <= rt.clock.now():
            status = "hết hạn"
        elif grant.expires_at:
            status = "đến " + grant.expires_at.astimezone(settings.tz).strftime("%d/%m/%Y")
        else:
            status = "đang hiệu lực"
        print(f"{grant.id:>4}  {grant.role:<16} {view.area.name[:28]:<28} "
              f"{view.person_name[:24]:<24} {status}")
    return 0


async def cmd_roles_revoke(settings: Settings, args: argparse.Namespace) -> int:
    async with opened(settings) as rt, rt.transaction() as session:
        grant = await people.revoke_role(session, args.id, now=rt.clock.now(), by="cli")
    print(f"Đã thu hồi quyền số {grant.id} ({grant.role}).")
    return 0


async def _person_of(session: Any, rt: Runtime, args: argparse.Namespace) -> Person:
    person = await privacy.find(session, rt, args.channel, str(args.user_id))
    if person is None:
        raise DomainError(privacy_words.CLI_UNKNOWN.format(channel=args.channel))
    return person


async def cmd_person_export(settings: Settings, args: argparse.Namespace) -> int:
    """What the bot holds about one person, as JSON (the request recorded, not its content)."""
    async with opened(settings) as rt, rt.transaction() as session:
        data = await privacy.export(session, rt, await _person_of(session, rt, args))
    print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


async def cmd_person_forget(settings: Settings, args: argparse.Namespace) -> int:
    """Forget one person (see `bot.services.privacy`); asks for --yes first."""
    if not args.yes:
        print(privacy_words.CLI_ASK_YES, file=sys.stderr)
        return 1
    async with opened(settings) as rt, rt.transaction() as session:
        person = await _person_of(session, rt, args)
        deleted = await privacy.forget(session, rt, person, rt.clock.now())
    print(privacy_words.CLI_DELETED if deleted else privacy_words.CLI_TOMBSTONED)
    return 0


async def cmd_keys_rotate(settings: Settings, _args: argparse.Namespace) -> int:
    async with opened(settings):  # the current file must match before a key is added
        pass
    keyring = rotate_key_file(settings.key_file)
    async with opened(settings):  # records the new key as one that encrypts
        pass
    print(f"Đã thêm khóa mới vào {settings.key_file}; từ nay dữ liệu mới được mã hóa bằng khóa "
          f"này (tổng {len(keyring.key_ids)} khóa). Hãy sao lưu lại tệp khóa.")
    return 0


async def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """A backup of the database while the bot runs; the key never in it, said loudly."""
    from bot.services import backup
    from content import backup as backup_words

    key_out = Path(args.key_out) if args.key_out else None
    made = await backup.backup(settings, Path(args.file), now=datetime.now(UTC), key_out=key_out)
    kind = backup_words.KINDS[made.header.database]
    print(backup_words.BACKED_UP.format(kind=kind, path=made.path, size=_size(made.header.size)))
    if made.key_copy is not None:
        print(backup_words.KEY_COPIED.format(path=made.key_copy))
        print(backup_words.KEY_WARNING[-1])
    else:
        print("\n".join(backup_words.KEY_WARNING).format(key_file=settings.key_file.resolve()))
    return 0


async def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """A backup into the configured database: the key checked first, data kept unless
    --force, then migrated to the newest schema."""
    from bot.services import backup
    from content import backup as backup_words

    restored = await backup.restore(settings, Path(args.file), force=args.force)
    made = restored.header.made_at.astimezone(settings.tz).strftime("%H:%M %d/%m/%Y")
    print(backup_words.RESTORED.format(created=made, where=restored.where, tips=restored.tips,
                                       persons=restored.persons, queued=restored.queued))
    return 0


def _size(count: int) -> str:
    if count < 1_000_000:
        return f"{count / 1000:.0f} kB".replace(".", ",")
    return f"{count / 1_000_000:.1f} MB".replace(".", ",")


async def cmd_outbox_status(settings: Settings, _args: argparse.Namespace) -> int:
    async with opened(settings) as rt, rt.db.reading() as session:
        report = await outbox.status(session, rt.clock.now())
    if not report.lanes:
        print("Hàng đợi trống: không có tin nào đang chờ gửi hay lỗi trong 24 giờ qua.")
    else:
        print(f"{'kênh':<10} {'luồng':<12} {'đang chờ':>9} {'đang gửi':>9} "
              f"{'chờ người nhận':>15} {'lỗi 24h':>8} {'chờ lâu nhất':>13}")
        for lane in report.lanes:
            age = "—" if lane.oldest_age_s is None else _age(lane.oldest_age_s)
            print(f"{lane.channel:<10} {lane.lane:<12} {lane.queued:>9} {lane.in_flight:>9} "
                  f"{lane.waiting:>15} {lane.failed_24h:>8} {age:>13}")
        if any(lane.waiting for lane in report.lanes):
            print("«Chờ người nhận»: Zalo chưa cho gửi vì người nhận chưa nhắn cho Bình Yên "
                  "trong 48 giờ qua; tin sẽ đi ngay khi họ nhắn lại.")
    if report.failure_reasons:
        print("Lý do lỗi thường gặp (24 giờ):")
        for reason, count in report.failure_reasons:
            print(f"  {count:>5} × {reason[:90]}")
    for channel, count in report.resent_after_crash.items():
        print(f"Tin gửi lại sau khi tiến trình gửi bị dừng đột ngột ({channel}): {count}")
    return 0


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} giây"
    if seconds < 7200:
        return f"{seconds / 60:.0f} phút"
    return f"{seconds / 3600:.1f} giờ"


async def cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    async with opened(settings) as rt, rt.transaction() as session:
        invites = await demo.seed_demo(session, rt)
    print_demo(invites)
    return 0


def print_banner(settings: Settings, chat_url: str, web_port: int,
                 invites: list[demo.DemoInvite] | None) -> None:
    """What `make run` shows a newcomer: where to chat, the demo personas' invites, how to
    stop. (Library chatter stays below WARNING unless LOG_LEVEL=DEBUG, see bot.logs.)"""
    where = settings.db_url.split("///", 1)[-1] if settings.db_url.startswith("sqlite") \
        else "PostgreSQL"
    print(f"\nBình Yên đang chạy trên sandbox: không cần token, dữ liệu ở {where}.\n")
    print(f"  Mở trang trò chuyện thử:  {chat_url}/")
    print(f"  Tình trạng của bot:       http://{settings.web_host}:{web_port}/healthz\n")
    print_demo(invites)
    print("\nCtrl+C để dừng. Muốn xem chi tiết: BINHYEN_LOG_LEVEL=DEBUG make run", flush=True)


def print_demo(invites: list[demo.DemoInvite] | None) -> None:
    if invites is None:
        print("Xã mẫu đã có sẵn (Xã Bình Yên). Tạo lời mời mới bằng: binhyen invite ...")
        return
    print("Đã tạo xã mẫu: Xã Bình Yên (DEMO-XA), 2 thôn, 4 tổ dân cư, 166 hộ.")
    print("Lời mời dùng thử: trên trang, chọn nhân vật rồi gửi dòng của họ "
          "(mỗi mã dùng một lần).")
    for invite in invites:
        print(f"  {invite.persona}: /start {invite.token}")


async def cmd_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.sandbox.server import start_sandbox

    token = args.token or f"1000000001:{secrets.token_urlsafe(27)}"
    running = await _on_port("--port", settings.sandbox_host, args.port,
                             start_sandbox(host=settings.sandbox_host, port=args.port,
                                           token=token))
    print(f"Sandbox Bot API: {running.base_url}  (token: {token})")
    print(f"Trang trò chuyện: {running.base_url}/")
    print(f"Chạy bot với: BINHYEN_TELEGRAM_API_URL={running.base_url} "
          f"BINHYEN_TELEGRAM_TOKEN={token} binhyen run")
    try:
        await _wait_for_signal()
    finally:
        await running.close()
    return 0


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Both messengers from one process when both tokens are set; with no token at all (or
    --sandbox) the local sandboxes stand in for them and the web chat offers both."""
    if not settings.migrates_itself:  # a database that needs migrating: refused at once,
        db = _database(settings)         # before seconds of importing the messengers' models
        try:
            await db.require_current()
        finally:
            await db.dispose()
    from bot.app import App, tune_garbage_collector
    from bot.channels.base import Endpoint
    from bot.channels.registry import configured
    from bot.sender_process import SenderProcess
    from bot.web import WebServer, webhook_path

    endpoints = {} if args.sandbox else configured(settings)
    sandboxes = []
    if not endpoints:
        from bot.sandbox.server import start_sandbox

        token = f"1000000001:{secrets.token_urlsafe(27)}"
        zalo_token = f"2000000001:{secrets.token_urlsafe(27)}"
        running = await _on_port("BINHYEN_SANDBOX_PORT", settings.sandbox_host,
                                 settings.sandbox_port,
                                 start_sandbox(host=settings.sandbox_host,
                                               port=settings.sandbox_port, token=token,
                                               zalo_token=zalo_token))
        sandboxes.append(running)
        endpoints = {"telegram": Endpoint(token, running.base_url),
                     "zalo": Endpoint(zalo_token, running.zalo_base_url)}
    setup_logging(settings.log_level, [e.token for e in endpoints.values()],
                  json_lines=settings.log_format == "json")
    sender = SenderProcess(endpoints) if settings.sender_process else None
    app = App(settings, endpoints=endpoints, deliver=sender is None)
    web: WebServer | None = None
    prepared = False
    try:
        await app.prepare()
        prepared = True
        if sender is not None:
            app.rt.wake_elsewhere = sender.wake
            sender.origin = app.rt.origin
            sender.on_restart = app.rt.metrics.restarted
        # always: /healthz is how a supervisor of the process (systemd, a load balancer)
        # learns that a loop inside it is down; /metrics what to watch
        web = WebServer(app.rt, app.channels, app.health,
                        sender_metrics=sender.metrics_dir if sender is not None else None)
        await _on_port("BINHYEN_WEB_PORT", settings.web_host, settings.web_port,
                       web.start(settings.web_host, settings.web_port))
        if settings.public_url is not None:
            app.use_webhooks(str(settings.public_url), webhook_path)
        for running in sandboxes:
            running.sandbox.idle_probe = app.idle
            running.zalo.idle_probe = app.idle
        if sandboxes:
            async with app.rt.transaction() as session:
                invites = await demo.seed_demo(session, app.rt)
            print_banner(settings, sandboxes[0].base_url, web.port, invites)
        tune_garbage_collector()
        await app.start()
        if sender is not None:
            sender.start(app.stop_event)
        await _wait_for_signal(app.stop_event)
    finally:
        if prepared:
            await app.stop()  # before the sender's, which would otherwise start it again
        if sender is not None:
            await sender.stop()
        if web is not None:
            await web.stop()
        for running in sandboxes:
            await running.close()
    return 0


async def _on_port(setting: str, host: str, port: int, starting: Awaitable[T]) -> T:
    """Start a server; a port that cannot be had stops start-up with one line naming it."""
    try:
        return await starting
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise StartupError(f"không mở được cổng {host}:{port} ({setting}): {reason}") from None


async def cmd_send(settings: Settings, _args: argparse.Namespace) -> int:
    """The sender process `run` starts when BINHYEN_SENDER_PROCESS is on (not run by hand)."""
    from bot.sender_process import run_sender

    return await run_sender(settings)


async def cmd_content_check(_settings: Settings, _args: argparse.Namespace) -> int:
    """Every sentence in content/ used, every one used there (see bot.content_check)."""
    import content
    from bot.content_check import check

    root = Path(content.__file__).resolve().parent.parent
    problems = check(root)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} vấn đề trong nội dung.", file=sys.stderr)
        return 1
    print("Nội dung hợp lệ.")
    return 0


async def cmd_campaigns_plan(settings: Settings, args: argparse.Namespace) -> int:
    """A year's campaign plan for each commune under an area, as a dated table, with what the
    plan decided and the days too heavy for the messengers' limits."""
    from bot.services.campaigns import outlook
    from bot.services.campaigns.job import RELAY_CHANNELS

    async with opened(settings) as rt, rt.db.reading() as session:
        area = await areas.by_code(session, args.area)
        years = await outlook.years(session, rt, area.id, args.year)
        loads = await outlook.capacity_by_day(session, rt, args.year, RELAY_CHANNELS)
        villages = {village_id: (await areas.info(session, village_id))
                    for year in years for village_id in year.plan.villages}
    if not years:
        raise DomainError(f"Khu vực {area.name} ({area.code}) không có xã, phường nào.")
    days = set()
    for year in years:
        print(f"\nLịch tuyên truyền năm {args.year} — {year.commune.name} "
              f"({year.commune.code})")
        print(f"{'ngày':<11} {'giờ':<6} {'gửi riêng':<10} tin")
        for entry in year.plan.main.entries:
            days.add(entry.on)
            names = " + ".join(dict.fromkeys(entry.names))
            parts = ", ".join(f"{d}/{k}" for d, k in entry.parts)
            print(f"{entry.on:%d/%m/%Y}  {entry.at:%H:%M}  {'có' if entry.to_persons else 'không':<10}"
                  f" {names} ({parts})")
        for village_id, entries in year.plan.villages.items():
            facts = villages[village_id]
            village = facts.name if facts else f"#{village_id}"
            for entry in entries:
                print(f"{entry.on:%d/%m/%Y}  {entry.at:%H:%M}  {'có' if entry.to_persons else 'không':<10}"
                      f" {entry.names[0]} — ngày riêng của {village}")
        if year.plan.main.notes:
            print("Bình Yên đã điều chỉnh:")
            for note in year.plan.main.notes:
                print(f"  • {note.text}")
    heavy = [c for c in loads if c.warning and c.on in days]
    if heavy:
        print("\nNgày quá tải (tính cho cả hệ thống, vì giới hạn gửi là của bot):")
        for day in heavy:
            print(f"  • {day.warning}")
    return 0


def _day_and_key(text: str) -> tuple[str, str]:
    day, _, key = text.partition("/")
    if not day or not key:
        raise argparse.ArgumentTypeError("dạng NGÀY/TIN, ví dụ fire-day/day")
    return day, key


async def cmd_campaigns_switch(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.campaigns import choices

    async with opened(settings) as rt, rt.transaction() as session:
        commune = await areas.by_code(session, args.area)
        await choices.switch(session, rt, commune.id, args.day, args.on, None)
    print(f"Đã {'bật' if args.on else 'tắt'} «{args.day}» cho {commune.name}; lịch đã được "
          "tính lại.")
    return 0


async def cmd_campaigns_time(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.campaigns import choices

    day, key = args.message
    async with opened(settings) as rt, rt.transaction() as session:
        commune = await areas.by_code(session, args.area)
        await choices.set_time(session, rt, commune.id, day, key, args.time, None)
    print(f"Tin {day}/{key} của {commune.name} gửi lúc {args.time:%H:%M}.")
    return 0


async def cmd_campaigns_text(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.campaigns import choices

    day, key = args.message
    text = None if args.reset else Path(args.file).read_text(encoding="utf-8")
    async with opened(settings) as rt, rt.transaction() as session:
        commune = await areas.by_code(session, args.area)
        await choices.set_text(session, rt, commune.id, day, key, text, None)
    print(f"Tin {day}/{key} của {commune.name}: "
          + ("dùng lại nội dung chung." if text is None else "đã dùng nội dung riêng."))
    return 0


async def cmd_campaigns_festival(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.campaigns import choices

    async with opened(settings) as rt, rt.transaction() as session:
        village = await areas.by_code(session, args.area)
        await choices.set_local_date(session, rt, village.id, args.day, args.date, args.when,
                                     args.place, None)
    print(f"{village.name}: «{args.day}» vào {args.date:%d/%m/%Y}; lịch đã được tính lại.")
    return 0


def _clock_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip().replace("h", ":").rjust(5, "0"))
    except ValueError:
        raise argparse.ArgumentTypeError("giờ dạng 19:30") from None


def _day_month_year(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise argparse.ArgumentTypeError("ngày dạng 17/08/2027") from None


async def cmd_evidence(settings: Settings, args: argparse.Namespace) -> int:
    """Export a tip's evidence files for an administrator (recorded as a view)."""
    from bot.models import Tip
    from bot.services import evidence
    from bot.services.tips import events

    rt = await open_runtime(settings)
    out = Path(args.out)
    try:
        async with rt.transaction() as session:
            tip = await session.get(Tip, args.tip)
            if tip is None:
                raise DomainError(f"Không có tin báo số {args.tip}.")
            files = [f for row in await evidence.of_tip(session, tip.id)
                     if (f := await evidence.load(session, rt, row.id)) is not None]
            await events.record(session, rt, tip, None, "cli", "evidence",
                              body=f"xuất {len(files)} tệp ra máy chủ")
    finally:
        await rt.db.dispose()
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    for index, item in enumerate(files, start=1):
        suffix = {"image/jpeg": ".jpg", "image/png": ".png"}.get(item.mime_type, ".bin")
        name = item.file_name or f"tin-{args.tip}-tep-{index}{suffix}"
        target = out / Path(name).name
        target.write_bytes(item.data)
        target.chmod(0o600)
    print(f"Đã xuất {len(files)} tệp của tin #{args.tip} vào {out} (đã ghi nhật ký xem).")
    return 0


async def _wait_for_signal(stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


# ---- parser -----------------------------------------------------------------------------------

Handler = Callable[[Settings, argparse.Namespace], Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="binhyen",
        description="Bình Yên — trợ lý an ninh, trật tự cho tổ dân cư và Công an xã.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")

    run = sub.add_parser("run", help="chạy bot (không có token: chạy kèm sandbox và xã mẫu)")
    run.add_argument("--sandbox", action="store_true", help="dùng sandbox dù đã có token")
    run.set_defaults(handler=cmd_run)

    sub.add_parser("migrate", help="nâng cấp cơ sở dữ liệu").set_defaults(handler=cmd_migrate)
    sub.add_parser("send", help="(nội bộ) tiến trình gửi tin do `run` khởi động khi bật "
                   "BINHYEN_SENDER_PROCESS").set_defaults(handler=cmd_send)

    sandbox = sub.add_parser("sandbox", help="chỉ chạy sandbox Bot API và trang trò chuyện")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--token", default=None, help="token giả cho bot (mặc định: ngẫu nhiên)")
    sandbox.set_defaults(handler=cmd_sandbox)

    area_cmd = sub.add_parser("areas", help="khu vực hành chính")
    area_sub = area_cmd.add_subparsers(dest="areas_command", required=True, metavar="VIỆC")
    imp = area_sub.add_parser("import", help="nhập khu vực từ CSV hoặc YAML")
    imp.add_argument("file", help="tệp: code, name, level, parent, aliases[, police_phone, remote]")
    imp.set_defaults(handler=cmd_areas_import)
    seed = area_sub.add_parser("seed", help="nạp tỉnh và các xã, phường theo danh sách chính "
                               "thức sau sắp xếp năm 2025")
    seed.add_argument("--province", required=True,
                      help="tên tỉnh, thành phố (có dấu hay không) hoặc mã, ví dụ 08")
    seed.set_defaults(handler=cmd_areas_seed)

    rep = sub.add_parser("report", help="báo cáo độ phủ tuyên truyền 6 tháng hoặc cả năm")
    rep.add_argument("--area", required=True, help="mã khu vực (xã, thôn…)")
    rep.add_argument("--period", required=True,
                     help="kỳ: 2026, 2026H1, 2026H2 hoặc 2026-01-01..2026-03-31")
    rep.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    rep.add_argument("--out", default=None, help="tệp ghi ra (mặc định: tên theo mã và kỳ)")
    rep.set_defaults(handler=cmd_report)

    house_cmd = sub.add_parser("households", help="danh sách hộ của tổ dân cư")
    house_sub = house_cmd.add_subparsers(dest="households_command", required=True,
                                         metavar="VIỆC")
    house_imp = house_sub.add_parser("import", help="nhập danh sách hộ của một tổ (CSV, XLSX)")
    house_imp.add_argument("file", help="tệp: Mã hộ, Chủ hộ, Địa chỉ, Số nhân khẩu"
                           "[, Số điện thoại]")
    house_imp.add_argument("--area", required=True, help="mã của tổ dân cư")
    house_imp.set_defaults(handler=cmd_households_import)

    invite = sub.add_parser("invite", help="tạo lời mời nhận vai trò (dùng một lần)")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--area", required=True, help="mã khu vực")
    invite.add_argument("--expires", type=parse_duration, default=timedelta(days=7),
                        help="thời hạn, ví dụ 12h, 7d (mặc định 7d)")
    invite.set_defaults(handler=cmd_invite)

    roles = sub.add_parser("roles", help="xem và thu hồi vai trò")
    roles_sub = roles.add_subparsers(dest="roles_command", required=True, metavar="VIỆC")
    listing = roles_sub.add_parser("list", help="liệt kê vai trò đang hiệu lực")
    listing.add_argument("--all", action="store_true", help="kể cả đã thu hồi, hết hạn")
    listing.set_defaults(handler=cmd_roles_list)
    revoke = roles_sub.add_parser("revoke", help="thu hồi một vai trò")
    revoke.add_argument("id", type=int, help="số của vai trò (xem roles list)")
    revoke.set_defaults(handler=cmd_roles_revoke)

    person_cmd = sub.add_parser("person", help="quyền dữ liệu của một người dùng")
    person_sub = person_cmd.add_subparsers(dest="person_command", required=True, metavar="VIỆC")
    for name, handler, what in (
            ("export", cmd_person_export, "in ra (JSON) dữ liệu bot giữ về người này"),
            ("forget", cmd_person_forget, "xóa dữ liệu của người này (cần --yes)")):
        one = person_sub.add_parser(name, help=what)
        one.add_argument("--channel", required=True, help="telegram, zalo, …")
        one.add_argument("--user-id", required=True, help="mã người dùng trên nền tảng đó")
        if name == "forget":
            one.add_argument("--yes", action="store_true", help="xác nhận xóa")
        one.set_defaults(handler=handler)

    keys = sub.add_parser("keys", help="khóa mã hóa")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="VIỆC")
    keys_sub.add_parser("rotate", help="thêm khóa mới để mã hóa từ nay").set_defaults(
        handler=cmd_keys_rotate)

    back = sub.add_parser("backup", help="sao lưu cơ sở dữ liệu, cả khi bot đang chạy "
                          "(không kèm khóa)")
    back.add_argument("file", help="tệp sao lưu, ví dụ /var/backups/binhyen/2026-05-01.tar")
    back.add_argument("--key-out", metavar="TỆP",
                      help="chép thêm tệp khóa ra đây (không bao giờ vào tệp sao lưu); cất riêng")
    back.set_defaults(handler=cmd_backup)
    rest = sub.add_parser("restore", help="khôi phục bản sao lưu vào cơ sở dữ liệu đang cài đặt "
                          "(cần đúng tệp khóa)")
    rest.add_argument("file", help="tệp sao lưu do `binhyen backup` ghi")
    rest.add_argument("--force", action="store_true",
                      help="thay cả khi nơi khôi phục đã có dữ liệu (dừng bot trước)")
    rest.set_defaults(handler=cmd_restore)

    box = sub.add_parser("outbox", help="hàng đợi tin gửi đi")
    box_sub = box.add_subparsers(dest="outbox_command", required=True, metavar="VIỆC")
    box_sub.add_parser("status", help="số tin đang chờ theo kênh và luồng, lỗi gần đây").set_defaults(
        handler=cmd_outbox_status)

    ev = sub.add_parser("evidence", help="xuất tệp bằng chứng của một tin báo (có ghi nhật ký)")
    ev.add_argument("tip", type=int, help="số tin báo (#)")
    ev.add_argument("--out", default="bang-chung", help="thư mục nhận tệp")
    ev.set_defaults(handler=cmd_evidence)

    sub.add_parser("demo", help="tạo xã mẫu và lời mời dùng thử").set_defaults(handler=cmd_demo)

    campaigns = sub.add_parser("campaigns", help="lịch tuyên truyền theo các ngày kỷ niệm")
    campaigns_sub = campaigns.add_subparsers(dest="campaigns_command", required=True,
                                             metavar="VIỆC")
    plan = campaigns_sub.add_parser("plan", help="lịch cả năm của các xã trong một khu vực")
    plan.add_argument("--year", type=int, required=True)
    plan.add_argument("--area", required=True, help="mã khu vực (xã, hoặc tỉnh: mọi xã)")
    plan.set_defaults(handler=cmd_campaigns_plan)
    for verb, on, words in (("on", True, "bật một ngày (kể cả ngày tùy chọn)"),
                            ("off", False, "tắt một ngày")):
        switch = campaigns_sub.add_parser(verb, help=words)
        switch.add_argument("--area", required=True, help="mã xã")
        switch.add_argument("day", help="mã ngày, ví dụ law-day")
        switch.set_defaults(handler=cmd_campaigns_switch, on=on)
    at = campaigns_sub.add_parser("time", help="đổi giờ gửi một tin")
    at.add_argument("--area", required=True, help="mã xã")
    at.add_argument("message", type=_day_and_key, help="NGÀY/TIN, ví dụ fire-day/day")
    at.add_argument("time", type=_clock_time, help="giờ, ví dụ 19:30")
    at.set_defaults(handler=cmd_campaigns_time)
    own = campaigns_sub.add_parser("text", help="nội dung riêng của xã cho một tin")
    own.add_argument("--area", required=True, help="mã xã")
    own.add_argument("message", type=_day_and_key, help="NGÀY/TIN, ví dụ fire-day/day")
    choice = own.add_mutually_exclusive_group(required=True)
    choice.add_argument("--file", help="tệp văn bản UTF-8 chứa nội dung")
    choice.add_argument("--reset", action="store_true", help="dùng lại nội dung chung")
    own.set_defaults(handler=cmd_campaigns_text)
    festival = campaigns_sub.add_parser("festival", help="ngày hội riêng của một thôn")
    festival.add_argument("--area", required=True, help="mã thôn, ấp, khu phố")
    festival.add_argument("--day", default="security-day", help="mã ngày (mặc định security-day)")
    festival.add_argument("--date", type=_day_month_year, required=True, help="17/08/2027")
    festival.add_argument("--when", help="cách nói thời gian, ví dụ «sáng Chủ nhật 17/8»")
    festival.add_argument("--place", help="nơi tổ chức")
    festival.set_defaults(handler=cmd_campaigns_festival)

    content_cmd = sub.add_parser("content", help="danh mục câu chữ của bot")
    content_sub = content_cmd.add_subparsers(dest="content_command", required=True,
                                             metavar="VIỆC")
    content_sub.add_parser("check", help="kiểm tra: câu nào cũng được dùng, câu được dùng "
                           "nào cũng có").set_defaults(handler=cmd_content_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as problem:
        print(problem, file=sys.stderr)
        return 2
    handler: Handler = args.handler
    try:
        return run_loop(handler(settings, args))
    except (KeyFileError, DatabaseUnreachable, SchemaNotCurrent, StartupError) as problem:
        print(f"Không khởi động: {problem}", file=sys.stderr)
        return 2
    except DomainError as problem:
        print(problem, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
