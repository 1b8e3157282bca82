"""Leaders' own broadcasts (`/lich_them`, `/guingay`, `/lich_huy`): a group leader to their
group, a commune's admin or police to a village or the whole commune, now or at a time,
once or weekly, monthly or yearly.

Stored as a scheduled broadcast (`scheduled_broadcasts`) that names its area rather than its
chats: when it goes, it reaches the area the way a campaign message does (`campaigns.fanout`):
the groups' own Telegram chats, the residents who agreed to messages in private, and a relay
copy to each Zalo group leader (the author too, when they lead a group on Zalo). A repeating
one is moved to its next time once sent.

Weekly caps never block one (a scam warning cannot wait): `busiest_group` tells the author how
many messages a group already gets in those days, and they decide.
"""

from __future__ import annotations

import calendar as months
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Media, Outgoing
from bot.models import (
    Area,
    Broadcast,
    CampaignSend,
    CampaignSendStatus,
    Chat,
    ChatKind,
    Person,
    Role,
    ScheduledMessage,
    ScheduledStatus,
)
from bot.runtime import Runtime
from bot.services import (
    acknowledgements,
    areas,
    evidence,
    outbox,
    people,
    scheduled_broadcasts,
)
from bot.services.campaigns import audience, calendar, fanout
from bot.services.campaigns.job import RELAY_CHANNELS
from bot.services.campaigns.plan import Rules
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from content import broadcasts as words
from content import campaigns as campaign_words

COMMUNE_ROLES = frozenset({Role.COMMUNE_ADMIN, Role.POLICE_CHIEF, Role.POLICE_OFFICER})
AUTHORS = frozenset({Role.GROUP_LEADER, *COMMUNE_ROLES})
REPEATS = ("none", "weekly", "monthly", "yearly")
WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Scope:
    """An area the author may send to, and how it is named to them."""

    area_id: int
    name: str
    whole_commune: bool = False


async def scopes_of(session: AsyncSession, person: Person, now: datetime) -> list[Scope]:
    """What this person manages: a group leader their groups; a commune's admin or police the
    whole commune and each of its villages. Empty for anyone else."""
    found: dict[int, Scope] = {}
    for grant, area in await people.held_roles(session, person.id, now):
        if grant.role == Role.GROUP_LEADER and area.level == "group":
            found.setdefault(area.id, Scope(area.id, area.name))
        elif grant.role in COMMUNE_ROLES and area.level == "commune":
            found.setdefault(area.id, Scope(area.id, words.WHOLE_COMMUNE.format(
                name=fanout.commune_words(area.name)), whole_commune=True))
            for child in await areas.children(session, area.id):
                if child.level == "village":
                    found.setdefault(child.id, Scope(child.id, child.name))
    return list(found.values())


def check_text(text: str, with_photo: bool = False) -> str:
    """The text to send (a photo's caption), or why not (empty without a photo, or longer than
    a Zalo message holds with its footer)."""
    text = text.strip()
    if not text and not with_photo:
        raise InvalidInput(words.TEXT_EMPTY)
    if len(text) > calendar.MAX_TEXT:
        raise InvalidInput(words.TEXT_TOO_LONG.format(length=len(text), limit=calendar.MAX_TEXT))
    return text


def rules_of(rt: Runtime) -> Rules:
    start, end = rt.settings.quiet_hours
    return Rules(quiet_start=start, quiet_end=end,
                 group_per_week=rt.settings.campaign_group_per_week,
                 person_per_week=rt.settings.campaign_person_per_week)


def check_when(rt: Runtime, when: datetime, now: datetime) -> datetime:
    """`when`, or why not: already past, or in quiet hours."""
    local = when.astimezone(rt.settings.tz)
    shown = local.strftime("%H:%M %d/%m/%Y")
    if when < now:
        raise InvalidInput(words.WHEN_PAST.format(when=shown))
    rules = rules_of(rt)
    if rules.quiet(local.time()):
        raise InvalidInput(words.WHEN_QUIET.format(
            when=shown, start=rules.quiet_start.strftime("%H:%M"),
            end=rules.quiet_end.strftime("%H:%M")))
    return when


