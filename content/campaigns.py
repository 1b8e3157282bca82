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

# ---- campaign messages in private: asked when joining, changed at any time ------------------
ASK_CONSENT = (
    "Bình Yên có thể nhắn riêng cho bạn các tin tuyên truyền của xã (phòng chống ma túy, "
    "lừa đảo, cháy nổ…), mỗi tuần không quá {cap} tin và không nhắn vào buổi tối. "
    "Bạn có muốn nhận không?"
)
CONSENT_YES_LABEL = "Có, nhắn cho tôi"
CONSENT_NO_LABEL = "Không, cảm ơn"
CONSENT_ON = (
    "Đã bật: Bình Yên sẽ nhắn riêng cho bạn các tin tuyên truyền của xã. Muốn thôi nhận, bạn "
    "nhắn «tắt thông báo» bất cứ lúc nào."
)
CONSENT_ON_ALREADY = "Bạn đang nhận tin tuyên truyền rồi. Muốn thôi nhận, nhắn «tắt thông báo»."
CONSENT_OFF = (
    "Đã tắt: Bình Yên sẽ không nhắn riêng tin tuyên truyền cho bạn nữa. Việc báo tin và tra cứu "
    "tin đã báo vẫn dùng bình thường. Muốn nhận lại, nhắn «bật thông báo»."
)
CONSENT_OFF_ALREADY = "Bạn đang không nhận tin tuyên truyền. Muốn nhận lại, nhắn «bật thông báo»."

# ---- a leader's relay into the group's Zalo chat ------------------------------------------
RELAY_THANKS = "Cảm ơn tổ trưởng đã chuyển tin vào nhóm {groups}! Bình Yên đã ghi nhận."
RELAY_NONE = (
    "Hiện không có tin tuyên truyền nào đang chờ tổ trưởng chuyển. Khi có tin mới, Bình Yên sẽ "
    "nhắn kèm hướng dẫn."
)
RELAY_NOT_LEADER = "Lời nhắn «đã chuyển» dành cho tổ trưởng sau khi chuyển tin tuyên truyền vào nhóm."
CHASE = (
    "Nhắc nhẹ tổ trưởng: Bình Yên chưa nhận được lời báo «đã chuyển» cho tin tuyên truyền sau:\n"
    "{lines}\n"
    "Nếu đã dán vào nhóm Zalo rồi, tổ trưởng nhắn «đã chuyển» giúp mình. Nếu chưa, chỉ cần sao "
    "chép tin Bình Yên gửi hôm đó và dán vào nhóm. Cảm ơn tổ trưởng!"
)
CHASE_LINE = "• {group}: tin ngày {on}"

# ---- /gannhom: a Telegram group chat bound to its neighbourhood group ----------------------
BIND_DONE = (
    "Đã gắn nhóm chat này với {group}. Từ nay các tin tuyên truyền của xã sẽ được gửi thẳng "
    "vào đây."
)
BIND_IN_GROUP = "Lệnh /gannhom dùng ngay trong nhóm chat của tổ: tổ trưởng thêm Bình Yên vào nhóm rồi gõ /gannhom ở đó."
BIND_POLICE_TEAM = "Nhóm này đang là nhóm công tác của Công an xã, không gắn làm nhóm tổ dân cư được."
BIND_NOT_LEADER = "Chỉ tổ trưởng mới gắn được nhóm chat với tổ của mình."
BIND_WHICH = (
    "Đồng chí đang phụ trách nhiều tổ: {groups}. Gõ /gannhom kèm mã tổ, ví dụ: /gannhom MÃ_TỔ."
)

