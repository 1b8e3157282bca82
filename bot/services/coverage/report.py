"""The six-month or annual report (`/baocao`, `binhyen report`): coverage and connectivity per
village and group (frozen figures when the period has a snapshot), and the figures plans ask
for beside them — activities logged, campaign messages sent, acknowledged and relayed, chat
groups, and the tip figures of the commune as a whole (`tips.stats`), never per village or
group, where small numbers point at people. Counts only: nothing here reads a name or a text.

Only the coverage figures are frozen by a snapshot; the other counts are read when the report
is made (activities lock after a week, messages once sent do not change; a tip's status may).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Media, Outgoing
from bot.models import (
    Acknowledgement,
    Activity,
    Area,
    Broadcast,
    CampaignRelay,
    CampaignSend,
    CampaignSendStatus,
    Chat,
    ChatKind,
    GroupFigures,
    Person,
    Role,
    RoleGrant,
    ScheduledMessage,
)
from bot.runtime import Runtime
from bot.services import areas, file_links, people
from bot.services.coverage import periods, report_file, views
from bot.services.coverage.periods import Period, PeriodKind
from bot.services.coverage.render import period_name
from bot.services.coverage.report_file import ReportData, TipFigures
from bot.services.tips import stats
from bot.services.tips.access import MailboxScope
from content import coverage_views as words

REPORTERS = views.COMMUNE_ROLES
FORMATS = {"xlsx": ("document", "application/vnd.openxmlformats-officedocument"
                                ".spreadsheetml.sheet"),
           "csv": ("document", "text/csv")}
TIPS_FROM = frozenset({"province", "commune"})  # levels whose report carries the tip figures


def _subtree(area_id: int) -> Select[tuple[int, str]]:
    tree = select(Area.id, Area.level).where(Area.id == area_id).cte("report_tree",
                                                                      recursive=True)
    tree = tree.union_all(select(Area.id, Area.level).join(tree, Area.parent_id == tree.c.id))
    return select(tree.c.id, tree.c.level)


def _bounds(rt: Runtime, period: Period) -> tuple[datetime, datetime]:
    """The period as [start, end) instants: local midnights."""
    tz = rt.settings.tz
    return (datetime.combine(period.first, time(), tz),
            datetime.combine(period.last + timedelta(days=1), time(), tz))


async def _communes(session: AsyncSession, area: Area, below: dict[int, str]) -> list[int]:
    """The communes the report's messages are counted for: those in the area, or the one it
    is in."""
    inside = sorted(area_id for area_id, level in below.items() if level == "commune")
    if inside:
        return inside
    commune = await areas.enclosing(session, area, "commune")
    return [commune.id] if commune is not None else []


async def gather(session: AsyncSession, rt: Runtime, area: Area, period: Period) -> ReportData:
    """Every figure of the report for `area` and `period`."""
    found = await views.figures(session, rt, area.id, period)
    below = {area_id: level for area_id, level in (await session.execute(_subtree(area.id)))}
    ids = list(below)
    groups = [area_id for area_id, level in below.items() if level == "group"]
    start, end = _bounds(rt, period)
    now = rt.clock.now()

    activities = {kind: count for kind, count in (await session.execute(
        select(Activity.kind, func.count()).where(
            Activity.area_id.in_(ids), Activity.on.between(period.first, period.last))
        .group_by(Activity.kind))).all()}

    communes = await _communes(session, area, below)
    sent = select(CampaignSend.id, CampaignSend.broadcast_id).where(
        CampaignSend.commune_id.in_(communes), CampaignSend.status == CampaignSendStatus.SENT,
        CampaignSend.on.between(period.first.isoformat(), period.last.isoformat()))
    if area.level in ("village", "group"):  # the commune's messages, and its village's own
        sent = sent.where(or_(CampaignSend.village_id.is_(None),
                              CampaignSend.village_id.in_(ids)))
    sends = (await session.execute(sent)).all()
    own = (await session.scalars(
        select(Broadcast.id).join(ScheduledMessage, ScheduledMessage.broadcast_id == Broadcast.id)
        .where(ScheduledMessage.area_id.in_(ids), Broadcast.created_at >= start,
               Broadcast.created_at < end))).all()
    broadcast_ids = [b for _s, b in sends if b is not None] + list(own)
    acknowledged = int(await session.scalar(
        select(func.count()).select_from(Acknowledgement)
        .where(Acknowledgement.broadcast_id.in_(broadcast_ids))) or 0) if broadcast_ids else 0
    relays, confirmed = (await session.execute(
        select(func.count(), func.count(CampaignRelay.confirmed_at)).where(
            CampaignRelay.send_id.in_([s for s, _b in sends]),
            CampaignRelay.group_id.in_(groups)))).one() if sends and groups else (0, 0)

    with_chat = set((await session.scalars(select(Chat.area_id).where(
        Chat.kind == ChatKind.GROUP, Chat.active.is_(True), Chat.area_id.in_(groups)))).all())
    with_chat |= set((await session.scalars(select(RoleGrant.area_id).where(
        RoleGrant.role == Role.RESIDENT, RoleGrant.area_id.in_(groups),
        *people.grant_active(now)))).all())
    with_chat |= set((await session.scalars(select(GroupFigures.area_id).where(
        GroupFigures.area_id.in_(groups), and_(GroupFigures.connected.is_not(None),
                                               GroupFigures.connected > 0)))).all())

    tips = None
    if area.level in TIPS_FROM and communes:
        counted = await stats.of_scope(session, rt, MailboxScope(communes, False), start, end)
        tips = TipFigures(received=counted.total, forwarded_in_time=counted.forwarded_in_time,
                          resolved=counted.closed, overdue=counted.overdue,
                          rate=counted.resolution_rate)
    return ReportData(
        coverage=found.coverage, made_on=now.astimezone(rt.settings.tz).date(),
        frozen_on=found.frozen_on, activities=activities, campaign_sent=len(sends),
        own_sent=len(own), acknowledged=acknowledged, relays_confirmed=int(confirmed),
        relays=int(relays), chat_groups=len(with_chat), tips=tips)


def default_period(rt: Runtime, today: date) -> Period:
    """The report being prepared: the half year that ended in the last 31 days (the whole year
    when that was the second half), else the half year under way."""
    earlier = today - timedelta(days=31)
    whole, half = periods.containing(rt.settings, earlier)
    if not half.holds(today):
        return whole if half.kind is PeriodKind.SECOND_HALF else half
    return periods.current(rt.settings, today, PeriodKind.FIRST_HALF)


def render(data: ReportData, fmt: str) -> bytes:
    return report_file.xlsx(data) if fmt == "xlsx" else report_file.csv_bytes(data)


async def for_chat(session: AsyncSession, rt: Runtime, person: Person, channel: str,
                   args: str) -> Outgoing:
    """`/baocao [kỳ]`: the report of the person's commune (or a village of it) as an XLSX
    document, or a one-time link to it, or where else to get it."""
    asked = await views.ask(session, rt, person, args, roles=REPORTERS,
                            refusal=words.REPORT_NO_ROLE, default=default_period)
    area = await session.get(Area, asked.place.area_id)
    assert area is not None
    shown = period_name(asked.period.key, asked.period.first.isoformat(),
                        asked.period.last.isoformat())
    sends_files = rt.parts(channel).capabilities.sends_files
    if not sends_files and rt.settings.public_url is None:
        return Outgoing(words.REPORT_ELSEWHERE.format(code=area.code, period=asked.period.key))
    data = await gather(session, rt, area, asked.period)
    kind, mime = FORMATS["xlsx"]
    stored = await file_links.store(session, rt, kind=kind, mime_type=mime,
                                    file_name=report_file.file_name(data, "xlsx"),
                                    data=render(data, "xlsx"))
    if sends_files:
        return Outgoing(words.REPORT_CAPTION.format(area=area.name, period=shown),
                        attachments=(Media(kind, stored.id),))
    link = await file_links.create(session, rt, stored, person)
    return Outgoing(words.REPORT_LINK.format(area=area.name, period=shown, link=link,
                                             minutes=int(rt.settings.evidence_link_minutes)))
