"""Every sentence of `/hoatdong`: a group leader logging an in-person activity (a meeting,
leaflets door to door, a loudspeaker round), the households it reached, and editing it within
its week (`bot/services/coverage/activities.py`, `handlers/coverage_activities.py`).

Group leaders read these: "bạn", short; the numbers they chose are said back to them.
"""

from __future__ import annotations

COMMAND = "Ghi buổi họp tổ, phát tờ rơi, loa truyền thanh"
LABEL = "📝 Ghi hoạt động"

NOT_LEADER = "Chức năng này dành cho tổ trưởng: ghi lại các buổi tuyên truyền trực tiếp của tổ."

# the start: a new one, or one of the recent ones
MENU = "📝 Ghi hoạt động mới, hoặc chọn một hoạt động gần đây để sửa:"
NEW_LABEL = "➕ Ghi hoạt động mới"
RECENT_LINE = "{day} · {kind} · {reached}"
RECENT_GROUP = "{group}: "  # before a recent line, for a leader of several groups
RECENT_LOCKED = " 🔒"

ASK_GROUP = "Hoạt động của tổ nào?"
ASK_KIND = "Bạn muốn ghi hoạt động gì?"
KINDS = {
    "meeting": "Họp tổ",
    "door_to_door": "Phát tờ rơi tận nhà",
    "loudspeaker": "Loa truyền thanh",
    "other": "Hoạt động khác",
}

ASK_DAY = "Hoạt động diễn ra ngày nào? Chọn bên dưới, hoặc gõ ngày (ví dụ: 20/11)."
TODAY_LABEL = "Hôm nay"
YESTERDAY_LABEL = "Hôm qua"
DAY_UNCLEAR = "Bình Yên chưa hiểu ngày «{typed}». Bạn gõ theo kiểu 20/11 hoặc 20/11/2026 nhé."
DAY_FUTURE = "Ngày {day} chưa tới. Chỉ ghi được hoạt động đã diễn ra."
DAY_TOO_OLD = (
    "Ngày {day} thuộc kỳ báo cáo trước (đã chốt số liệu). Chỉ ghi được hoạt động từ ngày "
    "{first} trở đi."
)

ASK_TOPIC = (
    "Chủ đề của buổi này là gì? Gõ ngắn gọn (tối đa {limit} ký tự), ví dụ: Phòng chống lừa "
    "đảo qua mạng."
)
ASK_TOPIC_CAMPAIGN = "Hoặc chọn đợt tuyên truyền gần ngày đó:"
TOPIC_EMPTY = "Bạn gõ chủ đề giúp mình nhé (ví dụ: Phòng chống ma túy)."
TOPIC_TOO_LONG = "Chủ đề dài {length} ký tự, quá {limit} ký tự. Bạn viết ngắn lại giúp mình nhé."

ASK_HOUSEHOLDS = (
    "Buổi này gặp được những hộ nào? Gõ số thứ tự trong danh sách, ví dụ: 1 3 5-9, hoặc gõ «tất "
    "cả».\n\n{lines}"
)
HOUSEHOLD_LINE = "{number}. {label}"
HOUSEHOLDS_UNCLEAR = "Bình Yên chưa đọc được «{typed}». Bạn gõ số thứ tự, ví dụ: 1 3 5-9."
HOUSEHOLDS_OUTSIDE = "Danh sách chỉ có số 1 đến {size}; không có số {numbers}."

ASK_COUNT = "Tổ chưa có danh sách hộ. Buổi này gặp được bao nhiêu hộ? Gõ một số."
ASK_COUNT_FIGURE = (
    "Tổ chưa có danh sách hộ. Buổi này gặp được bao nhiêu hộ (tổ có {figure} hộ)? Gõ một số."
)
COUNT_UNCLEAR = "Bạn gõ số hộ bằng chữ số giúp mình nhé (ví dụ: 25)."
COUNT_OVER = "Tổ có {figure} hộ (theo số bạn nhập ở /sohodan), nên không thể gặp {count} hộ."
COUNT_ZERO = "Số hộ phải từ 1 trở lên."

PREVIEW = (
    "📋 Xem lại hoạt động của {group}:\n"
    "• Loại: {kind}\n"
    "• Ngày: {day}\n"
    "• Chủ đề: {topic}\n"
    "• {reached}\n\n"
    "Chọn «Lưu» để ghi lại, hoặc sửa một mục."
)
REACHED_LIST = "Hộ đã gặp: {count} hộ (số {numbers})"
REACHED_NONE = "Hộ đã gặp: chưa chọn hộ nào"
REACHED_COUNT = "Số hộ đã gặp: {count} (tổ trưởng tự đếm)"
RECENT_HOUSEHOLDS = "{count} hộ"
RECENT_COUNT = "{count} hộ (tự đếm)"

SAVE_LABEL = "✅ Lưu"
CHANGE_DAY_LABEL = "Sửa ngày"
CHANGE_TOPIC_LABEL = "Sửa chủ đề"
CHANGE_HOUSEHOLDS_LABEL = "Sửa các hộ"
CHANGE_COUNT_LABEL = "Sửa số hộ"
DELETE_LABEL = "🗑 Xóa hoạt động"
DROP_LABEL = "Bỏ, không ghi"
KEEP_LABEL = "Thôi, không sửa"

SAVED = (
    "✅ Đã ghi «{kind}» ngày {day} của {group}: {reached}. Bạn sửa hoặc xóa được đến {until} "
    "(gõ /hoatdong)."
)
SAVED_HOUSEHOLDS = "{count} hộ được tính là đã được tuyên truyền"
SAVED_COUNT = "{count} hộ (tổ trưởng tự đếm)"
CHANGED = "✅ Đã lưu thay đổi của hoạt động ngày {day}."
DROPPED = "Đã bỏ, không ghi gì."
KEPT = "Hoạt động giữ nguyên như cũ."

ASK_DELETE = (
    "Xóa hẳn hoạt động «{kind}» ngày {day}? Các hộ chỉ được tính nhờ buổi này sẽ không còn "
    "được tính."
)
DELETE_YES = "Xóa"
DELETE_NO = "Không xóa"
DELETED = "🗑 Đã xóa hoạt động «{kind}» ngày {day}."

LOCKED = (
    "🔒 Hoạt động ngày {day} ghi từ {created}, đã quá 7 ngày nên đã khóa: không sửa hay xóa "
    "được nữa. Nếu có sai sót, bạn báo cán bộ xã."
)
GONE = "Hoạt động này không còn nữa (có thể đã bị xóa)."
