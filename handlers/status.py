"""/tracuu: a resident checks a tip's status; /traloi and the «Trả lời» button: the reporter
answers an officer's question. Neither side ever learns who the other is.

A linked reporter's own account needs only the code; anyone else needs code + PIN, and
unknown codes, other people's codes and wrong PINs all get the same reply.
"""

from __future__ import annotations

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
from bot.messages import MEDIA_KINDS, Choice, InputKind, Prompt
from bot.parse import looks_like_number, parse_ref
from bot.services.tips import cards, codes, followup, lookup
from bot.text import squash
from content import tips as words

status = Flow("status")
answering = Flow("answer")
ANSWER_KINDS = frozenset(MEDIA_KINDS | {InputKind.TEXT})


def _view(ctx: Ctx, view: followup.StatusView) -> str:
    tz = ctx.rt.settings.tz
    lines = []
    for event in view.history:
        if event.kind == "received":
            text = words.RECEIVED_EVENT
        else:
            text = words.STATUS_FOR_RESIDENT.get(event.to_status or "", "").format(
                police=view.police)
        lines.append(words.HISTORY_LINE.format(when=format_local(event.at, tz), text=text))
    if view.outcome:
        lines.append(words.OUTCOMES_FOR_RESIDENT[view.outcome])
    text = words.STATUS_VIEW.format(
        when=format_local(view.created_at, tz),
        category=words.CATEGORIES.get(view.category, view.category),
        status=words.STATUS_FOR_RESIDENT[view.status].format(police=view.police),
        history="\n".join(lines))
    if view.questions:
        asked = "\n".join(f"«{question}»" for question in view.questions)
        text += words.PENDING_QUESTIONS.format(questions=asked)
    return text.rstrip()


def _show(ctx: Ctx, view: followup.StatusView) -> Outcome:
    ctx.data["tip_id"] = view.tip_id
    if view.questions:
        return Goto("view")
    return Finish(_view(ctx, view))


async def _check(ctx: Ctx, code: str, pin: str | None) -> Outcome:
    if codes.canonical_code(code) is None:  # a typo, not a guess: no code has this shape
        return Retry(words.CODE_MALFORMED.format(typed=code[:30]))
    found = await lookup.lookup(ctx.session, ctx.rt, code, ctx.person, pin)
    if found.view is not None:
        return _show(ctx, found.view)
    if found.needs_pin:
        ctx.data["code"] = code
        return Goto("pin")
    if found.again:  # slowed down, nothing counted: the PIN may be sent again shortly
        return Retry(found.problem or "")
    return Finish(found.problem)


@status.begin
async def begin_status(ctx: Ctx, args: str) -> Outcome:
    code = args.strip()
    if code and codes.canonical_code(code) is None:
        ctx.say(words.CODE_MALFORMED.format(typed=code[:30]))
        return Goto("code")
    if code:
        return await _check(ctx, code, None)
    return Goto("code")


@status.ask("code")
async def ask_code(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_CODE)


@status.answer("code")
async def answer_code(ctx: Ctx, answer: Answer) -> Outcome:
    return await _check(ctx, _without_command(answer.text), None)


def _without_command(typed: str) -> str:
    """The code as typed, without the command word a resident types again after a typo
    ("tracuu TB-…", "/tra cứu TB-…")."""
    words_in = typed.strip().lstrip("/").split()
    for count in (2, 1):
        if len(words_in) > count and squash(" ".join(words_in[:count])) in LOOKUP.keys:
            return " ".join(words_in[count:])
    return typed.strip()


@status.ask("pin")
async def ask_pin(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_PIN)


@status.answer("pin")
async def answer_pin(ctx: Ctx, answer: Answer) -> Outcome:
    pin = codes.canonical_pin(answer.text)
    if pin is None:  # no PIN has this shape: a slip, not a guess, and not counted as one
        return Retry(words.PIN_MALFORMED)
    return await _check(ctx, ctx.data["code"], pin)


@status.ask("view")
async def ask_view(ctx: Ctx) -> Prompt:
    view = await followup.status_of(ctx.session, ctx.rt, ctx.data["tip_id"])
    assert view is not None
    return Prompt(_view(ctx, view), (Choice("answer", words.ANSWER),))


@status.answer("view")
async def answer_view(ctx: Ctx, answer: Answer) -> Outcome:
    return Goto("answer")


async def _ask_answer(ctx: Ctx) -> Prompt:
    kept = await followup.name_kept(ctx.session, ctx.data["tip_id"])
    return Prompt(words.ASK_ANSWER + (words.NAME_KEPT if kept else ""), accepts=ANSWER_KINDS)


async def _take_answer(ctx: Ctx, answer: Answer) -> Outcome:
    """The tip was authorised before this step (code + PIN, or the reporter's own account)."""
    files = [a.evidence_id for a in answer.incoming.attachments if a.evidence_id is not None]
    text = answer.text.strip() or None
    if not await followup.answer(ctx.session, ctx.rt, ctx.data["tip_id"], text, files,
                                 ctx.person.user_ref):
        return Finish(words.NO_QUESTION)
    return Finish(words.ANSWER_SENT)


status.ask("answer")(_ask_answer)
status.answer("answer")(_take_answer)


@answering.begin
async def begin_answer(ctx: Ctx, args: str) -> Outcome:
    """For linked reporters: only a tip of their own with an open question."""
    ref = None
    if looks_like_number(args):  # the «Trả lời» button's tip number; a forged one finds none
        ref = parse_ref(args)
        if ref is None:
            return Finish(words.NO_QUESTION)
    tip_id = await followup.asked_of(ctx.session, ctx.rt, ctx.person, ref)
    if tip_id is None:
        return Finish(words.NO_QUESTION)
    ctx.data["tip_id"] = tip_id
    return Goto("answer")


answering.ask("answer")(_ask_answer)
answering.answer("answer")(_take_answer)


async def start_status(ctx: Ctx, args: str) -> Outcome:
    return StartFlow("status", args)


LOOKUP = Command("tracuu", start_status, words.STATUS_COMMAND, aliases=("status", "tra cứu"),
                 private_only=True, menu_label=words.STATUS_MENU, menu_rank=20)


def register(registry: Registry) -> None:
    registry.flow(status)
    registry.flow(answering)

    async def start_answer(ctx: Ctx, args: str) -> Outcome:
        return StartFlow("answer", args)

    async def answer_button(ctx: Ctx, value: str) -> Outcome:
        return StartFlow("answer", value)

    registry.command(LOOKUP)
    registry.command(Command("traloi", start_answer, words.ANSWER_COMMAND,
                             aliases=("trả lời",), private_only=True))
    registry.callback(cards.ANSWER_TOKEN, answer_button)
