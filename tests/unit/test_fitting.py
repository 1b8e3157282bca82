"""Every message fits its messenger, and a resident's words stay set apart: the one splitting
rule (`split_text`), the Telegram renderer built on it, and cleaning and quoting what a
resident wrote before an officer reads it (issue 14, items 2 and 4)."""

from __future__ import annotations

import unicodedata
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.channels.base import TextRenderer, split_text
from bot.channels.telegram import MAX_CAPTION, MAX_TEXT, TelegramRenderer
from bot.messages import Choice, Media, Outgoing, Request
from bot.text import QUOTE_BAR, clean, inline, quote

ALPHABET = st.sampled_from(list("aăâbcđeêôơưy ÁẠẶỆỰ\n\t.!?,;…0123456789🚨\u0301\u200d"))
TEXTS = st.text(alphabet=ALPHABET, max_size=3000)
LIMITS = st.integers(min_value=12, max_value=400)
HIDDEN = ("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
          "\u200b\u200c\u200d\u2060\ufeff\u00ad\x00\x07\x1b\x7f\x80\x9f\U000e0041")
BREAKS = "\r\n", "\r", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029"


def _letters(text: str) -> str:
    return "".join(text.split())


# ---- split_text --------------------------------------------------------------------------

@given(TEXTS, LIMITS)
@settings(max_examples=300)
@example("a" * 5000, 100)  # one word longer than a message
def test_every_piece_fits_and_nothing_is_lost(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert all(piece == piece.strip() for piece in pieces)
    assert _letters("".join(pieces)) == _letters(text)  # in order, nothing added or lost


@given(st.lists(st.text(alphabet=st.sampled_from("abcđêơ.,!?"), min_size=1, max_size=10),
                max_size=600),
       st.lists(st.sampled_from([" ", " ", " ", "\n", "\n\n", ". "]), min_size=1),
       st.integers(min_value=40, max_value=400))
@settings(max_examples=200)
def test_words_come_back_whole_and_in_order(words: list[str], gaps: list[str],
                                            limit: int) -> None:
    """Words shorter than a third of a message are never cut: the pieces joined by spaces give
    back the text's words, in order."""
    text = "".join(word + gaps[i % len(gaps)] for i, word in enumerate(words))
    pieces = split_text(text, limit)
    assert " ".join(pieces).split() == text.split()


@given(TEXTS, LIMITS, st.integers(min_value=12, max_value=100))
@settings(max_examples=200)
def test_a_first_piece_can_have_less_room(text: str, limit: int, first: int) -> None:
    pieces = split_text(text, limit, first_limit=first)
    if pieces:
        assert len(pieces[0]) <= first
    assert all(0 < len(piece) <= limit for piece in pieces[1:])
    assert _letters("".join(pieces)) == _letters(text)


@given(TEXTS, st.integers(min_value=30, max_value=400))
@settings(max_examples=300)
def test_a_quoted_line_keeps_its_bar_in_every_piece(text: str, limit: int) -> None:
    """However a resident's words are cut, every line of every piece still shows the bar."""
    quoted = "—— start ——\n" + quote(text) + "\n—— end ——"
    pieces = split_text(quoted, limit)
    lines = [line for piece in pieces for line in piece.split("\n")]
    assert all(line.startswith(QUOTE_BAR.strip()) for line in lines[1:-1])
    assert all(len(piece) <= limit for piece in pieces)
    unquoted = "".join(line.removeprefix(QUOTE_BAR.strip()) for line in lines[1:-1])
    assert _letters(unquoted) == _letters(clean(text))


def test_cuts_fall_after_a_sentence_and_never_inside_a_letter() -> None:
    text = ("Câu này nói về an ninh trật tự ở thôn. " * 80).strip()
    pieces = split_text(text, 2000)
    assert len(pieces) == 2 and pieces[0].endswith(".")
    decomposed = unicodedata.normalize("NFD", "ệ" * 50)  # e + two combining marks each
    for piece in split_text(decomposed, 20):
        assert not unicodedata.combining(piece[0])


# ---- the Telegram renderer -------------------------------------------------------------------

CHOICES = (Choice("a", "Tiếp nhận"), Choice("b", "Kết thúc"))


def test_a_long_text_goes_in_parts_with_its_buttons_on_the_last() -> None:
    text = "\n".join(f"Dòng {i}: có người lạ đến hỏi thăm nhà bên cạnh." for i in range(300))
    requests = TelegramRenderer().render(Outgoing(text, CHOICES, token="t"))
    assert len(requests) >= 3
    assert all(r.method == "sendMessage" and len(r.params["text"]) <= MAX_TEXT
               for r in requests)
    assert [("reply_markup" in r.params) for r in requests] == [False] * (len(requests) - 1) + [
        True]
    assert _letters("".join(r.params["text"] for r in requests)) == _letters(text)
    keyboard = TelegramRenderer().render(Outgoing(text, request=Request.CONTACT))
    assert "keyboard" in keyboard[-1].params["reply_markup"]
    assert all("reply_markup" not in r.params for r in keyboard[:-1])


def test_a_long_caption_continues_in_text_after_its_file() -> None:
    caption = "Ảnh chụp lúc 21 giờ, trước cửa nhà số 12. " * 120
    requests = TelegramRenderer().render(Outgoing(caption, CHOICES, token="t",
                                                  attachments=(Media("photo", 7),)))
    first, *rest = requests
    assert first.method == "sendPhoto" and first.params["_evidence"] == 7
    assert len(first.params["caption"]) <= MAX_CAPTION and first.params["caption"].endswith(".")
    assert rest and all(r.method == "sendMessage" and len(r.params["text"]) <= MAX_TEXT
                        for r in rest)
    assert "reply_markup" in requests[-1].params and "reply_markup" not in first.params
    texts = [first.params["caption"]] + [r.params["text"] for r in rest]
    assert _letters("".join(texts)) == _letters(caption)
    short = TelegramRenderer().render(Outgoing("Bằng chứng 1/2",
                                               attachments=(Media("memo", 8),)))
    assert [r.method for r in short] == ["sendDocument"]  # an unknown kind goes as a document


def test_an_album_goes_in_groups_telegram_takes_with_its_caption_on_the_first() -> None:
    files = (Media("photo", 1), Media("video", 2), Media("voice", 3), Media("document", 4),
             Media("memo", 5), *(Media("photo", n) for n in range(6, 17)))
    caption = "Bằng chứng của tin #12. " * 60
    requests = TelegramRenderer().render(Outgoing(caption, attachments=files))
    assert [r.method for r in requests] == [
        "sendMediaGroup", "sendVoice", "sendMediaGroup", "sendMediaGroup", "sendPhoto",
        "sendMessage"]
    first, _, documents, ten, eleventh, rest = requests
    assert [m["type"] for m in first.params["media"]] == ["photo", "video"]
    assert [m["_evidence"] for m in documents.params["media"]] == [4, 5]  # an unknown kind too
    assert [m["type"] for m in documents.params["media"]] == ["document", "document"]
    assert len(ten.params["media"]) == 10 and eleventh.params == {"_evidence": 16}
    assert len(first.params["media"][0]["caption"]) <= MAX_CAPTION
    assert all("caption" not in m for r in requests[1:4] for m in r.params.get("media", []))
    assert _letters(first.params["media"][0]["caption"] + rest.params["text"]) == _letters(
        caption)
    with_buttons = TelegramRenderer().render(Outgoing("Xem xong chọn", CHOICES, token="t",
                                                      attachments=files[:2]))
    assert [r.method for r in with_buttons] == ["sendMediaGroup", "sendMessage"]
    assert "caption" not in with_buttons[0].params["media"][0]
    assert "reply_markup" in with_buttons[1].params
    assert "reply_markup" not in with_buttons[0].params  # an album carries no buttons


def test_an_edit_that_outgrows_its_message_continues_in_new_ones() -> None:
    renderer = TelegramRenderer()
    [edit] = renderer.render(Outgoing("Trạng thái: Đã tiếp nhận", CHOICES, token="t", edit_of=4))
    assert edit.method == "editMessageText" and "inline_keyboard" in edit.params["reply_markup"]
    assert edit.edit_of == 4 and "message_id" not in edit.params  # the channel fills it in
    long = renderer.render(Outgoing("Ghi chú dài. " * 700, CHOICES, token="t", edit_of=4))
    assert [r.method for r in long][:2] == ["editMessageText", "sendMessage"]
    assert [r.edit_of for r in long] == [4] + [None] * (len(long) - 1)
    assert all(len(r.params["text"]) <= MAX_TEXT for r in long)
    assert "reply_markup" in long[-1].params and "reply_markup" not in long[0].params
    [plain] = renderer.render(Outgoing("Số điện thoại?", request=Request.CONTACT, edit_of=4))
    assert "reply_markup" not in plain.params  # an edit cannot carry a reply keyboard


def test_the_chosen_mark_is_left_out_when_it_would_not_fit() -> None:
    mark = TelegramRenderer.chosen_mark(5, "Bạn chọn loại việc?", "Ma túy")
    assert mark is not None and mark.params["text"].endswith("» Ma túy")
    assert TelegramRenderer.chosen_mark(5, "x" * (MAX_TEXT - 5), "Ma túy") is None


def test_a_text_only_messenger_sends_no_files_and_a_line_instead_of_an_edit() -> None:
    with pytest.raises(ValueError):
        TextRenderer().render(Outgoing("Ảnh", attachments=(Media("photo", 1),)))
    edit = Outgoing("Thẻ mới", CHOICES, token="t", edit_of=3)
    assert TextRenderer().render(edit) == []  # nothing to say: nothing sent
    [note] = TextRenderer().render(replace(edit, update_note="Tin #3: đã tiếp nhận."))
    assert (note.method, note.params, note.edit_of) == (
        "sendMessage", {"text": "Tin #3: đã tiếp nhận."}, None)


# ---- a resident's words, cleaned -------------------------------------------------------------

def test_nothing_that_hides_or_reorders_text_survives() -> None:
    typed = "Nhà \u202esố 21\u202c, " + HIDDEN + "hẻm\u2066 5\u2069\tcuối\ud800 xóm"
    shown = clean(typed)
    assert not set(HIDDEN + "\ud800") & set(shown)
    assert shown == "Nhà số 21, hẻm 5\tcuối xóm"
    assert clean("Đường Nguyễn Trãi") == "Đường Nguyễn Trãi"
    assert clean("ê\u0301") == "ế"  # NFC


@pytest.mark.parametrize("line_break", BREAKS)
def test_every_kind_of_line_break_is_one_line_break(line_break: str) -> None:
    assert clean(f"một{line_break}hai") == "một\nhai"
    assert inline(f"Hẻm 12{line_break}Người báo: Có số liên hệ") == (
        "Hẻm 12 Người báo: Có số liên hệ")
    assert quote(f"một{line_break}Người báo: Có số liên hệ") == (
        f"{QUOTE_BAR}một\n{QUOTE_BAR}Người báo: Có số liên hệ")


@given(st.text(max_size=500))
def test_every_quoted_line_has_the_bar(text: str) -> None:
    quoted = quote(text)
    assert all(line.startswith(QUOTE_BAR.strip()) for line in quoted.split("\n"))
    assert len(quoted.splitlines()) == len(quoted.split("\n"))  # no other kind of line break
    assert "\n" not in inline(text) and len(inline(text).splitlines()) <= 1
