"""What people are told about tips: officers' cards (kept up to date), the police team group's
bare card, notices to the reporter, relayed questions and answers, evidence on request.

Privacy rules live here: a card never names the reporter (only a phone number they chose to
leave); a group only ever gets the bare card (internal reference, category, deadline — never
the receipt code); the reporter never learns which officer acted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import split_text
from bot.clock import format_local
from bot.messages import Choice, Media, Outgoing
from bot.models import (
    Chat,
    IdentityMode,
    OutboxMessage,
    OutboxStatus,
    Person,
    Tip,
    TipCard,
    TipEvent,
    TipStatus,
)
from bot.runtime import Runtime
from bot.services import areas, evidence, evidence_links, outbox, people
from bot.services.tips import access, events, lifecycle, sealed, team
from bot.text import clean, inline, quote, shorten
from content import tips as words

CARD_TOKEN = "t"
# the mailbox holders' private chats and the commune's police team groups, in one query
CARD_CHATS = select(Chat).where(
    Chat.active.is_(True), or_(Chat.id.in_(bindparam("ids", expanding=True)), team.TEAM_GROUP))
ANSWER_TOKEN = "r"


# Room kept in a card for the lines that change — status and assignee, evidence, deadline — and,
# on text-only messengers, the commands that stand for buttons (see `card_messages`); the
# longest of them together stay under it (tests/services/test_cards.py).
CHANGE_ROOM = 1_200
# room for the header of a story's later messages ("📥 Tin báo #12345 (tiếp, 2/3)")
STORY_HEAD_ROOM = 80
NAME_ROOM = 80  # an officer's name as a card shows it
BODY_ROOM = 200  # the investigation body a tip went to


def reporter_words(text: str) -> str:
    """What a resident wrote, cleaned and set apart between marked lines, every line behind a
    quote bar: nothing in it can pass for a line of the message around it."""
    return words.REPORTER_WORDS.format(words=quote(text))


def _typed(text: str) -> str:
    """A resident's short answer on one line, in quotes."""
    return words.TYPED.format(text=inline(text))


async def _place(session: AsyncSession, tip: Tip, content: sealed.Content | None) -> str:
    name = ""
    if tip.incident_area_id is not None:
        name = await areas.place_name(session, tip.incident_area_id)
    if content and content.place_text and not name:
        return _typed(content.place_text)
    return name or words.PLACE_UNKNOWN


async def _story(session: AsyncSession, rt: Runtime, tip: Tip, head: str) -> str:
    """The tip as it came in: never changes while the tip stays in its commune."""
    content = sealed.open_content(rt, tip)
    location = ""
    if content and content.location:
        lat, lon = content.location
        location += words.CARD_LOCATION.format(lat=lat, lon=lon)
    if content and content.address:
        location += words.CARD_ADDRESS.format(address=inline(content.address))
    when = "—"
    if content:
        chosen = content.when in words.WHEN_CHOICES.values()
        when = content.when if chosen else _typed(content.when)
    identity = words.IDENTITY_FOR_OFFICER[tip.identity_mode]
    if tip.identity_mode == IdentityMode.PHONE:
        phone = await access.reporter_phone(session, rt, tip)
        identity += f": {phone}" if phone else ""
    facts = words.CARD_FACTS.format(
        place=await _place(session, tip, content), location=location, when=when,
        identity=identity, created=format_local(tip.created_at, rt.settings.tz))
    told = (reporter_words(content.description) if content
            else words.REPORTER_WORDS_DELETED)
    return f"{head}\n{facts}\n\n{told}"


