"""A demo commune for a newcomer's laptop and for the web chat: two villages, four groups,
households in each, and one-time invites for the officer, chief and group-leader personas.
Idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, Role
from bot.runtime import Runtime
from bot.services import areas
from bot.services.areas import AreaRow
from bot.services.coverage import households
from bot.services.coverage.roster import RosterRow
from bot.services.people import create_invite

DEMO_COMMUNE = "DEMO-XA"
HOUSEHOLDS_PER_GROUP = (42, 35, 51, 38)
DEMO_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng")
DEMO_GIVEN = ("Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Minh Đức", "Thu Hà", "Quốc Huy",
              "Thị Lan", "Văn Nam", "Thị Oanh", "Hữu Phúc")


def demo_rows() -> list[AreaRow]:
    rows = [
        AreaRow(1, "DEMO-TINH", "Tỉnh Thử Nghiệm", "province", None),
        AreaRow(2, DEMO_COMMUNE, "Xã Bình Yên", "commune", "DEMO-TINH",
                ["Xã An Lạc", "An Lạc", "Xã Hòa Thuận"], police_phone="0123 456 789"),
        AreaRow(3, "DEMO-THON-DONG", "Thôn Đông", "village", DEMO_COMMUNE, ["Ấp Đông"]),
        AreaRow(4, "DEMO-THON-TAY", "Thôn Tây", "village", DEMO_COMMUNE, ["Ấp Tây"]),
    ]
    for number, village in enumerate(("DEMO-THON-DONG", "DEMO-THON-DONG", "DEMO-THON-TAY",
                                      "DEMO-THON-TAY"), start=1):
        rows.append(AreaRow(4 + number, f"DEMO-TO-{number}", f"Tổ dân cư số {number}", "group",
                            village, [f"Tổ {number}"]))
    return rows


@dataclass(frozen=True)
class DemoInvite:
    role: Role
    persona: str
    token: str


async def seed_demo(session: AsyncSession, rt: Runtime) -> list[DemoInvite] | None:
    """Create the demo commune unless it exists; returns fresh invites, or None if it existed."""
    if await session.scalar(select(Area).where(Area.code == DEMO_COMMUNE)) is not None:
        return None
    await areas.import_areas(session, demo_rows(), rt.clock)
    for number, count in enumerate(HOUSEHOLDS_PER_GROUP, start=1):
        # a roster as a leader would send it: each household gets its registration code
        group = await areas.by_code(session, f"DEMO-TO-{number}")
        await households.import_roster(session, rt, group, [
            RosterRow(line=house + 1, code=f"T{number}-{house:02d}",
                      head=f"{DEMO_SURNAMES[house % 7]} {DEMO_GIVEN[house % 11]}",
                      address=f"Số {house}, ngõ {number}", members=2 + house % 4, phone=None)
            for house in range(1, count + 1)])
    commune = await areas.by_code(session, DEMO_COMMUNE)
    group_one = await areas.by_code(session, "DEMO-TO-1")
    invites = []
    for role, area, persona in (
        (Role.POLICE_OFFICER, commune, "Cán bộ công an xã (Trần Thị Bình)"),
        (Role.POLICE_CHIEF, commune, "Trưởng Công an xã (Lê Văn Cường)"),
        (Role.GROUP_LEADER, group_one, "Tổ trưởng (Phạm Thị Dung)"),
    ):
        _, token = await create_invite(session, rt, role=role, area=area, created_by="demo")
        invites.append(DemoInvite(role, persona, token))
    return invites
