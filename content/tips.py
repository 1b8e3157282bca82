"""Every sentence about tip-offs, for residents and for officers, in one place.

Residents: "bạn", plain words, no abbreviations, the action first. Officers: "đồng chí" in cards
and reminders; the usual abbreviations (CQĐT) are fine for them.
"""

from __future__ import annotations

from bot.models import IdentityMode, TipStatus

# ---- categories (FACTS.md: common categories) -------------------------------------------------
CATEGORIES: dict[str, str] = {
    "drugs": "Ma túy",
    "theft": "Trộm cắp, cướp giật",
    "gambling": "Cờ bạc, cá độ",
    "loan": "Tín dụng đen, cho vay nặng lãi",
    "fraud": "Lừa đảo, lừa qua mạng",
    "fight": "Đánh nhau, gây rối",
    "racing": "Đua xe trái phép",
    "fire": "Nguy cơ cháy nổ",
    "trafficking": "Mua bán người",
    "domestic": "Bạo lực gia đình",
    "environment": "Vi phạm môi trường",
    "other": "Việc khác",
}

# ---- how residents and officers name each status ----------------------------------------------
STATUS_FOR_RESIDENT: dict[str, str] = {
    TipStatus.RECEIVED: "Đã tiếp nhận",
    TipStatus.ACCEPTED: "Đang được xử lý",
    TipStatus.VERIFYING: "Đang xác minh",
    TipStatus.FORWARDED: "Đã chuyển cơ quan điều tra",
    TipStatus.HANDLED_HERE: "{police} đang giải quyết",  # the real unit: xã or phường
    TipStatus.CLOSED: "Đã có kết quả",
}
STATUS_FOR_OFFICER: dict[str, str] = {
    TipStatus.RECEIVED: "Mới",
    TipStatus.ACCEPTED: "Đã tiếp nhận",
    TipStatus.VERIFYING: "Đang xác minh",
    TipStatus.FORWARDED: "Đã chuyển CQĐT",
    TipStatus.HANDLED_HERE: "Giải quyết tại xã",
    TipStatus.CLOSED: "Đã kết thúc",
}
IDENTITY_FOR_OFFICER: dict[str, str] = {
    IdentityMode.LINKED: "Ẩn danh",
    IdentityMode.ANONYMOUS: "Ẩn danh hoàn toàn",
    IdentityMode.PHONE: "Có số liên hệ",
}
OUTCOMES: dict[str, str] = {
    "prosecuted": "Khởi tố vụ án",
    "not_prosecuted": "Không khởi tố",
    "suspended": "Tạm đình chỉ",
    "administrative": "Chuyển xử lý hành chính",
    "unfounded": "Không có cơ sở",
    "not_competent": "Không thuộc thẩm quyền",
    "duplicate": "Trùng với tin báo khác",
}
OUTCOMES_FOR_RESIDENT: dict[str, str] = {
    "prosecuted": "Cơ quan chức năng đã khởi tố vụ án.",
    "not_prosecuted": "Cơ quan chức năng đã xem xét và quyết định không khởi tố vụ án.",
    "suspended": "Việc giải quyết tạm dừng theo quy định; khi có thông tin mới sẽ xem xét lại.",
    "administrative": "Vụ việc được chuyển sang xử lý vi phạm hành chính.",
    "unfounded": "Sau khi xác minh, chưa có căn cứ cho thấy có vi phạm.",
    "not_competent": "Vụ việc được chuyển tới nơi có thẩm quyền giải quyết.",
    "duplicate": "Tin này trùng với một tin báo khác đã được giải quyết cùng.",
}
INVESTIGATION_BODIES: dict[str, str] = {
    "csdt": "Cơ quan Cảnh sát điều tra Công an tỉnh",
    "andt": "Cơ quan An ninh điều tra Công an tỉnh",
    "vks": "Viện kiểm sát nhân dân (theo thẩm quyền)",
}
EXTENSION_BASES: dict[str, str] = {
    "complex": "Vụ việc phức tạp (khoản 2 Điều 147 BLTTHS 2015)",
    "procuracy": "Viện kiểm sát gia hạn (khoản 3 Điều 147 BLTTHS 2015)",
}

