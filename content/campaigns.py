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
