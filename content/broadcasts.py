"""Every sentence about broadcasts and broadcasts scheduled for later: the report to the author
(or, for a campaign message, to the commune's admin) when one is done and the same figures on
`/lich <số>` (`bot/services/broadcast_reports.py`), and the notice that a scheduled one was
missed (`bot/services/scheduled_broadcasts.py`).

Authors are group leaders, commune officials and police: plain words, one line per fact, the
numbers first.
"""

from __future__ import annotations

REPORT_TITLE = "📊 Đã gửi xong «{title}» (tin số {number}):"
STATUS_TITLE = "📊 «{title}» (tin số {number}), số liệu lúc {at}:"
CAMPAIGN_TITLE = "Tuyên truyền {names} ngày {on}"
GROUPS = "• Nhóm chat: đã gửi {sent}/{total} nhóm"
GROUPS_FAILED = ", {failed} nhóm lỗi: {names}"
FAILED_NAME = "{title} ({reason})"
MORE_FAILED = " và {count} nhóm khác"
PENDING = ", {count} đang chờ gửi"
RELAYS = "• {relayed}/{total} tổ trưởng đã chuyển vào nhóm Zalo"
LEADERS_WAITING = " ({count} tổ trưởng chưa nhận được vì lâu không nhắn cho Bình Yên)"
PERSONS = "• Nhắn riêng: đã gửi {sent}/{total} người"
WAITING = ", {count} người chờ liên hệ (tin sẽ đến khi họ nhắn lại cho Bình Yên)"
PERSONS_FAILED = ", {count} người không gửi được"
NOTHING_REACHED = "• Chưa có nhóm chat, tổ trưởng hay người nào để gửi."
ACKS_HOUSEHOLDS = "• {households} hộ đã xác nhận «Nhà tôi đã nhận»"
ACKS_PERSONS = (
    "• {persons} người đã xác nhận «Nhà tôi đã nhận» (đếm theo người vì chưa gắn với hộ nào)"
)
ACKS_BOTH = (
    "• {households} hộ đã xác nhận «Nhà tôi đã nhận», thêm {persons} người chưa gắn với hộ nào"
)
ACKS_NONE = "• Chưa có ai xác nhận «Nhà tôi đã nhận»"
REPORT_MORE = "Xác nhận và lời báo đã chuyển còn tiếp tục đến: gõ /lich {number} để xem số mới."
STATUS_NOT_FOUND = (
    "Không tìm thấy tin số {number} trong các tin bạn đã gửi hoặc phụ trách. Gõ /lich để xem "
    "các tin gần đây."
)
# why a group did not get it, by the start of the delivery worker's error
FAILURE_REASONS = {
    "chat inactive": "Bình Yên không còn ở trong nhóm",
    "gave up": "mạng lỗi nhiều lần",
}

MISSED = (
    "Tin hẹn giờ «{label}» (lúc {when}) đã không được gửi vì hệ thống ngừng chạy quá lâu "
    "và đã trễ hơn {grace}. Nếu vẫn cần, bạn gửi lại giúp mình nhé."
)
GRACE_HOURS = "{hours} giờ"
GRACE_MINUTES = "{minutes} phút"
