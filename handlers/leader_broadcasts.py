"""A leader's own broadcast: `/lich_them` (text → when → where → repeat → preview → send),
`/guingay` (the same, sent now) and `/lich_huy` (cancel one still to come). Numbered choices
on Zalo, buttons on Telegram; the rules are `bot.services.leader_broadcasts`.
"""

from __future__ import annotations

from datetime import datetime

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
from bot.parse import is_now, parse_when
from bot.services import leader_broadcasts as service
from bot.services.campaigns import calendar
from bot.services.errors import DomainError
from content import broadcasts as words

add_flow = Flow("broadcast_add")
cancel_flow = Flow("broadcast_cancel")
LINE_LABEL = 28  # of a broadcast's first words on a button (Telegram shows about 60)


def _shown(ctx: Ctx, at: datetime) -> str:
    return at.astimezone(ctx.rt.settings.tz).strftime("%H:%M %d/%m/%Y")


def _repeat_words(repeat: str) -> str:
    return words.PREVIEW_REPEAT.format(repeat=words.REPEAT_WORDS[repeat]) \
        if repeat in words.REPEAT_WORDS else ""


async def add_command(ctx: Ctx, args: str) -> Outcome:
    return StartFlow(add_flow.name, "")


async def now_command(ctx: Ctx, args: str) -> Outcome:
    return StartFlow(add_flow.name, "now")


@add_flow.begin
async def _add_begin(ctx: Ctx, args: str) -> Outcome:
    scopes = await service.scopes_of(ctx.session, ctx.person, ctx.now)
    if not scopes:
        return Finish(words.NO_ROLE)
    ctx.data.update(scopes=[[scope.area_id, scope.name] for scope in scopes],
                    now=args == "now")
    return Goto("text")


@add_flow.ask("text")
async def _ask_text(ctx: Ctx) -> Prompt:
    if ctx.rt.parts(ctx.channel).capabilities.receives_files:
        return Prompt(words.ASK_TEXT_OR_PHOTO.format(limit=calendar.MAX_TEXT),
                      accepts=frozenset({InputKind.TEXT, InputKind.PHOTO}))
    return Prompt(words.ASK_TEXT.format(limit=calendar.MAX_TEXT))


def _photo_of(answer: Answer) -> int | Retry | None:
    """The evidence id of the photo sent as the broadcast (None: it is text), or why not."""
    if answer.kind is not InputKind.PHOTO:
        return None
    photo = answer.incoming.attachments[0] if answer.incoming.attachments else None
    if photo is not None and photo.problem == "too_big":
        return Retry(words.PHOTO_TOO_BIG)
    if photo is None or photo.evidence_id is None:
        return Retry(words.PHOTO_FAILED)
    return photo.evidence_id


@add_flow.answer("text")
async def _answer_text(ctx: Ctx, answer: Answer) -> Outcome:
    photo = _photo_of(answer)
    if isinstance(photo, Retry):
        return photo
    try:
        ctx.data["text"] = service.check_text(answer.text, photo is not None)
    except DomainError as problem:
        return Retry(str(problem))
    ctx.data["photo"] = photo
    if ctx.data["now"]:
        ctx.data["when"] = None
        return _after_when(ctx)
    return Goto("when")


def _after_when(ctx: Ctx) -> Outcome:
    if len(ctx.data["scopes"]) == 1:
        ctx.data["scope"] = ctx.data["scopes"][0]
        return Goto("repeat")
    return Goto("scope")


@add_flow.ask("when")
async def _ask_when(ctx: Ctx) -> Prompt:
    rules = service.rules_of(ctx.rt)
    return Prompt(words.ASK_WHEN.format(start=rules.quiet_start.strftime("%H:%M"),
                                        end=rules.quiet_end.strftime("%H:%M")),
                  (Choice("now", words.WHEN_NOW_LABEL),), accepts=frozenset({InputKind.TEXT}))


@add_flow.answer("when")
async def _answer_when(ctx: Ctx, answer: Answer) -> Outcome:
    if (answer.choice is not None and answer.choice.id == "now") or is_now(answer.text):
        ctx.data["when"] = None
        return _after_when(ctx)
    when = parse_when(answer.text, ctx.now, ctx.rt.settings.tz)
    if when is None:
        return Retry(words.WHEN_UNCLEAR.format(typed=answer.text.strip()[:30]))
    try:
        service.check_when(ctx.rt, when, ctx.now)
    except DomainError as problem:
        return Retry(str(problem))
    ctx.data["when"] = when.isoformat()
    return _after_when(ctx)


@add_flow.ask("scope")
async def _ask_scope(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_SCOPE, choices_of(name for _id, name in ctx.data["scopes"]))


@add_flow.answer("scope")
async def _answer_scope(ctx: Ctx, answer: Answer) -> Outcome:
    ctx.data["scope"] = answer.picked(ctx.data["scopes"])
    return Goto("repeat")


@add_flow.ask("repeat")
async def _ask_repeat(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_REPEAT, tuple(Choice(key, label)
                                          for key, label in words.REPEAT_LABELS.items()))


