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

# ---- a leader's own broadcast: /lich_them, /guingay, /lich_huy (handlers/leader_broadcasts.py)
ADD_COMMAND = "Hẹn giờ gửi thông báo của bạn cho tổ, thôn hoặc cả xã"
ADD_LABEL = "📣 Gửi thông báo"
NOW_COMMAND = "Gửi ngay một thông báo cho tổ, thôn hoặc cả xã"
CANCEL_COMMAND = "Hủy một thông báo đã hẹn giờ"
CANCEL_LABEL = "🗑 Hủy thông báo đã hẹn"
NO_ROLE = (
    "Chỉ tổ trưởng, cán bộ xã và công an xã mới gửi được thông báo cho bà con. Nếu bạn là tổ "
    "trưởng, nhờ công an xã cấp quyền giúp nhé."
)
ASK_TEXT = (
    "📣 Bạn gõ nội dung thông báo muốn gửi cho bà con (tối đa {limit} ký tự). Bà con sẽ nhận "
    "đúng nguyên văn như bạn gõ."
)
ASK_TEXT_OR_PHOTO = (
    "📣 Bạn gõ nội dung thông báo muốn gửi cho bà con (tối đa {limit} ký tự), hoặc gửi một ảnh "
    "kèm chú thích. Bà con sẽ nhận đúng nguyên văn như bạn gửi."
)
TEXT_EMPTY = "Thông báo chưa có chữ nào. Bạn gõ nội dung cần gửi giúp mình nhé."
PHOTO_LABEL = "📷 Ảnh"
PHOTO_PREVIEW = "📷 Kèm một ảnh (bà con dùng Zalo nhận phần chữ, kèm lời nhắn là tin có ảnh)."
PHOTO_ELSEWHERE = "📷 Tin này có kèm một ảnh, Zalo chưa cho bot gửi ảnh nên bạn chỉ nhận phần chữ."
PHOTO_TOO_BIG = "Ảnh này lớn quá, Bình Yên không tải về được. Bạn gửi ảnh nhỏ hơn giúp mình nhé."
PHOTO_FAILED = "Bình Yên chưa nhận được ảnh này. Bạn gửi lại giúp mình nhé."
PHOTO_GONE = "Ảnh của thông báo không còn nữa. Bạn gõ /lich_them và gửi lại ảnh giúp mình nhé."
TEXT_TOO_LONG = (
    "Thông báo dài {length} ký tự, quá giới hạn {limit} ký tự của một tin Zalo. Bạn rút gọn "
    "lại rồi gửi giúp mình nhé."
)
ASK_WHEN = (
    "🕒 Gửi lúc nào? Ví dụ: «bây giờ», «19h30», «7 giờ tối», «mai 7h», «20/11 8h», «chủ nhật "
    "8h». Bình Yên không gửi trong giờ nghỉ ({start}–{end})."
)
WHEN_NOW_LABEL = "Gửi ngay bây giờ"
WHEN_UNCLEAR = (
    "Mình chưa hiểu «{typed}» là lúc nào. Bạn gõ cả giờ, ví dụ «19h30», «7 giờ tối», «mai 7h» "
    "hoặc «20/11 8h» nhé."
)
WHEN_PAST = "{when} đã qua rồi. Bạn chọn một lúc sắp tới giúp mình nhé."
WHEN_QUIET = (
    "{when} rơi vào giờ nghỉ của bà con ({start}–{end}), Bình Yên không gửi tin lúc đó. Bạn "
    "chọn giờ khác giúp mình nhé."
)
WHOLE_COMMUNE = "Cả {name}"
ASK_SCOPE = "👥 Gửi cho ai? Bạn chọn một trong các nơi bạn phụ trách:"
SCOPE_NOT_YOURS = "Bạn không phụ trách nơi này nên không gửi thông báo cho nơi này được."
ASK_REPEAT = "🔁 Có lặp lại không?"
REPEAT_LABELS = {
    "none": "Không lặp",
    "weekly": "Hằng tuần",
    "monthly": "Hằng tháng",
    "yearly": "Hằng năm",
}
PREVIEW = (
    "👀 Xem lại trước khi gửi. Bà con {scope} sẽ nhận đúng tin dưới đây, {when}{repeat}:\n\n"
    "{text}"
)
PREVIEW_NOW = "ngay bây giờ"
PREVIEW_AT = "lúc {when}"
PREVIEW_REPEAT = ", rồi lặp lại {repeat}"
REPEAT_WORDS = {"weekly": "hằng tuần", "monthly": "hằng tháng", "yearly": "hằng năm"}
CAP_WARNING = (
    "⚠️ Lưu ý: {group} đã có {count} tin trong 7 ngày quanh lúc đó (giới hạn mỗi tuần là "
    "{cap} tin). Gửi thêm dễ làm bà con tắt thông báo. Nếu tin gấp (ví dụ cảnh báo lừa đảo), "
    "bạn vẫn cứ gửi."
)
CONFIRM_LABEL = "✅ Gửi"
CANCEL_DRAFT_LABEL = "✖️ Thôi, không gửi"
SENT_NOW = "✅ Đã gửi thông báo (tin số {number}). Gõ /lich {number} để xem bao nhiêu nhà đã nhận."
SCHEDULED = (
    "✅ Đã hẹn gửi thông báo lúc {when}{repeat}. Muốn hủy, gõ /lich_huy."
)
DRAFT_DROPPED = "Đã bỏ, không gửi gì cả."
RELAY_INTRO = (
    "📣 Thông báo cho {group}. Nhờ tổ trưởng sao chép nguyên văn tin ngay bên dưới, dán vào "
    "nhóm Zalo của tổ. Cảm ơn tổ trưởng!"
)
CANCEL_NONE = "Không có thông báo nào đang hẹn giờ để hủy."
CANCEL_PICK = "🗑 Các thông báo đang hẹn giờ. Bạn chọn tin muốn hủy:"
CANCEL_LINE = "{when}{repeat} · {label}"
CANCEL_REPEAT = " 🔁"
CANCEL_SURE = "Hủy thông báo «{label}» (lúc {when})?"
CANCEL_YES = "🗑 Hủy tin này"
CANCEL_NO = "Không, giữ lại"
CANCEL_DONE = "Đã hủy thông báo «{label}». Bà con sẽ không nhận tin này."
CANCEL_KEPT = "Đã giữ nguyên, thông báo vẫn gửi như hẹn."
CANCEL_GONE = "Thông báo này không còn chờ gửi nữa (đã gửi hoặc đã hủy)."
