"""Sending a campaign entry when its time comes: into every group of its commune (or village),
once, on every messenger, whatever happens on the way.

An entry is taken once (`planned` → `sending` in one conditional UPDATE), then fanned out
group by group in batches, each batch its own transaction: the groups' own chats where the bot
can post (Telegram groups bound to their group), a relay copy and a word of instruction to each
group leader on a messenger where no bot can post in a group (Zalo), and the message in private
to the residents who agreed. Each batch records the last group it reached, and every row is
queued at most once per chat (`outbox.enqueue_broadcast`), so a crash in the middle costs only
a resumed batch, never a message sent twice. Rows that could not go out before quiet hours at
the messengers' limits wait until the morning.

Never writes a sentence itself: every word is the calendar's, the commune's, or in
`content/campaigns.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Outgoing
from bot.models import (
    LANE_PRIORITY,
    Area,
    Broadcast,
    CampaignLocalDate,
    CampaignRelay,
    CampaignSend,
    CampaignSendStatus,
    Chat,
    ChatKind,
    Lane,
    OutboxMessage,
    OutboxStatus,
    Person,
    Role,
    RoleGrant,
)
from bot.runtime import Runtime
from bot.services import acknowledgements, areas, broadcast_reports, outbox
from bot.services.campaigns import audience, calendar, plans
from bot.services.campaigns.plan import Rules
from content import campaigns as words

BATCH_GROUPS = 200


@dataclass(frozen=True)
class Places:
    """What fills a campaign text's placeholders for one group."""

    group: str
    commune: str
    police_contact: str
    festival_date: str
    festival_place: str
    tet_date: str

    def fill(self, template: str) -> str:
        return template.format(group=self.group, commune=self.commune,
                               police_contact=self.police_contact,
                               report_hint=words.REPORT_HINT,
                               festival_date=self.festival_date,
                               festival_place=self.festival_place, tet_date=self.tet_date)


def commune_words(name: str) -> str:
    """"Xã Bình Yên" as a sentence says it: "xã Bình Yên" (the level in lower case)."""
    first, _, rest = name.partition(" ")
    if first.lower() in words.LEVEL_WORDS and rest:
        return f"{first.lower()} {rest}"
    return name


def next_tet(on: date) -> date:
    tet = calendar.tet(on.year)
    return tet if tet >= on else calendar.tet(on.year + 1)


async def claim(session: AsyncSession, send_id: int) -> bool:
    """Take a planned entry for sending; False when another process took it (or it went)."""
    taken = await session.execute(
        update(CampaignSend).where(CampaignSend.id == send_id,
                                   CampaignSend.status == CampaignSendStatus.PLANNED)
        .values(status=CampaignSendStatus.SENDING).returning(CampaignSend.id))
    return taken.first() is not None


async def fan_out(rt: Runtime, send_id: int, relay_channels: Sequence[str]) -> None:
    """Queue a taken entry's messages, batch by batch, from where it stopped; mark it sent at
    the end."""
    pacer = await Pacer.start(rt)
    while True:
        async with rt.transaction() as session:
            send = await session.get(CampaignSend, send_id)
            if send is None or send.status != CampaignSendStatus.SENDING:
                return
            if send.broadcast_id is None:
                record = Broadcast(label=_label(send), author_person_id=None, total_chats=0,
                                   created_at=rt.clock.now(), latest_only=True)
                session.add(record)
                await session.flush()
                send.broadcast_id = record.id
            batch = await _next_groups(session, send)
            if batch:
                await _one_batch(session, rt, send, batch, relay_channels, pacer)
                send.groups_done = batch[-1].id
            if len(batch) < BATCH_GROUPS:
                await _finish(session, rt, send)
                return


def _label(send: CampaignSend) -> str:
    return words.BROADCAST_LABEL.format(on=send.on, parts=send.parts)[:200]


async def _scope_groups(session: AsyncSession, send: CampaignSend) -> list[int] | None:
    """The villages whose groups this entry skips: for a local day sent commune-wide, those
    that set their own date (they get their own entry)."""
    day_id = send.parts.split("/", 1)[0]
    if send.village_id is not None:
        return None
    own = (await session.scalars(select(CampaignLocalDate.area_id).where(
        CampaignLocalDate.day_id == day_id, CampaignLocalDate.year == send.year,
        CampaignLocalDate.area_id.in_(select(Area.id).where(
            Area.parent_id == send.commune_id))))).all()
    return list(own) or None


