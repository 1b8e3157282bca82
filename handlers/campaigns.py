"""Awareness campaigns in the chat: `/lich` (what is coming, and — for a commune's admin or
police chief — switching a day off or on, another time, other words), a resident's yes or no
to campaign messages in private (`batthongbao` / `tatthongbao`), a Zalo group leader's «đã
chuyển» after pasting a relay copy, and `/gannhom` to bind a Telegram group chat to its
neighbourhood group. (A resident's «đã nhận» is `handlers/acknowledgements.py`.)
"""

from __future__ import annotations

from typing import Any

from bot.flows import Answer, Command, Ctx, Finish, Flow, Goto, Outcome, Registry, Retry, StartFlow
from bot.messages import Choice, Prompt
from bot.models import Role
from bot.parse import parse_clock
from bot.services import broadcast_reports, group_chats
from bot.services.campaigns import agenda, calendar, choices, consent, plans, relays
from bot.services.errors import DomainError
from content import campaigns as words

agenda_flow = Flow("agenda")
LEADS_AND_MANAGES = frozenset({Role.GROUP_LEADER, *choices.MANAGERS})


def consent_question(ctx: Ctx) -> Prompt:
    """Asked when a resident joins a group: campaign messages in private, yes or no."""
    return Prompt(words.ASK_CONSENT.format(cap=ctx.rt.settings.campaign_person_per_week),
                  (Choice("/batthongbao", words.CONSENT_YES_LABEL),
                   Choice("/tatthongbao", words.CONSENT_NO_LABEL)))


async def consent_on(ctx: Ctx, _args: str) -> Outcome:
    changed = await consent.set_consent(ctx.session, ctx.person, True)
    return Finish(words.CONSENT_ON if changed else words.CONSENT_ON_ALREADY)


async def consent_off(ctx: Ctx, _args: str) -> Outcome:
    changed = await consent.set_consent(ctx.session, ctx.person, False)
    return Finish(words.CONSENT_OFF if changed else words.CONSENT_OFF_ALREADY)


async def relayed(ctx: Ctx, _args: str) -> Outcome:
    done = await relays.confirm(ctx.session, ctx.person, ctx.now)
    if done.groups:
        return Finish(words.RELAY_THANKS.format(groups=", ".join(done.groups)))
    if Role.GROUP_LEADER in await ctx.roles():
        return Finish(words.RELAY_NONE)
    return Finish(words.RELAY_NOT_LEADER)


async def bind_group(ctx: Ctx, args: str) -> Outcome:
    group = await group_chats.bind(ctx.session, ctx.chat, ctx.person, ctx.now, args)
    return Finish(words.BIND_DONE.format(group=group.name))


# ---- /lich ----------------------------------------------------------------------------------

def _entry_words(coming: agenda.Coming) -> str:
    return words.AGENDA_LINE.format(
        on=coming.at.strftime("%d/%m"), at=coming.at.strftime("%H:%M"),
        names=" + ".join(coming.names),
        village=words.AGENDA_VILLAGE.format(village=coming.village) if coming.village else "",
        groups_only="" if coming.to_persons else words.AGENDA_GROUPS_ONLY)


def _listing(found: agenda.Agenda) -> tuple[str, list[dict[str, Any]]]:
    """The agenda as text (the entries this person may not change), and the entries they may
    change, to be offered as choices (so each appears once, numbered on Zalo)."""
    communes = ", ".join({**found.followed, **found.managed}.values())
    lines = [words.AGENDA_TITLE.format(communes=communes)]
    items: list[dict[str, Any]] = []
    for coming in found.coming:
        if coming.commune_id not in found.managed:
            lines.append(f"• {_entry_words(coming)}")
            continue
        items.append({"label": _entry_words(coming), "commune_id": coming.commune_id,
                      "commune": found.managed[coming.commune_id],
                      "day": coming.day_id, "key": coming.key,
                      "name": " + ".join(coming.names),
                      "on": coming.at.strftime("%d/%m"), "at": coming.at.strftime("%H:%M")})
    if not found.coming:
        lines.append(words.AGENDA_EMPTY.format(days=agenda.AHEAD_DAYS))
    if found.sent:
        lines.append(words.AGENDA_SENT.format(number=found.sent[0].broadcast_id))
        lines += [words.AGENDA_SENT_LINE.format(on=sent.on.strftime("%d/%m"),
                                                names=" + ".join(sent.names),
                                                number=sent.broadcast_id)
                  for sent in found.sent]
    return "\n".join(lines), items


async def agenda_command(ctx: Ctx, args: str) -> Outcome:
    """`/lich`: what is coming (and changing it); `/lich <số>`: where a message sent stands."""
    number = args.strip().lstrip("#")
    if number.isdigit():
        return Finish(await broadcast_reports.status_for(ctx.session, ctx.rt, ctx.person,
                                                         int(number), ctx.now))
    return StartFlow(agenda_flow.name, args)


@agenda_flow.begin
async def _agenda_begin(ctx: Ctx, _args: str) -> Outcome:
    found = await agenda.agenda_of(ctx.session, ctx.rt, ctx.person, ctx.now)
    if found.empty_handed:
        return Finish(words.AGENDA_NONE_ROLE)
    text, items = _listing(found)
    if not found.managed:
        return Finish(f"{text}\n\n{words.AGENDA_READ_ONLY}")
    restore = [{"commune_id": off.commune_id, "commune": found.managed[off.commune_id],
                "day": off.day_id, "name": off.name} for off in found.days_off]
    if not items and not restore:
        return Finish(text)
    ctx.data.update(listing=text, items=items, restore=restore)
    return Goto("pick")