# ---- the report flow ----------------------------------------------------------------------------
# what happens and that the resident is safe first; the law short and last
NOTICE = (
    "📝 Báo tin cho công an\n\n"
    "Bạn kể điều mình thấy hoặc biết, Bình Yên chuyển tới công an nơi xảy ra.\n"
    "• Bạn có thể giấu tên mà vẫn theo dõi được kết quả.\n"
    "• Chỉ cán bộ công an nhận tin xem được nội dung; không có gì được đăng vào nhóm.\n"
    "• Nội dung được xóa {kept} sau khi vụ việc kết thúc.\n"
    "• Đang nguy hiểm thì gọi ngay 113: Bình Yên không phải đường dây khẩn cấp.\n\n"
    "Cố ý báo tin sai sự thật là vi phạm pháp luật (Điều 144 Bộ luật Tố tụng hình sự)."
)
KEPT_YEARS = "{count} năm"
KEPT_MONTHS = "{count} tháng"
CANCEL = "Hủy"
ASK_CATEGORY = "Việc bạn muốn báo thuộc loại nào?"
ASK_DESCRIPTION = (
    "Bạn kể lại sự việc giúp mình: chuyện gì, ai liên quan (nếu biết), diễn ra thế nào.\n"
    "Có ảnh, video, ghi âm hay tài liệu thì gửi kèm lúc nào cũng được, trước khi gửi tin "
    "(tối đa {count} tệp, mỗi tệp dưới {mb} MB). Lưu ý: tin nhắn thoại có thể giúp người khác "
    "nhận ra giọng bạn."
)
DESCRIPTION_SHORT = "Phần kể hơi ngắn (dưới 10 ký tự). Bạn kể thêm một chút giúp mình nhé."
EMERGENCY = (
    "⚠️ Nếu đang nguy hiểm, hãy gọi ngay 113 (công an), 114 (cứu hỏa, cứu nạn, cứu hộ), "
    "115 (cấp cứu); trẻ em cần giúp đỡ, gọi 111. Bình Yên không phải đường dây khẩn cấp — "
    "tin báo ở đây không được xử lý ngay lập tức."
)
STORY_KEPT = "Mình đã lấy tin nhắn bạn gửi lúc nãy làm phần kể, bạn không phải gõ lại."
FILES_KEPT = "Đã nhận, có {count} tệp sẽ gửi kèm tin báo."
EVIDENCE_FULL = "Đã đủ {count} tệp rồi, mình không nhận thêm được nữa."
EVIDENCE_TOO_BIG = "Tệp này lớn quá (giới hạn {mb} MB). Bạn gửi tệp nhỏ hơn giúp mình nhé."
EVIDENCE_FAILED = "Mình chưa tải được tệp này. Bạn gửi lại giúp mình nhé."
FILES_KEPT_TELL_STORY = (
    "Mình đã nhận {count} tệp và sẽ gửi kèm tin báo. Bạn kể lại sự việc bằng chữ giúp mình nhé."
)
STORY_ADDED = "Mình đã thêm vào phần kể."
STORY_ADDED_NOT_PLACE = (
    "Mình đã thêm tin nhắn này vào phần kể. Nếu đó là tên nơi xảy ra, bạn chọn trong danh sách "
    "hoặc gõ tên xã, phường."
)
# the first word of what someone types when they name a place (read, never shown, folded)
PLACE_WORDS = ("xa", "phuong", "thon", "ap", "khu", "xom", "to", "hem")
STORY_FULL = (
    "Phần kể đã dài gần {limit} ký tự nên mình chưa thêm được tin nhắn này. Bạn rút gọn lại, "
    "hoặc chọn đi tiếp: công an có thể hỏi thêm sau."
)
ASK_PLACE = "Việc xảy ra ở đâu? Chọn bên dưới, hoặc gõ tên thôn, xã (tên cũ cũng được)."
PLACE_COMMUNE = "{commune} (không rõ thôn)"  # a commune listed with its villages
ASK_COMMUNE = "Việc xảy ra ở xã/phường nào? Chọn bên dưới hoặc gõ tên (tên cũ cũng được)."
ASK_COMMUNE_TYPED = "Việc xảy ra ở xã/phường nào? Bạn gõ tên xã/phường (tên cũ cũng được)."
COMMUNE_UNKNOWN_CHOICE = "Không rõ / nơi khác"
COMMUNE_NOT_FOUND = (
    "Mình chưa tìm thấy xã/phường «{typed}». Bạn gõ lại tên, hoặc chọn «Không rõ / nơi khác»."
)
PLACE_NOT_FOUND = (
    "Mình chưa tìm thấy nơi nào tên «{typed}». Bạn chọn trong danh sách, hoặc gõ lại tên thôn, "
    "xã."
)
COMMUNE_PICK = "Có vài nơi trùng tên. Bạn chọn đúng nơi giúp mình:"
ASK_VILLAGE = "Ở thôn, ấp hay khu phố nào của {commune}? Chọn hoặc gõ tên; không rõ thì chọn «Không rõ»."
VILLAGE_UNKNOWN = "Không rõ"
VILLAGE_NOT_FOUND = "Mình chưa tìm thấy «{typed}» ở {commune}. Bạn gõ lại, hoặc chọn «Không rõ»."
ASK_LOCATION = (
    "Địa chỉ cụ thể nơi xảy ra là gì (số nhà, đường, gần đâu)? Không muốn nói thì chọn Bỏ qua."
)
LOCATION_SKIP = "Bỏ qua"
ADDRESS_SHORT = "Địa chỉ ngắn quá. Bạn cho biết rõ hơn, hoặc chọn Bỏ qua nhé."
ASK_WHEN = "Việc xảy ra khi nào? Chọn bên dưới, hoặc gõ (ví dụ: 20 giờ tối 12/5)."
WHEN_CHOICES: dict[str, str] = {
    "now": "Đang xảy ra",
    "hour": "Vừa xong (trong 1 giờ)",
    "today": "Hôm nay",
    "yesterday": "Hôm qua",
    "days": "Mấy ngày trước",
    "unsure": "Không nhớ rõ",
}
# typed (or a Telegram keyboard's «Bỏ qua» pressed) at that step: «Không nhớ rõ»; read, never
# shown, folded (no diacritics)
WHEN_UNSURE_WORDS = ("bo qua", "khong nho", "khong biet", "khong ro", "skip")
# the review ends with the choice of identity, and choosing one sends the tip
SEND_AS: dict[str, str] = {
    IdentityMode.LINKED: "✅ Giấu tên, vẫn nhận thông báo",
    IdentityMode.ANONYMOUS: "✅ Giấu tên tuyệt đối",
    IdentityMode.PHONE: "✅ Để lại số điện thoại",
}
ASK_PHONE = (
    "Số điện thoại để công an gọi khi cần hỏi thêm là số nào (ví dụ: 0912 345 678)? Có số là "
    "Bình Yên gửi tin ngay."
)
PHONE_INVALID = "Số điện thoại chưa đúng. Bạn gõ lại giúp mình (ví dụ: 0912 345 678)."
PHONE_NOT_OWN = "Bạn gửi số của chính mình giúp mình nhé."
REVIEW = (
    "Bạn xem lại trước khi gửi:\n\n{summary}\n\n"
    "Muốn gửi thêm ảnh, bạn gửi ngay bây giờ. Nếu đúng rồi, bạn chọn cách gửi; tin đi ngay "
    "khi bạn chọn:\n"
    "• Giấu tên, vẫn nhận thông báo: công an không biết bạn là ai; Bình Yên báo cho bạn khi tin "
    "có tiến triển.\n"
    "• Giấu tên tuyệt đối: không lưu liên hệ nào tới tài khoản của bạn; bạn tự tra cứu bằng mã "
    "và mã PIN.\n"
    "• Để lại số điện thoại: công an có thể gọi để hỏi thêm."
)
EDIT = "✏️ Sửa"
ASK_EDIT = "Bạn muốn sửa phần nào?"
EDIT_PARTS = {
    "category": "Loại việc",
    "description": "Lời kể",
    "place": "Nơi xảy ra",
    "location": "Địa chỉ",
    "when": "Thời gian",
}
EDIT_NOTHING = "Không sửa nữa"
SUMMARY_LINES = (
    "• Loại việc: {category}\n"
    "• Nơi xảy ra: {place}\n"
    "• Thời gian: {when}\n"
    "• Bằng chứng: {evidence}\n"
    "• Nội dung: {description}"
)
SUMMARY_ADDRESS = " — {address}"
SUMMARY_LOCATION = " — có gửi vị trí"
NO_EVIDENCE = "không có"
EVIDENCE_COUNT = "{count} tệp"
PLACE_UNKNOWN = "không rõ"
RATE_LIMITED = (
    "Hôm nay bạn đã gửi {limit} tin báo. Để chống gửi nhầm hàng loạt, mỗi ngày mỗi người gửi "
    "được tối đa {limit} tin; bạn gửi tiếp vào ngày mai nhé. Nếu đang nguy hiểm, hãy gọi ngay 113."
)

