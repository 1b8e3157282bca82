"""What residents send (photos, videos, voice, documents, albums, locations, contacts) and
what the bot sends back (uploads or file_ids), checked through aiogram's own models.

Also getFile and downloads with aiogram's `bot.download`, copies and forwards, and the
web page's photo, contact and location buttons.
"""

import base64
import io
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    Update,
)
from PIL import Image

from bot.sandbox.images import generated_jpeg
from bot.sandbox.telegram import DEFAULT_TOKEN
from tests.sandbox.client import Tg

AN: dict[str, Any] = {"id": 1001, "first_name": "Nguyễn Văn An"}
BINH: dict[str, Any] = {"id": 2001, "first_name": "Trần Thị Bình"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


async def received(tg: Tg, **content: Any) -> Message:
    """An's message with this content, as the bot's aiogram receives it."""
    sent = await tg.send(AN, **content)
    [update] = [u for u in await tg.updates() if u["update_id"] == sent["update_id"]]
    message = Update.model_validate(update).message
    assert message is not None
    return message


async def download(tg: Tg, path: str, token: str = DEFAULT_TOKEN) -> tuple[int, bytes]:
    async with tg.http.get(tg.url(f"/file/bot{token}/{path}")) as response:
        return response.status, await response.read()


# ------------------------------------------------------------------ what users send


async def test_a_photo_arrives_as_sizes_with_a_caption(tg: Tg) -> None:
    message = await received(tg, photo={}, caption="/bao_cao trộm xe máy")
    assert message.text is None and message.caption == "/bao_cao trộm xe máy"
    assert message.caption_entities and message.caption_entities[0].type == "bot_command"
    assert message.photo is not None
    thumb, full = message.photo
    assert (thumb.width, thumb.height, full.width, full.height) == (90, 68, 320, 240)
    assert thumb.file_id != full.file_id and full.file_size and full.file_size > thumb.file_size
    [entry] = await tg.messages(1001)
    assert entry["text"] == "/bao_cao trộm xe máy"
    assert entry["media"] == {
        "kind": "photo",
        "file_id": full.file_id,
        "size": full.file_size,
        "width": 320,
        "height": 240,
    }


async def test_photo_bytes_become_jpeg_and_their_size_is_read(tg: Tg, bot: Bot) -> None:
    message = await received(tg, photo={"data_base64": b64(png(600, 400))})
    assert message.photo is not None
    full = message.photo[-1]
    assert (full.width, full.height) == (600, 400)
    data = (await bot.download(full.file_id)).read()  # type: ignore[union-attr]
    assert data.startswith(b"\xff\xd8\xff") and len(data) == full.file_size
    big = await received(tg, photo={"width": 4000, "height": 3000})
    assert big.photo is not None and (big.photo[-1].width, big.photo[-1].height) == (2560, 1920)


async def test_files_of_every_kind_are_telegram_objects(tg: Tg) -> None:
    video = await received(
        tg, video={"data_base64": b64(b"\x00\x00\x00\x18ftypmp42"), "duration": 12}
    )
    assert video.video is not None
    assert (video.video.duration, video.video.width, video.video.mime_type) == (
        12,
        640,
        "video/mp4",
    )
    voice = await received(tg, voice={"duration": 4}, caption="nghe này")
    assert voice.voice is not None and voice.caption == "nghe này"
    assert (voice.voice.duration, voice.voice.mime_type) == (4, "audio/ogg")
    audio = await received(tg, audio={"file_name": "ghi-am.mp3", "title": "Ghi âm"})
    assert audio.audio is not None and audio.audio.file_name == "ghi-am.mp3"
    document = await received(
        tg, document={"data_base64": b64(b"%PDF-1.4 bien ban"), "file_name": "bien-ban.pdf"}
    )
    assert document.document is not None
    assert (document.document.file_name, document.document.mime_type) == (
        "bien-ban.pdf",
        "application/pdf",
    )
    assert document.document.file_size == len(b"%PDF-1.4 bien ban")
    sticker = await received(tg, sticker={"emoji": "😡"})
    assert sticker.sticker is not None and sticker.sticker.emoji == "😡"
    entries = await tg.messages(1001)
    assert [e["media"]["kind"] for e in entries] == [
        "video",
        "voice",
        "audio",
        "document",
        "sticker",
    ]
    assert entries[3]["media"]["file_name"] == "bien-ban.pdf"


async def test_locations_and_contacts(tg: Tg) -> None:
    place = await received(tg, location={"latitude": 10.7769, "longitude": 106.7009})
    assert place.location is not None
    assert (place.location.latitude, place.location.longitude) == (10.7769, 106.7009)
    card = await received(
        tg, contact={"phone_number": "0912345678", "first_name": "An", "user_id": 1001}
    )
    assert card.contact is not None and card.contact.user_id == 1001
    located, contacted = await tg.messages(1001)
    assert located["location"] == {"latitude": 10.7769, "longitude": 106.7009}
    assert located["text"] == "" and located["media"] is None
    assert contacted["contact"]["phone_number"] == "0912345678"


async def test_an_album_is_messages_sharing_a_media_group_id(tg: Tg) -> None:
    album = [
        await received(tg, photo={}, media_group_id="album-1", caption="Ba ảnh hiện trường"),
        await received(tg, photo={"width": 100, "height": 80}, media_group_id="album-1"),
        await received(tg, video={}, media_group_id="album-1"),
    ]
    assert [m.media_group_id for m in album] == ["album-1"] * 3
    assert [m.message_id for m in album] == [1, 2, 3]
    assert [m["media_group_id"] for m in await tg.messages(1001)] == ["album-1"] * 3


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ({"photo": {}, "video": {}}, "per message"),
        ({"text": "a", "caption": "b", "photo": {}}, "not both"),
        ({"caption": "chỉ chú thích"}, '"caption" needs a photo'),
        ({"location": {"latitude": 10, "longitude": 106}, "text": "ở đây"}, "no text or caption"),
        ({"photo": {"data_base64": "không phải base64"}}, "not valid base64"),
        ({"photo": {"data_base64": b64(b"not an image")}}, "not an image"),
        ({"photo": {"width": 100}}, 'both "width" and "height"'),
        ({"location": {"latitude": 91, "longitude": 0}}, '"latitude" must be'),
        ({"contact": {"first_name": "An"}}, '"phone_number" must be'),
        ({"voice": {}, "media_group_id": "x"}, "can't be part of an album"),
        ({"document": {"pages": 2}}, 'unknown field "pages" in document'),
        ({"photo": {}, "caption": "x" * 1025}, "caption is too long"),
        ({"video": {"data_base64": b64(b"x"), "file_size": 9}}, "not both"),
    ],
)
async def test_user_content_is_validated(tg: Tg, content: dict[str, Any], complaint: str) -> None:
    status, body = await tg.control("/control/message", {"user": AN, **content})
    assert status == 400 and complaint in body["description"], body


