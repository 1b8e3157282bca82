"""Every sentence of the welcome, the menu, help, the emergency numbers, "my roles" and an
invite redeemed with `/start <mã mời>` (`handlers/start.py`).

The note on Zalo's contact window for those who get tip cards is `content.tips.KEEP_IN_TOUCH`.
"""

from __future__ import annotations

WELCOME = (
    "Chào bạn, mình là Bình Yên — trợ lý an ninh, trật tự của tổ dân cư và công an xã, phường.\n"
    "Bạn chọn việc cần làm bên dưới nhé."
)
WELCOME_GROUP = (
    "Chào bà con, Bình Yên đã có mặt trong nhóm. Việc riêng tư (như báo tin) xin nhắn riêng "
    "cho Bình Yên; trong nhóm mình chỉ trả lời khi được gọi bằng lệnh."
)
MENU_TITLE = "Bạn cần gì? Chọn một mục bên dưới nhé."
HELP = (
    "Bình Yên giúp bạn:\n"
    "• /baotin — báo tin cho công an, có thể giấu tên\n"
    "• /tracuu — xem tin đã báo đến đâu (gõ tracuu và mã tiếp nhận)\n"
    "• /traloi — trả lời câu hỏi công an gửi về tin của bạn\n"
    "• thamgia và mã — vào nhóm của tổ (mã do tổ trưởng gửi trong nhóm Zalo)\n"
    "• dangky và mã hộ — đăng ký nhà bạn (mã riêng tổ trưởng đưa cho từng hộ)\n"
    "• /hotline — số điện thoại khẩn cấp\n"
    "• /start — xem các việc mình giúp được; /vaitro — vai trò của bạn\n"
    "• /dulieu — xem dữ liệu Bình Yên giữ về bạn, hoặc xóa dữ liệu đó\n"
    "• /huy — dừng việc đang làm; /quaylai — quay lại bước trước\n"
    "Gõ lệnh có hay không có dấu «/» đều được.\n\n"
    "Bình Yên không phải đường dây khẩn cấp. Nếu đang nguy hiểm, hãy gọi ngay 113."
)
HOTLINE = (
    "Số điện thoại khẩn cấp (gọi miễn phí, 24/7):\n"
    "• 113 — Công an\n"
    "• 114 — Cứu hỏa, cứu nạn, cứu hộ\n"
    "• 115 — Cấp cứu y tế\n"
    "• 111 — Tổng đài bảo vệ trẻ em\n"
    "Bình Yên không phải đường dây khẩn cấp: khi nguy hiểm, hãy gọi ngay các số trên."
)
HOTLINE_COMMUNE = "• {phone} — {police}"
NO_ROLES = "Bạn đang dùng Bình Yên với tư cách người dân. Chưa có vai trò nào khác."
ROLES_TITLE = "Vai trò của bạn:"
ROLE_LINE = "• {role} — {area}{expiry}"
ROLE_EXPIRY = " (đến {date})"
INVITE_OK = "Xong! Bạn đã nhận vai trò {role} tại {area}. Gõ /start để xem các việc mới."
INVITE_HINT = (
    "Nếu bạn có mã mời, gõ /start rồi dán mã (ví dụ: /start 7K3MQ9XPA2BCDEFG)."
)

# ---- the commands: their descriptions (the messenger's command list) and menu labels ---------
START_COMMAND = "Bắt đầu, xem menu"
MENU_COMMAND = "Xem các việc Bình Yên giúp được"
HELP_COMMAND = "Hướng dẫn"
HELP_LABEL = "❓ Hướng dẫn"
HOTLINE_COMMAND = "Số điện thoại khẩn cấp"
HOTLINE_LABEL = "☎️ Số khẩn cấp"
ROLES_COMMAND = "Vai trò của tôi"
ROLES_LABEL = "👤 Vai trò của tôi"

# ---- a private message outside any conversation (`handlers/start.py: understand`) ----------
THANKS_REPLY = "Không có gì đâu bạn. Khi cần, bạn cứ nhắn cho Bình Yên nhé."
UNKNOWN_COMMAND = "Mình chưa biết lệnh «{typed}»."
DID_YOU_MEAN = (
    "Có phải ý bạn là «{what}»? Nếu đúng, bạn chọn mục đầu tiên bên dưới; nếu không, chọn "
    "việc khác."
)
STORY_OFFER = (
    "Mình đã giữ lại tin nhắn của bạn. Nếu đây là việc cần báo cho công an, bạn chọn «{label}»: "
    "không phải gõ lại."
)
STORY_OFFER_AFTER_DANGER = (
    "Khi đã an toàn, bạn có thể gửi nội dung vừa nhắn thành tin báo cho công an, không phải "
    "gõ lại."
)
STORY_LABEL = "📝 Gửi nội dung này thành tin báo"
# words read, never shown (folded: lower case, no diacritics): a greeting or thanks starts so
GREETING_WORDS = ("xin chao", "chao", "alo", "a lo", "hello", "hi", "hey", "good morning")
THANKS_WORDS = ("cam on", "thank", "thanks", "tks", "ok", "oke", "okay", "da",
                "vang", "duoc roi", "biet roi")
EMERGENCY_NUMBERS = ("113", "114", "115", "111")
