"""`/hoatdong`: a group leader logs an in-person activity (kind → day → topic → households
reached → preview → save), or picks one of their recent ones to change or delete within its
week. Households are chosen by their numbers in the group's list («1 3 5-9», «tất cả»), typed
on every messenger (a button would clash with the numbers on Zalo); a group without a list
gives a count. The rules are `bot.services.coverage.activities`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

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
    choices_of,
)
from bot.messages import Choice, InputKind, Prompt
from bot.models import ActivityKind, Role
from bot.parse import parse_past_day
from bot.services.coverage import activities as service
from bot.services.coverage.activities import Draft
from bot.services.errors import DomainError
from content import activities as words

flow = Flow("activity")
LEADERS = frozenset({Role.GROUP_LEADER})
TEXT = frozenset({InputKind.TEXT})


def _day(on: date) -> str:
    return on.strftime("%d/%m/%Y")


def _numbers(numbers: list[int]) -> str:
    """1, 3, 5–9: runs of numbers written as ranges."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def _reached(data: dict[str, Any], roster: list[int]) -> str:
    if data.get("counted") is not None:
        return words.REACHED_COUNT.format(count=data["counted"])
    chosen = data.get("chosen") or []
    if not chosen:
        return words.REACHED_NONE
    place = {household: number for number, household in enumerate(roster, start=1)}
    shown = sorted(place[h] for h in chosen if h in place)
    return words.REACHED_LIST.format(count=len(chosen), numbers=_numbers(shown))


def _draft(ctx: Ctx) -> Draft:
    data = ctx.data
    chosen = data.get("chosen")
    return Draft(data["group"][0], ActivityKind(data["kind"]), date.fromisoformat(data["on"]),
                 data["topic"], None if data.get("counting") else tuple(chosen or ()),
                 data.get("counted"))


def _recent_line(item: service.Recent, several: bool) -> str:
    reached = (words.RECENT_COUNT.format(count=item.counted) if item.counted is not None
               else words.RECENT_HOUSEHOLDS.format(count=item.households))
    line = words.RECENT_LINE.format(day=item.on.strftime("%d/%m"), kind=words.KINDS[item.kind],
                                    reached=reached)
    if several:
        line = words.RECENT_GROUP.format(group=item.group) + line
    return line + (words.RECENT_LOCKED if item.locked else "")


async def command(ctx: Ctx, args: str) -> Outcome:
    return StartFlow(flow.name, "")


@flow.begin
async def _begin(ctx: Ctx, _args: str) -> Outcome:
    groups = await service.groups_led(ctx.session, ctx.person.id, ctx.now)
    if not groups:
        return Finish(words.NOT_LEADER)
    ctx.data["groups"] = [[group.area_id, group.name] for group in groups]
    found = await service.recent(ctx.session, ctx.person, ctx.now)
    if not found:
        return _new(ctx)
    ctx.data["recent"] = [[item.activity_id, _recent_line(item, len(groups) > 1)]
                          for item in found]
    return Goto("menu")


def _new(ctx: Ctx) -> Outcome:
    ctx.data["mode"] = "new"
    if len(ctx.data["groups"]) == 1:
        ctx.data["group"] = ctx.data["groups"][0]
        return Goto("kind")
    return Goto("group")


@flow.ask("menu")
async def _ask_menu(ctx: Ctx) -> Prompt:
    return Prompt(words.MENU, (Choice("new", words.NEW_LABEL),
                               *(Choice(f"e{activity_id}", line)
                                 for activity_id, line in ctx.data["recent"])))