async def _next_groups(session: AsyncSession, send: CampaignSend) -> list[Area]:
    scope = send.village_id or send.commune_id
    query = (select(Area).where(Area.id.in_(audience.groups_below(scope)),
                                Area.id > send.groups_done)
             .order_by(Area.id).limit(BATCH_GROUPS))
    skip = await _scope_groups(session, send)
    if skip:
        query = query.where(or_(Area.parent_id.is_(None), Area.parent_id.not_in(skip)))
    return list((await session.scalars(query)).all())


async def _places(session: AsyncSession, send: CampaignSend, batch: list[Area]
                  ) -> dict[int, Places]:
    """What fills the text for each group of the batch (two queries, whatever its size)."""
    commune = await areas.info(session, send.commune_id)
    assert commune is not None
    name = commune_words(commune.name)
    contact = words.POLICE_CONTACT.format(commune=name)
    if commune.police_phone:
        contact += words.POLICE_PHONE.format(phone=commune.police_phone)
    on = date.fromisoformat(send.on)
    tet = next_tet(on).strftime("%d/%m/%Y")
    default = (words.FESTIVAL_DATE.format(date=on.strftime("%d/%m")), words.FESTIVAL_PLACE)
    villages = {send.village_id or group.parent_id for group in batch} - {None}
    own = {row.area_id: row for row in (await session.scalars(select(CampaignLocalDate).where(
        CampaignLocalDate.area_id.in_(villages), CampaignLocalDate.year == send.year,
        CampaignLocalDate.day_id == send.parts.split("/", 1)[0]))).all()}
    found = {}
    for group in batch:
        festival_date, festival_place = default
        mine = own.get(send.village_id or group.parent_id or 0)
        if mine is not None:
            festival_date = mine.when_text or words.FESTIVAL_DATE.format(
                date=date.fromisoformat(mine.on).strftime("%d/%m"))
            festival_place = mine.place or festival_place
        found[group.id] = Places(group.name, name, contact, festival_date, festival_place, tet)
    return found


async def _one_batch(session: AsyncSession, rt: Runtime, send: CampaignSend,
                     batch: list[Area], relay_channels: Sequence[str], pacer: Pacer) -> None:
    now = rt.clock.now()
    by_id = {group.id: group for group in batch}
    ids = sorted(by_id)
    places = await _places(session, send, batch)
    messages: list[tuple[Chat, Outgoing, datetime | None]] = []
    chats = (await session.scalars(select(Chat).where(
        Chat.kind == ChatKind.GROUP, Chat.active.is_(True), Chat.area_id.in_(ids))
        .order_by(Chat.id))).all()
    broadcast_id = send.broadcast_id
    assert broadcast_id is not None

    def acknowledged(text: str) -> Outgoing:  # with its ✅; relay copies carry none
        return acknowledgements.offer(Outgoing(text), broadcast_id)

    for chat in chats:
        text = places[chat.area_id or 0].fill(send.text)
        messages.append((chat, acknowledged(text), pacer.not_before(chat.channel, send)))
    relays: list[dict[str, object]] = []
    for group_id, leader, chat in await leaders_of(session, ids, now, relay_channels):
        copy = places[group_id].fill(send.text) + words.RELAY_FOOTER.format(
            link=words.BOT_LINK.format(link=rt.settings.zalo_bot_link)
            if rt.settings.zalo_bot_link else "")
        intro = words.RELAY_INTRO.format(group=by_id[group_id].name)
        at = pacer.not_before(chat.channel, send, count=2)
        messages += [(chat, Outgoing(intro), at), (chat, Outgoing(copy), at)]
        relays.append({"send_id": send.id, "group_id": group_id, "leader_id": leader.id,
                       "created_at": now, "confirmed_at": None, "chased_at": None})
    if send.to_persons:
        for group_id, chat in await residents_of(session, ids, now):
            messages.append((chat, acknowledged(places[group_id].fill(send.text)),
                             pacer.not_before(chat.channel, send)))
    await outbox.enqueue_broadcast(session, rt, broadcast_id, messages)
    if relays:
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await session.execute(insert(CampaignRelay.__table__).on_conflict_do_nothing(
            index_elements=["send_id", "group_id"]), relays)


def _held(role: Role, now: datetime) -> list[object]:
    return [RoleGrant.role == role, RoleGrant.revoked_at.is_(None),
            or_(RoleGrant.expires_at.is_(None), RoleGrant.expires_at > now)]


