"""The commune police mailbox: /hopthu (list and detail), officer actions on a tip (buttons on
Telegram, short commands such as `tiepnhan 12` on text-only messengers), /thongke, and /setup
to bind the police team's group. Every view and action is recorded; only officers of the tip's
commune (or the dispatcher, for tips no commune could take) get anything but
"Bạn không có quyền xem tin này".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, tzinfo

from sqlalchemy import select

from bot.clock import format_local
from bot.flows import (
    Answer,
    Command,
    Ctx,
    Finish,
    Flow,
    Goto,
    Outcome,
    Registry,
    Retry,
    StartFlow,
)
from bot.messages import Choice, InputKind, Prompt
from bot.models import POLICE_TEAM, Area, ChatKind, Person, Role, Tip, TipEvent, TipStatus
from bot.parse import (
    MAX_YEAR,
    MIN_YEAR,
    looks_like_number,
    parse_date,
    parse_int,
    parse_page,
    parse_ref,
)
from bot.services import areas, people
from bot.services.errors import NotAllowed
from bot.services.tips import (
    TipProblem,
    access,
    actions,
    cards,
    codes,
    events,
    lifecycle,
    stats,
)
from bot.text import clean, inline, quote, squash
from content import tips as words

PAGE_SIZE = 8
NEEDS_INPUT = {"forward", "here", "extend", "close", "ask", "note", "transfer"}
action_flow = Flow("tip_action")


# ---- access ---------------------------------------------------------------------------------------

async def _mailbox_scope(ctx: Ctx) -> tuple[list[int], bool]:
    communes = await access.police_communes(ctx.session, ctx.person, ctx.now)
    dispatcher = await access.is_dispatcher(ctx.session, ctx.person, ctx.now)
    if not communes and not dispatcher:
        raise NotAllowed(words.NOT_POLICE)
    return communes, dispatcher


# ---- /hopthu ------------------------------------------------------------------------------------

async def mailbox(ctx: Ctx, args: str) -> Outcome:
    communes, dispatcher = await _mailbox_scope(ctx)
    words_in = args.split()
    if len(words_in) == 1 and looks_like_number(words_in[0]):
        ref = parse_ref(words_in[0])
        if ref is None:  # "³", "99999999999": not a tip's number, and never a crash
            return Finish(words.BAD_REF.format(typed=words_in[0][:20], command="/hopthu"))
        return await _detail(ctx, ref)
    if words_in and codes.canonical_code(args) is not None:
        canonical = codes.canonical_code(args)
        assert canonical is not None
        tip = await ctx.session.scalar(
            select(Tip).where(Tip.receipt_hash == codes.receipt_hash(ctx.rt, canonical)))
        if tip is None:
            return Finish(words.NO_RIGHT)
        return await _detail(ctx, tip.id)
    page = (parse_page(words_in.pop()) or 1) if words_in and looks_like_number(
        words_in[-1]) else 1
    typed = " ".join(words_in)
    kind = words.MAILBOX_FILTER_WORDS.get(squash(typed) if typed else "tatca")
    if kind is None:  # "quá hạn" and "quahan" both name a filter; anything else is asked again
        return Finish(words.MAILBOX_UNKNOWN_FILTER.format(typed=typed[:30]))
    query = select(Tip).where(Tip.status != TipStatus.CLOSED)
    scope = Tip.commune_id.in_(communes) & Tip.routed_to_fallback.is_(False)
    if dispatcher:
        scope = scope | Tip.routed_to_fallback.is_(True)
    query = query.where(scope)
    if kind == "new":
        query = query.where(Tip.status == TipStatus.RECEIVED)
    elif kind == "overdue":
        query = query.where(Tip.overdue.is_(True))
    elif kind == "mine":
        query = query.where(Tip.assigned_officer_id == ctx.person.id)
    found = list((await ctx.session.scalars(query.order_by(Tip.deadline_at, Tip.id))).all())
    label = words.MAILBOX_FILTERS[kind]
    if not found:
        return Finish(words.MAILBOX_EMPTY.format(filter=label))
    pages = (len(found) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    tz = ctx.rt.settings.tz
    lines = [words.MAILBOX_TITLE.format(filter=label, page=page, pages=pages)]
    for tip in shown:
        lines.append(words.MAILBOX_LINE.format(
            ref=tip.id, category=words.CATEGORIES.get(tip.category, ""),
            status=words.STATUS_FOR_OFFICER[tip.status],
            overdue=words.CARD_OVERDUE if tip.overdue else "",
            deadline=format_local(tip.deadline_at, tz) if tip.deadline_at else "—"))
    choices = [Choice(f"/hopthu {tip.id}", f"#{tip.id}") for tip in shown]
    filter_word = next(w for w, k in words.MAILBOX_FILTER_WORDS.items() if k == kind)
    if page > 1:
        choices.append(Choice(f"/hopthu {filter_word} {page - 1}", words.PREV_PAGE))
    if page < pages:
        choices.append(Choice(f"/hopthu {filter_word} {page + 1}", words.NEXT_PAGE))
    return Finish(Prompt("\n".join(lines), tuple(choices), columns=4))


async def _detail(ctx: Ctx, ref: int) -> Outcome:
    """The whole card and the latest history, in as many messages as they take, the buttons
    on the last."""
    tip, role = await access.get_for_officer(ctx.session, ref, ctx.person, ctx.now)
    await events.record_view(ctx.session, ctx.rt, tip, ctx.person, role)
    card = await cards.card_messages(ctx.session, ctx.rt, tip, ctx.chat)
    history = await _history(ctx, tip)
    for part in card.story:
        ctx.say(part)
    ctx.say(replace(card.card, text=card.card.text + ("\n\n" + history if history else "")))
    return Finish(None)


async def _history(ctx: Ctx, tip: Tip) -> str:
    """The last ten events. What the reporter wrote is set apart as the reporter's words; an
    officer's note of several lines sits behind a quote bar, so no line of it passes for an
    event either."""
    found = (await ctx.session.scalars(
        select(TipEvent).where(TipEvent.tip_id == tip.id, TipEvent.kind != "view")
        .order_by(TipEvent.id))).all()
    tz = ctx.rt.settings.tz
    lines = []
    for event in found[-10:]:
        name = ""
        if event.actor_person_id:
            person = await ctx.session.get(Person, event.actor_person_id)
            name = inline(people.display_name(ctx.rt, person)) if person else ""
        elif event.actor_role == "reporter":
            name = words.HISTORY_REPORTER
        label = words.EVENT_LABELS.get(event.kind) or words.ACTIONS.get(event.kind, event.kind)
        line = words.HISTORY_ENTRY.format(
            when=format_local(event.at, tz), label=label,
            actor=words.HISTORY_ACTOR.format(name=name) if name else "")
        body = events.event_body(ctx.rt, event)
        if body and event.kind == "escalation":
            body = words.DEADLINE_WHAT.get(body, body)
        if body and event.actor_role == "reporter":
            line += ":\n" + cards.reporter_words(body)
        elif body and "\n" in clean(body).strip():
            line += ":\n" + quote(body)
        elif body:
            line += ": " + inline(body)
        lines.append(line)
    return words.HISTORY_TITLE + "\n" + "\n".join(lines) if lines else ""


# ---- actions ------------------------------------------------------------------------------------

async def _after(ctx: Ctx, result: actions.ActionResult, public_note: str | None = None) -> str:
    """Cards, the reporter, the confirmation: the same after every action."""
    tip = result.tip
    label = words.ACTIONS[result.action]
    note = words.DONE_ACTION.format(ref=tip.id, action=label)
    await cards.refresh(ctx.session, ctx.rt, tip, actor=ctx.person, note=note)
    if result.action == "transfer":  # after the old commune's cards were closed
        await cards.send_new(ctx.session, ctx.rt, tip)
    if result.status_changed and tip.status in lifecycle.PUBLIC_STATUSES:
        await cards.notify_reporter(ctx.session, ctx.rt, tip, public_note)
    return note


async def run_action(ctx: Ctx, ref: int, action: str) -> Outcome:
    tip, role = await access.get_for_officer(ctx.session, ref, ctx.person, ctx.now)
    if not lifecycle.allowed(action, tip.status):
        return Finish(words.NOT_ALLOWED_NOW.format(
            ref=tip.id, status=words.STATUS_FOR_OFFICER[tip.status],
            action=words.ACTIONS[action]))
    if action == "evidence":
        if ctx.rt.parts(ctx.channel).capabilities.sends_files:
            await events.record_view(ctx.session, ctx.rt, tip, ctx.person, role, "evidence")
        # elsewhere a one-time link is sent; opening it is what records the view
        await cards.send_evidence(ctx.session, ctx.rt, tip, ctx.chat, ctx.person)
        return Finish(None)
    if action == "here" and role != Role.POLICE_CHIEF:
        return Finish(words.ONLY_CHIEF)
    if action == "extend" and tip.extended:
        return Finish(words.ALREADY_EXTENDED.format(ref=tip.id))
    if action in NEEDS_INPUT:
        # the version the officer acts upon: a change by someone else meanwhile is told
        return StartFlow("tip_action", f"{tip.id} {action} {tip.version}")
    result = await actions.act(ctx.session, ctx.rt, tip, ctx.person, action)
    ctx.toast = await _after(ctx, result)
    # a pressed button already shows the change in the edited card and a toast
    return Finish(None if ctx.incoming.pressed else ctx.toast)


async def card_button(ctx: Ctx, value: str) -> Outcome | None:
    typed, _, action = value.partition(".")
    ref = parse_ref(typed)
    if ref is None or action not in words.ACTIONS:
        return Finish(words.NO_RIGHT)  # our buttons never carry this: forged or garbled
    if ctx.chat.kind != ChatKind.PRIVATE:
        return Finish(None)  # group cards carry no buttons; never act from a group
    return await run_action(ctx, ref, action)


def _action_command(action: str) -> Command:
    async def run(ctx: Ctx, args: str) -> Outcome:
        typed = args.split()[0] if args.split() else ""
        ref = parse_ref(typed)
        if ref is None and looks_like_number(typed):  # "²", "99999999999999999999"
            return Finish(words.BAD_REF.format(typed=typed[:20],
                                               command=words.ACTION_COMMANDS[action][0]))
        if ref is None:
            return Finish(words.TEXT_ACTIONS_HINT.format(
                commands=words.ACTION_COMMANDS[action][0], ref=12))
        return await run_action(ctx, ref, action)

    aliases = words.ACTION_COMMANDS[action]
    return Command(aliases[0], run, words.ACTIONS[action], aliases=aliases[1:],
                   private_only=True, public=False)


# ---- the action flow: what an action needs to know --------------------------------------------

@action_flow.begin
async def begin_action(ctx: Ctx, args: str) -> Outcome:
    ref, action, *version = args.split()  # as run_action wrote them
    ctx.data.update(ref=parse_ref(ref), action=action,
                    version=parse_int(version[0], low=0) if version else None)
    return Goto({"forward": "body", "here": "assignee", "extend": "basis", "close": "outcome",
                 "ask": "question", "note": "note", "transfer": "commune"}[action])


async def _tip(ctx: Ctx) -> Tip:
    tip, _ = await access.get_for_officer(ctx.session, ctx.data["ref"], ctx.person, ctx.now)
    return tip


@action_flow.guard
async def still_theirs(ctx: Ctx) -> Outcome | None:
    """An officer can lose the role, or the tip its commune, between two steps of an action;
    every answer checks again, so a revoked officer is not led on to the end."""
    try:
        await _tip(ctx)
    except NotAllowed as refusal:
        return Finish(str(refusal))
    return None


async def _act(ctx: Ctx, **kwargs: object) -> actions.ActionResult | Finish:
    """The action the flow was for, or the end of the flow with the reason it cannot be done
    now — most often that another officer changed the tip since this action began."""
    tip = await _tip(ctx)
    try:
        return await actions.act(ctx.session, ctx.rt, tip, ctx.person, ctx.data["action"],
                              seen_version=ctx.data.get("version"),
                              **kwargs)  # type: ignore[arg-type]
    except TipProblem as refusal:
        return Finish(str(refusal))


async def _finish_action(ctx: Ctx, **kwargs: object) -> Outcome:
    result = await _act(ctx, **kwargs)
    if isinstance(result, Finish):
        return result
    return Finish(await _after(ctx, result, kwargs.get("public_note")))  # type: ignore[arg-type]


@action_flow.ask("body")
async def ask_body(ctx: Ctx) -> Prompt:
    choices = tuple(Choice(k, v) for k, v in words.INVESTIGATION_BODIES.items())
    return Prompt(words.ASK_BODY.format(ref=ctx.data["ref"]),
                  (*choices, Choice("other", words.BODY_OTHER)))


@action_flow.answer("body")
async def answer_body(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == "other":
        return Goto("body_name")
    return await _finish_action(ctx, body=answer.choice.label)


@action_flow.ask("body_name")
async def ask_body_name(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_BODY_NAME.format(ref=ctx.data["ref"]))


@action_flow.answer("body_name")
async def answer_body_name(ctx: Ctx, answer: Answer) -> Outcome:
    return await _finish_action(ctx, body=answer.text.strip()[:200])


@action_flow.ask("assignee")
async def ask_assignee(ctx: Ctx) -> Prompt:
    tip = await _tip(ctx)
    officers = await access.officers_of(ctx.session, tip.commune_id or 0, ctx.now)
    choices = tuple(Choice(str(p.id), people.display_name(ctx.rt, p)) for p in officers)
    return Prompt(words.ASK_ASSIGNEE.format(ref=tip.id), choices)


@action_flow.answer("assignee")
async def answer_assignee(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    ctx.data["assignee"] = int(answer.choice.id)
    return Goto("complex")


@action_flow.ask("complex")
async def ask_complex(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_COMPLEX.format(ref=ctx.data["ref"]),
                  (Choice("no", words.COMPLEX_NO), Choice("yes", words.COMPLEX_YES)))


@action_flow.answer("complex")
async def answer_complex(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    assignee = await ctx.session.get(Person, ctx.data["assignee"])
    return await _finish_action(ctx, assignee=assignee,
                                complex_case=answer.choice.id == "yes")


@action_flow.ask("basis")
async def ask_basis(ctx: Ctx) -> Prompt:
    choices = tuple(Choice(k, v) for k, v in words.EXTENSION_BASES.items())
    return Prompt(words.ASK_EXTENSION.format(ref=ctx.data["ref"]), choices)


@action_flow.answer("basis")
async def answer_basis(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    return await _finish_action(ctx, basis=answer.choice.id)


@action_flow.ask("outcome")
async def ask_outcome(ctx: Ctx) -> Prompt:
    choices = tuple(Choice(k, v) for k, v in words.OUTCOMES.items())
    return Prompt(words.ASK_OUTCOME.format(ref=ctx.data["ref"]), choices)


@action_flow.answer("outcome")
async def answer_outcome(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    ctx.data["outcome"] = answer.choice.id
    return Goto("duplicate" if answer.choice.id == "duplicate" else "public_note")


@action_flow.ask("duplicate")
async def ask_duplicate(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_DUPLICATE.format(ref=ctx.data["ref"]))


@action_flow.answer("duplicate")
async def answer_duplicate(ctx: Ctx, answer: Answer) -> Outcome:
    other = parse_ref(answer.text)
    tip = await _tip(ctx)
    target = await ctx.session.get(Tip, other) if other else None
    if target is None or target.id == tip.id or target.commune_id != tip.commune_id:
        return Retry(words.DUPLICATE_INVALID.format(typed=answer.text.strip()[:20]))
    ctx.data["duplicate_of"] = target.id
    return Goto("public_note")


@action_flow.ask("public_note")
async def ask_public_note(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_PUBLIC_NOTE, (Choice("none", words.NO_NOTE),),
                  accepts=frozenset({InputKind.TEXT}))


@action_flow.answer("public_note")
async def answer_public_note(ctx: Ctx, answer: Answer) -> Outcome:
    note = None if answer.choice is not None else answer.text.strip()[:500]
    return await _finish_action(ctx, outcome=ctx.data["outcome"],
                                duplicate_of=ctx.data.get("duplicate_of"), public_note=note)


@action_flow.ask("question")
async def ask_question(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_QUESTION.format(ref=ctx.data["ref"]))


@action_flow.answer("question")
async def answer_question(ctx: Ctx, answer: Answer) -> Outcome:
    question = answer.text.strip()[:1000]
    result = await _act(ctx, note=question)
    if isinstance(result, Finish):
        return result
    tip = result.tip
    await _after(ctx, result)
    if await cards.relay_question(ctx.session, ctx.rt, tip, question):
        return Finish(words.QUESTION_SENT.format(ref=tip.id))
    return Finish(words.QUESTION_QUEUED.format(ref=tip.id))


@action_flow.ask("note")
async def ask_note(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_NOTE.format(ref=ctx.data["ref"]))


@action_flow.answer("note")
async def answer_note(ctx: Ctx, answer: Answer) -> Outcome:
    return await _finish_action(ctx, note=answer.text.strip()[:2000])


@action_flow.ask("commune")
async def ask_commune(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_TRANSFER.format(ref=ctx.data["ref"]))


@action_flow.answer("commune")
async def answer_commune(ctx: Ctx, answer: Answer) -> Outcome:
    typed = answer.text.strip()
    found = await areas.find_areas(ctx.session, typed, level="commune")
    if len(found) != 1:
        return Retry(words.TRANSFER_NOT_FOUND.format(typed=typed[:60]))
    commune: Area = found[0]
    tip = await _tip(ctx)
    if commune.id == tip.commune_id:
        return Retry(words.TRANSFER_SAME.format(ref=tip.id))
    result = await _act(ctx, commune=commune)
    if isinstance(result, Finish):
        return result
    await _after(ctx, result)
    return Finish(words.TRANSFERRED.format(ref=tip.id, commune=commune.name))


# ---- statistics and the team group ---------------------------------------------------------------

def _date(text: str, tz: tzinfo) -> datetime | None:
    """The start of a typed day (dd/mm/yyyy, years 2000–2100) in the deployment's time."""
    day = parse_date(text)
    return None if day is None else datetime.combine(day, time(), tzinfo=tz)


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} giờ" if value < 48 else f"{value / 24:.1f} ngày"