@add_flow.answer("repeat")
async def _answer_repeat(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    ctx.data["repeat"] = answer.choice.id
    return Goto("preview")


def _when_of(ctx: Ctx) -> datetime:
    raw = ctx.data["when"]
    return datetime.fromisoformat(raw) if raw else ctx.now


@add_flow.ask("preview")
async def _ask_preview(ctx: Ctx) -> Prompt:
    area_id, scope = ctx.data["scope"]
    when = _when_of(ctx)
    shown = ctx.data["text"]
    if ctx.data.get("photo") is not None:
        shown = f"{words.PHOTO_PREVIEW}\n{shown}".strip()
    text = words.PREVIEW.format(
        scope=scope, text=shown, repeat=_repeat_words(ctx.data["repeat"]),
        when=words.PREVIEW_AT.format(when=_shown(ctx, when)) if ctx.data["when"]
        else words.PREVIEW_NOW)
    busiest = await service.busiest_group(ctx.session, ctx.rt, area_id, when)
    if busiest is not None:
        text += "\n\n" + words.CAP_WARNING.format(
            group=busiest[0], count=busiest[1], cap=ctx.rt.settings.campaign_group_per_week)
    return Prompt(text, (Choice("send", words.CONFIRM_LABEL),
                         Choice("drop", words.CANCEL_DRAFT_LABEL)))


@add_flow.answer("preview")
async def _answer_preview(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == "drop":
        return Finish(words.DRAFT_DROPPED)
    area_id = ctx.data["scope"][0]
    try:
        item = await service.schedule(ctx.session, ctx.rt, ctx.person, ctx.data["text"],
                                      area_id, _when_of(ctx), ctx.data["repeat"], ctx.now,
                                      photo=ctx.data.get("photo"))
    except DomainError as problem:
        return Finish(str(problem))
    if ctx.data["when"] is None:
        number = await service.deliver(
            ctx.session, ctx.rt, item,
            service.content_of(ctx.data["text"], ctx.data.get("photo")), ctx.person, ctx.now)
        return Finish(words.SENT_NOW.format(number=number))
    return Finish(words.SCHEDULED.format(when=_shown(ctx, item.next_due),
                                         repeat=_repeat_words(item.repeat)))


# ---- /lich_huy ------------------------------------------------------------------------------

async def cancel_command(ctx: Ctx, args: str) -> Outcome:
    return StartFlow(cancel_flow.name, "")


@cancel_flow.begin
async def _cancel_begin(ctx: Ctx, _args: str) -> Outcome:
    scopes = await service.scopes_of(ctx.session, ctx.person, ctx.now)
    if not scopes:
        return Finish(words.NO_ROLE)
    found = await service.coming(ctx.session, ctx.person, ctx.now)
    if not found:
        return Finish(words.CANCEL_NONE)
    ctx.data["items"] = [{"id": item.id, "label": item.label, "when": _shown(ctx, item.next_due),
                          "line": words.CANCEL_LINE.format(
                              when=_shown(ctx, item.next_due), label=item.label[:LINE_LABEL].rstrip(),
                              repeat=words.CANCEL_REPEAT if item.repeat != "none" else "")}
                         for item in found]
    return Goto("pick")


@cancel_flow.ask("pick")
async def _ask_pick(ctx: Ctx) -> Prompt:
    return Prompt(words.CANCEL_PICK, choices_of(item["line"] for item in ctx.data["items"]))


@cancel_flow.answer("pick")
async def _answer_pick(ctx: Ctx, answer: Answer) -> Outcome:
    ctx.data["item"] = answer.picked(ctx.data["items"])
    return Goto("sure")


@cancel_flow.ask("sure")
async def _ask_sure(ctx: Ctx) -> Prompt:
    item = ctx.data["item"]
    return Prompt(words.CANCEL_SURE.format(label=item["label"], when=item["when"]),
                  (Choice("yes", words.CANCEL_YES), Choice("no", words.CANCEL_NO)))


@cancel_flow.answer("sure")
async def _answer_sure(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == "no":
        return Finish(words.CANCEL_KEPT)
    try:
        await service.cancel(ctx.session, ctx.person, ctx.data["item"]["id"], ctx.now)
    except DomainError as problem:
        return Finish(str(problem))
    return Finish(words.CANCEL_DONE.format(label=ctx.data["item"]["label"]))


def register(registry: Registry) -> None:
    registry.flow(add_flow)
    registry.flow(cancel_flow)
    registry.command(Command(
        "lich_them", add_command, words.ADD_COMMAND,
        aliases=("thêm lịch", "them lich", "gửi thông báo", "gui thong bao", "hẹn gửi tin"),
        private_only=True, menu_label=words.ADD_LABEL, menu_roles=service.AUTHORS,
        menu_rank=56))
    registry.command(Command(
        "guingay", now_command, words.NOW_COMMAND,
        aliases=("gửi ngay", "gui ngay", "gửi tin ngay"), private_only=True))
    registry.command(Command(
        "lich_huy", cancel_command, words.CANCEL_COMMAND,
        aliases=("hủy lịch", "huy lich", "hủy thông báo", "huy thong bao"), private_only=True,
        menu_label=words.CANCEL_LABEL, menu_roles=service.AUTHORS, menu_rank=57))