async def leaders_of(session: AsyncSession, group_ids: list[int], now: datetime,
                   relay_channels: Sequence[str]) -> list[tuple[int, Person, Chat]]:
    """Each group's leader on a messenger whose bots cannot post in groups: one per group."""
    rows = (await session.execute(
        select(RoleGrant.area_id, Person, Chat).select_from(RoleGrant)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.GROUP_LEADER, now), RoleGrant.area_id.in_(group_ids),
               Chat.active.is_(True), Chat.channel.in_(list(relay_channels)))
        .order_by(RoleGrant.area_id, RoleGrant.id))).all()
    seen: set[int] = set()
    found = []
    for group_id, person, chat in rows:
        if group_id not in seen:
            seen.add(group_id)
            found.append((group_id, person, chat))
    return found


async def residents_of(session: AsyncSession, group_ids: list[int], now: datetime
                     ) -> list[tuple[int, Chat]]:
    """Residents of the groups who agreed to campaign messages in private, each once."""
    rows = (await session.execute(
        select(RoleGrant.area_id, Chat).select_from(RoleGrant)
        .join(Person, Person.id == RoleGrant.person_id)
        .join(Chat, Chat.id == Person.private_chat_id)
        .where(*_held(Role.RESIDENT, now), RoleGrant.area_id.in_(group_ids),
               Person.campaign_consent.is_(True), Chat.active.is_(True))
        .order_by(Chat.id, RoleGrant.area_id))).all()
    seen: set[int] = set()
    found = []
    for group_id, chat in rows:
        if chat.id not in seen:
            seen.add(chat.id)
            found.append((group_id, chat))
    return found


async def _finish(session: AsyncSession, rt: Runtime, send: CampaignSend) -> None:
    """Sent; reported to the commune at once if nothing is left to deliver (else the delivery
    worker reports it when the last row goes)."""
    send.status, send.done_at = CampaignSendStatus.SENT, rt.clock.now()
    record = await session.get(Broadcast, send.broadcast_id)
    if record is not None:
        await settle(session, rt, record)


async def settle(session: AsyncSession, rt: Runtime, record: Broadcast) -> None:
    """A fanned-out broadcast's total, from the chats it was queued to; reported at once when
    nothing is left to deliver (else the delivery worker reports it when the last row goes).
    Also a leader's own broadcast (`leader_broadcasts`)."""
    record.total_chats = int(await session.scalar(
        select(func.count(func.distinct(OutboxMessage.chat_id)))
        .where(OutboxMessage.broadcast_id == record.id)) or 0)
    await session.flush()
    await broadcast_reports.report_if_done(session, rt, record.id)


class Pacer:
    """When each queued message will leave at its messenger's limit, from the broadcasts
    already waiting: one that would leave in quiet hours waits until they end."""

    def __init__(self, rt: Runtime, backlog: dict[str, int]) -> None:
        self.rt = rt
        self.ahead = dict(backlog)
        start, end = rt.settings.quiet_hours
        self.rules = Rules(quiet_start=start, quiet_end=end)
        self.rates = {"telegram": rt.settings.telegram_limit_per_second,
                      "zalo": rt.settings.zalo_limit_per_second}

    @classmethod
    async def start(cls, rt: Runtime) -> Pacer:
        async with rt.db.reading() as session:
            rows = await session.execute(
                select(OutboxMessage.channel, func.count())
                .where(OutboxMessage.status == OutboxStatus.QUEUED,
                       OutboxMessage.priority == LANE_PRIORITY[Lane.BROADCAST])
                .group_by(OutboxMessage.channel))
            return cls(rt, {channel: count for channel, count in rows})

    def not_before(self, channel: str, send: CampaignSend, count: int = 1) -> datetime | None:
        rate = self.rates.get(channel, 0)
        ahead = self.ahead.get(channel, 0)
        self.ahead[channel] = ahead + count
        if rate <= 0:
            return None
        start = max(self.rt.clock.now(), send.send_at)
        leaves = (start + timedelta(seconds=ahead / rate)).astimezone(self.rt.settings.tz)
        if not self.rules.quiet(leaves.time()):
            return None
        morning = leaves.replace(hour=self.rules.quiet_end.hour,
                                 minute=self.rules.quiet_end.minute, second=0, microsecond=0)
        if morning <= leaves:
            morning += timedelta(days=1)
        return morning


async def due_now(rt: Runtime, now: datetime) -> tuple[list[int], int]:
    """The entries to send now (planned and due, or left `sending` by a stopped process), and
    how many came due too long ago to send at all (marked missed)."""
    grace = timedelta(minutes=rt.settings.missed_grace_minutes)
    async with rt.transaction() as session:
        on_time, missed = await plans.due(session, now, grace)
        resumed = (await session.scalars(select(CampaignSend.id).where(
            CampaignSend.status == CampaignSendStatus.SENDING))).all()
        return list(resumed) + on_time, missed
