"""Welcome, menu, help, emergency numbers, my roles, and invite redemption (`/start <mã mời>`).

Every sentence a user reads here is in the strings block below, except the note on Zalo's
contact window for those who get tip cards (`content.tips.KEEP_IN_TOUCH`).
"""

from __future__ import annotations

from bot.clock import format_local
from bot.flows import Command, Ctx, Finish, Outcome, Registry, RunCommand, command_choice
from bot.messages import Prompt
from bot.models import Role
from bot.services import people
from content import tips as tip_words

# ---- strings -------------------------------------------------------------------------------------
WELCOME = (
    "Chào bạn, mình là Bình Yên — trợ lý an ninh, trật tự của tổ dân cư và Công an xã.\n"
    "Bạn chọn việc cần làm bên dưới nhé."
)
WELCOME_GROUP = (
    "Chào bà con, Bình Yên đã có mặt trong nhóm. Việc riêng tư (như báo tin) xin nhắn riêng "
    "cho Bình Yên; trong nhóm mình chỉ trả lời khi được gọi bằng lệnh."
)
MENU_TITLE = "Bạn cần gì? Chọn một mục bên dưới nhé."
HELP = (
    "Bình Yên giúp bạn:\n"
    "• /start — xem các việc mình giúp được\n"
    "• /hotline — số điện thoại khẩn cấp\n"
    "• /vaitro — xem vai trò của bạn\n"
    "• /huy — dừng việc đang làm; /quaylai — quay lại bước trước\n\n"
    "Bình Yên không phải đường dây khẩn cấp. Nếu đang nguy hiểm, hãy gọi ngay 113."
)
HOTLINE = (
    "Số điện thoại khẩn cấp (gọi miễn phí, 24/7):\n"
    "• 113 — Công an\n"
    "• 114 — Cứu hỏa, cứu nạn cứu hộ\n"
    "• 115 — Cấp cứu y tế\n"
    "• 111 — Tổng đài bảo vệ trẻ em\n"
    "Bình Yên không phải đường dây khẩn cấp: khi nguy hiểm, hãy gọi ngay các số trên."
)
HOTLINE_COMMUNE = "• {phone} — Công an {name}"
NO_ROLES = "Bạn đang dùng Bình Yên với tư cách người dân. Chưa có vai trò nào khác."
ROLES_TITLE = "Vai trò của bạn:"
ROLE_LINE = "• {role} — {area}{expiry}"
ROLE_EXPIRY = " (đến {date})"
INVITE_OK = "Xong! Bạn đã nhận vai trò {role} tại {area}. Gõ /start để xem các việc mới."
INVITE_HINT = (
    "Nếu bạn có mã mời, gõ /start rồi dán mã (ví dụ: /start 7K3MQ9XPA2BCDEFG)."
)

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


# ---- commands ------------------------------------------------------------------------------------

def _menu_prompt(registry: Registry, roles: set[Role], title: str) -> Prompt:
    return Prompt(title, tuple(command_choice(c) for c in registry.menu(roles)))


def register(registry: Registry) -> None:
    async def start(ctx: Ctx, args: str) -> Outcome:
        if not ctx.incoming.is_private:
            return Finish(WELCOME_GROUP)
        payload = args.strip()
        linked = registry.find(payload) if payload else None
        if linked is not None and linked.name != "start":
            return RunCommand(linked.name)  # a deep link such as ?start=vaitro
        if payload:
            return await _redeem(ctx, payload)
        return Finish(_menu_prompt(registry, await ctx.roles(), WELCOME))

    async def menu(ctx: Ctx, _args: str) -> Outcome:
        return Finish(_menu_prompt(registry, await ctx.roles(), MENU_TITLE))

    async def help_(ctx: Ctx, _args: str) -> Outcome:
        return Finish(HELP + _keep_in_touch(ctx, await ctx.roles()))

    async def hotline(ctx: Ctx, _args: str) -> Outcome:
        communes = await people.communes_of(ctx.session, ctx.person.id, ctx.chat, ctx.now)
        lines = [HOTLINE] + [HOTLINE_COMMUNE.format(phone=area.police_phone, name=area.name)
                             for area in communes if area.police_phone]
        return Finish("\n".join(lines))

    async def my_roles(ctx: Ctx, _args: str) -> Outcome:
        held = await people.held_roles(ctx.session, ctx.person.id, ctx.now)
        if not held:
            return Finish(NO_ROLES + "\n" + INVITE_HINT)
        lines = [ROLES_TITLE]
        for grant, area in held:
            expiry = "" if grant.expires_at is None else ROLE_EXPIRY.format(
                date=format_local(grant.expires_at, ctx.rt.settings.tz, with_time=False))
            lines.append(ROLE_LINE.format(role=ROLE_NAMES[Role(grant.role)], area=area.name,
                                          expiry=expiry))
        return Finish("\n".join(lines))

    registry.command(Command("start", start, "Bắt đầu, xem menu", aliases=("batdau", "bắt đầu")))
    registry.command(Command("menu", menu, "Xem các việc Bình Yên giúp được", public=False))
    registry.command(
        Command(
            "help", help_, "Hướng dẫn", aliases=("huongdan", "trogiup"), keeps_flow=True,
            menu_label="❓ Hướng dẫn", menu_rank=70,
        )
    )
    registry.command(
        Command(
            "hotline", hotline, "Số điện thoại khẩn cấp", aliases=("khancap", "sokhancap"),
            keeps_flow=True, menu_label="☎️ Số khẩn cấp", menu_rank=60,
        )
    )
    registry.command(
        Command(
            "vaitro", my_roles, "Vai trò của tôi", aliases=("roles",), private_only=True,
            menu_label="👤 Vai trò của tôi", menu_rank=80,
        )
    )


async def _redeem(ctx: Ctx, token: str) -> Outcome:
    grant, area = await people.redeem_invite(ctx.session, ctx.rt, token, ctx.person)
    return Finish(INVITE_OK.format(role=ROLE_NAMES[Role(grant.role)], area=area.name)
                  + _keep_in_touch(ctx, {Role(grant.role)}))


# who gets tip cards, and so must keep a messenger's contact window open to keep getting them
CARD_ROLES = frozenset({Role.POLICE_OFFICER, Role.POLICE_CHIEF, Role.DISPATCHER})


def _keep_in_touch(ctx: Ctx, roles: set[Role]) -> str:
    """On a messenger that stops delivering after some hours of silence (Zalo), those who get
    cards are told to write daily; elsewhere, nothing."""
    hours = ctx.rt.parts(ctx.channel).capabilities.contact_window_hours
    if hours is None or not roles & CARD_ROLES:
        return ""
    return "\n\n" + tip_words.KEEP_IN_TOUCH.format(hours=hours)

