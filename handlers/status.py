"""/tracuu: a resident checks a tip's status; /traloi and the «Trả lời» button: the reporter
answers an officer's question. Neither side ever learns who the other is.

A linked reporter's own account needs only the code; anyone else needs code + PIN, and
unknown codes, other people's codes and wrong PINs all get the same reply.
"""

from __future__ import annotations

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
from bot.messages import MEDIA_KINDS, Choice, InputKind, Prompt
from bot.models import Tip, TipEvent
from bot.parse import looks_like_number, parse_ref
from bot.services.tips import cards, codes, events, followup, lookup
from content import tips as words

status = Flow("status")
answering = Flow("answer")
ANSWER_KINDS = frozenset(MEDIA_KINDS | {InputKind.TEXT})


async def _view(ctx: Ctx, tip: Tip) -> str:
    tz = ctx.rt.settings.tz
    found = (await ctx.session.scalars(
        select(TipEvent).where(TipEvent.tip_id == tip.id, TipEvent.public.is_(True))
        .order_by(TipEvent.id))).all()
    lines = []
    for event in found:
        if event.kind == "received":
            text = words.PLAIN_EVENT["received"]
        else:
            text = words.STATUS_FOR_RESIDENT.get(event.to_status or "", "")
        lines.append(words.HISTORY_LINE.format(when=format_local(event.at, tz), text=text))
    if tip.outcome:
        lines.append(words.OUTCOMES_FOR_RESIDENT[tip.outcome])
    view = words.STATUS_VIEW.format(
        when=format_local(tip.created_at, tz),
        category=words.CATEGORIES.get(tip.category, tip.category),
        status=words.STATUS_FOR_RESIDENT[tip.status], history="\n".join(lines))
    questions = await followup.open_questions(ctx.session, tip)
    if questions:
        asked = "\n".join(f"«{events.event_body(ctx.rt, q)}»" for q in questions)
        view += words.PENDING_QUESTIONS.format(questions=asked)
    return view.rstrip()


async def _show(ctx: Ctx, tip: Tip) -> Outcome:
    ctx.data["tip_id"] = tip.id
    if await followup.open_questions(ctx.session, tip):
        return Goto("view")
    return Finish(await _view(ctx, tip))


async def _check(ctx: Ctx, code: str, pin: str | None) -> Outcome:
    if codes.canonical_code(code) is None:  # a typo, not a guess: no code has this shape
        return Retry(words.CODE_MALFORMED.format(typed=code[:30]))
    found = await lookup.lookup(ctx.session, ctx.rt, code, ctx.person, pin)
    if found.tip is not None:
        return await _show(ctx, found.tip)
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
    return await _check(ctx, answer.text.strip(), None)


@status.ask("pin")
async def ask_pin(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_PIN)


@status.answer("pin")
async def answer_pin(ctx: Ctx, answer: Answer) -> Outcome:
    return await _check(ctx, ctx.data["code"], answer.text.strip())


@status.ask("view")
async def ask_view(ctx: Ctx) -> Prompt:
    tip = await ctx.session.get(Tip, ctx.data["tip_id"])
    assert tip is not None
    return Prompt(await _view(ctx, tip), (Choice("answer", words.ANSWER),))


@status.answer("view")
async def answer_view(ctx: Ctx, answer: Answer) -> Outcome:
    return Goto("answer")


async def _ask_answer(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_ANSWER, accepts=ANSWER_KINDS)


async def _take_answer(ctx: Ctx, answer: Answer) -> Outcome:
    """The tip was authorised before this step (code + PIN, or the reporter's own account)."""
    tip = await ctx.session.get(Tip, ctx.data["tip_id"])
    if tip is None:
        return Finish(words.NO_QUESTION)
    files = [a.evidence_id for a in answer.incoming.attachments if a.evidence_id is not None]
    text = answer.text.strip() or None
    if text is None and not files:
        return Finish(words.NO_QUESTION)
    await followup.answer(ctx.session, ctx.rt, tip, text, files, ctx.person.user_ref)
    await cards.relay_answer(ctx.session, ctx.rt, tip, text, len(files))
    return Finish(words.ANSWER_SENT)


status.ask("answer")(_ask_answer)
status.answer("answer")(_take_answer)


@answering.begin
async def begin_answer(ctx: Ctx, args: str) -> Outcome:
    """For linked reporters: only a tip of their own with an open question."""
    own = [t for t in await followup.tips_of_reporter(ctx.session, ctx.rt, ctx.person)
           if await followup.open_questions(ctx.session, t)]
    if looks_like_number(args):  # the «Trả lời» button's tip number; a forged one finds none
        ref = parse_ref(args)
        own = [t for t in own if t.id == ref]
    if not own:
        return Finish(words.NO_QUESTION)
    ctx.data["tip_id"] = own[-1].id
    return Goto("answer")


answering.ask("answer")(_ask_answer)
answering.answer("answer")(_take_answer)


def register(registry: Registry) -> None:
    registry.flow(status)
    registry.flow(answering)

    async def start_status(ctx: Ctx, args: str) -> Outcome:
        return StartFlow("status", args)

    async def start_answer(ctx: Ctx, args: str) -> Outcome:
        return StartFlow("answer", args)

    async def answer_button(ctx: Ctx, value: str) -> Outcome:
        return StartFlow("answer", value)

    registry.command(Command(
        "tracuu", start_status, "Tra cứu tin báo đã gửi", aliases=("status", "tra cứu"),
        private_only=True, menu_label="🔎 Tra cứu tin báo", menu_rank=20,
    ))
    registry.command(Command("traloi", start_answer, "Trả lời câu hỏi của Công an xã",
                             aliases=("trả lời",), private_only=True))
    registry.callback(cards.ANSWER_TOKEN, answer_button)