async def _state(session: AsyncSession, rt: Runtime, tip: Tip, files: int) -> str:
    """Where the tip stands: changes with every action, stays within `CHANGE_ROOM`."""
    assignee = ""
    if tip.assigned_officer_id:
        officer = await session.get(Person, tip.assigned_officer_id)
        if officer is not None:
            name = shorten(inline(people.display_name(rt, officer)), NAME_ROOM)
            assignee = words.ASSIGNEE.format(name=name)
    status = words.STATUS_FOR_OFFICER[tip.status]
    if tip.status == TipStatus.CLOSED and tip.outcome:
        status += f" ({words.OUTCOMES[tip.outcome]})"
    elif tip.status == TipStatus.FORWARDED and tip.forwarded_to:
        status += f" — {shorten(inline(tip.forwarded_to), BODY_ROOM)}"
    deadline = ""
    dl = lifecycle.deadline_for(tip, rt.settings, remote=await lifecycle.is_remote(session, tip))
    if dl is not None:
        deadline = words.CARD_DEADLINE.format(
            what=words.DEADLINE_WHAT[dl.what], when=format_local(dl.at, rt.settings.tz),
            overdue=words.CARD_OVERDUE if tip.overdue else "")
    if tip.routed_to_fallback:
        deadline += words.CARD_FALLBACK.format(
            reason=words.FALLBACK_REASONS.get(tip.fallback_reason or "", ""))
    return words.CARD_STATE.format(
        status=status, assignee=assignee, deadline=deadline,
        evidence=words.EVIDENCE_COUNT.format(count=files) if files else words.NO_EVIDENCE,
    ).rstrip()


def bare_text(rt: Runtime, tip: Tip) -> str:
    dl = lifecycle.deadline_for(tip, rt.settings, remote=False)
    what = words.DEADLINE_WHAT[dl.what] if dl else "—"
    when = format_local(tip.deadline_at, rt.settings.tz) if tip.deadline_at else "—"
    return words.BARE_CARD.format(ref=tip.id, category=words.CATEGORIES.get(tip.category, ""),
                                  what=what, when=when)


def _actions(tip: Tip, files: int) -> list[str]:
    actions = lifecycle.open_actions(tip)
    if "evidence" in actions and not files:
        actions.remove("evidence")
    return actions


@dataclass
class CardParts:
    """What every officer's card of one tip shares, worked out once: the `story` (what came
    in) and the `state` (where the tip stands)."""

    head: str
    story: str
    state: str
    actions: list[str]
    files: int


async def card_parts(session: AsyncSession, rt: Runtime, tip: Tip, files: int | None = None
                     ) -> CardParts:
    if files is None:
        files = await evidence.count_of_tip(session, tip.id)
    head = words.CARD_HEAD.format(ref=tip.id,
                                  category=words.CATEGORIES.get(tip.category, tip.category))
    if tip.urgent:
        head = words.CARD_URGENT + head
    return CardParts(head, await _story(session, rt, tip, head),
                     await _state(session, rt, tip, files), _actions(tip, files), files)


@dataclass(frozen=True)
class Card:
    """An officer's card as the messages it takes. `story` holds the tip as it came in when
    that is too long to share one message with the rest (sent once, before the card, never
    edited); `card` is the message with the state and the buttons, the one kept up to date."""

    story: tuple[Outgoing, ...]
    card: Outgoing


async def card_messages(session: AsyncSession, rt: Runtime, tip: Tip, chat: Chat,
                        parts: CardParts | None = None) -> Card:
    """The full card for one officer's chat: buttons where the messenger has them, otherwise
    the short commands that do the same (and a one-time evidence link).

    One message when the story and `CHANGE_ROOM` fit the messenger's limit; otherwise the
    story first, in as many messages as it needs, then the card, pointing up to it. The choice
    rests on the story alone, which does not change, so every later edit of the card fits one
    message just as the first card did, and the buttons always come last."""
    parts = parts or await card_parts(session, rt, tip)
    channel = rt.parts(chat.channel)
    limit = channel.capabilities.max_text
    story: list[Outgoing] = []
    if len(parts.story) + 2 + CHANGE_ROOM <= limit:
        text = f"{parts.story}\n\n{parts.state}"
    else:
        pieces = split_text(parts.story, limit - STORY_HEAD_ROOM)
        story = [Outgoing(pieces[0])] + [
            Outgoing(words.CARD_STORY_NEXT.format(ref=tip.id, index=index, total=len(pieces))
                     + "\n" + piece)
            for index, piece in enumerate(pieces[1:], start=2)]
        above = words.CARD_STORY_ABOVE.format(count=len(pieces), ref=tip.id)
        text = f"{parts.head}\n{parts.state}\n{above}"
    if not parts.actions:
        return Card(tuple(story), Outgoing(text))
    if channel.capabilities.buttons:
        choices = tuple(Choice(f"{tip.id}.{a}", words.ACTIONS[a]) for a in parts.actions)
        return Card(tuple(story), Outgoing(text, choices, token=CARD_TOKEN, columns=2))
    commands = ", ".join(words.ACTION_COMMANDS[a][0] for a in parts.actions)
    hint = words.TEXT_ACTIONS_HINT.format(commands=commands, ref=tip.id)
    viewer = await session.scalar(select(Person).where(Person.private_chat_id == chat.id))
    if parts.files and viewer is not None:
        hint = await evidence_note(session, rt, tip, viewer, parts.files) + "\n\n" + hint
    return Card(tuple(story), Outgoing(text + "\n\n" + hint))


