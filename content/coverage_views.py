"""Every sentence of the coverage views and the report: `/baophu` (text and chart), `/baocao`
and `binhyen report` (the file), and the one-time links that carry them on messengers without
files (`bot/services/coverage/render.py`, `chart.py`, `report_file.py`, `views.py`,
`bot/services/file_links.py`, `handlers/coverage.py`).

Group leaders, commune admins and police read these; a resident reads only the refusal.
"""

from __future__ import annotations

# ---- commands ----------------------------------------------------------------------------------
VIEW_COMMAND = "Độ phủ tuyên truyền của tổ, thôn hoặc xã (ví dụ: /baophu 2026H1)"
VIEW_LABEL = "📊 Độ phủ tuyên truyền"
REPORT_COMMAND = "Tệp báo cáo 6 tháng hoặc cả năm (ví dụ: /baocao 2026H1)"
REPORT_LABEL = "📑 Báo cáo độ phủ"

# ---- who may look ------------------------------------------------------------------------------
VIEW_NO_ROLE = (
    "Độ phủ tuyên truyền dành cho tổ trưởng, cán bộ xã và công an xã. Nếu bạn là tổ trưởng, "
    "bạn nhận lời mời từ cán bộ xã để Bình Yên biết nhé."
)
REPORT_NO_ROLE = (
    "Tệp báo cáo độ phủ dành cho cán bộ xã và công an xã. Nếu bạn muốn báo tin về an ninh, "
    "trật tự, bạn gõ /baotin nhé."
)
NOT_YOURS = "Bạn chỉ xem được độ phủ của {allowed}. Gõ /baophu để xem phần của mình."
UNKNOWN_PERIOD = (
    "Mình chưa hiểu kỳ «{typed}». Bạn gõ năm (2026), nửa năm (2026H1, 2026H2) hoặc hai ngày "
    "(2026-03-01..2026-05-31)."
)

# ---- periods as people read them ---------------------------------------------------------------
PERIOD_YEAR = "năm {year}"
PERIOD_FIRST_HALF = "6 tháng đầu năm {year}"
PERIOD_SECOND_HALF = "6 tháng cuối năm {year}"
PERIOD_CUSTOM = "từ {first} đến {last}"
PERIOD_DAYS = "{name} ({first} – {last})"

# ---- the text view -----------------------------------------------------------------------------
TITLE = "📊 Độ phủ tuyên truyền — {area}"
SUBTITLE = "Kỳ {period} · mục tiêu {target}% số hộ"
FROZEN = "Số liệu chốt ngày {day} (bản số {number})."
STANDING_MARKS = {"met": "🟢", "near": "🟡", "below": "🔴", "unknown": "⚪"}
LINE = "{mark} {name}: {bar} {percent}% ({reached}/{households} hộ)"
LINE_NO_COUNT = "{mark} {name}: chưa có số hộ"
LINE_NO_COUNT_REACHED = "{mark} {name}: chưa có số hộ (đã tiếp cận {reached} hộ)"
ENTERED = " (số tổ trưởng nhập)"
SOME_WITHOUT_COUNT = " ({count} tổ chưa có số hộ)"
CHILD_INDENT = "    "
WHOLE = "Toàn {unit}: {percent}% — {met}/{judged} thôn đạt"
WHOLE_NO_COUNT = "Toàn {unit}: chưa có số hộ"
WHOLE_UNJUDGED = ", {count} thôn chưa có số hộ"
WHOLE_UNIT = "xã"  # a commune whose name has no unit word
VILLAGE_MET = "Cả thôn đạt mục tiêu."
VILLAGE_NOT_MET = "Cả thôn chưa đạt mục tiêu (cần {needed} hộ nữa)."
CONNECTED_TITLE = "🔗 Kết nối với Bình Yên:"
CONNECTED_LINE = "• {name}: {connected}{of} hộ có người đã liên kết"
CONNECTED_OF = "/{households}"
CONNECTED_LEADER = "; tổ trưởng nhập: {count} hộ trong nhóm chat"
CONNECTED_NOTE = (
    "ℹ️ Telegram và Zalo không cho bot xem danh sách thành viên nhóm chat, nên số hộ kết nối "
    "là những gì Bình Yên thấy được, cộng với số tổ trưởng tự nhập."
)
CHART_CAPTION = "📊 Biểu đồ độ phủ — {area}, kỳ {period}"
CHART_LINK = "📊 Biểu đồ độ phủ (mở được một lần, trong {minutes} phút): {link}"

