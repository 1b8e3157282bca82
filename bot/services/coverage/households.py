"""A group's households: imported from its leader's roster, registered to by residents with a
short code, and the figures a leader enters where the bot cannot count.

- Roster (`import_roster`, `import_upload`): the file is read by `roster.parse` (whole or not
  at all), then applied to one group: new codes are added (`added_on` today), known codes
  updated in place (same id, so links and reach history stay), codes missing from the file
  marked `left_on` today (never deleted: past periods keep counting them), a code back in
  the file brought back. A household added today and gone again by the next file the same
  day, with nothing pointing at it yet, was a mistake of the day and is removed outright.
  The group's coverage tallies are recounted (`reach.retally`).
  Each household gets a random registration code (`reg_code`) and a label that does not
  name anyone («Hộ H001»); the head's name, the address and the phone are encrypted.
- Registration (`register`): a member types the code their leader gave them; they are linked
  (`Person.household_id`), what they acknowledged before counts for the household
  (`reach.replay`), and `Household.linked` is recounted. Wrong codes are guesses, counted by
  `guards` like status lookups; someone in another group cannot take a household's code.
- The leader (`listing`, `links`, `unlink`): only a group's own leader sees its households,
  their codes and who registered, and may undo a wrong registration (the reach it brought is
  withdrawn for days nobody else in the household acknowledged).
- Figures (`set_households`, `set_connected`): the number of households of a group without a
  roster, and how many households are in the group's chat; shown as entered by the leader.

Never logs a name, an address or a phone; never keeps the uploaded file once read.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.crypto import CROCKFORD, normalize_code
from bot.messages import Outgoing
from bot.models import (
    Acknowledgement,
    ActivityHousehold,
    Area,
    Chat,
    GroupFigures,
    Household,
    HouseholdReach,
    Person,
    ReachSource,
    Role,
)
from bot.runtime import Runtime
from bot.services import evidence, guards, outbox, people
from bot.services.coverage import reach
from bot.services.coverage.roster import RosterRow, parse
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.text import fold, thousands
from content import groups as group_words
from content import households as words

GROUP_LEVEL = "group"
REG_CODE_LENGTH = 6
# Crockford's letters and digits without 0 and 1, so no code holds a character that looks like
# another (O, I, L are not in it either; `normalize_code` reads what is typed): 30**6 codes
PROGRESS_EVERY = 200
HEAD_CONTEXT = "household.head"
ADDRESS_CONTEXT = "household.address"
PHONE_CONTEXT = "household.phone"
GUARD_KIND = "household-code"
MEMBER_ROLES = frozenset({Role.RESIDENT, Role.GROUP_LEADER})
SPREADSHEET_ENDINGS = (".csv", ".xlsx", ".xlsm", ".xls", ".ods", ".tsv")
SPREADSHEET_TYPES = ("text/csv", "text/tab-separated-values", "application/vnd.ms-excel",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     "application/vnd.oasis.opendocument.spreadsheet")
REG_ALPHABET = CROCKFORD.replace("0", "").replace("1", "")
_DIGITS = re.compile(r"(\d+)")

Progress = Callable[[int, int], None]


def local_today(rt: Runtime) -> date:
    return rt.clock.now().astimezone(rt.settings.tz).date()


# ---- the group a leader leads -----------------------------------------------------------------

async def led_groups(session: AsyncSession, person: Person, now: datetime) -> list[Area]:
    """The groups this person leads, in the order the roles were granted."""
    return [area for grant, area in await people.held_roles(session, person.id, now)
            if Role(grant.role) is Role.GROUP_LEADER]


async def led_group(session: AsyncSession, person: Person, now: datetime, asked: str = ""
                    ) -> Area:
    """The group a leader means: the one `asked` names (its code or name) among those they
    lead, or their first. `NotAllowed` for someone who leads none; `InvalidInput` for a group
    they do not lead (nobody sees another group's households)."""
    led = await led_groups(session, person, now)
    if not led:
        raise NotAllowed(group_words.NOT_LEADER)
    wanted = fold(asked)
    if not wanted:
        return led[0]
    for area in led:
        if wanted in (fold(area.code), fold(area.name)):
            return area
    raise InvalidInput(words.LIST_OTHER_GROUP.format(group=", ".join(a.name for a in led)))


# ---- importing a roster -----------------------------------------------------------------------

@dataclass(frozen=True)
class Imported:
    """What an import did; `total` is the group's households in the roster now."""

    group: Area
    total: int
    added: int
    updated: int
    unchanged: int
    left: int
    returned: int


def summary(imported: Imported) -> list[str]:
    """What an import did, in lines for the leader (or the CLI): only the counts that are
    not zero."""
    lines = [words.IMPORTED.format(group=imported.group.name, total=thousands(imported.total))]
    for count, line in ((imported.added, words.IMPORTED_ADDED),
                        (imported.updated, words.IMPORTED_UPDATED),
                        (imported.returned, words.IMPORTED_RETURNED),
                        (imported.left, words.IMPORTED_LEFT),
                        (imported.unchanged, words.IMPORTED_SAME)):
        if count:
            lines.append(line.format(count=thousands(count)))
    return lines


def looks_like_roster(file_name: str | None, mime_type: str | None) -> bool:
    """Whether a file sent with nothing under way is most likely a roster (by its name or
    type; what it really is, `roster.parse` finds out)."""
    name = (file_name or "").lower()
    return name.endswith(SPREADSHEET_ENDINGS) or (mime_type or "") in SPREADSHEET_TYPES


async def import_upload(session: AsyncSession, rt: Runtime, leader: Person, evidence_id: int,
                        group_id: int | None = None) -> Imported:
    """A roster a leader sent in chat (fetched by the messenger's channel and kept as an
    evidence row until now): read it, delete it, and import it into their group
    (`group_id`, one they lead, or their first)."""
    led = await led_groups(session, leader, rt.clock.now())
    chosen = [area for area in led if group_id is None or area.id == group_id]
    if not chosen:  # no longer their group (a role revoked since they started)
        raise NotAllowed(group_words.NOT_LEADER)
    group = chosen[0]
    sent = await evidence.take(session, rt, evidence_id, leader.user_ref)
    if sent is None:
        raise InvalidInput(words.ROSTER_FETCH_FAILED)
    return await import_roster(session, rt, group, parse(sent.data))


async def discard_upload(session: AsyncSession, rt: Runtime, person: Person,
                         evidence_id: int | None) -> None:
    """A file sent where a roster was expected that is none (a photo): not kept."""
    if evidence_id is not None:
        await evidence.take(session, rt, evidence_id, person.user_ref)


async def import_roster(session: AsyncSession, rt: Runtime, group: Area, rows: list[RosterRow],
                        *, progress: Progress | None = None) -> Imported:
    """Apply a checked roster to one group (see the module's docstring)."""
    if group.level != GROUP_LEVEL:
        raise InvalidInput(words.NOT_A_GROUP.format(area=group.name))
    now, today = rt.clock.now(), local_today(rt)
    existing = list((await session.scalars(
        select(Household).where(Household.area_id == group.id))).all())
    by_code = {household.code: household for household in existing if household.code}
    kept: set[int] = set()
    added: list[Household] = []
    updated = unchanged = returned = 0
    for done, row in enumerate(rows, start=1):
        household = by_code.get(row.code)
        if household is None:
            added.append(Household(
                area_id=group.id, label=words.LABEL.format(code=row.code), code=row.code,
                head_enc=rt.seal(row.head, HEAD_CONTEXT),
                address_enc=rt.seal(row.address, ADDRESS_CONTEXT) if row.address else None,
                phone_enc=rt.seal(row.phone, PHONE_CONTEXT) if row.phone else None,
                members=row.members, added_on=today, created_at=now))
        else:
            kept.add(household.id)
            changed = _update(rt, household, row)
            if household.left_on is not None:
                household.left_on, changed = None, True
                returned += 1
            elif changed:
                updated += 1
            else:
                unchanged += 1
            if changed:
                household.updated_at = now
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(rows)):
            progress(done, len(rows))
    leaving = [h for h in existing if h.id not in kept and h.left_on is None]
    mistaken = await _unused(session, [h.id for h in leaving if h.added_on == today])
    for household in leaving:
        if household.id in mistaken:
            await session.delete(household)
        else:
            household.left_on, household.updated_at = today, now
    session.add_all(added)
    await session.flush()
    await _give_codes(session, added + [h for h in existing if h.id in kept])
    await reach.retally(session, rt.settings, today, [group.id])
    return Imported(group, total=len(rows), added=len(added), updated=updated,
                    unchanged=unchanged, left=len(leaving), returned=returned)