# ---- /lich: what is coming, and changing it -------------------------------------------------
AGENDA_NONE_ROLE = (
    "Lịch tuyên truyền dành cho tổ trưởng, cán bộ xã và lãnh đạo Công an xã. Nếu bạn phụ trách "
    "một tổ, nhờ cán bộ xã cấp quyền trước nhé."
)
AGENDA_TITLE = "📅 Lịch tuyên truyền sắp tới — {communes}"
AGENDA_EMPTY = "Không có tin tuyên truyền nào trong {days} ngày tới."
AGENDA_SENT = "\nĐã gửi gần đây (xem kết quả: gõ /lich và số tin, ví dụ /lich {number}):"
AGENDA_SENT_LINE = "• {on} — {names}: tin số {number}"
AGENDA_LINE = "{on} lúc {at} — {names}{village}{groups_only}"
AGENDA_VILLAGE = " ({village})"
AGENDA_GROUPS_ONLY = " · chỉ gửi vào nhóm"
AGENDA_READ_ONLY = "Muốn đổi lịch, tổ trưởng liên hệ cán bộ xã hoặc Công an xã."
AGENDA_PICK = "Chọn một tin để tắt, đổi giờ hay thay nội dung:"
AGENDA_RESTORE = "Bật lại: {name}"
AGENDA_WHAT = "{names}, {on} lúc {at}. Đồng chí muốn làm gì?"
AGENDA_OFF = "Tắt cả ngày này"
AGENDA_TIME = "Đổi giờ gửi"
AGENDA_TEXT = "Thay nội dung"
AGENDA_RESET = "Dùng lại nội dung chung"
AGENDA_ASK_TIME = (
    "Gửi lúc mấy giờ? Gõ giờ và phút, ví dụ 19:30 hoặc 7h15 (ngoài giờ nghỉ {start}–{end})."
)
AGENDA_BAD_TIME = "Mình chưa đọc được giờ «{typed}». Đồng chí gõ theo dạng 19:30 hoặc 7h15 giúp mình."
AGENDA_ASK_TEXT = (
    "Nội dung hiện tại:\n\n{text}\n\n"
    "Đồng chí gửi nội dung mới (tối đa {limit} ký tự). Các chỗ điền tự động dùng được: {allowed}."
)
AGENDA_DONE_OFF = "Đã tắt «{name}» cho {commune}; lịch đã được tính lại."
AGENDA_DONE_ON = "Đã bật lại «{name}» cho {commune}; lịch đã được tính lại."
AGENDA_DONE_TIME = "Tin «{name}» của {commune} sẽ gửi lúc {at}."
AGENDA_DONE_TEXT = "Đã lưu nội dung riêng của {commune} cho tin «{name}»."
AGENDA_DONE_RESET = "Tin «{name}» của {commune} dùng lại nội dung chung."

# ---- commands ---------------------------------------------------------------------------------
AGENDA_COMMAND = "Lịch tuyên truyền sắp tới"
AGENDA_LABEL = "📅 Lịch tuyên truyền"
CONSENT_ON_COMMAND = "Nhận tin tuyên truyền qua tin nhắn riêng"
CONSENT_OFF_COMMAND = "Thôi nhận tin tuyên truyền qua tin nhắn riêng"
RELAYED_COMMAND = "Tổ trưởng báo đã chuyển tin vào nhóm"
BIND_COMMAND = "Gắn nhóm chat này với tổ của tổ trưởng"

# ---- small words the plan and the fan-out put together ---------------------------------------
AND = " và "
DURATION_MINUTES = "{minutes} phút"
DURATION_HOURS = "{hours} giờ"
DURATION_BOTH = "{hours} giờ {minutes} phút"
BROADCAST_LABEL = "Tuyên truyền {on}: {parts}"  # the record's label, seen by operators

# ---- what the calendar's checks read --------------------------------------------------------
# long but real values for the placeholders: a message that fits with them fits anywhere
LONGEST_FILLS = {
    "group": "Tổ dân cư tự quản số 15 khu phố Hòa Bình Đông",
    "commune": "phường Hòa Bình Đông",
    "police_contact": "Công an phường Hòa Bình Đông (☎️ 0258 3812 345)",
    "report_hint": "nhắn riêng cho Bình Yên chữ «báo tin» (có thể giấu tên)",
    "festival_date": "sáng Chủ nhật 17/8, từ 7 giờ 30",
    "festival_place": "nhà văn hóa khu phố Hòa Bình Đông",
    "tet_date": "17/02/2026",
}
# abbreviations residents should not have to decode: written in full in what they read
ABBREVIATIONS = ("ANTT", "ANTQ", "CQĐT", "CQDT", "BLTTHS", "BLHS", "PCCC", "CNCH", "ATGT",
                 "TNGT", "UBND", "MTTQ", "CAND", "CAX")
