"""A commune's campaign plan for a year: the calendar's messages on their dates, with the
commune's own choices applied, kept out of quiet hours and within the weekly caps.

Too many messages make groups mute the bot (FACTS.md): a group takes at most
`campaign_group_per_week` campaign messages in any 7 days, a person in private
`campaign_person_per_week`. When days collide the plan decides, and says what it did:
- two messages on one day become one (their texts one after the other) when that fits a
  message;
- otherwise, or when a week holds more than its cap, the lesser message moves a day or two
  (a lead-up earlier, a follow-up later; the day itself never moves), and when no day near it
  has room it is merged into a neighbour, or at last left out — except the observance day's
  own message, which goes even over the cap (the plan says so: the admin decides);
- in private, a person gets the most important messages up to their cap; the others still go
  into the groups.
A leaders' own broadcast (a scam going round) is never blocked by a cap: it counts toward the
caps of the messages planned after it, not the other way round.

Pure: plain values in and out, no database, no clock. Whatever a person reads of the plan's
decisions is in `content/campaigns.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from bot.services.campaigns.calendar import Dated
from content import campaigns as words

MERGE_SEPARATOR = "\n\n———\n\n"
SHIFT_DAYS = 3  # how far a lesser message may move to make room


@dataclass(frozen=True)
class Rules:
    """The settings a plan keeps (see `bot.config`)."""

    quiet_start: time = time(21, 0)
    quiet_end: time = time(7, 0)
    group_per_week: int = 3
    person_per_week: int = 2
    max_text: int = 1700  # Zalo's 2,000 less the footer's room

    def quiet(self, at: time) -> bool:
        if self.quiet_start > self.quiet_end:  # overnight, e.g. 21:00–07:00
            return at >= self.quiet_start or at < self.quiet_end
        return self.quiet_start <= at < self.quiet_end

    def awake(self, at: time) -> time:
        """`at`, or the end of quiet hours when it falls inside them (and the latest minute
        before they begin when moved there would be after the message's day)."""
        return self.quiet_end if self.quiet(at) else at


@dataclass(frozen=True)
class Choices:
    """What a commune decided about the calendar (`bot.services.campaigns` stores them)."""

    off: frozenset[str] = frozenset()  # day ids switched off
    on: frozenset[str] = frozenset()  # optional day ids switched on
    times: dict[tuple[str, str], time] = field(default_factory=dict)  # (day, key) → time
    texts: dict[tuple[str, str], str] = field(default_factory=dict)  # (day, key) → text


@dataclass(frozen=True)
class Entry:
    """One campaign message of the plan: on a date, at a local time, into every group (and in
    private to those who agreed, when `to_persons`). `parts` names the calendar messages it
    carries (two or more when merged)."""

    on: date
    at: time
    parts: tuple[tuple[str, str], ...]  # (day id, message key)
    names: tuple[str, ...]  # the days' names, in order
    text: str
    rank: int
    to_persons: bool = True

    @property
    def day_id(self) -> str:
        return self.parts[0][0]

    @property
    def key(self) -> str:
        return self.parts[0][1]

    def moment(self) -> datetime:
        return datetime.combine(self.on, self.at)


@dataclass(frozen=True)
class Note:
    """A decision the plan took, in words for the commune's admin (and the CLI)."""

    on: date
    text: str


@dataclass
class Plan:
    entries: list[Entry]
    notes: list[Note]


def rank(dated: Dated) -> int:
    """How much a message matters when the caps bite: the day itself most, a lead-up next,
    the rest (a month's middle, a follow-up) least."""
    offset = dated.message.offset_days
    if offset == 0:
        return 3
    return 2 if offset < 0 else 1


def plan(dated: Sequence[Dated], choices: Choices = Choices(), rules: Rules = Rules(),
         taken: Iterable[date] = ()) -> Plan:
    """The plan from the calendar's dated messages (one year), the commune's choices and the
    rules. `taken` are days already holding a message for the groups (a leader's broadcast):
    they count toward the week's cap."""
    notes: list[Note] = []
    entries: list[Entry] = []
    for item in dated:
        day = item.day
        if day.id in choices.off or (day.optional and day.id not in choices.on):
            continue
        part = (day.id, item.message.key)
        at = choices.times.get(part, item.message.time)
        if rules.quiet(at):
            notes.append(Note(item.on, words.NOTE_QUIET.format(
                name=day.name, asked=_hm(at), at=_hm(rules.quiet_end))))
            at = rules.quiet_end
        entries.append(Entry(item.on, at, (part,), (day.name,),
                             choices.texts.get(part, item.message.text), rank(item)))
    entries.sort(key=_order)
    entries = _one_a_day(entries, rules, notes)
    entries = _within_caps(entries, rules, notes, sorted(set(taken)))
    entries = _for_persons(entries, rules, notes)
    return Plan(sorted(entries, key=_order), sorted(notes, key=lambda n: n.on))


def _order(entry: Entry) -> tuple[date, time, int]:
    return entry.on, entry.at, -entry.rank


def _hm(at: time) -> str:
    return at.strftime("%H:%M")


def _names(entry: Entry) -> str:
    return words.AND.join(f"«{name}»" for name in dict.fromkeys(entry.names))


def _merge(first: Entry, second: Entry) -> Entry:
    """Two messages as one, the more important first, at the earlier time."""
    lead, other = (first, second) if first.rank >= second.rank else (second, first)
    return Entry(first.on, min(first.at, second.at), lead.parts + other.parts,
                 lead.names + other.names, lead.text + MERGE_SEPARATOR + other.text,
                 max(first.rank, second.rank), first.to_persons or second.to_persons)


def _fits(first: Entry, second: Entry, rules: Rules) -> bool:
    return len(first.text) + len(MERGE_SEPARATOR) + len(second.text) <= rules.max_text


def _one_a_day(entries: list[Entry], rules: Rules, notes: list[Note]) -> list[Entry]:
    """Two messages on one day become one when they fit one message; a day that is still
    holding two after this is sorted out by `_within_caps` (the lesser one moves)."""
    kept: list[Entry] = []
    for entry in entries:
        same = next((k for k in kept if k.on == entry.on and _fits(k, entry, rules)), None)
        if same is None:
            kept.append(entry)
            continue
        kept[kept.index(same)] = _merge(same, entry)
        notes.append(Note(entry.on, words.NOTE_MERGED.format(
            first=_names(same), second=_names(entry), on=_date(entry.on))))
    return kept


def _window(days: Sequence[date], on: date) -> int:
    """The most of `days` that fall in any 7 consecutive days containing `on`."""
    return max(sum(1 for d in days if start <= d < start + timedelta(days=7))
               for start in (on - timedelta(days=back) for back in range(7)))


def _move(entry: Entry, kept: Sequence[Entry], rules: Rules, taken: Sequence[date]
          ) -> Entry | None:
    """The nearest day within `SHIFT_DAYS` where the entry breaks no cap and finds no other
    message: a lead-up (and a month's middle) looks earlier first, a follow-up later; the day
    itself never moves."""
    if entry.rank == 3:
        return None
    steps = [-d for d in range(1, SHIFT_DAYS + 1)] + list(range(1, SHIFT_DAYS + 1))
    if entry.rank == 1 and entry.parts and _is_follow_up(entry):
        steps = list(range(1, SHIFT_DAYS + 1)) + [-d for d in range(1, SHIFT_DAYS + 1)]
    for step in steps:
        on = entry.on + timedelta(days=step)
        if on.year != entry.on.year or any(k.on == on for k in kept) or on in taken:
            continue
        if _window([*(k.on for k in kept), *taken, on], on) <= rules.group_per_week:
            return replace(entry, on=on)
    return None


def _is_follow_up(entry: Entry) -> bool:
    return entry.key.startswith(("follow", "closing", "after"))


def _within_caps(entries: list[Entry], rules: Rules, notes: list[Note],
                 taken: Sequence[date]) -> list[Entry]:
    """One message a day, and no 7 days holding more than the group cap (counting `taken`
    days): the more important messages keep their day; a lesser one in a crowded week (or on
    a day already taken) moves, else joins a neighbour, else is left out."""
    kept: list[Entry] = []
    for entry in sorted(entries, key=lambda e: (-e.rank, e.on, e.at)):
        occupied = any(k.on == entry.on for k in kept) or entry.on in taken
        crowded = occupied or _window([*(k.on for k in kept), *taken, entry.on], entry.on) \
            > rules.group_per_week
        if not crowded:
            kept.append(entry)
            continue
        moved = _move(entry, kept, rules, taken)
        if moved is not None:
            notes.append(Note(entry.on, words.NOTE_MOVED.format(
                name=_names(entry), old=_date(entry.on), new=_date(moved.on),
                cap=rules.group_per_week)))
            kept.append(moved)
            continue
        near = sorted((k for k in kept if abs((k.on - entry.on).days) < 7
                       and _fits(k, entry, rules)),
                      key=lambda k: abs((k.on - entry.on).days))
        if near:
            host = near[0]
            kept[kept.index(host)] = _merge(host, replace(entry, on=host.on))
            notes.append(Note(entry.on, words.NOTE_JOINED.format(
                name=_names(entry), old=_date(entry.on), host=_names(host),
                new=_date(host.on), cap=rules.group_per_week)))
            continue
        if entry.rank == 3 and entry.on not in {k.on for k in kept}:
            # the observance day itself is what the campaign is for: it goes, and says so
            kept.append(entry)
            notes.append(Note(entry.on, words.NOTE_DAY_OVER_CAP.format(
                name=_names(entry), on=_date(entry.on), cap=rules.group_per_week)))
            continue
        notes.append(Note(entry.on, words.NOTE_OVER_CAP.format(
            name=_names(entry), on=_date(entry.on), cap=rules.group_per_week)))
    return sorted(kept, key=_order)


def _for_persons(entries: list[Entry], rules: Rules, notes: list[Note]) -> list[Entry]:
    """In private, the most important messages up to the person's cap in any 7 days; the
    rest go into the groups only."""
    chosen: list[Entry] = []
    result: list[Entry] = []
    for entry in sorted(entries, key=lambda e: (-e.rank, e.on, e.at)):
        if _window([*(c.on for c in chosen), entry.on], entry.on) <= rules.person_per_week:
            chosen.append(entry)
            result.append(entry)
        else:
            result.append(replace(entry, to_persons=False))
            notes.append(Note(entry.on, words.NOTE_GROUPS_ONLY.format(
                name=_names(entry), on=_date(entry.on), cap=rules.person_per_week)))
    return result


def _date(on: date) -> str:
    return on.strftime("%d/%m/%Y")


# ---- how long a day's messages take to deliver ----------------------------------------------

@dataclass(frozen=True)
class Load:
    """A day's deliveries on one messenger and its overall limit (messages a second)."""

    channel: str
    messages: int
    per_second: float


@dataclass(frozen=True)
class Capacity:
    """When a day's messages can start and end at the messengers' limits, and what the plan
    does when they would run into quiet hours."""

    on: date
    start: time
    hours: float
    ends_in_quiet: bool
    start_earlier: time | None  # the start that ends before quiet hours, if one exists
    two_days: bool  # not even from the end of quiet hours: the rest goes the next morning
    warning: str | None


def capacity(on: date, at: time, loads: Sequence[Load], rules: Rules = Rules()) -> Capacity:
    """The slowest messenger decides: its messages at its limit take `hours`. Ending in quiet
    hours, the plan starts earlier (no earlier than the end of quiet hours); when even that is
    not enough, it spreads the day over two mornings — and says so."""
    hours = max((load.messages / load.per_second / 3600 for load in loads
                 if load.per_second > 0 and load.messages), default=0.0)
    start = datetime.combine(on, at)
    quiet = datetime.combine(on, rules.quiet_start)
    if quiet <= start:
        quiet += timedelta(days=1)
    if start + timedelta(hours=hours) <= quiet:
        return Capacity(on, at, hours, False, None, False, None)
    earliest = datetime.combine(on, rules.quiet_end)
    latest_start = quiet - timedelta(hours=hours)
    slowest = max(loads, key=lambda load: load.messages / load.per_second
                  if load.per_second > 0 else 0)
    detail = dict(on=_date(on), count=f"{slowest.messages:,}".replace(",", "."),
                  channel=words.CHANNEL_NAMES.get(slowest.channel, slowest.channel),
                  rate=f"{slowest.per_second:g}".replace(".", ","), took=_duration(hours),
                  at=_hm(at), quiet=_hm(rules.quiet_start))
    if latest_start >= earliest:
        earlier = latest_start.time().replace(second=0, microsecond=0)
        return Capacity(on, at, hours, True, earlier, False, words.CAPACITY_EARLIER.format(
            new=_hm(earlier), **detail))
    return Capacity(on, at, hours, True, None, True, words.CAPACITY_TWO_DAYS.format(
        start=_hm(rules.quiet_end), **detail))


def _duration(hours: float) -> str:
    minutes = round(hours * 60)
    whole, rest = divmod(minutes, 60)
    if not whole:
        return words.DURATION_MINUTES.format(minutes=rest)
    if not rest:
        return words.DURATION_HOURS.format(hours=whole)
    return words.DURATION_BOTH.format(hours=whole, minutes=rest)
