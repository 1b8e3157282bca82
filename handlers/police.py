"""The commune police mailbox: /hopthu (list and detail), officer actions on a tip (buttons on
Telegram, short commands such as `tiepnhan 12` on text-only messengers), /thongke, and /setup
to bind the police team's group. Every view and action is recorded; only officers of the tip's
commune (or the dispatcher, for tips no commune could take) get anything but
"Bạn không có quyền xem tin này".
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

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
from bot.messages import Choice, InputKind, Outgoing, Prompt
from bot.models import ChatKind, Role
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
from bot.services.errors import DomainError, NotAllowed
from bot.services.tips import TipProblem, access, actions, cards, codes, mailbox, stats, team
from bot.text import decimal, squash
from content import tips as words

PAGE_SIZE = 8
# the first question of each action that needs the officer's input (`actions.ACTIONS[…].needs`)
FIRST_STEP = {"forward": "body", "here": "assignee", "extend": "basis", "close": "outcome",
              "ask": "question", "note": "note", "transfer": "commune"}
action_flow = Flow("tip_action")


# ---- /hopthu ------------------------------------------------------------------------------------

async def mailbox_command(ctx: Ctx, args: str) -> Outcome:
    scope = await access.mailbox_scope(ctx.session, ctx.person, ctx.now)
    words_in = args.split()
    if len(words_in) == 1 and looks_like_number(words_in[0]):
        ref = parse_ref(words_in[0])
        if ref is None:  # "³", "99999999999": not a tip's number, and never a crash
            return Finish(words.BAD_REF.format(typed=words_in[0][:20], command="/hopthu"))
        return _say_all(ctx, await mailbox.detail(ctx.session, ctx.rt, ctx.person, ctx.chat,
                                                  ref=ref))
    canonical = codes.canonical_code(args) if words_in else None
    if canonical is not None:
        return _say_all(ctx, await mailbox.detail(ctx.session, ctx.rt, ctx.person, ctx.chat,
                                                  canonical=canonical))
    page = (parse_page(words_in.pop()) or 1) if words_in and looks_like_number(
        words_in[-1]) else 1
    typed = " ".join(words_in)
    kind = words.MAILBOX_FILTER_WORDS.get(squash(typed) if typed else "tatca")
    if kind is None:  # "quá hạn" and "quahan" both name a filter; anything else is asked again
        return Finish(words.MAILBOX_UNKNOWN_FILTER.format(typed=typed[:30]))
    found = await mailbox.listing(ctx.session, scope, ctx.person, kind)
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


def _say_all(ctx: Ctx, messages: list[Outgoing]) -> Outcome:
    for message in messages:
        ctx.say(message)
    return Finish(None)


# ---- actions ------------------------------------------------------------------------------------

async def run_action(ctx: Ctx, ref: int, action: str) -> Outcome:
    """An action chosen on a card or typed: done at once, or its questions begin. A refusal
    ends whatever the officer was doing, as the action itself would have."""
    try:
        begun = await actions.begin(ctx.session, ctx.rt, ref, ctx.person, action, ctx.chat)
    except DomainError as refusal:
        return Finish(str(refusal))
    if begun.version is not None:
        # the version the officer acts upon: a change by someone else meanwhile is told
        return StartFlow("tip_action", f"{begun.tip_id} {action} {begun.version}")
    if begun.result is None:
        return Finish(None)  # the evidence went to the officer's chat
    ctx.toast = begun.result.done
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
    return Goto(FIRST_STEP[action])


@action_flow.guard
async def still_theirs(ctx: Ctx) -> Outcome | None:
    """An officer can lose the role, or the tip its commune, between two steps of an action;
    every answer checks again, so a revoked officer is not led on to the end."""
    try:
        await access.get_for_officer(ctx.session, ctx.data["ref"], ctx.person, ctx.now)
    except NotAllowed as refusal:
        return Finish(str(refusal))
    return None


async def _act(ctx: Ctx, *, retry: bool = False, **inputs: object
               ) -> actions.ActionResult | Outcome:
    """The action the flow was for, done and told; or the end of the flow with the reason it
    cannot be done now — most often that another officer changed the tip since this action
    began. With `retry`, an answer that does not fit is asked again instead."""
    try:
        return await actions.act(ctx.session, ctx.rt, ctx.data["ref"], ctx.person,
                                 ctx.data["action"], seen_version=ctx.data.get("version"),
                                 **inputs)  # type: ignore[arg-type]
    except actions.WrongInput as problem:
        return Retry(str(problem)) if retry else Finish(str(problem))
    except TipProblem as refusal:
        return Finish(str(refusal))


async def _finish_action(ctx: Ctx, **inputs: object) -> Outcome:
    result = await _act(ctx, **inputs)
    return Finish(result.done) if isinstance(result, actions.ActionResult) else result


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
    officers = await actions.assignees(ctx.session, ctx.rt, ctx.data["ref"], ctx.person)
    choices = tuple(Choice(str(p.id), people.display_name(ctx.rt, p)) for p in officers)
    return Prompt(words.ASK_ASSIGNEE.format(ref=ctx.data["ref"]), choices)


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
    return await _finish_action(ctx, assignee_id=ctx.data["assignee"],
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
    try:
        ctx.data["duplicate_of"] = await actions.duplicate_target(
            ctx.session, ctx.rt, ctx.data["ref"], ctx.person, answer.text)
    except actions.WrongInput as problem:
        return Retry(str(problem))
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
    result = await _act(ctx, note=answer.text.strip()[:1000])
    if not isinstance(result, actions.ActionResult):
        return result
    sentence = words.QUESTION_SENT if result.relayed else words.QUESTION_QUEUED
    return Finish(sentence.format(ref=result.tip.id))


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
    result = await _act(ctx, retry=True, commune=answer.text.strip())
    if not isinstance(result, actions.ActionResult):
        return result
    return Finish(words.TRANSFERRED.format(ref=result.tip.id, commune=result.moved_to))


# ---- statistics and the team group ---------------------------------------------------------------

def _date(text: str, tz: tzinfo) -> datetime | None:
    """The start of a typed day (dd/mm/yyyy, years 2000–2100) in the deployment's time."""
    day = parse_date(text)
    return None if day is None else datetime.combine(day, time(), tzinfo=tz)


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 48:
        return words.HOURS.format(count=decimal(value))
    return words.DAYS.format(count=decimal(value / 24))


