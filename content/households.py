"""Every sentence of a group's households: the leader's roster file (`/danhsachho`, or
`binhyen households import` by the commune), the count a leader enters without one
(`/sohodan`) and how many households are in the group's chat (`/sohotrongnhom`), the
household codes the leader hands out (`/maho`), a resident registering with one (`/dangky`)
and the leader undoing a wrong registration (`/huylienket`). Files:
`bot/services/coverage/households.py`, `handlers/households.py`, `bot/cli.py`.

Leaders read most of these; residents read the registration answers.
"""

from __future__ import annotations

# ---- the roster file: which columns, in the leader's own words -----------------------------
# Column headers are read folded (lower case, no diacritics, no punctuation): «Mã hộ»,
# «MA HO» and «mã hộ (*)» are one header. `EXACT` is a whole header; `PHRASES` may stand
# inside a longer one («Họ và tên chủ hộ»). Looked at in this order: a phone column that
# names the head («Điện thoại chủ hộ») is the phone, an address «của chủ hộ» the address.
HEADER_ORDER = ("phone", "address", "members", "code", "head")
HEADER_EXACT = {
    "code": ("ma", "code", "ma so", "household code", "household id", "id ho"),
    "head": ("ho ten", "ho va ten", "ten", "head", "head of household", "name"),
    "address": ("address", "noi o", "cho o"),
    "members": ("members", "so nguoi", "so nk", "nk", "so khau", "so thanh vien"),
    "phone": ("sdt", "dt", "so dt", "phone", "mobile", "dien thoai", "phone number"),
}
HEADER_PHRASES = {
    "code": ("ma ho", "ma so ho", "ma hgd", "ma ho gia dinh"),
    "head": ("chu ho",),
    "address": ("dia chi",),
    "members": ("nhan khau", "thanh vien", "so nguoi"),
    "phone": ("dien thoai", "sdt", "so dt"),
}
COLUMN_NAMES = {  # how a column is named back to the leader
    "code": "Mã hộ",
    "head": "Chủ hộ",
    "address": "Địa chỉ",
    "members": "Số nhân khẩu",
    "phone": "Số điện thoại",
}
COLUMNS_HELP = (
    "Dòng đầu của bảng là tên cột:\n"
    "• Mã hộ — mã riêng của từng hộ trong tổ (ví dụ: H001)\n"
    "• Chủ hộ — họ tên chủ hộ\n"
    "• Địa chỉ\n"
    "• Số nhân khẩu — số người trong hộ\n"
    "• Số điện thoại — có thì ghi, không bắt buộc\n"
    "Tên cột viết có dấu hay không dấu đều được (ví dụ «Ma ho», «So nhan khau», «SĐT»); các "
    "cột khác như STT được bỏ qua. Mỗi tổ một tệp, tối đa {limit} hộ."
)
ROSTER_ASK = (
    "📋 Bạn gửi danh sách hộ của tổ vào đây, dạng tệp (📎) Excel (.xlsx) hoặc CSV.\n\n"
    + COLUMNS_HELP + "\n\n"
    "Gửi lại danh sách sau này cũng được: hộ mới được thêm, hộ cũ được cập nhật theo mã hộ, "
    "hộ không còn trong tệp được ghi là đã rời tổ (số liệu các kỳ trước giữ nguyên). "
    "Chỉ tổ trưởng xem được danh sách này."
)
ROSTER_NO_FILES = (
    "Zalo chưa cho phép gửi tệp cho Bình Yên, nên bạn chưa gửi danh sách hộ ở đây được. "
    "Bạn có thể:\n"
    "• nhờ cán bộ xã nhập giúp tệp danh sách (lệnh «binhyen households import»);\n"
    "• chưa có danh sách thì gõ «sohodan» kèm số hộ của tổ (ví dụ: sohodan 48).\n\n"
    + COLUMNS_HELP
)
ROSTER_NOT_PASSED = (
    "Bình Yên chưa đọc được tin nhắn này: Zalo không chuyển tệp cho Bình Yên. Nếu đó là danh "
    "sách hộ của tổ, bạn gõ /danhsachho để xem cách gửi khác."
)
ROSTER_PHOTO = (
    "Bình Yên chưa đọc được danh sách từ ảnh chụp. Bạn gửi tệp Excel (.xlsx) hoặc CSV, dạng "
    "tệp (📎), nhé."
)
ROSTER_TEXT = (
    "Bình Yên đang chờ tệp danh sách hộ (Excel hoặc CSV, dạng tệp 📎). Gõ /huy nếu bạn muốn "
    "dừng."
)
ROSTER_FETCH_FAILED = "Bình Yên chưa tải được tệp này. Bạn gửi lại giúp mình nhé."
ROSTER_DOWNLOAD_TOO_BIG = "Tệp lớn quá (tối đa {limit} MB). Bạn kiểm tra lại tệp nhé."
ROSTER_SEND_AGAIN = "Bạn sửa tệp rồi gửi lại vào đây, hoặc gõ /huy để dừng."