async def _private_chat(session: AsyncSession, person: Person) -> Chat | None:
    if person.private_chat_id is None:
        return None
    chat = await session.get(Chat, person.private_chat_id)
    return chat if chat is not None and chat.active else None


async def send_new(session: AsyncSession, rt: Runtime, tip: Tip, *,
                   mailbox: list[Person] | None = None, files: int | None = None) -> int:
    """A new (or transferred) tip: a full card to each mailbox holder, a bare one to the team
    group, all queued in one insert. `mailbox` and `files` spare the queries when the caller
    has just worked them out. Returns how many officers got the card.

    Every message of a card is on record (`TipCard`): the card itself as part 0 — the one
    edited when the tip changes — and a long story's messages as parts 1, 2, … (edited only
    when the tip leaves the commune)."""
    now = rt.clock.now()
    parts = await card_parts(session, rt, tip, files)
    if mailbox is None:
        mailbox = await access.mailbox_holders(session, tip, now)
    chat_ids = [o.private_chat_id for o in mailbox if o.private_chat_id is not None]
    team_of = team.team_of(tip)
    found = (await session.scalars(CARD_CHATS, {"ids": chat_ids, "team_of": team_of})).all()
    chats = {c.id: c for c in found}
    messages: list[tuple[Chat, Outgoing]] = []
    kept: list[tuple[int, bool]] = []  # per message: (part, bare)
    sent = 0
    for officer in mailbox:
        chat = chats.get(officer.private_chat_id or 0)
        if chat is not None:
            card = await card_messages(session, rt, tip, chat, parts)
            messages += [(chat, story) for story in card.story] + [(chat, card.card)]
            kept += [(index, False) for index in range(1, len(card.story) + 1)] + [(0, False)]
            sent += 1
    for group in found:
        if team.is_team_group_of(group, team_of):
            messages.append((group, Outgoing(bare_text(rt, tip))))
            kept.append((0, True))
    rows = await outbox.enqueue_many(session, rt, messages)
    if messages:  # one executemany: nothing here needs the cards' own ids
        # a message's buttons ride on its last row: that is the one to edit
        await session.execute(insert(TipCard), [
            {"tip_id": tip.id, "chat_id": chat.id, "outbox_id": ids[-1], "part": part,
             "bare": bare}
            for (chat, _), ids, (part, bare) in zip(messages, rows, kept, strict=True)])
    if tip.cards_sent_at is None:  # a new tip has it set in its INSERT already
        tip.cards_sent_at = now
    return sent


async def send_pending(rt: Runtime) -> int:
    """Send the cards of tips committed without them (a safety net run by the scheduler's
    tick: a report queues its cards in its own transaction). Each tip's cards go out once."""
    sent = 0
    while True:
        async with rt.transaction() as session:
            query = (select(Tip).where(Tip.cards_sent_at.is_(None)).order_by(Tip.id).limit(20)
                     .with_for_update(skip_locked=True))
            waiting = (await session.scalars(query)).all()
            for tip in waiting:
                await send_new(session, rt, tip)
        sent += len(waiting)
        if len(waiting) < 20:
            return sent