async def statistics(ctx: Ctx, args: str) -> Outcome:
    scope = await access.mailbox_scope(ctx.session, ctx.person, ctx.now)
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
    result = await stats.of_scope(ctx.session, ctx.rt, scope, start, end)
    by_status = ", ".join(f"{words.STATUS_FOR_OFFICER[k]}: {v}"
                          for k, v in sorted(result.by_status.items())) or "—"
    by_category = ", ".join(f"{words.CATEGORIES.get(k, k)}: {v}"
                            for k, v in sorted(result.by_category.items())) or "—"
    rate = result.resolution_rate
    return Finish(words.STATS.format(
        scope=", ".join(map(areas.in_sentence, result.communes)) or words.STATS_EVERYWHERE,
        start=start.strftime("%d/%m/%Y"),
        end=(end - timedelta(seconds=1)).strftime("%d/%m/%Y"), total=result.total,
        unrouted=result.unrouted, by_status=by_status, by_category=by_category,
        overdue=result.overdue, forwarded=result.forwarded,
        forwarded_in_time=result.forwarded_in_time,
        resolution="—" if rate is None else f"{rate:.0%}",
        median_accept=_hours(result.median_accept_h),
        median_forward=_hours(result.median_forward_h)))


async def setup(ctx: Ctx, _args: str) -> Outcome:
    commune = await team.bind(ctx.session, ctx.chat, ctx.person, ctx.now)
    return Finish(words.SETUP_DONE.format(police=areas.police_of(commune)))


POLICE_MENU = frozenset({Role.POLICE_OFFICER, Role.POLICE_CHIEF, Role.DISPATCHER})


def register(registry: Registry) -> None:
    registry.flow(action_flow)
    registry.command(Command("hopthu", mailbox_command, words.MAILBOX_COMMAND,
                             aliases=("mailbox", "hộp thư"), private_only=True,
                             menu_label=words.MAILBOX_MENU, menu_roles=POLICE_MENU,
                             menu_rank=30))
    registry.command(Command("thongke", statistics, words.STATS_COMMAND,
                             aliases=("stats", "thống kê"), private_only=True,
                             menu_label=words.STATS_MENU, menu_roles=POLICE_MENU,
                             menu_rank=35))
    registry.command(Command("setup", setup, words.SETUP_COMMAND, public=False))
    for action in words.ACTIONS:
        registry.command(_action_command(action))
    registry.callback(cards.CARD_TOKEN, card_button)