def _update(rt: Runtime, household: Household, row: RosterRow) -> bool:
    """Write what the row changes; True if anything did."""
    changed = False
    for column, context, value in (("head_enc", HEAD_CONTEXT, row.head),
                                   ("address_enc", ADDRESS_CONTEXT, row.address),
                                   ("phone_enc", PHONE_CONTEXT, row.phone)):
        blob = getattr(household, column)
        before = rt.open(blob, context) if blob is not None else None
        if (before or None) != (value or None):
            setattr(household, column, rt.seal(value, context) if value else None)
            changed = True
    if household.members != row.members:
        household.members, changed = row.members, True
    return changed


async def _unused(session: AsyncSession, household_ids: list[int]) -> set[int]:
    """Of these households, those nothing points at yet: no member linked, no reach, no
    activity."""
    if not household_ids:
        return set()
    used: set[int] = set()
    for column in (Person.household_id, HouseholdReach.household_id,
                   ActivityHousehold.household_id):
        used.update((await session.scalars(
            select(column).where(column.in_(household_ids)).distinct())).all())
    return set(household_ids) - used


def _draw() -> str:
    return "".join(secrets.choice(REG_ALPHABET) for _ in range(REG_CODE_LENGTH))


async def _give_codes(session: AsyncSession, households: Iterable[Household]) -> None:
    """A registration code for each household without one: random, unique (drawn again on
    the rare collision with a code already given)."""
    wanting = [household for household in households if household.reg_code is None]
    while wanting:
        drawn: dict[str, Household] = {}
        for household in wanting:
            code = _draw()
            while code in drawn:
                code = _draw()
            drawn[code] = household
        taken = set((await session.scalars(
            select(Household.reg_code).where(Household.reg_code.in_(list(drawn))))).all())
        for code, household in drawn.items():
            if code not in taken:
                household.reg_code = code
        wanting = [household for household in wanting if household.reg_code is None]
    await session.flush()


