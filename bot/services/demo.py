"""A demo commune for a newcomer's laptop and for the web chat: two villages, four groups,
households in each, and one-time invites for the officer, chief and group-leader personas.
Idempotent: running it twice changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, Household, Role
from bot.runtime import Runtime
from bot.services import areas
from bot.services.areas import AreaRow
from bot.services.people import create_invite

DEMO_COMMUNE = "DEMO-XA"
HOUSEHOLDS_PER_GROUP = (42, 35, 51, 38)


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
        group = await areas.by_code(session, f"DEMO-TO-{number}")
        existing = await session.scalar(
            select(func.count()).select_from(Household).where(Household.area_id == group.id)
        )
        for house in range(int(existing or 0) + 1, count + 1):
            session.add(Household(area_id=group.id, label=f"Hộ số {house}",
                                  created_at=rt.clock.now()))
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