# --------------------------------------------------------------------- files


async def test_get_file_and_download_with_aiogram(tg: Tg, bot: Bot) -> None:
    data = b"%PDF-1.4 bien ban vu viec"
    message = await received(tg, document={"data_base64": b64(data), "file_name": "bb.pdf"})
    assert message.document is not None
    file = await bot.get_file(message.document.file_id)
    assert (file.file_size, file.file_unique_id) == (len(data), message.document.file_unique_id)
    assert (
        file.file_path
        and file.file_path.startswith("documents/")
        and file.file_path.endswith(".pdf")
    )
    assert (await bot.download(message.document.file_id)).read() == data  # type: ignore[union-attr]
    assert (await bot.download_file(file.file_path)).read() == data  # type: ignore[union-attr]
    assert await download(tg, file.file_path, token="123:wrong") == (
        401,
        b'{"ok": false, "error_code": 401, "description": "Unauthorized"}',
    )
    assert (await download(tg, "documents/file_999.pdf"))[0] == 404


async def test_files_over_20_mb_cannot_be_fetched(tg: Tg, bot: Bot) -> None:
    message = await received(tg, video={"file_size": 25 * 1024 * 1024})
    assert message.video is not None and message.video.file_size == 25 * 1024 * 1024
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(message.video.file_id)
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("BAAC-no-such-file")
    small = await received(tg, voice={"file_size": 1000})
    assert small.voice is not None
    assert (await bot.download(small.voice.file_id)).read() == bytes(1000)  # type: ignore[union-attr]


# ------------------------------------------------------------------- what the bot sends