# ---- the leader's numbered list ---------------------------------------------------------------

def natural_key(household: Household) -> tuple[object, ...]:
    """The order every numbered list of a group's households follows: by roster code as
    people count (H2 before H10), households without a code after, then as added."""
    code = household.code
    if code is None:
        return (1, (), household.id)
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                  for part in _DIGITS.split(code) if part)
    return (0, parts, household.id)


async def present(session: AsyncSession, group_id: int) -> list[Household]:
    """The group's households today (not left), in the numbered lists' order."""
    found = (await session.scalars(select(Household).where(
        Household.area_id == group_id, Household.left_on.is_(None)))).all()
    return sorted(found, key=natural_key)


@dataclass(frozen=True)
class Listed:
    number: int
    label: str
    head: str | None
    reg_code: str
    linked: int  # members registered to it


@dataclass(frozen=True)
class Listing:
    group: Area
    households: list[Listed]

    @property
    def linked(self) -> int:
        return sum(1 for item in self.households if item.linked)


async def listing(session: AsyncSession, rt: Runtime, leader: Person, asked: str = ""
                  ) -> Listing:
    """The leader's own group's households, numbered, with their codes (given now to those
    still without one) and how many members registered to each."""
    group = await led_group(session, leader, rt.clock.now(), asked)
    households = await present(session, group.id)
    await _give_codes(session, households)
    linked = dict((await session.execute(
        select(Person.household_id, func.count()).join(
            Household, Household.id == Person.household_id)
        .where(Household.area_id == group.id).group_by(Person.household_id))).all())
    return Listing(group, [
        Listed(number, household.label,
               rt.open(household.head_enc, HEAD_CONTEXT) if household.head_enc else None,
               household.reg_code or "", int(linked.get(household.id, 0)))
        for number, household in enumerate(households, start=1)])


