"""Sentences of the conversation engine itself (not of any one feature).

Voice: short, kind, the action first; residents are "bạn", the bot is "mình" sparingly.
"""

from __future__ import annotations

STALE_BUTTON = "Nút này đã cũ. Bạn dùng tin nhắn mới nhất nhé."
STALE_BUTTON_TOAST = "Nút này đã cũ."
CANCELLED = "Đã hủy. Khi cần, bạn gõ /start để xem các việc mình giúp được."
NOTHING_TO_CANCEL = "Hiện không có việc gì đang làm dở để hủy."
NOTHING_TO_GO_BACK = "Đây là bước đầu tiên rồi. Gõ /huy nếu bạn muốn dừng."
NOTHING_TO_GO_BACK_TO = "Hiện không có việc gì đang làm dở để quay lại."
FILE_WITHOUT_TASK = (
    "Mình nhận được rồi, nhưng bạn chưa bắt đầu việc gì nên chưa biết dùng vào đâu; tệp sẽ "
    "không được chuyển cho ai và tự xóa sau một ngày. Muốn gửi kèm tin báo, bạn gõ /baotin rồi "
    "gửi lại tệp trong lúc báo tin; muốn trả lời câu hỏi của công an, gõ /traloi."
)
FLOW_EXPIRED = (
    "Cuộc trò chuyện trước đã để quá lâu nên mình đã xóa phần đang làm dở. "
    "Bạn bắt đầu lại giúp mình nhé."
)
NOT_UNDERSTOOD = "Mình chưa hiểu ý bạn."
NUMBER_OUTDATED = (
    "Sau danh sách có số này, mình đã gửi bạn tin nhắn khác, nên chưa làm theo số bạn gõ. "
    "Bạn chọn lại giúp mình nhé."
)
MENU_AFTER = "Bạn chọn một việc bên dưới nhé:"  # under a reply that ends in the menu
PICK_ONE = "Bạn chọn một trong các mục bên dưới giúp mình nhé."
EMPTY_TEXT = "Tin nhắn đang trống. Bạn gõ lại giúp mình nhé."
TOO_LONG = "Tin nhắn dài quá ({length} ký tự). Bạn rút gọn dưới {limit} ký tự giúp mình nhé."
PRIVATE_ONLY = "Việc này chỉ làm trong tin nhắn riêng với Bình Yên, để giữ kín thông tin của bạn."
PRIVATE_ONLY_LINK = PRIVATE_ONLY + "\nBấm vào đây để mở: {link}"
INTERNAL_ERROR = (
    "Xin lỗi, mình gặp trục trặc khi xử lý tin nhắn này. Tin của bạn vẫn được lưu lại; "
    "bạn thử lại sau ít phút nhé. Nếu đang nguy hiểm, hãy gọi ngay 113."
)
CONTINUE_HINT = "Bạn đang làm dở một việc. Trả lời câu hỏi trên, /quaylai để quay lại, /huy để dừng."

KIND_WORDS = {
    "text": "chữ",
    "choice": "một lựa chọn",
    "photo": "ảnh",
    "video": "video",
    "voice": "tin nhắn thoại",
    "audio": "tệp âm thanh",
    "document": "tệp",
    "location": "vị trí",
    "contact": "số điện thoại",
}
CANNOT_READ = "Bình Yên chưa đọc được loại tin nhắn này (tệp, danh thiếp…)."
KIND_OR = " hoặc "  # between two kinds: "ảnh hoặc video"
WRONG_KIND = "Bước này cần {wanted}. Bạn gửi lại giúp mình nhé."

TIME_ON_DAY = "{time} ngày {day}"  # how every time with its day is shown: 19:30 ngày 26/06/2026