async def refresh(session: AsyncSession, rt: Runtime, tip: Tip, *, actor: Person | None,
                  note: str | None = None) -> None:
    """Bring every card of the tip up to date, for those who hold the tip now: edited in place
    where the messenger can edit, otherwise a one-line update to the other officers — one per
    chat, and only to the current holders of the tip's mailbox. A card whose chat no longer
    holds the tip (a revoked role, an old commune after a transfer) is withdrawn instead, its
    story's messages too."""
    cards = (await session.scalars(select(TipCard).where(
        TipCard.tip_id == tip.id, TipCard.withdrawn.is_(False)).order_by(TipCard.id))).all()
    holders = {p.private_chat_id for p in await access.mailbox_holders(session, tip,
                                                                     rt.clock.now())}
    team_of = team.team_of(tip)
    parts = await card_parts(session, rt, tip) if cards else None
    noted: set[int] = set()
    for card in cards:
        chat = await session.get(Chat, card.chat_id)
        if chat is None:
            continue
        current = team.is_team_group_of(chat, team_of) if card.bare else chat.id in holders
        if not current:
            await withdraw(session, rt, tip, card, chat)
            continue
        if not chat.active:
            continue
        if card.part:
            continue  # the story does not change
        told = None  # the one line in place of the edit, once per chat, never to the actor
        if note and not card.bare and chat.id not in noted and (
                actor is None or chat.id != actor.private_chat_id):
            noted.add(chat.id)
            told = note
        if not rt.parts(chat.channel).capabilities.edits:
            # only `told` shows there, so the card is not built (nor its evidence link)
            message = Outgoing("")
        elif card.bare:
            message = Outgoing(bare_text(rt, tip))
        else:
            message = (await card_messages(session, rt, tip, chat, parts)).card
        card.outbox_id = await outbox.enqueue_edit(
            session, rt, chat, replace(message, edit_of=card.outbox_id, update_note=told))


WITHDRAWN_ERROR = "withdrawn: the chat no longer holds the tip"


async def withdraw(session: AsyncSession, rt: Runtime, tip: Tip, card: TipCard, chat: Chat
                   ) -> None:
    """Close a card whose chat no longer holds the tip. Not yet delivered (queued, or waiting
    for the officer to write), it never goes; delivered where the messenger edits, it becomes a
    line without details; elsewhere nothing is said. Either way nothing more goes there."""
    card.withdrawn = True
    original = await session.get(OutboxMessage, card.outbox_id)
    if original is None:
        return
    if original.status in (OutboxStatus.QUEUED, OutboxStatus.WAITING):
        original.status, original.error = OutboxStatus.FAILED, WITHDRAWN_ERROR
        original.payload_enc = None
    elif chat.active and original.status in (OutboxStatus.SENT, OutboxStatus.IN_FLIGHT):
        text = words.CARD_WITHDRAWN_GROUP if card.bare else (
            words.STORY_WITHDRAWN if card.part else words.CARD_WITHDRAWN)
        await outbox.enqueue_edit(session, rt, chat,
                                  Outgoing(text.format(ref=tip.id), edit_of=card.outbox_id))


async def withdraw_lost(session: AsyncSession, rt: Runtime, chat: Chat) -> None:
    """Before what waited for this chat goes (its person just wrote): withdraw the waiting cards
    of tips it no longer holds, so a revoked or expired role never brings details later."""
    waiting = (await session.execute(
        select(TipCard, Tip).join(OutboxMessage, OutboxMessage.id == TipCard.outbox_id)
        .join(Tip, Tip.id == TipCard.tip_id)
        .where(TipCard.chat_id == chat.id, TipCard.withdrawn.is_(False),
               TipCard.bare.is_(False), OutboxMessage.status == OutboxStatus.WAITING))).all()
    now = rt.clock.now()
    for card, tip in waiting:
        holders = await access.mailbox_holders(session, tip, now)
        if chat.id not in {p.private_chat_id for p in holders}:
            await withdraw(session, rt, tip, card, chat)


# ---- a card nobody could receive ---------------------------------------------------------------

