"""Every sentence of a resident's data rights (`/dulieu`): what Bình Yên holds about them, and
forgetting them, with what cannot be erased said plainly. Files: `bot/services/privacy.py`,
`handlers/privacy.py`, `bot/cli.py` (`binhyen person export|forget`)."""

from __future__ import annotations

COMMAND = "Xem dữ liệu Bình Yên giữ về bạn, hoặc xóa dữ liệu đó"

TITLE = (
    "🔐 Dữ liệu Bình Yên đang giữ về bạn\n"
    "Theo Luật Bảo vệ dữ liệu cá nhân, bạn có quyền biết và yêu cầu xóa dữ liệu của mình."
)
SINCE = "• Bạn dùng Bình Yên từ ngày {first}, lần gần nhất ngày {last}."
NAME = "• Tên hiển thị của bạn: {name}."
NO_NAME = "• Bình Yên không giữ tên của bạn."
ROLES = "• Vai trò: {roles}."
NO_ROLES = "• Vai trò: người dân, không có vai trò nào khác."
GROUPS = "• Nhóm đã tham gia: {groups}."
NO_GROUPS = "• Bạn chưa tham gia nhóm nào."
HOUSEHOLD = "• Đã đăng ký với hộ: {label} ({group})."
NO_HOUSEHOLD = "• Bạn chưa đăng ký với hộ nào."
TIPS = (
    "• Tin báo gắn với tài khoản của bạn (tra cứu bằng mã tiếp nhận, không cần mã PIN): "
    "{count}\n{lines}"
)
TIP_LINE = "   – {category}, gửi ngày {filed}: {status}"
POLICE = "Công an"  # fills «{police} đang giải quyết» in a tip's status here
NO_TIPS = "• Không có tin báo nào gắn với tài khoản của bạn."
ANONYMOUS_NOTE = (
    "  Tin báo gửi theo cách «Giấu tên tuyệt đối» không gắn với tài khoản của bạn, nên không "
    "có trong danh sách này: chỉ ai giữ mã tiếp nhận và mã PIN mới tra cứu được."
)
WAITING = "• Tin nhắn đang chờ gửi cho bạn: {count}."
CONSENT_YES = "• Nhận tin tuyên truyền nhắn riêng: có."
CONSENT_NO = "• Nhận tin tuyên truyền nhắn riêng: không."
CONSENT_UNASKED = "• Nhận tin tuyên truyền nhắn riêng: chưa hỏi."
ACKS = "• Số lần bạn xác nhận «Nhà tôi đã nhận»: {count}."
ASK = "Bạn muốn làm gì tiếp? Chọn một mục bên dưới."
FORGET_LABEL = "🗑 Xóa dữ liệu của tôi"
KEEP_LABEL = "Không, giữ nguyên"

CONFIRM = (
    "Trước khi xóa, bạn đọc kỹ giúp mình nhé:\n"
    "• Bình Yên sẽ xóa tài khoản của bạn: tên, vai trò, nhóm đã tham gia, liên kết với hộ, "
    "các xác nhận «Nhà tôi đã nhận», tin nhắn đang chờ và cuộc trò chuyện dở dang.\n"
    "• Tin báo đã gửi tới Công an thì vẫn ở lại với Công an, kể cả nội dung và tệp đính kèm. "
    "Chỉ có mối liên hệ giữa tin báo và bạn bị xóa: từ nay Bình Yên không báo kết quả cho "
    "bạn nữa, và không ai tra cứu được tin báo đó bằng mã tiếp nhận của bạn.\n"
    "• Số liệu tuyên truyền chỉ giữ lại một điều không nêu tên ai: hộ của bạn đã được tiếp "
    "cận.\n"
    "Việc xóa không hoàn tác được. Bạn chắc chắn muốn xóa chứ?"
)
CONFIRM_LABEL = "Xóa hẳn"
CANCEL_LABEL = "Thôi, không xóa"

DONE = (
    "Bình Yên đã xóa dữ liệu của bạn. Cảm ơn bạn đã đồng hành cùng bà con giữ bình yên cho "
    "xóm làng. Nếu cần, bạn cứ nhắn lại bất cứ lúc nào: Bình Yên sẽ coi bạn như người mới."
)
KEPT = "Dữ liệu của bạn vẫn được giữ nguyên. Bạn gõ /dulieu khi cần xem lại nhé."

HOLDS_ROLE = (
    "Bạn đang giữ vai trò do xã giao: {roles}. Để xóa dữ liệu, bạn nhờ xã thu hồi vai trò "
    "này trước (hồ sơ công việc của vai trò thuộc về xã), rồi gõ /dulieu lại nhé."
)

# the operator's command line (`binhyen person …`)
CLI_UNKNOWN = "Không tìm thấy người dùng này trên {channel}."
CLI_ASK_YES = "Xóa dữ liệu người này không hoàn tác được: chạy lại với --yes để xóa."
CLI_DELETED = "Đã xóa dữ liệu người dùng (đã xóa hẳn tài khoản)."
CLI_TOMBSTONED = (
    "Đã xóa dữ liệu người dùng (tài khoản còn lại dưới dạng vô danh, vì các bản ghi công việc "
    "cũ của họ vẫn trỏ tới)."
)