# ---- receipt --------------------------------------------------------------------------------------
# the code on a line of its own, so a narrow screen never breaks it
RECEIPT = (
    "✅ Bình Yên đã nhận tin báo của bạn và chuyển tới {police}.\n\n"
    "Mã tiếp nhận:\n{code}\n"
    "Bạn giữ mã này để tra cứu (gõ tracuu và mã).\n"
)
RECEIPT_PIN = (
    "\nMã PIN:\n{pin}\n"
    "Vì bạn chọn giấu tên tuyệt đối, Bình Yên không giữ liên hệ nào với bạn: mất mã và PIN là "
    "không tra cứu được. Bạn chụp màn hình tin này, hoặc ghi lại ở nơi an toàn. Nếu người khác "
    "có thể xem điện thoại của bạn, hãy xóa cuộc trò chuyện này sau khi đã lưu.\n"
)
RECEIPT_URGENT = (
    "\n⚠️ Nếu việc vẫn đang xảy ra, hãy gọi ngay 113: tin báo ở đây không được xử lý ngay "
    "lập tức.\n"
)
RECEIPT_LINKED = "\nKhi tin có tiến triển, Bình Yên sẽ nhắn cho bạn.\n"
RECEIPT_FALLBACK = (
    "✅ Bình Yên đã nhận tin báo của bạn.\n\n"
    "Mã tiếp nhận:\n{code}\n"
    "Bạn giữ mã này để tra cứu (gõ tracuu và mã).\n"
)
FALLBACK_NOTE = (
    "\nLưu ý: {reason}, nên tin được chuyển tới bộ phận điều phối để chuyển tiếp tới nơi có "
    "thẩm quyền. Nếu việc gấp, hãy gọi ngay 113."
)
FALLBACK_REASONS = {
    "unknown_place": "nơi xảy ra chưa rõ hoặc nằm ngoài khu vực Bình Yên phục vụ",
    "no_officer": "công an nơi xảy ra chưa dùng Bình Yên",
}