REACHED = frozenset({OutboxStatus.SENT, OutboxStatus.QUEUED, OutboxStatus.IN_FLIGHT})
UNREACHABLE_CHIEF = "unreachable_chief"
UNREACHABLE_DISPATCHER = "unreachable_dispatcher"


async def card_unreachable(session: AsyncSession, rt: Runtime, outbox_ids: list[int]) -> None:
    """Some outbox rows went waiting (the officer has not written for 48 hours on Zalo) or
    failed. For each officers' card among them whose tip no officer of the commune has
    received, or can still receive, the card goes up: first to the commune's chiefs, with the
    reason; if no chief can receive it either, to the dispatchers, with the reason, to read
    and to phone the commune (the tip stays the commune's). Each step is taken once and
    recorded on the tip.

    Reminders and deadline escalations only wait: the card itself has already gone up if
    nobody had it, and the overdue mark shows in every mailbox and statistic."""
    tip_ids = sorted(set((await session.scalars(
        select(TipCard.tip_id).where(TipCard.outbox_id.in_(outbox_ids),
                                     TipCard.bare.is_(False), TipCard.part == 0,
                                     TipCard.withdrawn.is_(False)))).all()))
    for tip_id in tip_ids:
        tip = await session.get(Tip, tip_id)
        if tip is not None and tip.status != TipStatus.CLOSED:
            await _send_up(session, rt, tip)


async def _send_up(session: AsyncSession, rt: Runtime, tip: Tip) -> None:
    if tip.routed_to_fallback or tip.commune_id is None:
        return  # already the dispatchers' own mailbox: there is nobody above it
    now = rt.clock.now()
    holders = await access.mailbox_holders(session, tip, now)
    chiefs = await access.chiefs_of(session, tip.commune_id, now)
    holder_chats = {p.private_chat_id for p in holders if p.private_chat_id}
    chief_chats = {p.private_chat_id for p in chiefs if p.private_chat_id}
    officer_chats = (holder_chats - chief_chats) or holder_chats
    states = (await session.execute(
        select(TipCard.chat_id, OutboxMessage.status, Chat.channel)
        .join(OutboxMessage, OutboxMessage.id == TipCard.outbox_id)
        .join(Chat, Chat.id == TipCard.chat_id)
        .where(TipCard.tip_id == tip.id, TipCard.bare.is_(False), TipCard.part == 0,
               TipCard.withdrawn.is_(False)))).all()

    def reached(chats: set[int]) -> bool:
        return any(status in REACHED for chat_id, status, _ in states if chat_id in chats)

    if reached(officer_chats):
        return
    done = set((await session.scalars(select(TipEvent.kind).where(
        TipEvent.tip_id == tip.id,
        TipEvent.kind.in_([UNREACHABLE_CHIEF, UNREACHABLE_DISPATCHER])))).all())
    why = _why(rt, [(status, channel) for chat_id, status, channel in states
                    if chat_id in officer_chats])
    commune = await areas.info(session, tip.commune_id)
    police = await areas.police_for(session, tip.commune_id)
    if UNREACHABLE_CHIEF not in done:
        # a chief whose own card already waits (or failed) would not get this one either
        known = {chat_id for chat_id, _, _ in states}
        able = [c for c in chiefs if c.private_chat_id in (chief_chats - known)
                or reached({c.private_chat_id or 0})]
        reason = words.UNREACHABLE_FOR_CHIEF.format(police=police, ref=tip.id, why=why)
        sent = await _copies(session, rt, tip, able, reason, as_card=True)
        await events.record(session, rt, tip, None, "system", UNREACHABLE_CHIEF)
        if sent:
            return
    elif reached(chief_chats):
        return
    if UNREACHABLE_DISPATCHER in done:
        return
    phone = words.UNREACHABLE_PHONE.format(phone=commune.police_phone) \
        if commune and commune.police_phone else ""
    reason = words.UNREACHABLE_FOR_DISPATCHER.format(police=police, ref=tip.id, why=why,
                                                     phone=phone)
    dispatchers = [p for p in await access.dispatchers(session, now)
                   if p.private_chat_id not in holder_chats]
    await _copies(session, rt, tip, dispatchers, reason, as_card=False)
    await events.record(session, rt, tip, None, "system", UNREACHABLE_DISPATCHER)


