"""Every sentence about awareness campaigns that the bot or its command line writes: the
plan's decisions, capacity warnings, and (with delivery) relays and consent.

The campaign messages themselves are in `content/calendar.yaml`. Admins and police chiefs read
these notes: plain words, dates as dd/mm/yyyy, times as 19:30, durations in words.
"""

from __future__ import annotations

NOTE_QUIET = "{name}: giờ gửi {asked} rơi vào giờ nghỉ của bà con, nên dời sang {at}."
NOTE_MERGED = "{on}: {first} và {second} trùng ngày, gộp thành một tin."
NOTE_MOVED = (
    "{name}: dời từ {old} sang {new}, để mỗi nhóm nhận không quá {cap} tin trong 7 ngày và "
    "mỗi ngày một tin."
)
NOTE_JOINED = "{name}: tuần của ngày {old} đã đủ tin, nên gộp vào tin {host} ngày {new}."
NOTE_OVER_CAP = (
    "{name} ngày {on}: không còn ngày trống gần đó (mỗi nhóm tối đa {cap} tin trong 7 ngày), "
    "nên tin này không gửi."
)
NOTE_DAY_OVER_CAP = (
    "{name} ngày {on}: tuần này các nhóm đã có đủ {cap} tin, nhưng đây là tin của chính ngày "
    "kỷ niệm nên vẫn gửi. Nếu thấy nhiều, đồng chí có thể tắt bớt một tin trong tuần."
)
NOTE_GROUPS_ONLY = (
    "{name} ngày {on}: chỉ gửi vào nhóm; người nhận tin riêng đã đủ {cap} tin trong 7 ngày."
)
CAPACITY_EARLIER = (
    "Ngày {on}: {count} tin qua {channel}, mỗi giây {rate} tin, cần khoảng {took}; bắt đầu "
    "lúc {at} sẽ gửi chưa xong trước {quiet}. Bình Yên sẽ bắt đầu sớm hơn, lúc {new}."
)
CAPACITY_TWO_DAYS = (
    "Ngày {on}: {count} tin qua {channel}, mỗi giây {rate} tin, cần khoảng {took}: bắt đầu "
    "từ {start} cũng không xong trước {quiet}. Bình Yên sẽ gửi phần còn lại từ {start} sáng "
    "hôm sau."
)
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}

# ---- changing a commune's plan ---------------------------------------------------------------
NOT_MANAGER = (
    "Việc đổi lịch tuyên truyền của xã dành cho cán bộ Ủy ban xã phụ trách và lãnh đạo Công "
    "an xã."
)
UNKNOWN_DAY = "Lịch tuyên truyền không có ngày «{day}». Gõ /lich để xem các ngày sắp tới."
UNKNOWN_MESSAGE = "«{day}» không có tin «{key}». Gõ /lich để xem các tin sắp tới."
TIME_IN_QUIET = (
    "{at} rơi vào giờ nghỉ của bà con ({start}–{end}), Bình Yên không gửi tin tuyên truyền "
    "lúc đó. Đồng chí chọn giờ khác giúp mình."
)
TEXT_PROBLEMS = {
    "nfc": "Nội dung có chữ gõ bằng bảng mã khác; đồng chí gõ lại bằng bộ gõ tiếng Việt "
           "Unicode giúp mình.",
    "brace": "Dấu ngoặc nhọn chỉ dùng cho các chỗ điền sẵn như {{group}}.",
    "placeholder": "Nội dung có chỗ điền Bình Yên không biết: {detail}. Các chỗ điền dùng "
                   "được: {allowed}.",
    "abbreviation": "Bà con có thể không hiểu chữ viết tắt «{detail}»; đồng chí viết đầy đủ "
                    "giúp mình.",
    "length": "Nội dung dài {detail} ký tự khi đã điền tên tổ, tên xã; tối đa {limit} ký tự "
              "để gửi được qua Zalo.",
}
NOT_A_VILLAGE = "Ngày riêng chỉ đặt được cho một thôn, ấp hay khu phố."
NOT_LOCAL = "«{day}» có ngày chung cả nước, không đặt ngày riêng cho từng thôn được."

# ---- what a campaign message carries ------------------------------------------------------------
REPORT_HINT = "nhắn riêng cho Bình Yên chữ «báo tin» (có thể giấu tên)"
LEVEL_WORDS = frozenset({"xã", "phường", "thị trấn", "đặc khu", "thị"})
POLICE_CONTACT = "Công an {commune}"
POLICE_PHONE = " (☎️ {phone})"
FESTIVAL_DATE = "ngày {date}"
FESTIVAL_PLACE = "nơi thôn, khu phố mình tổ chức (tổ trưởng sẽ báo cụ thể)"
RELAY_INTRO = (
    "📣 Tin tuyên truyền cho {group}. Nhờ tổ trưởng chép nguyên tin ngay dưới đây, dán vào "
    "nhóm Zalo của tổ, rồi nhắn «đã chuyển» cho Bình Yên. Cảm ơn tổ trưởng!"
)
RELAY_FOOTER = "\n\n✅ Nhà nào đã đọc tin, nhắn «đã nhận» cho Bình Yên{link} nhé."
BOT_LINK = " ({link})"