def next_time(when: datetime, repeat: str, tz: ZoneInfo) -> datetime | None:
    """The next occurrence after `when` (local wall time kept), None when it does not repeat.
    A 31st in a shorter month, or 29/02 in a common year, goes on the month's last day."""
    local = when.astimezone(tz)
    if repeat == "weekly":
        return local + timedelta(days=7)
    if repeat == "monthly":
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    elif repeat == "yearly":
        year, month = local.year + 1, local.month
    else:
        return None
    return local.replace(year=year, month=month,
                         day=min(local.day, months.monthrange(year, month)[1]))


def after(when: datetime, repeat: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The first occurrence later than `now` (a repeating broadcast whose time was missed
    while everything was down goes on at its next one); None when it does not repeat."""
    following = next_time(when, repeat, tz)
    while following is not None and following <= now:
        following = next_time(following, repeat, tz)
    return following


async def _group_tree(session: AsyncSession, area_id: int) -> dict[int, tuple[str, set[int]]]:
    """Each group below `area_id`: its name and the areas above it (itself included)."""
    ids = (await session.scalars(audience.groups_below(area_id))).all()
    found = {}
    for group in (await session.scalars(select(Area).where(Area.id.in_(ids)))).all():
        found[group.id] = (group.name, {a.id for a in await areas.ancestors(session, group)}
                           | {group.id})
    return found


async def busiest_group(session: AsyncSession, rt: Runtime, area_id: int, when: datetime
                        ) -> tuple[str, int] | None:
    """The group of the area that already gets the most campaign messages and broadcasts in a
    7-day window holding `when`, with that count, when one more would put it over its weekly
    cap; else None."""
    tree = await _group_tree(session, area_id)
    if not tree:
        return None
    start, end = when - WINDOW + timedelta(seconds=1), when + WINDOW
    sends = (await session.execute(
        select(CampaignSend.send_at, CampaignSend.commune_id, CampaignSend.village_id)
        .where(CampaignSend.status.in_([CampaignSendStatus.PLANNED, CampaignSendStatus.SENDING,
                                        CampaignSendStatus.SENT]),
               CampaignSend.send_at >= start, CampaignSend.send_at < end))).all()
    own = (await session.execute(
        select(ScheduledMessage.next_due, ScheduledMessage.area_id)
        .where(ScheduledMessage.area_id.is_not(None),
               ScheduledMessage.status.in_([ScheduledStatus.SCHEDULED, ScheduledStatus.SENT]),
               ScheduledMessage.next_due >= start, ScheduledMessage.next_due < end))).all()
    times = [(at, village or commune) for at, commune, village in sends] + list(own)
    cap = rt.settings.campaign_group_per_week
    worst: tuple[str, int] | None = None
    for name, above in tree.values():
        mine = sorted(at for at, place in times if place in above)
        busiest = max((sum(1 for at in mine if first <= at < first + WINDOW)
                       for first in [when - WINDOW + timedelta(seconds=1), *mine]
                       if first <= when < first + WINDOW), default=0)
        if busiest >= cap and (worst is None or busiest > worst[1]):
            worst = (name, busiest)
    return worst


def content_of(text: str, photo: int | None) -> Outgoing:
    """What the residents get: the text, or a photo with the text as its caption."""
    return Outgoing(text, attachments=(Media("photo", photo),) if photo is not None else ())


def label_of(text: str, photo: int | None) -> str:
    return text.split("\n", 1)[0][:60] or (words.PHOTO_LABEL if photo is not None else "")


def without_files(rt: Runtime, chat: Chat, message: Outgoing) -> Outgoing:
    """The message as a chat's messenger can take it: a text-only one (Zalo) gets the caption
    and a line saying a photo went with it elsewhere."""
    if not message.attachments or rt.parts(chat.channel).capabilities.sends_files:
        return message
    return replace(message, attachments=(), text=f"{message.text}\n\n{words.PHOTO_ELSEWHERE}"
                   .strip())


async def schedule(session: AsyncSession, rt: Runtime, author: Person, text: str, area_id: int,
                   when: datetime, repeat: str, now: datetime, photo: int | None = None
                   ) -> ScheduledMessage:
    """Store the broadcast, after checking once more what the author may do; its photo (one
    the author sent) is kept as long as the broadcast."""
    if area_id not in {scope.area_id for scope in await scopes_of(session, author, now)}:
        raise NotAllowed(words.SCOPE_NOT_YOURS)
    text = check_text(text, photo is not None)
    if when > now:
        check_when(rt, when, now)
    if photo is not None and not await evidence.keep_for_broadcast(session, photo,
                                                                  author.user_ref):
        raise InvalidInput(words.PHOTO_GONE)
    item = await scheduled_broadcasts.broadcast_later(
        session, rt, content_of(text, photo), [], author, max(when, now),
        label=label_of(text, photo))
    item.area_id, item.repeat = area_id, repeat if repeat in REPEATS else "none"
    await session.flush()
    return item


async def coming(session: AsyncSession, person: Person, now: datetime) -> list[ScheduledMessage]:
    """The coming broadcasts this person may cancel: their own, and those sent to the areas
    they manage as a commune's admin or police."""
    managed = {scope.area_id for scope in await scopes_of(session, person, now)
               if scope.whole_commune}
    below: set[int] = set()
    for commune_id in managed:
        below |= {commune_id, *[a.id for a in await areas.children(session, commune_id)]}
        below |= set((await session.scalars(audience.groups_below(commune_id))).all())
    return list((await session.scalars(
        select(ScheduledMessage)
        .where(ScheduledMessage.status == ScheduledStatus.SCHEDULED,
               ScheduledMessage.area_id.is_not(None),
               or_(ScheduledMessage.author_person_id == person.id,
                   ScheduledMessage.area_id.in_(below)))
        .order_by(ScheduledMessage.next_due).limit(20))).all())


async def cancel(session: AsyncSession, person: Person, item_id: int, now: datetime
                 ) -> ScheduledMessage:
    item = next((found for found in await coming(session, person, now) if found.id == item_id),
                None)
    if item is None:
        raise NotFound(words.CANCEL_GONE)
    item.status, item.done_at = ScheduledStatus.CANCELLED, now
    return item


async def deliver(session: AsyncSession, rt: Runtime, item: ScheduledMessage, content: Outgoing,
                  author: Person | None, now: datetime) -> int:
    """Queue the broadcast to its area now; a repeating one waits for its next time. Returns
    the broadcast's number."""
    assert item.area_id is not None
    ids = sorted((await session.scalars(audience.groups_below(item.area_id))).all())
    record = Broadcast(label=item.label, author_person_id=author.id if author else None,
                       total_chats=0, created_at=rt.clock.now())
    session.add(record)
    await session.flush()
    shown = acknowledgements.offer(content, record.id)
    messages: list[tuple[Chat, Outgoing, datetime | None]] = [
        (chat, without_files(rt, chat, shown), None) for chat in (await session.scalars(select(Chat).where(
            Chat.kind == ChatKind.GROUP, Chat.active.is_(True), Chat.area_id.in_(ids))
            .order_by(Chat.id))).all()]
    names = {area.id: area.name for area in
             (await session.scalars(select(Area).where(Area.id.in_(ids)))).all()}
    link = campaign_words.BOT_LINK.format(link=rt.settings.zalo_bot_link) \
        if rt.settings.zalo_bot_link else ""
    photo_note = f"\n\n{words.PHOTO_ELSEWHERE}" if content.attachments else ""
    copy = Outgoing((content.text + photo_note).strip()
                    + campaign_words.RELAY_FOOTER.format(link=link))
    for group_id, _leader, chat in await fanout.leaders_of(session, ids, now, RELAY_CHANNELS):
        messages += [(chat, Outgoing(words.RELAY_INTRO.format(group=names[group_id])), None),
                     (chat, copy, None)]
    messages += [(chat, without_files(rt, chat, shown), None)
                 for _group, chat in await fanout.residents_of(session, ids, now)]
    await outbox.enqueue_broadcast(session, rt, record.id, messages)
    await fanout.settle(session, rt, record)
    following = next_time(item.next_due, item.repeat, rt.settings.tz)
    item.broadcast_id = record.id
    if following is None:
        item.status, item.done_at = ScheduledStatus.SENT, now
    else:
        item.next_due = following
    return record.id
