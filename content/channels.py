"""Sentences a messenger's rendering adds around what the features say (`bot/channels/`): how
to answer there. The features write each prompt once, in words for every messenger ("chọn…");
a text-only messenger adds "gõ 1" and what to type, Telegram its buttons and what they do."""

from __future__ import annotations

from bot.messages import Request

# text-only messengers (Zalo, the plain channel): under numbered choices, and for a request
TEXT_CHOICE_HINT = "Trả lời bằng số thứ tự (ví dụ: 1)."
TEXT_ONE_CHOICE_HINT = "Gõ 1 để chọn «{label}»."  # under a prompt with a single choice
TEXT_REQUEST_HINTS = {
    Request.CONTACT: "Gõ số điện thoại của bạn.",
    Request.LOCATION: "Gõ địa chỉ hoặc mô tả nơi đó.",
}
# Telegram: under a prompt with a share button
REQUEST_HINTS = {
    Request.CONTACT: "Gõ số, hoặc bấm nút «📱 Gửi số điện thoại của tôi» bên dưới.",
    Request.LOCATION: (
        "Gõ địa chỉ. Nếu bạn đang ở đúng nơi đó, có thể bấm nút «📍 Gửi vị trí» bên dưới; "
        "đang ở nhà thì đừng bấm, vì vị trí sẽ chỉ đúng nhà bạn."
    ),
}

# Telegram: the keyboard button that shares the phone number or the location
REQUEST_BUTTONS = {
    Request.CONTACT: "📱 Gửi số điện thoại của tôi",
    Request.LOCATION: "📍 Gửi vị trí (khi đang ở nơi xảy ra)",
}
# Telegram: the line that takes those buttons away when the next question has its own
REQUEST_CLOSED = "✓ Đã ghi nhận."