# ---- what the file may be -----------------------------------------------------------------
FILE_EMPTY = "Tệp trống, không có gì để nhập."
FILE_NO_ROWS = "Tệp mới có dòng tên cột, chưa có hộ nào."
FILE_TOO_BIG = (
    "Tệp lớn quá ({size} MB; tối đa {limit} MB). Danh sách một tổ thường chỉ vài chục KB: bạn "
    "kiểm tra lại tệp nhé."
)
FILE_TOO_MANY_ROWS = (
    "Tệp có hơn {limit} hộ. Mỗi lần chỉ nhập danh sách một tổ, tối đa {limit} hộ: bạn kiểm tra "
    "lại tệp nhé."
)
FILE_NOT_A_SPREADSHEET = (
    "Tệp này không phải bảng tính. Bình Yên đọc được tệp Excel (.xlsx) hoặc CSV."
)
FILE_OLD_EXCEL = (
    "Đây là tệp Excel đời cũ (.xls) hoặc tệp có đặt mật khẩu. Bạn mở tệp, chọn «Lưu thành» "
    "(Save As) kiểu «Excel Workbook (.xlsx)» hoặc «CSV UTF-8», rồi gửi lại."
)
FILE_OPEN_DOCUMENT = (
    "Đây là bảng tính OpenDocument (.ods). Bạn lưu lại thành .xlsx hoặc CSV rồi gửi lại nhé."
)
FILE_BAD_XLSX = (
    "Không mở được tệp Excel này (có thể tệp bị hỏng). Bạn lưu lại thành .xlsx hoặc CSV rồi "
    "gửi lại nhé."
)
FILE_ENCODING = (
    "Không đọc được chữ trong tệp: tệp không dùng bảng mã UTF-8, cũng không phải "
    "Windows-1258. Bạn mở tệp trong Excel, chọn «Lưu thành» kiểu «CSV UTF-8», rồi gửi lại."
)
FILE_COLUMNS_MISSING = "Không thấy cột {columns}."
FILE_NO_HEADER = "Không thấy dòng tên cột (Mã hộ, Chủ hộ, Địa chỉ, Số nhân khẩu)."
FILE_ENCODING_HINT = (
    "Tệp không dùng bảng mã UTF-8 nên Bình Yên đã đọc theo Windows-1258; nếu tệp dùng bảng mã "
    "khác (như TCVN3, VNI), bạn lưu lại thành «CSV UTF-8» rồi gửi lại."
)
FILE_COLUMN_TWICE = "Cột {column} có hai lần (cột {first} và cột {second})."
COLUMNS_AND = ", "  # between two column names in FILE_COLUMNS_MISSING

