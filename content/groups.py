"""Every sentence of joining a neighbourhood group by code, the leader's list of members and
removing a mistake (`handlers/groups.py`, `bot/services/join_codes.py`).

The group notice is pasted by the leader into the group's own chat, so it speaks to "bà con".
"""

from __future__ import annotations

NOT_LEADER = "Chức năng này dành cho tổ trưởng."
CODE_READY = (
    "Mã tham gia {group}: {code} (dùng được đến {until}).\n"
    "Bạn chép nguyên tin nhắn dưới đây và dán vào nhóm Zalo của tổ:"
)
GROUP_NOTICE = (
    "Kính gửi bà con {group}: để nhận thông tin an ninh, trật tự từ Bình Yên, bà con nhắn riêng "
    "cho Bình Yên dòng chữ: thamgia {code}"
)
GROUP_NOTICE_LINK = "\nTìm Bình Yên trên Zalo: {link}"  # where the deployment has set its link
ASK_CODE = "Bạn gõ «thamgia» kèm mã tổ trưởng gửi trong nhóm (ví dụ: thamgia 7K3MQ9XP)."
BAD_CODE = "Mã tham gia chưa đúng hoặc đã hết hạn. Bạn hỏi lại tổ trưởng giúp mình nhé."
JOINED = "Chào mừng bạn đến với {group}! Bình Yên đã báo tổ trưởng là bạn đã tham gia."
ALREADY = "Bạn đã là thành viên của {group} rồi."
LEADER_TOLD = "👋 {name} vừa tham gia {group} (thành viên thứ {count})."
MEMBERS_TITLE = "Thành viên {group} qua Bình Yên ({count}):"
MEMBER_LINE = "{number}. {name} — từ {since}"
MEMBERS_EMPTY = "{group} chưa có ai tham gia qua Bình Yên. Gõ /manhom để lấy mã tham gia."
MEMBERS_HINT = "Gõ «xoa» kèm số thứ tự để bỏ một người tham gia nhầm (ví dụ: xoa 3)."
REMOVED = "Đã bỏ {name} khỏi danh sách thành viên {group}."
BAD_NUMBER = "Số thứ tự chưa đúng. Gõ /thanhvien để xem danh sách."

# ---- the commands: their descriptions (the messenger's command list) and menu labels ---------
CODE_COMMAND = "Lấy mã tham gia cho nhóm của tổ"
CODE_LABEL = "🔑 Mã tham gia nhóm"
JOIN_COMMAND = "Tham gia tổ dân cư bằng mã"
MEMBERS_COMMAND = "Thành viên của tổ"
MEMBERS_LABEL = "👥 Thành viên của tổ"
REMOVE_COMMAND = "Bỏ một thành viên tham gia nhầm"