@flow.answer("menu")
async def _answer_menu(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == "new":
        return _new(ctx)
    activity_id = int(answer.choice.id[1:])
    try:
        draft = await service.draft_of(ctx.session, ctx.rt.settings, ctx.person, activity_id,
                                       ctx.now)
    except DomainError as problem:
        return Finish(str(problem))
    names = dict((area_id, name) for area_id, name in ctx.data["groups"])
    ctx.data.update(mode="edit", activity=activity_id, reviewing=True,
                    group=[draft.area_id, names.get(draft.area_id, "")], kind=str(draft.kind),
                    on=draft.on.isoformat(), topic=draft.topic,
                    counting=draft.household_ids is None, counted=draft.counted,
                    chosen=list(draft.household_ids or ()))
    return Goto("preview")


@flow.ask("group")
async def _ask_group(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_GROUP, choices_of(name for _id, name in ctx.data["groups"]))


@flow.answer("group")
async def _answer_group(ctx: Ctx, answer: Answer) -> Outcome:
    ctx.data["group"] = answer.picked(ctx.data["groups"])
    return Goto("kind")


@flow.ask("kind")
async def _ask_kind(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_KIND, tuple(Choice(str(kind), words.KINDS[kind])
                                        for kind in ActivityKind))


@flow.answer("kind")
async def _answer_kind(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    ctx.data["kind"] = answer.choice.id
    return Goto("day")


@flow.ask("day")
async def _ask_day(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_DAY, (Choice("today", words.TODAY_LABEL),
                                  Choice("yesterday", words.YESTERDAY_LABEL)), accepts=TEXT)


@flow.answer("day")
async def _answer_day(ctx: Ctx, answer: Answer) -> Outcome:
    today = service.local_today(ctx.rt.settings, ctx.now)
    if answer.choice is not None:
        on: date | None = today - timedelta(days=int(answer.choice.id == "yesterday"))
    else:
        on = parse_past_day(answer.text, today)
    if on is None:
        return Retry(words.DAY_UNCLEAR.format(typed=answer.text.strip()[:30]))
    try:
        service.check_day(ctx.rt.settings, on, today)
    except DomainError as problem:
        return Retry(str(problem))
    ctx.data["on"] = on.isoformat()
    return Goto("preview" if ctx.data.get("reviewing") else "topic")


@flow.ask("topic")
async def _ask_topic(ctx: Ctx) -> Prompt:
    topics = service.campaign_topics(date.fromisoformat(ctx.data["on"]))
    ctx.data["topics"] = topics
    text = words.ASK_TOPIC.format(limit=service.MAX_TOPIC)
    if topics:
        text += "\n" + words.ASK_TOPIC_CAMPAIGN
    return Prompt(text, choices_of(topics), accepts=TEXT)


@flow.answer("topic")
async def _answer_topic(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.choice is not None:
        ctx.data["topic"] = answer.picked(ctx.data["topics"])
    else:
        try:
            ctx.data["topic"] = service.check_topic(answer.text)
        except DomainError as problem:
            return Retry(str(problem))
    return Goto("preview" if ctx.data.get("reviewing") else "households")


@flow.ask("households")
async def _ask_households(ctx: Ctx) -> Prompt:
    area_id = ctx.data["group"][0]
    if ctx.data.get("counting") is None:  # a new activity: a list if the group has one
        roster = await service.roster(ctx.session, area_id)
        ctx.data["counting"] = not roster
    if ctx.data["counting"]:
        figure = await service.households_figure(ctx.session, area_id)
        ctx.data["figure"] = figure
        return Prompt(words.ASK_COUNT_FIGURE.format(figure=figure) if figure is not None
                      else words.ASK_COUNT, accepts=TEXT)
    roster = await service.roster(ctx.session, area_id)
    ctx.data["roster"] = [household_id for household_id, _label in roster]
    lines = "\n".join(words.HOUSEHOLD_LINE.format(number=number, label=label)
                      for number, (_id, label) in enumerate(roster, start=1))
    return Prompt(words.ASK_HOUSEHOLDS.format(lines=lines), accepts=TEXT)


@flow.answer("households")
async def _answer_households(ctx: Ctx, answer: Answer) -> Outcome:
    try:
        if ctx.data["counting"]:
            ctx.data["counted"] = service.check_count(answer.text, ctx.data.get("figure"))
        else:
            roster = ctx.data["roster"]
            ctx.data["chosen"] = [roster[number - 1]
                                  for number in service.choose(answer.text, len(roster))]
    except DomainError as problem:
        return Retry(str(problem))
    ctx.data["reviewing"] = True
    return Goto("preview")


@flow.ask("preview")
async def _ask_preview(ctx: Ctx) -> Prompt:
    data = ctx.data
    roster = [] if data.get("counting") else [
        household_id for household_id, _ in await service.roster(ctx.session, data["group"][0])]
    text = words.PREVIEW.format(group=data["group"][1], kind=words.KINDS[data["kind"]],
                                day=_day(date.fromisoformat(data["on"])), topic=data["topic"],
                                reached=_reached(data, roster))
    change = words.CHANGE_COUNT_LABEL if data.get("counting") else words.CHANGE_HOUSEHOLDS_LABEL
    editing = data["mode"] == "edit"
    return Prompt(text, (Choice("save", words.SAVE_LABEL),
                         Choice("day", words.CHANGE_DAY_LABEL),
                         Choice("topic", words.CHANGE_TOPIC_LABEL),
                         Choice("households", change),
                         *((Choice("delete", words.DELETE_LABEL),) if editing else ()),
                         Choice("drop", words.KEEP_LABEL if editing else words.DROP_LABEL)))


@flow.answer("preview")
async def _answer_preview(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    chosen = answer.choice.id
    if chosen == "drop":
        return Finish(words.KEPT if ctx.data["mode"] == "edit" else words.DROPPED)
    if chosen in ("day", "topic", "households", "delete"):
        return Goto(chosen)
    settings, draft = ctx.rt.settings, _draft(ctx)
    try:
        if ctx.data["mode"] == "edit":
            await service.change(ctx.session, settings, ctx.person, ctx.data["activity"], draft,
                                 ctx.now)
            return Finish(words.CHANGED.format(day=_day(draft.on)))
        activity = await service.log(ctx.session, settings, ctx.person, draft, ctx.now)
    except DomainError as problem:
        return Finish(str(problem))
    reached = (words.SAVED_COUNT.format(count=activity.counted) if activity.counted is not None
               else words.SAVED_HOUSEHOLDS.format(count=len(draft.household_ids or ())))
    until = service.editable_until(activity).astimezone(settings.tz)
    return Finish(words.SAVED.format(kind=words.KINDS[activity.kind], day=_day(activity.on),
                                     group=ctx.data["group"][1], reached=reached,
                                     until=until.strftime("%H:%M %d/%m/%Y")))


@flow.ask("delete")
async def _ask_delete(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_DELETE.format(kind=words.KINDS[ctx.data["kind"]],
                                          day=_day(date.fromisoformat(ctx.data["on"]))),
                  (Choice("yes", words.DELETE_YES), Choice("no", words.DELETE_NO)))


@flow.answer("delete")
async def _answer_delete(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == "no":
        return Goto("preview")
    try:
        activity = await service.remove(ctx.session, ctx.rt.settings, ctx.person,
                                        ctx.data["activity"], ctx.now)
    except DomainError as problem:
        return Finish(str(problem))
    return Finish(words.DELETED.format(kind=words.KINDS[activity.kind], day=_day(activity.on)))


def register(registry: Registry) -> None:
    registry.flow(flow)
    registry.command(Command(
        "hoatdong", command, words.COMMAND,
        aliases=("hoạt động", "ghi hoạt động", "ghi hoat dong", "họp tổ", "hop to"),
        private_only=True, menu_label=words.LABEL, menu_roles=LEADERS, menu_rank=45))