def _why(rt: Runtime, states: list[tuple[str, str]]) -> str:
    """Why the officers did not get the card: the messenger's window, or another refusal."""
    for status, channel in states:
        hours = rt.parts(channel).capabilities.contact_window_hours \
            if channel in rt.channels else None
        if status == OutboxStatus.WAITING and hours:
            return words.UNREACHABLE_WHY["window"].format(hours=hours)
    return words.UNREACHABLE_WHY["failed"]


async def _copies(session: AsyncSession, rt: Runtime, tip: Tip, recipients: list[Person],
                  reason: str, *, as_card: bool) -> int:
    """The card with `reason` before it, to each recipient's private chat. A chief's copy is a
    card like any other (buttons, kept up to date); a dispatcher's is to read only: the tip
    stays in the commune's mailbox. Returns how many were queued."""
    chats = [chat for person in recipients if (chat := await _private_chat(session, person))]
    if not chats:
        return 0
    parts = await card_parts(session, rt, tip)
    messages: list[tuple[Chat, Outgoing]] = []
    kept: list[int | None] = []  # per message: its card part, None when not a card's
    for chat in chats:
        if not as_card:  # the renderer splits what does not fit one message
            messages.append((chat, Outgoing(f"{reason}\n\n{parts.story}\n\n{parts.state}")))
            kept.append(None)
            continue
        card = await card_messages(session, rt, tip, chat, parts)
        if card.story:  # a story fills its messages: the reason goes before it
            messages.append((chat, Outgoing(reason)))
            kept.append(None)
            messages += [(chat, story) for story in card.story]
            kept += range(1, len(card.story) + 1)
            messages.append((chat, card.card))
        else:  # a card that fits one message has room for the reason (CHANGE_ROOM)
            messages.append((chat, replace(card.card, text=f"{reason}\n\n{card.card.text}")))
        kept.append(0)
    rows = await outbox.enqueue_many(session, rt, messages)
    records = [{"tip_id": tip.id, "chat_id": chat.id, "outbox_id": ids[-1], "part": part,
                "bare": False}
               for (chat, _), ids, part in zip(messages, rows, kept, strict=True)
               if part is not None]
    if records:
        await session.execute(insert(TipCard), records)
    return len(chats)


async def history(session: AsyncSession, rt: Runtime, tip: Tip) -> str:
    """The last ten events, for an officer's full view. What the reporter wrote is set apart
    as the reporter's words; an officer's note of several lines sits behind a quote bar, so no
    line of it passes for an event either."""
    found = (await session.scalars(
        select(TipEvent).where(TipEvent.tip_id == tip.id, TipEvent.kind != "view")
        .order_by(TipEvent.id))).all()
    tz = rt.settings.tz
    lines = []
    for event in found[-10:]:
        name = ""
        if event.actor_person_id:
            person = await session.get(Person, event.actor_person_id)
            name = inline(people.display_name(rt, person)) if person else ""
        elif event.actor_role == "reporter":
            name = words.HISTORY_REPORTER
        label = words.EVENT_LABELS.get(event.kind) or words.ACTIONS.get(event.kind, event.kind)
        line = words.HISTORY_ENTRY.format(
            when=format_local(event.at, tz), label=label,
            actor=words.HISTORY_ACTOR.format(name=name) if name else "")
        body = events.event_body(rt, event)
        if body and event.kind == "escalation":
            body = words.DEADLINE_WHAT.get(body, body)
        if body and event.actor_role == "reporter":
            line += ":\n" + reporter_words(body)
        elif body and "\n" in clean(body).strip():
            line += ":\n" + quote(body)
        elif body:
            line += ": " + inline(body)
        lines.append(line)
    return words.HISTORY_TITLE + "\n" + "\n".join(lines) if lines else ""


def _when(rt: Runtime, tip: Tip) -> str:
    return format_local(tip.created_at, rt.settings.tz)