# ---- why one row cannot be imported ------------------------------------------------------
ROWS_REFUSED = "Chưa nhập gì cả, vì tệp có {count} dòng lỗi:"
ROW_LINE = "Dòng {line}: {reason}"
ROWS_MORE = "… và {count} dòng lỗi khác."
REASONS_AND = "; "  # between two things wrong in one row
ROW_NO_CODE = "thiếu mã hộ"
ROW_CODE_TOO_LONG = "mã hộ dài quá {limit} ký tự"
ROW_CODE_TWICE = "mã hộ {code} trùng với dòng {first}"
ROW_NO_HEAD = "thiếu tên chủ hộ"
ROW_TOO_LONG = "{column} dài quá {limit} ký tự"
ROW_NO_MEMBERS = "thiếu số nhân khẩu"
ROW_BAD_MEMBERS = "số nhân khẩu «{value}» phải là số nguyên từ 1 đến {high}"
ROW_BAD_PHONE = "số điện thoại «{value}» chưa đúng"

# ---- what an import did --------------------------------------------------------------------
LABEL = "Hộ {code}"  # what the leader's numbered list shows of a household from a roster
NOT_A_GROUP = "{area} không phải một tổ dân cư: danh sách hộ nhập theo từng tổ."
IMPORTED = "✅ Đã nhận danh sách hộ của {group}: {total} hộ."
IMPORTED_ADDED = "• Thêm mới: {count} hộ"
IMPORTED_UPDATED = "• Cập nhật thông tin: {count} hộ"
IMPORTED_RETURNED = "• Trở lại danh sách: {count} hộ"
IMPORTED_LEFT = "• Không còn trong tệp (ghi là đã rời tổ từ hôm nay): {count} hộ"
IMPORTED_SAME = "• Không thay đổi: {count} hộ"
IMPORTED_NEXT = "Gõ /maho để xem mã đăng ký của từng hộ và đưa cho từng nhà."
CLI_PROGRESS = "Đang nhập: {done}/{total} hộ…"
CLI_UNREADABLE = "Không đọc được tệp {path}: {error}"

# ---- the leader's figures --------------------------------------------------------------------
COUNT_ASK = (
    "Gõ «sohodan» kèm số hộ của tổ (ví dụ: sohodan 48). Số này dùng khi tổ chưa có danh sách "
    "hộ, và được ghi rõ là do tổ trưởng nhập."
)
COUNT_NOW = "Hiện ghi: {group} có {count} hộ (tổ trưởng nhập ngày {day})."
COUNT_BAD = "Số hộ phải là số nguyên từ 1 đến {high}. Ví dụ: sohodan 48"
COUNT_HAS_ROSTER = (
    "{group} đã có danh sách {count} hộ, nên Bình Yên tính theo danh sách. Khi số hộ thay đổi, "
    "bạn gửi lại danh sách bằng /danhsachho."
)
COUNT_SET = (
    "✅ Đã ghi: {group} có {count} hộ (số do tổ trưởng nhập). Khi có danh sách hộ, bạn gửi "
    "bằng /danhsachho để bà con đăng ký theo hộ."
)
CONNECTED_ASK = (
    "Gõ «sohotrongnhom» kèm số hộ đã có người trong nhóm chat của tổ (ví dụ: sohotrongnhom "
    "40). Bình Yên không tự xem được ai đang ở trong nhóm, nên dùng số bạn nhập."
)
CONNECTED_NOW = "Hiện ghi: {count} hộ có người trong nhóm chat (tổ trưởng nhập ngày {day})."
CONNECTED_BAD = "Số hộ phải là số nguyên từ 0 đến {high}. Ví dụ: sohotrongnhom 40"
CONNECTED_TOO_MANY = "{group} có {households} hộ, nên số hộ trong nhóm không thể là {count}."
CONNECTED_SET = (
    "✅ Đã ghi: {count} hộ của {group} có người trong nhóm chat (số do tổ trưởng nhập)."
)