# ---- the chart (matplotlib) --------------------------------------------------------------------
CHART_TITLE = "Độ phủ tuyên truyền — {area}\nKỳ {period}"
CHART_Y = "Tỷ lệ hộ được tiếp cận (%)"
CHART_TARGET = "Mục tiêu {target}%"
CHART_BAR = "{percent}%\n{reached}/{households} hộ"
CHART_NO_COUNT = "chưa có\nsố hộ"
CHART_LEGEND = {"met": "Đạt", "near": "Gần đạt", "below": "Chưa đạt",
                "unknown": "Chưa có số hộ"}

# ---- the report file ---------------------------------------------------------------------------
REPORT_TITLE = "BÁO CÁO KẾT QUẢ TUYÊN TRUYỀN, VẬN ĐỘNG — {area} ({code})"
REPORT_PERIOD = "Kỳ báo cáo: {period}. Mục tiêu: {target}% số hộ mỗi thôn."
REPORT_MADE = "Lập ngày {day} từ số liệu của Bình Yên."
SHEET_COVERAGE = "Độ phủ"
SHEET_SUMMARY = "Tổng hợp"
COLUMNS = ("Thôn / tổ", "Mã", "Cấp", "Số hộ", "Số hộ được tiếp cận", "Tỷ lệ", "Đánh giá",
           "Hộ có người liên kết", "Hộ trong nhóm chat (tổ trưởng nhập)", "Ghi chú")
STANDING_WORDS = {"met": "Đạt", "near": "Gần đạt", "below": "Chưa đạt",
                  "unknown": "Chưa có số hộ"}
LEVEL_WORDS = {"province": "Tỉnh", "commune": "Xã", "village": "Thôn", "group": "Tổ"}
NOTE_ENTERED = "Số tổ trưởng nhập"
NOTE_NO_COUNT = "{count} tổ chưa có số hộ"
SUMMARY_COLUMNS = ("Nội dung", "Số liệu")
SECTION_VILLAGES = "Độ phủ theo thôn"
VILLAGES_MET = "Số thôn đạt mục tiêu"
VILLAGES_JUDGED = "Số thôn có số hộ"
SECTION_ACTIVITIES = "Hoạt động tuyên truyền trực tiếp"
ACTIVITY_KINDS = {"meeting": "Họp tổ, họp dân", "door_to_door": "Phát tờ rơi tận nhà",
                  "loudspeaker": "Loa lưu động", "other": "Hoạt động khác"}
ACTIVITIES_TOTAL = "Tổng số hoạt động"
SECTION_MESSAGES = "Tin tuyên truyền qua Bình Yên"
CAMPAIGN_SENT = "Tin theo lịch tuyên truyền đã gửi"
OWN_SENT = "Thông báo của xã, thôn, tổ đã gửi"
ACKNOWLEDGED = "Lượt xác nhận «Nhà tôi đã nhận»"
RELAYS = "Tin tổ trưởng đã chuyển vào nhóm Zalo"
RELAYS_OF = "{done}/{total}"
SECTION_CHATS = "Nhóm chat"
CHAT_GROUPS = "Số tổ có nhóm chat"
GROUPS_TOTAL = "Tổng số tổ"
HOUSEHOLDS_LINKED = "Số hộ có người đã liên kết với Bình Yên"
HOUSEHOLDS_BY_LEADERS = "Số hộ trong nhóm chat (tổ trưởng nhập)"
SECTION_TIPS = "Tin báo, tố giác tội phạm (cả xã)"
TIPS_RECEIVED = "Tiếp nhận"
TIPS_FORWARDED_IN_TIME = "Chuyển cơ quan điều tra đúng hạn"
TIPS_RESOLVED = "Đã giải quyết xong"
TIPS_OVERDUE = "Quá hạn"
TIPS_RATE = "Tỷ lệ giải quyết"
IN_PERCENT = "{label} (%)"  # a share in a CSV file, as a number of percent
REPORT_FILE = "bao-cao-do-phu-{code}-{period}.{ext}"

# ---- the report in chat ------------------------------------------------------------------------
REPORT_CAPTION = "📑 Báo cáo độ phủ — {area}, kỳ {period}."
REPORT_LINK = "📑 Tệp báo cáo {area}, kỳ {period} (tải được một lần, trong {minutes} phút): {link}"
REPORT_ELSEWHERE = (
    "📑 Zalo chưa gửi được tệp. Đồng chí nhờ người quản trị Bình Yên xuất báo cáo (lệnh "
    "«binhyen report --area {code} --period {period}»), hoặc dùng Bình Yên trên Telegram."
)

# ---- the one-time page for a file --------------------------------------------------------------
LINK_GONE = (
    "<!doctype html><meta charset='utf-8'><title>Bình Yên</title>"
    "<p>Liên kết này đã được dùng, đã hết hạn hoặc không đúng. "
    "Bạn gõ lại lệnh trong tin nhắn với Bình Yên để lấy liên kết mới.</p>"
)