# ---- notices to the reporter --------------------------------------------------------------------
STATUS_CHANGED = "🔔 Tin báo bạn gửi lúc {when} ({category}) có cập nhật: {status}."
STATUS_NOTE = "\nGhi chú: {note}"
QUESTION_FOR_REPORTER = (
    "🔔 Công an muốn hỏi thêm về tin báo bạn gửi lúc {when} ({category}):\n\n«{question}»\n\n"
    "Để trả lời, bạn gõ /traloi."
)
# only where it is true: not to a reporter who left a phone number
NAME_KEPT = " Công an không biết bạn là ai."
ANSWER = "Trả lời"
ASK_ANSWER = "Bạn gõ câu trả lời, hoặc gửi ảnh, tệp."
ANSWER_SENT = "Đã chuyển câu trả lời của bạn tới công an. Cảm ơn bạn!"
NO_QUESTION = "Hiện không có câu hỏi nào đang chờ bạn trả lời."

# ---- status lookup ------------------------------------------------------------------------------
ASK_CODE = "Bạn gõ mã tiếp nhận (ví dụ: TB-7K3MQ-9XPA2)."
CODE_MALFORMED = (
    "«{typed}» chưa phải mã tiếp nhận. Mã có dạng TB-XXXXX-XXXXX: 10 chữ cái và chữ số sau "
    "TB, như trong tin xác nhận bạn nhận được."
)
ASK_PIN = "Bạn gõ mã PIN 6 số nhận được cùng mã tiếp nhận."
PIN_MALFORMED = "Mã PIN gồm đúng 6 chữ số (ví dụ: 123456). Bạn gõ lại giúp mình nhé."
NOT_FOUND = (
    "Không tìm thấy tin báo với mã (và PIN) này. Bạn kiểm tra lại giúp mình nhé "
    "(ví dụ: TB-7K3MQ-9XPA2)."
)
LOCKED = "Bạn đã nhập sai nhiều lần. Để bảo vệ người báo tin, việc tra cứu tạm khóa {minutes} phút."
SLOW_DOWN = (
    "Lúc này có nhiều lượt tra cứu sai, nên mỗi lần thử mã PIN cần cách nhau {wait}. "
    "Bạn đợi một chút rồi gõ lại mã PIN nhé."
)
MINUTES = "{count} phút"
SECONDS = "{count} giây"
STATUS_VIEW = (
    "Tin báo gửi lúc {when} ({category})\n"
    "Trạng thái: {status}\n"
    "{history}"
)
HISTORY_LINE = "• {when}: {text}"
PENDING_QUESTIONS = "\nCông an có câu hỏi cho bạn:\n{questions}\nChọn «Trả lời» để trả lời."