async def test_send_photo_upload_round_trip(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    picture = generated_jpeg(800, 600)
    sent = await bot.send_photo(
        1001,
        BufferedInputFile(picture, "hien-truong.jpg"),
        caption="<b>Ảnh</b> hiện trường",
        parse_mode="HTML",
    )
    assert sent.photo is not None and sent.caption == "Ảnh hiện trường"
    assert sent.caption_entities and sent.caption_entities[0].type == "bold"
    full = sent.photo[-1]
    assert (full.width, full.height, full.file_size) == (800, 600, len(picture))
    assert (await bot.download(full.file_id)).read() == picture  # type: ignore[union-attr]
    entry = (await tg.messages(1001))[-1]
    assert entry["from"] == "bot" and entry["text"] == "Ảnh hiện trường"
    assert entry["media"] == {
        "kind": "photo",
        "file_id": full.file_id,
        "size": len(picture),
        "width": 800,
        "height": 600,
    }
    again = await bot.send_photo(1001, full.file_id)
    assert again.photo is not None and again.photo[-1].file_id == full.file_id
    assert again.caption is None


async def test_bot_media_is_checked_like_telegram(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    voice = await bot.send_voice(1001, BufferedInputFile(b"OggS voice", "v.ogg"), duration=3)
    assert voice.voice is not None
    cases = [
        (
            bot.send_photo(
                1001, BufferedInputFile(generated_jpeg(10, 10), "a.jpg"), caption="x" * 1025
            ),
            "message caption is too long",
        ),
        (bot.send_photo(1001, BufferedInputFile(b"not an image", "a.jpg")), "IMAGE_PROCESS_FAILED"),
        (bot.send_photo(1001, BufferedInputFile(b"", "a.jpg")), "file must be non-empty"),
        (bot.send_photo(1001, voice.voice.file_id), "type of file mismatch"),
        (bot.send_document(1001, "BQAC-unknown"), "wrong file identifier/HTTP URL specified"),
        (bot.send_photo(1001, "https://example.org/a.jpg"), "failed to get HTTP URL content"),
    ]
    for attempt, description in cases:
        with pytest.raises(TelegramBadRequest) as raised:
            await attempt
        assert description in raised.value.message
    assert len(await tg.messages(1001)) == 2


async def test_documents_voice_video_and_audio_uploads(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    document = await bot.send_document(
        1001, BufferedInputFile(b"%PDF-1.4", "bien-ban.pdf"), caption="Biên bản"
    )
    assert document.document is not None
    assert (document.document.file_name, document.document.mime_type) == (
        "bien-ban.pdf",
        "application/pdf",
    )
    video = await bot.send_video(
        1001, BufferedInputFile(b"\x00\x00\x00\x18ftypmp42", "clip.mp4"), duration=9, width=1280
    )
    assert video.video is not None
    assert (video.video.duration, video.video.width, video.video.mime_type) == (
        9,
        1280,
        "video/mp4",
    )
    voice = await bot.send_voice(1001, BufferedInputFile(b"OggS", "thoai.ogg"))
    assert voice.voice is not None and voice.voice.mime_type == "audio/ogg"
    audio = await bot.send_audio(
        1001, BufferedInputFile(b"ID3", "ghi-am.mp3"), performer="An", title="Ghi âm"
    )
    assert audio.audio is not None and (audio.audio.performer, audio.audio.mime_type) == (
        "An",
        "audio/mpeg",
    )
    kinds = [m["media"]["kind"] for m in await tg.messages(1001) if m["from"] == "bot"]
    assert kinds == ["document", "video", "voice", "audio"]


async def test_a_file_part_named_after_the_parameter_is_an_upload(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    status, body = await tg.multipart(
        "sendPhoto",
        {"chat_id": "1001", "caption": "ảnh"},
        files={"photo": ("p.jpg", generated_jpeg(50, 40))},
    )
    assert status == 200 and body["result"]["photo"][-1]["width"] == 50
    status, body = await tg.multipart(
        "sendMessage", {"chat_id": "1001", "text": "a"}, files={"photo": ("p.jpg", b"x")}
    )
    assert (status, body["description"]) == (
        400,
        'Bad Request: this method does not accept file uploads ("photo")',
    )
    status, body = await tg.multipart("sendPhoto", {"chat_id": "1001", "photo": "attach://nope"})
    assert status == 400 and "attach://nope" in body["description"]


async def test_media_groups_locations_and_contacts_from_the_bot(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    album = await bot.send_media_group(
        1001,
        [
            InputMediaPhoto(
                media=BufferedInputFile(generated_jpeg(64, 48), "1.jpg"), caption="Hiện trường"
            ),
            InputMediaVideo(media=BufferedInputFile(b"ftyp", "2.mp4"), duration=3),
        ],
    )
    assert [m.message_id for m in album] == [2, 3]
    assert album[0].media_group_id == album[1].media_group_id is not None
    assert album[0].caption == "Hiện trường" and album[1].video is not None
    with pytest.raises(TelegramBadRequest, match="2-10 items"):
        await bot.send_media_group(1001, [InputMediaPhoto(media=album[0].photo[-1].file_id)])  # type: ignore[index]
    with pytest.raises(TelegramBadRequest, match="can't be mixed"):
        await bot.send_media_group(
            1001,
            [
                InputMediaPhoto(media=album[0].photo[-1].file_id),  # type: ignore[index]
                InputMediaDocument(media=BufferedInputFile(b"%PDF", "a.pdf")),
            ],
        )
    place = await bot.send_location(1001, 10.7769, 106.7009, horizontal_accuracy=20)
    assert place.location is not None and place.location.horizontal_accuracy == 20
    with pytest.raises(TelegramBadRequest, match="latitude"):
        await bot.send_location(1001, 95, 106)
    card = await bot.send_contact(1001, "113", "Công an xã")
    assert card.contact is not None and card.contact.phone_number == "113"


async def test_copy_and_forward(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    await tg.say(BINH, "xin chào")
    report = await received(tg, photo={}, caption="Trộm xe")
    assert report.photo is not None
    copied = await bot.copy_message(2001, 1001, report.message_id, caption="Tin báo #7")
    forwarded = await bot.forward_message(2001, 1001, report.message_id)
    assert (copied.message_id, forwarded.message_id) == (2, 3)
    copy_entry, forward_entry = (await tg.messages(2001))[1:]
    assert copy_entry["text"] == "Tin báo #7" and forward_entry["text"] == "Trộm xe"
    assert copy_entry["media"]["file_id"] == report.photo[-1].file_id
    assert copy_entry["forward_origin"] is None
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.sender_user.id == 1001  # type: ignore[union-attr]
    secret = await bot.send_message(1001, "mật", protect_content=True)
    with pytest.raises(TelegramBadRequest, match="protected content"):
        await bot.forward_message(2001, 1001, secret.message_id)
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(2001, 1001, 999)


async def test_media_messages_have_no_text_to_edit(tg: Tg, bot: Bot) -> None:
    await tg.say(AN, "xin chào")
    photo = await bot.send_photo(1001, BufferedInputFile(generated_jpeg(20, 20), "a.jpg"))
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=1001, message_id=photo.message_id)
    keyboard = {"inline_keyboard": [[{"text": "Xem", "callback_data": "v"}]]}
    assert await tg.ok(
        "editMessageReplyMarkup", chat_id=1001, message_id=photo.message_id, reply_markup=keyboard
    )


async def test_a_shared_contact_uses_up_a_one_time_keyboard(tg: Tg) -> None:
    await tg.say(AN, "xin chào")
    keyboard = {
        "keyboard": [[{"text": "📱 Gửi số điện thoại", "request_contact": True}]],
        "one_time_keyboard": True,
    }
    await tg.ok("sendMessage", chat_id=1001, text="Cho xin số", reply_markup=keyboard)
    assert (await tg.transcript(1001))["reply_keyboard"] is not None
    await tg.send(AN, contact={"phone_number": "0912345678", "first_name": "An", "user_id": 1001})
    assert (await tg.transcript(1001))["reply_keyboard"] is None


# --------------------------------------------------------------------------- web page


async def test_the_page_sends_photos_contacts_and_locations(tg: Tg) -> None:
    page = ""
    for path in ("/", "/static/chat.js"):
        async with tg.http.get(tg.url(path)) as response:
            page += await response.text()
    assert 'id="attach"' in page and 'accept="image/*"' in page
    assert 'chưa hỗ trợ trong bản thử.");' not in page
    assert "0912345678" in page and "10.7769" in page and "106.7009" in page
    sent = await tg.send(AN, photo={"data_base64": b64(png(30, 20))})
    file_id = (await tg.messages(1001))[0]["media"]["file_id"]
    async with tg.http.get(tg.url(f"/control/file?file_id={file_id}")) as response:
        assert response.status == 200 and response.content_type == "image/jpeg"
        assert (await response.read()).startswith(b"\xff\xd8\xff")
    assert sent["message_id"] == 1
    page_like = await tg.send(
        AN, document={"data_base64": b64(b"<script>alert(1)</script>"), "mime_type": "text/html"}
    )
    page_id = (await tg.messages(1001))[1]["media"]["file_id"]
    async with tg.http.get(tg.url(f"/control/file?file_id={page_id}")) as response:
        assert response.headers["Content-Disposition"] == "attachment"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert page_like["message_id"] == 2
    status, body = await tg.control("/control/file?file_id=nope")
    assert status == 404 and "not found" in body["description"]
