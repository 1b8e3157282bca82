"""Evidence and privacy: photos without GPS, every attachment kind, location and contact,
officers viewing evidence (files on Telegram, one-time links on Zalo), and proof that the
database file, its WAL, the logs, cards and group messages hold nothing that identifies a
reporter or tells a tip."""

from __future__ import annotations

import base64
import io
import logging
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from PIL import Image
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.db import Database
from bot.models import Evidence, Role, TipEvent
from bot.services import evidence, people
from bot.services.tips import codes as receipt_codes
from bot.web import WebServer
from content import tips as words
from tests.conftest import every_channel
from tests.e2e.tipkit import (
    CODE,
    DESCRIPTION,
    begin_report,
    events,
    file_report,
    nothing_times,
    place_and_time,
    police,
    send,
    the_tip,
)
from tests.harness import (
    CHIEF,
    GROUP_CHAT,
    OFFICER,
    RESIDENT,
    RESIDENT_2,
    Harness,
    User,
    start_harness,
)

PRIVATE = User(918273645501, "Riêng", "Tư Mật")


@pytest.fixture(params=["telegram", "zalo"])
def channel(request: pytest.FixtureRequest) -> str:
    return every_channel(request)


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif.get_ifd(0x8825).update({1: "N", 2: (10.0, 46.0, 36.84), 3: "E",
                                 4: (106.0, 42.0, 3.24)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the GPS is really there
    return data


async def stored_files(h: Harness) -> list[evidence.EvidenceFile]:
    async with h.app.rt.db.reading() as session:
        rows = (await session.scalars(select(Evidence).order_by(Evidence.id))).all()
        return [f for row in rows if (f := await evidence.load(session, h.app.rt, row.id))]


@pytest.mark.pg
async def test_photo_gps_and_camera_data_are_gone(harness: Harness) -> None:
    await police(harness)
    original = photo_with_gps()
    await harness.say(RESIDENT, "/baotin")
    await harness.choose(RESIDENT, "Ma túy")
    await harness.say(RESIDENT, DESCRIPTION)
    await harness.send_photo(RESIDENT, data=original)  # at the next step: any step takes files
    assert (await harness.last_text(RESIDENT)).startswith(words.FILES_KEPT.format(count=1))
    [stored] = await stored_files(harness)
    image = Image.open(io.BytesIO(stored.data))
    assert image.size == (64, 48)
    assert not image.getexif().get_ifd(0x8825) and 0x010F not in image.getexif()
    assert b"SecretCam" not in stored.data
    async with harness.app.rt.db.reading() as session:
        row = (await session.scalars(select(Evidence))).one()
    assert row.data_enc is not None and stored.data not in row.data_enc


@pytest.mark.telegram_only
async def test_every_attachment_kind_album_size_and_count(harness: Harness) -> None:
    h = harness
    await police(h)
    await begin_report(h, RESIDENT, category="Trộm cắp, cướp giật")
    assert any("tin nhắn thoại có thể giúp người khác nhận ra giọng bạn" in text
               for text in await h.seen(RESIDENT))
    await h.send_media(RESIDENT, "video", {"duration": 3})
    await h.send_media(RESIDENT, "voice", {"duration": 2})
    await h.send_media(RESIDENT, "document", {"file_name": "bien-ban.pdf",
                                              "mime_type": "application/pdf"})
    await h.seen(RESIDENT)
    for _ in range(3):
        await h.send_photo(RESIDENT, album="album-1")
    [reply] = await h.seen(RESIDENT)  # one reply for the album
    assert reply.startswith(words.FILES_KEPT.format(count=4) + "\n\n" + words.ASK_PLACE)
    await h.send_media(RESIDENT, "video", {"file_size": 25 * 1024 * 1024, "duration": 60})
    assert await h.last_text(RESIDENT) == words.EVIDENCE_TOO_BIG.format(mb=20)
    await h.send_media(RESIDENT, "sticker", {})
    assert (await h.last_text(RESIDENT)).startswith("Bước này cần")
    for _ in range(4):
        await h.send_photo(RESIDENT)
    await h.send_photo(RESIDENT)
    assert await h.last_text(RESIDENT) == words.EVIDENCE_FULL.format(count=10)
    expected = ["video", "voice", "document"] + ["photo"] * 7  # the order they came in
    await place_and_time(h, RESIDENT, address=None)
    await send(h, RESIDENT)
    async with h.app.rt.db.reading() as session:  # the eleventh photo was turned away
        assert [row.kind for row in await evidence.of_tip(session, 1)] == expected
    await h.act(OFFICER, 1, "Xem bằng chứng")  # every kind reaches the officer, in order
    sent = [m for m in await h.bot_messages(OFFICER.id) if m.get("media")]
    assert [m["media"]["kind"] for m in sent] == expected
    document = sent[2]["media"]
    assert document.get("file_name") == "bien-ban.pdf", document


@pytest.mark.telegram_only  # the Zalo bot API takes images as photos only
async def test_an_image_sent_as_a_file_loses_its_gps_too(harness: Harness) -> None:
    h = harness
    await police(h)
    await begin_report(h, RESIDENT)
    await h.send_media(RESIDENT, "document", {
        "data_base64": base64.b64encode(photo_with_gps()).decode(), "mime_type": "image/jpeg",
        "file_name": "IMG_0042.jpg"})
    [stored] = await stored_files(h)
    image = Image.open(io.BytesIO(stored.data))
    assert image.size == (64, 48) and not image.getexif().get_ifd(0x8825)
    assert b"SecretCam" not in stored.data


@pytest.mark.telegram_only
async def test_a_location_pin_and_the_contact_button(harness: Harness) -> None:
    h = harness
    await police(h)
    await h.say(RESIDENT, "/baotin")
    await h.choose(RESIDENT, "Đua xe trái phép")
    await h.say(RESIDENT, "Nhóm thanh niên đua xe mỗi tối thứ bảy trên đê.")
    await h.choose(RESIDENT, "Thôn Tây")
    prompt = (await h.bot_messages(RESIDENT.id))[-1]
    assert "📍 Gửi vị trí (khi đang ở nơi xảy ra)" in h.buttons(prompt) and "chỉ đúng nhà bạn" in prompt["text"]
    await h.send_location(RESIDENT, 10.776912, 106.700901)
    await h.choose(RESIDENT, "Hôm nay")
    await send(h, RESIDENT, "Để lại số điện thoại")
    await h.send_contact(RESIDENT, "0988777666", own=False)
    assert (await h.last_text(RESIDENT)).startswith(words.PHONE_NOT_OWN)
    await h.send_contact(RESIDENT, "+84988777666")
    assert "Mã tiếp nhận" in await h.last_text(RESIDENT)
    [card] = await h.seen(OFFICER)
    assert "Vị trí: 10.77691, 106.70090" in card and "Có số liên hệ: +84988777666" in card


@pytest.mark.telegram_only
async def test_officers_view_evidence_and_each_view_is_recorded(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT, photos=2)
    await h.act(OFFICER, 1, "Xem bằng chứng")
    sent = [m for m in await h.bot_messages(OFFICER.id) if m.get("media")]
    assert [m["media"]["kind"] for m in sent] == ["photo", "photo"]
    assert sent[0]["text"] == words.EVIDENCE_CAPTION.format(index=1, total=2, ref=1)
    views = [e for e in await events(h) if e.kind == "evidence"]
    assert len(views) == 1 and views[0].actor_person_id is not None


@pytest.fixture
async def zalo_with_links(settings: Settings, db: Database,
                          clock: FakeClock) -> AsyncIterator[tuple[Harness, str]]:
    server_port = _free_port()
    settings.public_url = f"http://127.0.0.1:{server_port}"  # type: ignore[assignment]
    async with start_harness(settings, db, clock, channel="zalo") as h:
        web = WebServer(h.app.rt, h.app.channels)
        await web.start("127.0.0.1", server_port)
        try:
            yield h, str(settings.public_url)
        finally:
            await web.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_zalo_evidence_links_are_one_time_expiring_and_checked(
    zalo_with_links: tuple[Harness, str],
) -> None:
    h, public = zalo_with_links
    await police(h)
    await file_report(h, RESIDENT, photos=1)
    card = (await h.seen(OFFICER))[-1]
    assert f"{public}/evidence/" in card and "dùng một lần" in card
    await h.say(OFFICER, "bangchung 1")
    link = (await h.last_text(OFFICER)).split(": ")[-1]
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as first:
            page = await first.text()
            assert first.status == 200 and "data:image/jpeg;base64," in page
            assert first.headers["Cache-Control"] == "no-store"
        async with http.get(link) as again:
            assert again.status == 410
        async with http.get(f"{public}/evidence/not-a-real-token") as forged:
            assert forged.status == 410
        await h.say(OFFICER, "bangchung 1")
        stale = (await h.last_text(OFFICER)).split(": ")[-1]
        h.clock.advance(timedelta(minutes=31))
        async with http.get(stale) as late:
            assert late.status == 410
        # a link is for an officer of the commune: once the role is revoked it stops working
        await h.say(CHIEF, "bangchung 1")
        chief_link = (await h.last_text(CHIEF)).split(": ")[-1]
        async with h.app.rt.transaction() as session:
            for view in await people.list_grants(session, h.app.rt):
                if view.grant.role == Role.POLICE_CHIEF:
                    await people.revoke_role(session, view.grant.id, now=h.clock.now(),
                                             by="test")
        async with http.get(chief_link) as revoked:
            assert revoked.status == 410
    opened = [e for e in await events(h) if e.kind == "evidence"]
    assert len(opened) == 1


async def test_without_a_public_address_zalo_says_where_to_look(harness: Harness) -> None:
    if not harness.zalo:
        pytest.skip("Zalo only")
    await police(harness)
    await file_report(harness, RESIDENT, photos=1)
    await harness.say(OFFICER, "bangchung 1")
    assert await harness.last_text(OFFICER) == words.EVIDENCE_ELSEWHERE.format(ref=1, count=1)


def database_bytes(settings: Settings) -> dict[str, bytes]:
    """The SQLite database's files on disk (main file, WAL, shared memory), read raw."""
    folder = Path(settings.db_url.split("///")[1]).parent
    return {path.name: path.read_bytes() for path in folder.glob("binhyen.db*")}


async def test_nothing_identifying_or_telling_is_stored_logged_or_posted(
    harness: Harness, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h = harness
    await police(h)
    if not h.zalo:  # Zalo bots have no groups
        await h.send(CHIEF, "/setup", chat=GROUP_CHAT, title="Trực ban")
    descriptions: list[str] = []
    codes: list[str] = []  # every form a receipt code could be kept in
    photo = photo_with_gps()
    for identity, phone in (("Giấu tên, vẫn nhận thông báo", None),
                            ("Giấu tên tuyệt đối", None),
                            ("Để lại số điện thoại", "0912345678")):
        description = f"Bí mật số {len(descriptions) + 1}: kẻ trộm giấu xe ở kho mía bỏ hoang."
        await h.say(PRIVATE, "/baotin")
        await h.choose(PRIVATE, "Trộm cắp, cướp giật")
        await h.say(PRIVATE, description)
        await h.send_photo(PRIVATE, data=photo)
        await h.choose(PRIVATE, "Thôn Đông")
        await h.say(PRIVATE, "Kho mía cạnh nhà văn hóa")
        await h.choose(PRIVATE, "Hôm nay")
        await send(h, PRIVATE, identity)
        if phone:
            await h.say(PRIVATE, phone)
        receipt = CODE.search(await h.last_text(PRIVATE))
        assert receipt
        code = receipt.group(1)
        canonical = receipt_codes.canonical_code(code)
        assert canonical
        descriptions.append(description)
        codes += [code, code.replace("-", ""), canonical]
    await h.act(OFFICER, 1, "Tiếp nhận")
    # and, with the key, nothing times the reporter: a fully anonymous tip is among theirs
    await nothing_times(h, PRIVATE)
    stored = await stored_files(h)
    live = database_bytes(settings)  # while the bot runs: the WAL holds the recent writes
    assert live.get("binhyen.db-wal"), "expected a write-ahead log to read"
    await h.app.stop()  # then everything checkpointed into the main file
    raw = b"".join([*live.values(), *database_bytes(settings).values()])
    needles = [s.encode() for s in [*descriptions, *codes]] + [
        str(PRIVATE.id).encode(), b"0912345678", "Tư Mật".encode(), "Riêng".encode(),
        photo[200:264], stored[0].data[100:164]]
    for needle in needles:
        assert needle not in raw, f"found in the database files: {needle[:40]!r}"

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for needle in [*descriptions, *codes, str(PRIVATE.id), "0912345678", "Tư Mật"]:
        assert needle not in logged, f"found in the logs: {needle}"
    if not h.zalo:
        group = " ".join(m["text"] for m in await h.bot_messages(GROUP_CHAT))
        assert "Tin báo #1" in group
        for needle in [*descriptions, *codes, "Tư Mật", "Riêng", "0912345678", "Kho mía"]:
            assert needle not in group
    for officer in (OFFICER, CHIEF):
        cards = " ".join(await h.seen(officer))
        assert "Tư Mật" not in cards and "Riêng" not in cards and str(PRIVATE.id) not in cards
        for code in codes:
            assert code not in cards
        assert "0912345678" in cards  # the one reporter who chose to leave a number


async def test_retention_purges_closed_tips(harness: Harness) -> None:
    h = harness
    await police(h)
    await file_report(h, RESIDENT, photos=1)
    await h.say(OFFICER, "tiepnhan 1")
    await h.say(OFFICER, "ketthuc 1")
    await h.choose(OFFICER, words.OUTCOMES["unfounded"])
    await h.choose(OFFICER, words.NO_NOTE)
    h.clock.advance(timedelta(days=30.44 * 36 + 2))
    await h.app.ticker.tick()
    await h.settle()
    tip = await the_tip(h)
    assert tip.content_enc is None and tip.status == "closed" and tip.category == "drugs"
    assert await stored_files(h) == []
    await h.say(OFFICER, "/hopthu 1")
    assert "(đã xóa theo thời hạn lưu trữ)" in await h.last_text(OFFICER)
    async with h.app.rt.db.reading() as session:
        bodies = (await session.scalars(select(TipEvent.body_enc))).all()
    assert all(body is None for body in bodies)


@pytest.mark.pg
async def test_files_of_a_cancelled_report_are_deleted_after_a_day(harness: Harness) -> None:
    """...but not those of a report still under way, however long it takes."""
    h = harness
    await police(h)
    for user in (RESIDENT, RESIDENT_2):
        await begin_report(h, user)
        await h.send_photo(user)
    await h.say(RESIDENT, "/huy")
    h.clock.advance(timedelta(hours=20))
    await h.choose(RESIDENT_2, "Thôn Đông")  # a slow reporter, still going
    await h.app.ticker.tick()
    assert len(await stored_files(h)) == 2  # a resident may still come back within the day
    h.clock.advance(timedelta(hours=5))
    await h.app.ticker.tick()
    assert len(await stored_files(h)) == 1
    await h.say(RESIDENT_2, "Hẻm 12")
    await h.choose(RESIDENT_2, "Hôm qua")
    await send(h, RESIDENT_2, "Giấu tên tuyệt đối")
    async with h.app.rt.db.reading() as session:
        assert [row.tip_id for row in (await session.scalars(select(Evidence))).all()] == [1]