# ---- registering ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Registered:
    household: Household
    group: Area
    moved_from: str | None  # the label of the household they were registered to before
    already: bool  # registered to this one already: nothing changed
    replayed: int  # acknowledgements made before that now count for the household


def _guard(rt: Runtime, person: Person) -> tuple[str, guards.Window]:
    settings = rt.settings
    return (guards.guard_key(rt, GUARD_KIND, str(person.id)),
            guards.Window(settings.lookup_failures_per_account, timedelta(hours=1),
                          timedelta(minutes=settings.lookup_lockout_minutes)))


async def register(session: AsyncSession, rt: Runtime, person: Person, typed: str
                   ) -> Registered:
    """Link `person` to the household whose code they typed (any case, spaces, O for 0).

    Every try is counted before it is judged and a right one given back, so at most
    `lookup_failures_per_account` wrong codes an hour, then a lock-out of
    `lookup_lockout_minutes` (the limits of a status lookup). A code of a household in a group
    they are not in (when they are in one) counts as wrong: the code does not belong to them.
    A household that has left the roster cannot be registered to."""
    now = rt.clock.now()
    key, window = _guard(rt, person)
    if not await guards.take(session, key, window, now):
        raise InvalidInput(words.REG_LOCKED.format(
            minutes=int(rt.settings.lookup_lockout_minutes)))
    code = normalize_code(typed)
    household = await session.scalar(select(Household).where(Household.reg_code == code)) \
        if len(code) == REG_CODE_LENGTH else None
    if household is None:
        raise NotFound(words.REG_BAD)
    mine = await _member_groups(session, person, now)
    if mine and household.area_id not in {area.id for area in mine}:
        raise InvalidInput(words.REG_OTHER_GROUP.format(
            groups=", ".join(area.name for area in mine)))
    await guards.give_back(session, key, window)
    if household.left_on is not None:
        raise InvalidInput(words.REG_LEFT)
    group = await session.get(Area, household.area_id)
    assert group is not None
    if person.household_id == household.id:
        return Registered(household, group, None, already=True, replayed=0)
    before = await session.get(Household, person.household_id) \
        if person.household_id is not None else None
    person.household_id = household.id
    await session.flush()
    replayed = await reach.replay(session, rt.settings, person.id, household)
    await reach.count_linked(session, rt.settings, local_today(rt),
                             [household.id] + ([before.id] if before else []))
    return Registered(household, group, before.label if before else None, already=False,
                      replayed=replayed)


async def _member_groups(session: AsyncSession, person: Person, now: datetime) -> list[Area]:
    """The groups a person belongs to by a role (joined with a code, or leading it)."""
    return [area for grant, area in await people.held_roles(session, person.id, now)
            if Role(grant.role) in MEMBER_ROLES and area.level == GROUP_LEVEL]


# ---- who registered, and undoing it -----------------------------------------------------------

@dataclass(frozen=True)
class Link:
    number: int
    person_id: int
    name: str
    label: str


async def links(session: AsyncSession, rt: Runtime, leader: Person) -> tuple[Area, list[Link]]:
    """Who registered to the leader's own group's households, numbered (by household, then
    as they registered)."""
    group = await led_group(session, leader, rt.clock.now())
    rows = (await session.execute(
        select(Person, Household).join(Household, Household.id == Person.household_id)
        .where(Household.area_id == group.id))).all()
    ordered = sorted(rows, key=lambda row: (natural_key(row[1]), row[0].id))
    return group, [Link(number, person.id, people.display_name(rt, person), household.label)
                   for number, (person, household) in enumerate(ordered, start=1)]


@dataclass(frozen=True)
class Unlinked:
    name: str
    label: str


