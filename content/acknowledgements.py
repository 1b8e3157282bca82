"""Every sentence about «✅ Nhà tôi đã nhận»: the button (or numbered line) under each campaign
message and broadcast, and the answers to it (`bot/services/acknowledgements.py`,
`handlers/acknowledgements.py`).

Residents read these: "bạn", short, warm. A toast on Telegram shows at most 200 characters
for a moment, so toasts stay one short sentence.
"""

from __future__ import annotations

ACK_LABEL = "✅ Nhà tôi đã nhận"

# written «đã nhận» (or its number, or pressed in a private chat)
ACK_THANKS = "Cảm ơn bạn đã xác nhận! Chúc gia đình mình bình an."
ACK_AGAIN = "Bình Yên đã ghi nhận nhà bạn nhận tin này rồi. Cảm ơn bạn!"
ACK_NOTHING = (
    "Cảm ơn bạn! Hiện Bình Yên chưa gửi tin tuyên truyền nào tới bạn gần đây để xác nhận. "
    "Khi có tin mới, bạn chỉ cần nhắn «đã nhận» là được."
)

# the button pressed: a toast (in a group chat, nothing else is said)
ACK_TOAST = "✅ Đã ghi nhận. Cảm ơn nhà bạn!"
ACK_TOAST_AGAIN = "Nhà bạn đã xác nhận tin này rồi. Cảm ơn bạn!"
ACK_TOAST_STALE = "Nút này không còn dùng được."
ACK_STALE = "Nút này không còn dùng được. Khi có tin mới, bạn chọn nút dưới tin đó nhé."

# after the first acknowledgement in private by someone not linked to a household yet
ACK_HOW_TO_REGISTER = (
    "💡 Để Bình Yên tính cho cả hộ nhà bạn, bạn đăng ký hộ một lần: nhắn /dangky kèm mã hộ "
    "mà tổ trưởng đưa cho bạn (ví dụ: /dangky ABC123)."
)

ACK_COMMAND = "Báo nhà bạn đã nhận tin tuyên truyền"