@agenda_flow.ask("pick")
async def _ask_pick(ctx: Ctx) -> Prompt:
    picks = [Choice(f"e{i}", item["label"]) for i, item in enumerate(ctx.data["items"])]
    picks += [Choice(f"r{i}", words.AGENDA_RESTORE.format(name=item["name"]))
              for i, item in enumerate(ctx.data["restore"])]
    return Prompt(f"{ctx.data['listing']}\n\n{words.AGENDA_PICK}", tuple(picks))


@agenda_flow.answer("pick")
async def _answer_pick(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    kind, index = answer.choice.id[0], int(answer.choice.id[1:])
    if kind == "r":
        item = ctx.data["restore"][index]
        await choices.switch(ctx.session, ctx.rt, item["commune_id"], item["day"], True,
                             ctx.person)
        return Finish(words.AGENDA_DONE_ON.format(name=item["name"], commune=item["commune"]))
    ctx.data["item"] = ctx.data["items"][index]
    return Goto("what")


@agenda_flow.ask("what")
async def _ask_what(ctx: Ctx) -> Prompt:
    item = ctx.data["item"]
    return Prompt(words.AGENDA_WHAT.format(names=item["name"], on=item["on"], at=item["at"]),
                  (Choice("off", words.AGENDA_OFF), Choice("time", words.AGENDA_TIME),
                   Choice("text", words.AGENDA_TEXT), Choice("reset", words.AGENDA_RESET)))


@agenda_flow.answer("what")
async def _answer_what(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    item = ctx.data["item"]
    done = {"name": item["name"], "commune": item["commune"]}
    if answer.choice.id == "off":
        await choices.switch(ctx.session, ctx.rt, item["commune_id"], item["day"], False,
                             ctx.person)
        return Finish(words.AGENDA_DONE_OFF.format(**done))
    if answer.choice.id == "reset":
        await choices.set_text(ctx.session, ctx.rt, item["commune_id"], item["day"],
                               item["key"], None, ctx.person)
        return Finish(words.AGENDA_DONE_RESET.format(**done))
    return Goto(answer.choice.id)


@agenda_flow.ask("time")
async def _ask_time(ctx: Ctx) -> Prompt:
    rules = plans.rules_of(ctx.rt)
    return Prompt(words.AGENDA_ASK_TIME.format(start=rules.quiet_start.strftime("%H:%M"),
                                               end=rules.quiet_end.strftime("%H:%M")))


@agenda_flow.answer("time")
async def _answer_time(ctx: Ctx, answer: Answer) -> Outcome:
    at = parse_clock(answer.text)
    if at is None:
        return Retry(words.AGENDA_BAD_TIME.format(typed=answer.text.strip()[:20]))
    item = ctx.data["item"]
    try:
        await choices.set_time(ctx.session, ctx.rt, item["commune_id"], item["day"],
                               item["key"], at, ctx.person)
    except DomainError as problem:
        return Retry(str(problem))
    return Finish(words.AGENDA_DONE_TIME.format(name=item["name"], commune=item["commune"],
                                                at=at.strftime("%H:%M")))


@agenda_flow.ask("text")
async def _ask_text(ctx: Ctx) -> Prompt:
    item = ctx.data["item"]
    book = calendar.load()
    own = await agenda.own_text(ctx.session, item["commune_id"], item["day"], item["key"])
    day = book.day(item["day"])
    allowed = ", ".join("{" + name + "}" for name in sorted(calendar.placeholders(day.rule)))
    return Prompt(words.AGENDA_ASK_TEXT.format(
        text=own if own is not None else day.message(item["key"]).text,
        limit=calendar.MAX_TEXT, allowed=allowed))


@agenda_flow.answer("text")
async def _answer_text(ctx: Ctx, answer: Answer) -> Outcome:
    item = ctx.data["item"]
    try:
        await choices.set_text(ctx.session, ctx.rt, item["commune_id"], item["day"],
                               item["key"], answer.text, ctx.person)
    except DomainError as problem:
        return Retry(str(problem))
    return Finish(words.AGENDA_DONE_TEXT.format(name=item["name"], commune=item["commune"]))


def register(registry: Registry) -> None:
    registry.flow(agenda_flow)
    registry.command(Command(
        "lich", agenda_command, words.AGENDA_COMMAND,
        aliases=("lịch", "lich tuyen truyen", "lịch tuyên truyền"), private_only=True,
        menu_label=words.AGENDA_LABEL, menu_roles=LEADS_AND_MANAGES, menu_rank=55))
    registry.command(Command(
        "batthongbao", consent_on, words.CONSENT_ON_COMMAND,
        aliases=("bật thông báo", "nhận tin tuyên truyền"), private_only=True))
    registry.command(Command(
        "tatthongbao", consent_off, words.CONSENT_OFF_COMMAND,
        aliases=("tắt thông báo", "ngừng nhận tin", "không nhận tin", "thôi nhận tin"),
        private_only=True))
    registry.command(Command(
        "dachuyen", relayed, words.RELAYED_COMMAND,
        aliases=("đã chuyển", "đã chuyển tin", "chuyển rồi"), private_only=True, public=False))
    registry.command(Command("gannhom", bind_group, words.BIND_COMMAND,
                             public=False))