async def statistics(ctx: Ctx, args: str) -> Outcome:
    communes, dispatcher = await _mailbox_scope(ctx)
    tz = ctx.rt.settings.tz
    parts = args.split()
    local_now = ctx.now.astimezone(tz)
    start = local_now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    end = local_now + timedelta(seconds=1)
    if parts:
        start_date = _date(parts[0], tz)
        end_date = _date(parts[1], tz) if len(parts) > 1 else None
        if start_date is None or (len(parts) > 1 and end_date is None):
            return Finish(words.STATS_BAD_DATE.format(first=MIN_YEAR, last=MAX_YEAR))
        if end_date is not None and end_date < start_date:  # typed the other way round
            start_date, end_date = end_date, start_date
        start = start_date
        end = (end_date + timedelta(days=1)) if end_date else end
    scope_ids = None if dispatcher and not communes else communes
    result = await stats.stats(ctx.session, ctx.rt, scope_ids, start, end)
    names = [a.name for a in (await ctx.session.scalars(
        select(Area).where(Area.id.in_(communes)))).all()]
    by_status = ", ".join(f"{words.STATUS_FOR_OFFICER[k]}: {v}"
                          for k, v in sorted(result.by_status.items())) or "—"
    by_category = ", ".join(f"{words.CATEGORIES.get(k, k)}: {v}"
                            for k, v in sorted(result.by_category.items())) or "—"
    rate = result.resolution_rate
    return Finish(words.STATS.format(
        scope=", ".join(names) or "toàn hệ thống", start=start.strftime("%d/%m/%Y"),
        end=(end - timedelta(seconds=1)).strftime("%d/%m/%Y"), total=result.total,
        unrouted=result.unrouted, by_status=by_status, by_category=by_category,
        overdue=result.overdue, forwarded=result.forwarded,
        forwarded_in_time=result.forwarded_in_time,
        resolution="—" if rate is None else f"{rate:.0%}",
        median_accept=_hours(result.median_accept_h),
        median_forward=_hours(result.median_forward_h)))