async def unlink(session: AsyncSession, rt: Runtime, leader: Person, number: int | None
                 ) -> Unlinked:
    """Undo the `number`th registration of `links` (from 1; None: not a number): the member
    is no longer linked and told so, and the reach their acknowledgements brought the
    household is withdrawn where nobody else in it acknowledged on the same day."""
    group, found = await links(session, rt, leader)
    if number is None or not 1 <= number <= len(found):
        raise InvalidInput(words.UNLINK_BAD)
    link = found[number - 1]
    person = await session.get(Person, link.person_id)
    assert person is not None and person.household_id is not None
    household = await session.get(Household, person.household_id)
    assert household is not None
    person.household_id = None
    await session.flush()
    await _withdraw(session, rt, person.id, household)
    await reach.count_linked(session, rt.settings, local_today(rt), [household.id])
    chat = await session.get(Chat, person.private_chat_id) if person.private_chat_id else None
    if chat is not None and chat.active:
        await outbox.enqueue(session, rt, chat, Outgoing(words.UNLINKED_TOLD.format(
            label=household.label, group=group.name)))
    return Unlinked(link.name, household.label)


async def _withdraw(session: AsyncSession, rt: Runtime, person_id: int,
                    household: Household) -> None:
    """Take back the days a wrongly linked person's acknowledgements made the household
    reached, unless another member acknowledged on the same day; then the periods."""
    settings = rt.settings
    theirs = {reach.local_day(settings, at) for at in (await session.scalars(
        select(Acknowledgement.at).where(Acknowledgement.person_id == person_id))).all()}
    if not theirs:
        return
    others = {reach.local_day(settings, at) for at in (await session.scalars(
        select(Acknowledgement.at).join(Person, Person.id == Acknowledgement.person_id)
        .where(Person.household_id == household.id))).all()}
    gone = sorted(theirs - others)
    if not gone:
        return
    await session.execute(delete(HouseholdReach).where(
        HouseholdReach.household_id == household.id, HouseholdReach.source == ReachSource.ACK,
        HouseholdReach.on.in_(gone)))
    await reach.refresh(session, settings, [household.id])


# ---- what a leader enters ----------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """A group's household figures: its roster (households present now; 0 without one) and
    what its leader entered, with when."""

    group: Area
    roster: int
    households: int | None
    households_at: datetime | None
    connected: int | None
    connected_at: datetime | None

    @property
    def counted(self) -> int | None:
        """The group's number of households as coverage takes it: the roster, else the
        leader's figure."""
        return self.roster or self.households


async def figures(session: AsyncSession, rt: Runtime, leader: Person) -> Figures:
    group = await led_group(session, leader, rt.clock.now())
    return await _figures_of(session, group)


async def _figures_of(session: AsyncSession, group: Area) -> Figures:
    roster = int(await session.scalar(select(func.count()).select_from(Household).where(
        Household.area_id == group.id, Household.left_on.is_(None))) or 0)
    entered = await session.get(GroupFigures, group.id, populate_existing=True)
    if entered is None:
        return Figures(group, roster, None, None, None, None)
    return Figures(group, roster, entered.households, entered.households_set_at,
                   entered.connected, entered.connected_set_at)


async def _entered(session: AsyncSession, group: Area) -> GroupFigures:
    row = await session.get(GroupFigures, group.id)
    if row is None:
        row = GroupFigures(area_id=group.id)
        session.add(row)
    return row


async def set_households(session: AsyncSession, rt: Runtime, leader: Person, count: int
                         ) -> Figures:
    """The leader's number of households, for a group without a roster (with one, the roster
    is what counts: refused, and the leader told to send it again instead)."""
    now = rt.clock.now()
    group = await led_group(session, leader, now)
    current = await _figures_of(session, group)
    if current.roster:
        raise InvalidInput(words.COUNT_HAS_ROSTER.format(group=group.name,
                                                         count=current.roster))
    row = await _entered(session, group)
    row.households, row.households_set_by, row.households_set_at = count, leader.id, now
    await session.flush()
    return await _figures_of(session, group)


async def set_connected(session: AsyncSession, rt: Runtime, leader: Person, count: int
                        ) -> Figures:
    """How many households have a member in the group's chat, as the leader counts them (no
    messenger lets a bot list a group's members); never more than the group's households."""
    now = rt.clock.now()
    group = await led_group(session, leader, now)
    current = await _figures_of(session, group)
    if current.counted is not None and count > current.counted:
        raise InvalidInput(words.CONNECTED_TOO_MANY.format(
            group=group.name, households=current.counted, count=count))
    row = await _entered(session, group)
    row.connected, row.connected_set_by, row.connected_set_at = count, leader.id, now
    await session.flush()
    return await _figures_of(session, group)