# ---- the leader's list of households and their codes ------------------------------------------
LIST_TITLE = "🏠 Hộ của {group}: {count} hộ, {linked} hộ đã có người đăng ký."
LIST_LINE = "{number}. {label}{head} — mã: {code}{linked}"
LIST_HEAD = " — {head}"
LIST_LINKED = " — 👤 {count}"
LIST_HINT = (
    "Bạn đưa riêng mã cho từng nhà (đừng dán cả danh sách vào nhóm). Người trong hộ nhắn riêng "
    "cho Bình Yên: dangky và mã (ví dụ: dangky {example}). Xem hoặc bỏ người đăng ký nhầm: "
    "/huylienket"
)
LIST_EMPTY = (
    "{group} chưa có danh sách hộ. Gõ /danhsachho để gửi danh sách (tệp Excel hoặc CSV)."
)
LIST_OTHER_GROUP = "Bạn chỉ xem được danh sách hộ của tổ mình ({group})."

# ---- a resident registering ---------------------------------------------------------------
REG_ASK = "Gõ «dangky» kèm mã hộ tổ trưởng đưa cho nhà bạn (ví dụ: dangky K7M2QX)."
REG_BAD = "Mã hộ chưa đúng. Bạn kiểm tra lại với tổ trưởng giúp mình nhé."
REG_LEFT = (
    "Hộ có mã này không còn trong danh sách của tổ. Bạn hỏi lại tổ trưởng giúp mình nhé."
)
REG_OTHER_GROUP = (
    "Mã này không phải của một hộ trong {groups}, tổ bạn đã tham gia. Bạn kiểm tra lại với tổ "
    "trưởng giúp mình nhé."
)
REG_LOCKED = "Bạn đã nhập sai mã nhiều lần. Bạn thử lại sau {minutes} phút nhé."
REG_DONE = (
    "✅ Bạn đã đăng ký với {label} ({group}). Từ nay, khi bạn chọn «Nhà tôi đã nhận», cả hộ "
    "được tính là đã nhận tin."
)
REG_MOVED = "✅ Bạn đã chuyển đăng ký từ {old} sang {label} ({group})."
REG_REPLAYED = "Những lần bạn xác nhận đã nhận tin trước đây cũng được tính cho hộ."
REG_ALREADY = "Bạn đã đăng ký với {label} ({group}) rồi."

# ---- the leader undoing a registration --------------------------------------------------------
LINKS_TITLE = "Người đã đăng ký theo hộ ở {group} ({count}):"
LINKS_LINE = "{number}. {name} — {label}"
LINKS_HINT = (
    "Gõ «huylienket» kèm số thứ tự để bỏ một người đăng ký nhầm (ví dụ: huylienket 2)."
)
LINKS_EMPTY = "Chưa có ai ở {group} đăng ký theo hộ."
UNLINK_BAD = "Số thứ tự chưa đúng. Gõ /huylienket để xem danh sách."
UNLINKED = "Đã bỏ đăng ký của {name} với {label}. Người này có thể đăng ký lại bằng mã đúng."
UNLINKED_TOLD = (
    "Tổ trưởng đã bỏ đăng ký của bạn với {label} ({group}). Nếu nhầm, bạn hỏi lại tổ trưởng mã "
    "của hộ mình rồi gõ dangky và mã nhé."
)

# ---- the commands: their descriptions (the messenger's command list) and menu labels ---------
ROSTER_COMMAND = "Gửi danh sách hộ của tổ (tệp Excel, CSV)"
ROSTER_LABEL = "📋 Gửi danh sách hộ"
COUNT_COMMAND = "Nhập số hộ của tổ (khi chưa có danh sách)"
CONNECTED_COMMAND = "Nhập số hộ có người trong nhóm chat"
CODES_COMMAND = "Các hộ trong tổ và mã đăng ký"
CODES_LABEL = "🏠 Hộ và mã đăng ký"
REGISTER_COMMAND = "Đăng ký nhà bạn bằng mã hộ"
UNLINK_COMMAND = "Xem, bỏ người đăng ký nhầm hộ"