async def setup(ctx: Ctx, _args: str) -> Outcome:
    if ctx.chat.kind == ChatKind.PRIVATE:
        return Finish(words.SETUP_PRIVATE)
    grants = await people.active_roles(ctx.session, ctx.person.id, ctx.now)
    chief_of = [g.area_id for g in grants if Role(g.role) is Role.POLICE_CHIEF]
    if not chief_of:
        return Finish(words.SETUP_NOT_CHIEF)
    commune = await ctx.session.get(Area, chief_of[0])
    assert commune is not None
    ctx.chat.purpose, ctx.chat.area_id = POLICE_TEAM, commune.id
    return Finish(words.SETUP_DONE.format(commune=commune.name))


POLICE_MENU = frozenset({Role.POLICE_OFFICER, Role.POLICE_CHIEF, Role.DISPATCHER})


def register(registry: Registry) -> None:
    registry.flow(action_flow)
    registry.command(Command("hopthu", mailbox, "Hộp thư tin báo (cán bộ Công an xã)",
                             aliases=("mailbox", "hộp thư"), private_only=True,
                             menu_label="📬 Hộp thư tin báo", menu_roles=POLICE_MENU,
                             menu_rank=30))
    registry.command(Command("thongke", statistics, "Thống kê tin báo (cán bộ Công an xã)",
                             aliases=("stats", "thống kê"), private_only=True,
                             menu_label="📊 Thống kê tin báo", menu_roles=POLICE_MENU,
                             menu_rank=35))
    registry.command(Command("setup", setup, "Gắn nhóm trực Công an xã", public=False))
    for action in words.ACTIONS:
        registry.command(_action_command(action))
    registry.callback(cards.CARD_TOKEN, card_button)
