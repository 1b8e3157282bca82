"""Every sentence about people's roles, invites and the chats the bot writes to
(`bot/services/people.py`): what residents and officers read, and the refusals the operator's
command line shows (`binhyen roles revoke`)."""

from __future__ import annotations

from bot.models import Role

ROLE_NAMES: dict[Role, str] = {
    Role.RESIDENT: "cư dân",
    Role.GROUP_LEADER: "tổ trưởng",
    Role.SECURITY_MEMBER: "thành viên lực lượng bảo vệ an ninh, trật tự ở cơ sở",
    Role.POLICE_OFFICER: "cán bộ Công an xã",
    Role.POLICE_CHIEF: "lãnh đạo Công an xã",
    Role.COMMUNE_ADMIN: "cán bộ Ủy ban xã",
    Role.DISPATCHER: "điều phối tin báo",
    Role.PROVINCE_VIEWER: "theo dõi cấp tỉnh",
}

# to a group's leaders, privately, when the bot can no longer write in the group
BOT_REMOVED = (
    "Bình Yên không gửi được tin vào nhóm «{title}» vì đã bị xóa khỏi nhóm hoặc bị chặn. "
    "Bạn thêm lại Bình Yên vào nhóm giúp mình nhé, để bà con không lỡ tin."
)
UNTITLED_GROUP = "của tổ"  # a group whose title the bot never saw

INVITE_UNKNOWN = "Mã mời này không đúng. Bạn kiểm tra lại giúp mình, hoặc xin người mời gửi lại nhé."
INVITE_USED = "Mã mời này đã được dùng rồi. Mỗi mã chỉ dùng được một lần; bạn xin người mời mã mới nhé."
INVITE_EXPIRED = "Mã mời này đã hết hạn. Bạn xin người mời gửi mã mới nhé."
INVITE_REVOKED = "Mã mời này đã bị thu hồi. Nếu cần, bạn liên hệ người mời nhé."

NO_GRANT = "Không có quyền nào số {number}."
GRANT_ALREADY_REVOKED = "Quyền số {number} đã bị thu hồi từ trước."
NO_INVITE = "Không có lời mời số {number}."