async def notify_reporter(session: AsyncSession, rt: Runtime, tip: Tip,
                          public_note: str | None = None) -> bool:
    """Tell a linked reporter the tip's new public status (never who acted)."""
    reporter = await access.reporter_of(session, rt, tip)
    chat = await _private_chat(session, reporter) if reporter else None
    if chat is None:
        return False
    police = await areas.police_for(session, tip.commune_id)
    text = words.STATUS_CHANGED.format(
        when=_when(rt, tip), category=words.CATEGORIES.get(tip.category, ""),
        status=words.STATUS_FOR_RESIDENT[tip.status].format(police=police))
    if tip.status == TipStatus.CLOSED and tip.outcome:
        text += "\n" + words.OUTCOMES_FOR_RESIDENT[tip.outcome]
    if public_note:
        text += words.STATUS_NOTE.format(note=public_note)
    await outbox.enqueue(session, rt, chat, Outgoing(text))
    return True


def question_message(rt: Runtime, tip: Tip, question: str) -> Outgoing:
    text = words.QUESTION_FOR_REPORTER.format(
        when=_when(rt, tip), category=words.CATEGORIES.get(tip.category, ""), question=question)
    if tip.identity_mode != IdentityMode.PHONE:  # said only where it is true
        text += words.NAME_KEPT
    return Outgoing(text, (Choice(str(tip.id), words.ANSWER),), token=ANSWER_TOKEN)


async def relay_question(session: AsyncSession, rt: Runtime, tip: Tip, question: str) -> bool:
    """Pass an officer's question to a linked reporter; False when they can only see it by
    looking the tip up with code and PIN."""
    reporter = await access.reporter_of(session, rt, tip)
    chat = await _private_chat(session, reporter) if reporter else None
    if chat is None:
        return False
    message = question_message(rt, tip, question)
    if not rt.parts(chat.channel).capabilities.buttons:
        message = Outgoing(message.text)
    await outbox.enqueue(session, rt, chat, message)
    return True


async def relay_answer(session: AsyncSession, rt: Runtime, tip: Tip, text: str | None,
                       files: int) -> None:
    """The reporter's answer to the officers who may see it, set apart as the reporter's words."""
    now = rt.clock.now()
    targets = await access.responsible_officers(session, tip, now)
    for officer in targets:
        chat = await _private_chat(session, officer)
        if chat is None:
            continue
        if text:
            await outbox.enqueue(session, rt, chat, Outgoing(
                words.REPORTER_ANSWERED.format(ref=tip.id, words=reporter_words(text))))
        if files:
            await outbox.enqueue(session, rt, chat, Outgoing(
                words.REPORTER_ANSWERED_MEDIA.format(ref=tip.id, count=files)))


async def evidence_note(session: AsyncSession, rt: Runtime, tip: Tip, viewer: Person,
                        count: int) -> str:
    """For messengers that cannot carry files: a one-time link, or where else to look."""
    link = await evidence_links.create(session, rt, tip, viewer)
    if link is None:
        return words.EVIDENCE_ELSEWHERE.format(ref=tip.id, count=count)
    return words.EVIDENCE_LINK.format(ref=tip.id, count=count, link=link,
                                      minutes=int(rt.settings.evidence_link_minutes))


async def send_evidence(session: AsyncSession, rt: Runtime, tip: Tip, chat: Chat,
                        viewer: Person) -> int:
    """Send the tip's evidence files into an officer's private chat (the caller records the
    view). Messengers that cannot send files get a count instead."""
    files = await evidence.of_tip(session, tip.id)
    if not files:
        await outbox.enqueue(session, rt, chat, Outgoing(words.EVIDENCE_NONE.format(ref=tip.id)))
        return 0
    if not rt.parts(chat.channel).capabilities.sends_files:
        await outbox.enqueue(session, rt, chat, Outgoing(
            await evidence_note(session, rt, tip, viewer, len(files))))
        return len(files)
    await outbox.enqueue_many(session, rt, [
        (chat, Outgoing(words.EVIDENCE_CAPTION.format(index=index, total=len(files), ref=tip.id),
                        attachments=(Media(item.kind, item.id),)))
        for index, item in enumerate(files, start=1)])
    return len(files)
