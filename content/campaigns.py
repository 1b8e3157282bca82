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
    "không quá một tin mỗi ngày."
)
NOTE_JOINED = "{name}: tuần có ngày {old} đã đủ tin, nên gộp chung vào tin {host} ngày {new}."
NOTE_OVER_CAP = (
    "{name} ngày {on}: không còn ngày trống gần đó (mỗi nhóm tối đa {cap} tin trong 7 ngày), "
    "nên tin này không gửi."
)
NOTE_DAY_OVER_CAP = (
    "{name} ngày {on}: tuần này các nhóm đã có đủ {cap} tin, nhưng đây là tin của chính ngày "
    "kỷ niệm nên vẫn gửi. Nếu thấy dày quá, đồng chí có thể tắt bớt một ngày tuyên truyền khác "
    "trong tuần đó."
)
NOTE_GROUPS_ONLY = (
    "{name} ngày {on}: chỉ gửi vào nhóm; người nhận tin riêng đã đủ {cap} tin trong 7 ngày."
)
CAPACITY_EARLIER = (
    "Ngày {on}: {count} tin qua {channel}, mỗi giây gửi được {rate} tin nên cần khoảng {took}; "
    "nếu bắt đầu lúc {at} thì đến {quiet} vẫn chưa gửi xong. Bình Yên sẽ bắt đầu sớm hơn, lúc "
    "{new}."
)
CAPACITY_TWO_DAYS = (
    "Ngày {on}: {count} tin qua {channel}, mỗi giây gửi được {rate} tin nên cần khoảng {took}; "
    "dù bắt đầu từ {start} thì đến {quiet} cũng chưa gửi xong. Phần còn lại, Bình Yên sẽ gửi "
    "tiếp từ {start} sáng hôm sau."
)
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo"}

# ---- changing a commune's plan ---------------------------------------------------------------
NOT_MANAGER = (
    "Chỉ cán bộ phụ trách của Ủy ban nhân dân xã và lãnh đạo Công an xã mới đổi được lịch "
    "tuyên truyền của xã."
)
UNKNOWN_DAY = "Lịch tuyên truyền không có ngày «{day}». Gõ /lich để xem các ngày sắp tới."
UNKNOWN_MESSAGE = "«{day}» không có tin «{key}». Gõ /lich để xem các tin sắp tới."
TIME_IN_QUIET = (
    "Giờ {at} rơi vào giờ nghỉ của bà con ({start}–{end}); Bình Yên không gửi tin tuyên truyền "
    "vào giờ đó. Đồng chí chọn giờ khác giúp mình."
)
TEXT_PROBLEMS = {
    "nfc": "Nội dung có chữ bị tách dấu (bảng mã Unicode tổ hợp); đồng chí chuyển bộ gõ sang "
           "bảng mã Unicode dựng sẵn rồi gõ lại giúp mình.",
    "brace": "Dấu ngoặc nhọn chỉ dùng cho các chỗ điền tự động như {{group}}; đồng chí bỏ "
             "những dấu ngoặc nhọn khác giúp mình.",
    "placeholder": "Nội dung có chỗ điền Bình Yên không biết: {detail}. Các chỗ điền dùng "
                   "được: {allowed}.",
    "abbreviation": "Bà con có thể không hiểu chữ viết tắt «{detail}»; đồng chí viết đầy đủ "
                    "giúp mình.",
    "length": "Nội dung dài {detail} ký tự khi đã điền tên tổ, tên xã; tối đa {limit} ký tự "
              "để gửi được qua Zalo. Đồng chí rút gọn giúp mình.",
}
NOT_A_VILLAGE = "Ngày riêng chỉ đặt được cho một thôn, ấp hay khu phố."
NOT_LOCAL = "«{day}» là ngày chung cả nước, không đặt ngày riêng cho từng thôn, ấp, khu phố được."

# ---- what a campaign message carries ------------------------------------------------------------
REPORT_HINT = "nhắn riêng cho Bình Yên chữ «báo tin» (có thể giấu tên)"
LEVEL_WORDS = frozenset({"xã", "phường", "thị trấn", "đặc khu", "thị"})
POLICE_CONTACT = "Công an {commune}"
POLICE_PHONE = " (☎️ {phone})"
FESTIVAL_DATE = "ngày {date}"
FESTIVAL_PLACE = "địa điểm do tổ trưởng thông báo"
RELAY_INTRO = (
    "📣 Tin tuyên truyền cho {group}. Nhờ tổ trưởng sao chép nguyên văn tin ngay bên dưới, dán "
    "vào nhóm Zalo của tổ, rồi nhắn «đã chuyển» cho Bình Yên. Cảm ơn tổ trưởng!"
)
RELAY_FOOTER = "\n\n✅ Nhà nào đã đọc tin, nhắn «đã nhận» cho Bình Yên{link} nhé."
BOT_LINK = " ({link})"