# ---- officers -----------------------------------------------------------------------------------
# An officer's card: the story (what the reporter gave; never changes), then the state (changes
# with every action). A long story goes first in messages of its own, the card after it.
CARD_HEAD = "📥 Tin báo #{ref} — {category}"
CARD_URGENT = "⚠️ Người báo mô tả tình huống có thể đang nguy hiểm.\n"
CARD_FACTS = (
    "Nơi xảy ra: {place}\n"
    "{location}"
    "Thời gian: {when}\n"
    "Người báo: {identity}\n"
    "Nhận lúc: {created}"
)
CARD_LOCATION = "Vị trí: {lat:.5f}, {lon:.5f} (https://maps.google.com/?q={lat:.5f},{lon:.5f})\n"
CARD_ADDRESS = "Địa chỉ: «{address}»\n"
TYPED = "«{text}»"
# whatever a resident wrote, set apart so none of its lines can pass for a line of the card
REPORTER_WORDS = "—— Lời người báo ——\n{words}\n—— Hết lời người báo ——"
REPORTER_WORDS_DELETED = "Lời người báo: (đã xóa theo thời hạn lưu trữ)"
CARD_STATE = (
    "Trạng thái: {status}{assignee}\n"
    "Bằng chứng: {evidence}\n"
    "{deadline}"
)
CARD_STORY_ABOVE = "Lời người báo và chi tiết: {count} tin nhắn ngay trên (xem lại: /hopthu {ref})."
CARD_STORY_NEXT = "📥 Tin báo #{ref} (tiếp, {index}/{total})"
STORY_WITHDRAWN = "📥 Tin báo #{ref}: nội dung không còn hiển thị ở đây."
CARD_DEADLINE = "Hạn {what}: {when}{overdue}\n"
CARD_OVERDUE = " — ĐÃ QUÁ HẠN"
CARD_FALLBACK = "Chưa có xã nhận ({reason}). Đồng chí chuyển về xã có thẩm quyền.\n"
DEADLINE_WHAT = {
    "accept": "tiếp nhận",
    "forward": "chuyển CQĐT hoặc giải quyết",
    "decide": "giải quyết",
    "followup": "theo dõi kết quả",
}
BARE_CARD = (
    "📥 Tin báo #{ref} — {category}. Hạn {what}: {when}.\n"
    "Chi tiết trong tin nhắn riêng với Bình Yên (/hopthu {ref})."
)
ASSIGNEE = " — phụ trách: {name}"
ACTIONS: dict[str, str] = {
    "accept": "Tiếp nhận",
    "verify": "Đang xác minh",
    "forward": "Chuyển CQĐT",
    "here": "Giải quyết tại xã",
    "extend": "Gia hạn",
    "close": "Kết thúc",
    "ask": "Hỏi thêm người báo",
    "note": "Ghi chú nội bộ",
    "transfer": "Chuyển xã khác",
    "evidence": "Xem bằng chứng",
}
ACTION_COMMANDS: dict[str, tuple[str, ...]] = {
    "accept": ("tiepnhan",),
    "verify": ("xacminh",),
    "forward": ("chuyencqdt",),
    "here": ("giaiquyet",),
    "extend": ("giahan",),
    "close": ("ketthuc",),
    "ask": ("hoithem",),
    "note": ("ghichu",),
    "transfer": ("chuyenxa",),
    "evidence": ("bangchung",),
}
TEXT_ACTIONS_HINT = "Lệnh nhanh: {commands} (kèm số tin, ví dụ: tiepnhan {ref})."
NO_RIGHT = "Bạn không có quyền xem tin này."
BAD_REF = "«{typed}» chưa phải số tin báo. Đồng chí gõ số tin như trên thẻ (ví dụ: {command} 12)."
NOT_ALLOWED_NOW = "Tin #{ref} đang ở trạng thái «{status}», không thể «{action}»."
TIP_CHANGED = (
    "Tin #{ref} vừa được đồng chí khác cập nhật (nay: «{status}»), nên không thể «{action}» "
    "nữa. Đồng chí xem lại tin bằng /hopthu {ref}."
)
ALREADY_EXTENDED = "Tin #{ref} đã được gia hạn một lần; pháp luật chỉ cho gia hạn một lần."
ONLY_CHIEF = "Chỉ lãnh đạo Công an xã mới giao việc giải quyết tại xã."
DONE_ACTION = "Đã ghi nhận: tin #{ref} — {action}."
ASK_BODY = "Chuyển tin #{ref} tới cơ quan nào?"
BODY_OTHER = "Cơ quan khác (gõ tên)"
ASK_BODY_NAME = "Đồng chí gõ tên cơ quan nhận tin #{ref}."
ASK_ASSIGNEE = "Giao tin #{ref} cho đồng chí nào giải quyết tại xã?"
ASK_COMPLEX = "Vụ việc #{ref} có phức tạp không (thời hạn giải quyết 2 tháng thay vì 20 ngày)?"
COMPLEX_YES = "Phức tạp (2 tháng)"
COMPLEX_NO = "Thông thường (20 ngày)"
ASK_EXTENSION = "Căn cứ gia hạn tin #{ref} (chỉ được gia hạn một lần, tối đa 2 tháng):"
ASK_OUTCOME = "Kết quả giải quyết tin #{ref}:"
ASK_DUPLICATE = "Tin #{ref} trùng với tin nào? Đồng chí gõ số tin (ví dụ: 12)."
DUPLICATE_INVALID = "Không có tin #{typed} trong hộp thư của đồng chí. Gõ lại số tin giúp mình."
ASK_PUBLIC_NOTE = (
    "Đồng chí có muốn gửi kèm một ghi chú cho người báo không? Gõ ghi chú, hoặc chọn «Không»."
)
NO_NOTE = "Không"
ASK_QUESTION = "Đồng chí gõ câu hỏi cho người báo tin #{ref}. Người báo sẽ không biết đồng chí là ai."
QUESTION_SENT = "Đã gửi câu hỏi tới người báo tin #{ref}."
QUESTION_QUEUED = (
    "Người báo tin #{ref} chọn giấu tên tuyệt đối: câu hỏi sẽ hiện ra khi họ tra cứu bằng mã và PIN."
)
ASK_NOTE = "Đồng chí gõ ghi chú nội bộ cho tin #{ref} (người báo không thấy)."
ASK_TRANSFER = "Chuyển tin #{ref} về xã/phường nào? Đồng chí gõ tên hoặc mã xã."
TRANSFER_NOT_FOUND = "Không tìm thấy xã/phường «{typed}». Đồng chí gõ lại tên hoặc mã."
TRANSFER_SAME = "Tin #{ref} đã thuộc xã này rồi."
TRANSFERRED = "Đã chuyển tin #{ref} sang {commune}."
REPORTER_ANSWERED = "💬 Người báo đã trả lời về tin #{ref}:\n{words}"
REPORTER_ANSWERED_MEDIA = "💬 Người báo gửi thêm {count} tệp cho tin #{ref} (/hopthu {ref} để xem)."
EVIDENCE_NONE = "Tin #{ref} không có bằng chứng kèm theo."
EVIDENCE_LINK = (
    "Xem {count} tệp bằng chứng của tin #{ref} tại liên kết dùng một lần, hết hạn sau "
    "{minutes} phút: {link}"
)
EVIDENCE_ELSEWHERE = (
    "Tin #{ref} có {count} tệp bằng chứng. Zalo không gửi được tệp và Bình Yên chưa có địa chỉ "
    "web để mở tệp, nên đồng chí nhờ quản trị hệ thống xuất tệp (lệnh: binhyen evidence {ref})."
)
EVIDENCE_CAPTION = "Bằng chứng {index}/{total} của tin #{ref}"
REMINDER = "⏰ Đồng chí lưu ý: tin #{ref} ({category}) cần {what} trước {when}."
ESCALATION = (
    "🚨 Tin #{ref} ({category}) đã quá hạn {what} ({when}). Đề nghị đồng chí chỉ đạo xử lý."
)
FOLLOWUP = "📌 Tin #{ref} đã chuyển {body} từ {when}. Đồng chí theo dõi và cập nhật kết quả nhé."
FOLLOWUP_BODY = "cơ quan điều tra"  # when the officer named none
# to officers, chiefs and dispatchers on a messenger with a contact window (Zalo): in the
# welcome after an invite and in /help
KEEP_IN_TOUCH = (
    "📌 Lưu ý khi dùng Zalo: Zalo chỉ cho Bình Yên nhắn tới người đã nhắn cho Bình Yên trong "
    "{hours} giờ qua. Đồng chí nhắn cho Bình Yên mỗi ngày một tin (ví dụ: «xin chào») để phiếu "
    "tin báo đến ngay; phiếu nào chưa gửi được sẽ đến khi đồng chí nhắn lại."
)
# a card that went to a chat which no longer holds the tip (role revoked, tip transferred)
CARD_WITHDRAWN = "Tin báo #{ref} không còn thuộc hộp thư của đồng chí; nội dung đã được ẩn."
CARD_WITHDRAWN_GROUP = "Tin báo #{ref} đã chuyển khỏi hộp thư của Công an xã này."
# a card no officer of the commune could receive goes to the chief, then to the dispatcher
UNREACHABLE_WHY = {
    "window": "Zalo chỉ cho Bình Yên nhắn tới người đã nhắn cho Bình Yên trong {hours} giờ qua",
    "failed": "Bình Yên không gửi được tin nhắn tới các cán bộ",
}
UNREACHABLE_FOR_CHIEF = (
    "⚠️ Chưa cán bộ nào của {police} nhận được phiếu tin báo #{ref}: {why}. "
    "Đề nghị đồng chí xem phiếu dưới đây và phân công xử lý; cán bộ chỉ cần nhắn cho Bình Yên "
    "một tin bất kỳ là nhận được các phiếu đang chờ."
)
UNREACHABLE_FOR_DISPATCHER = (
    "⚠️ Không đồng chí nào của {police}, kể cả lãnh đạo, nhận được phiếu tin báo "
    "#{ref}: {why}. Đề nghị đồng chí liên hệ {police}{phone} để tin được xử lý kịp "
    "thời. Tin vẫn thuộc hộp thư của xã; nội dung dưới đây để đồng chí nắm."
)
UNREACHABLE_PHONE = " (số {phone})"
# what /hopthu's history says for events that are not an officer's action
EVENT_LABELS = {
    "received": "Người báo gửi tin",
    "answer": "Người báo trả lời",
    "escalation": "Quá hạn, đã báo lãnh đạo",
    "unreachable_chief": "Chưa cán bộ nào nhận được phiếu, đã báo lãnh đạo",
    "unreachable_dispatcher": "Cả xã chưa nhận được phiếu, đã báo điều phối",
}
MAILBOX_TITLE = "📬 Hộp thư tin báo — {filter} (trang {page}/{pages}):"
MAILBOX_EMPTY = "📬 Hộp thư tin báo — {filter}: không có tin nào."
MAILBOX_LINE = "#{ref} · {category} · {status}{overdue} · hạn {deadline}"
MAILBOX_FILTERS = {"open": "đang mở", "new": "mới", "overdue": "quá hạn", "mine": "của tôi"}
MAILBOX_FILTER_WORDS = {"moi": "new", "quahan": "overdue", "cuatoi": "mine", "tatca": "open"}
MAILBOX_UNKNOWN_FILTER = (
    "Mình chưa hiểu «{typed}». Đồng chí gõ /hopthu (tin đang mở), /hopthu mới, /hopthu quá hạn "
    "hoặc /hopthu của tôi; thêm số trang nếu cần (ví dụ: /hopthu mới 2)."
)
NEXT_PAGE = "Trang sau ▶"
PREV_PAGE = "◀ Trang trước"
NOT_POLICE = "Chức năng này dành cho cán bộ Công an xã."
SETUP_DONE = (
    "Đã gắn nhóm này làm nhóm trực của {police}. Nhóm chỉ nhận thông báo ngắn "
    "(số tin, loại, hạn); chi tiết xem trong tin nhắn riêng."
)
SETUP_PRIVATE = "Lệnh /setup dùng trong nhóm trực của Công an xã, không dùng trong tin nhắn riêng."
SETUP_NOT_CHIEF = "Chỉ lãnh đạo Công an xã mới gắn được nhóm trực."
STATS = (
    "📊 Thống kê tin báo {scope}, {start} – {end}\n"
    "• Tiếp nhận: {total} (chưa có xã nhận: {unrouted})\n"
    "• Theo trạng thái: {by_status}\n"
    "• Theo loại: {by_category}\n"
    "• Đang quá hạn: {overdue}\n"
    "• Chuyển CQĐT trong hạn: {forwarded_in_time}/{forwarded}\n"
    "• Tỉ lệ giải quyết: {resolution}\n"
    "• Thời gian tiếp nhận (trung vị): {median_accept}\n"
    "• Thời gian chuyển CQĐT (trung vị): {median_forward}"
)
STATS_BAD_DATE = (
    "Ngày chưa đúng. Đồng chí gõ ngày có thật, năm từ {first} đến {last}, dạng "
    "/thongke 01/01/2026 30/06/2026."
)
STATS_EVERYWHERE = "toàn hệ thống"  # the scope of a dispatcher who polices no commune
HOURS = "{count} giờ"  # count: a decimal written the Vietnamese way (0,5)
DAYS = "{count} ngày"
HISTORY_TITLE = "Lịch sử:"
HISTORY_ENTRY = "• {when} {label}{actor}"
HISTORY_ACTOR = " — {name}"
HISTORY_REPORTER = "người báo"
RECEIVED_EVENT = "Bình Yên đã nhận tin"  # the first line of a reporter's history

