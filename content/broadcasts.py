"""Every sentence about broadcasts and broadcasts scheduled for later: the report to the author
when one is done (`bot/services/broadcasts.py`) and the notice that a scheduled one was missed
(`bot/services/scheduled_broadcasts.py`)."""

from __future__ import annotations

REPORT = "Đã gửi {sent}/{total} nhóm cho «{label}»."
REPORT_FAILED = " {failed} nhóm lỗi: {names}."
FAILED_NAME = "{title} ({reason})"
MORE_FAILED = " và {count} nhóm khác"
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
