"""Every sentence about outreach coverage: report periods, coverage views and reports
(`bot/services/coverage/`, `handlers/coverage.py`). Leaders, commune admins and police read
most of these; residents read the registration answers.
"""

from __future__ import annotations

PERIOD_UNKNOWN = "không hiểu kỳ {text!r}: viết 2026, 2026H1, 2026H2 hoặc 2026-01-01..2026-03-31"
PERIOD_NO_SUCH_DAY = "ngày không có thật: {text}"
PERIOD_BACKWARDS = "ngày cuối trước ngày đầu: {text}"

# ---- the reminder a month before a report's deadline (`bot/services/coverage/reminders.py`) ---
PERIOD_HALF = "6 tháng đầu năm {year}"
PERIOD_YEAR = "năm {year}"
REMINDER_LEADER = (
    "📊 Còn một tháng nữa là đến hạn báo cáo {period} ({deadline}), mà thôn mình chưa đạt chỉ "
    "tiêu {target}% số hộ được tuyên truyền:\n{lines}\n\n"
    "Mỗi buổi họp tổ, phát tờ rơi hay loa truyền thanh, bạn nhớ ghi lại bằng /hoatdong; bà con "
    "nhận tin tuyên truyền thì nhắc bà con chọn «Nhà tôi đã nhận»."
)
REMINDER_ADMIN = (
    "📊 Còn một tháng nữa là đến hạn báo cáo {period} ({deadline}). Các thôn chưa đạt chỉ tiêu "
    "{target}% số hộ được tuyên truyền:\n{lines}"
)
REMINDER_VILLAGE = (
    "• {village}: {reached}/{households} hộ ({percent}%), cần thêm {to_go} hộ nữa để đạt "
    "{target}%."
)
REMINDER_GROUP = "  – {group}: {reached}/{households} hộ ({percent}%)"
REMINDER_GROUP_NO_COUNT = "  – {group}: chưa có số hộ (nhập bằng /sohodan)"