# ---- commands: what the menu and the command list show ---------------------------------------
REPORT_COMMAND = "Báo tin cho công an"
REPORT_MENU = "📝 Báo tin cho công an"
STATUS_COMMAND = "Tra cứu tin báo đã gửi"
STATUS_MENU = "🔎 Tra cứu tin báo"
ANSWER_COMMAND = "Trả lời câu hỏi của công an"
MAILBOX_COMMAND = "Hộp thư tin báo (cán bộ Công an xã)"
MAILBOX_MENU = "📬 Hộp thư tin báo"
STATS_COMMAND = "Thống kê tin báo (cán bộ Công an xã)"
STATS_MENU = "📊 Thống kê tin báo"
SETUP_COMMAND = "Gắn nhóm trực Công an xã"


# ---- words that suggest immediate danger (read, never shown): 113/114/115 come first --------
DANGER_WORDS = ("cháy", "cướp", "dao", "súng", "cứu", "giết", "đâm", "chém", "nổ", "bắt cóc",
                "hiếp", "đánh nhau", "đánh người", "cầm dao", "máu")
DANGER_FOLDED = ("dang danh nhau", "danh nhau", "cuu voi", "cuu toi", "cuu em", "chay nha",
                 "dang chay", "co sung", "cam dao", "bat coc", "giet nguoi", "dam nguoi",
                 "dang cuop", "cuop giat", "no sung", "hiep dam", "chem nguoi")
