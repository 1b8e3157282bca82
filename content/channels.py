"""Sentences a messenger's rendering adds around what the features say (`bot/channels/`): how
to answer on a text-only messenger, the labels of Telegram's share buttons, the answer to a
message Zalo does not let the bot read."""

from __future__ import annotations

from bot.messages import Request

# text-only messengers (Zalo, the plain channel): under numbered choices, and for a request
TEXT_CHOICE_HINT = "Trả lời bằng số thứ tự (ví dụ: 1)."
TEXT_REQUEST_HINTS = {
    Request.CONTACT: "Gõ số điện thoại của bạn.",
    Request.LOCATION: "Gõ địa chỉ hoặc mô tả nơi đó (ví dụ: số nhà, tên đường, gần đâu).",
}

# Telegram: the keyboard button that shares the phone number or the location
REQUEST_BUTTONS = {
    Request.CONTACT: "📱 Gửi số điện thoại của tôi",
    Request.LOCATION: "📍 Gửi vị trí (khi bạn đang ở nơi xảy ra)",
}
# Telegram: the line that takes those buttons away when the next question has its own
REQUEST_CLOSED = "✓ Đã ghi nhận."

# Zalo: a message of a kind its Bot Platform does not pass on (a sticker, a file, …)
UNSUPPORTED = (
    "Bình Yên chưa đọc được loại tin nhắn này. Bạn gửi chữ hoặc ảnh giúp mình nhé. "
    "Gõ «menu» để xem các việc mình giúp được."
)
