"""/baotin: a resident reports a crime, privately, step by step, on any messenger.

notice → category → what happened → evidence → commune → village → location or address →
when → identity (→ phone) → review → commit, then receipt. `/huy` cancels and `/quaylai` goes
back at any step; the state is stored, so a restart continues where the resident was.
Every sentence shown is in `content.tips`.
"""

from __future__ import annotations

import re
from typing import Any

from bot.flows import (
    Answer,
    Back,
    Command,
    Ctx,
    Finish,
    Flow,
    Goto,
    Outcome,
    Registry,
    Retry,
    StartFlow,
    Stay,
)
from bot.messages import MEDIA_KINDS, Choice, InputKind, Prompt, Request
from bot.models import IdentityMode
from bot.services import areas
from bot.services.errors import InvalidInput
from bot.services.tips import intake
from bot.services.tips.sealed import Draft
from bot.text import fold, thousands
from content import texts
from content import tips as words

NAME = "baotin"  # the command that starts a report
report = Flow("report")
PHONE = re.compile(r"^(?:\+?84|0)[\s.-]?(?:\d[\s.-]?){8,10}$")
UNKNOWN = "unknown"
MIN_DESCRIPTION = 10  # characters
NOW = "now"  # «Đang xảy ra»: the emergency numbers come first
EVIDENCE_KINDS = frozenset(MEDIA_KINDS | {InputKind.STICKER})
STORY_INPUT = frozenset(MEDIA_KINDS | {InputKind.TEXT})  # a photo sent first is kept too
EVIDENCE_INPUT = frozenset(EVIDENCE_KINDS | {InputKind.TEXT})  # words: more of the story
# a story may come in several messages; together at most this long (one message of any
# messenger is shorter, so a single message is never refused for its length)
MAX_STORY = 12_000


def _choices(mapping: dict[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(key, label) for key, label in mapping.items())


# ---- notice --------------------------------------------------------------------------------------

@report.begin
async def begin(ctx: Ctx, _args: str) -> Outcome:
    if not await intake.may_report(ctx.session, ctx.rt, ctx.person):
        return Finish(intake.rate_limited(ctx.rt))
    return Goto("notice")


@report.ask("notice")
async def ask_notice(ctx: Ctx) -> Prompt:
    months = ctx.rt.settings.tip_retention_months
    kept = (words.KEPT_YEARS.format(count=months // 12) if months % 12 == 0
            else words.KEPT_MONTHS.format(count=months))
    text = words.NOTICE.format(kept=kept)
    return Prompt(text, (Choice("start", words.START), Choice("cancel", words.CANCEL)))


@report.answer("notice")
async def answer_notice(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    return Goto("category") if answer.choice.id == "start" else Finish(texts.CANCELLED)


# ---- what and when -------------------------------------------------------------------------------

@report.ask("category")
async def ask_category(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_CATEGORY, _choices(words.CATEGORIES), columns=2)


@report.answer("category")
async def answer_category(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    ctx.data["category"] = answer.choice.id
    if len(ctx.data.get("description") or "") >= MIN_DESCRIPTION:  # written before the report
        return Goto("evidence", notice=words.STORY_KEPT)
    return Goto("description")


@report.ask("description")
async def ask_description(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_DESCRIPTION, accepts=STORY_INPUT, max_text=MAX_STORY)


@report.answer("description")
async def answer_description(ctx: Ctx, answer: Answer) -> Outcome:
    """The story; a file sent first is kept as evidence (its caption, if long enough, is the
    story), and the story is still asked for."""
    if answer.kind in MEDIA_KINDS:
        refused = _keep_files(ctx, answer)
        if refused is not None:
            return refused
        if len(answer.text.strip()) < MIN_DESCRIPTION:
            count = len(ctx.data["evidence"])
            return Retry(words.FILES_KEPT_TELL_STORY.format(count=count))
    text = answer.text.strip()
    if len(text) < MIN_DESCRIPTION:
        return Retry(words.DESCRIPTION_SHORT)
    ctx.data["description"] = text
    ctx.data["urgent"] = intake.sounds_urgent(text)
    return Goto("evidence", notice=words.EMERGENCY if ctx.data["urgent"] else None)


@report.ask("evidence")
async def ask_evidence(ctx: Ctx) -> Prompt:
    stored = ctx.data.get("evidence") or []
    if stored:  # after each file: short, with the way forward
        return Prompt(words.EVIDENCE_RECEIVED.format(count=len(stored)),
                      (Choice("done", words.EVIDENCE_DONE),), accepts=EVIDENCE_INPUT,
                      max_text=MAX_STORY)
    text = words.ASK_EVIDENCE.format(count=intake.MAX_EVIDENCE,
                                     mb=int(ctx.rt.settings.max_download_mb))
    return Prompt(text, (Choice("done", words.EVIDENCE_SKIP),), accepts=EVIDENCE_INPUT,
                  max_text=MAX_STORY)


@report.answer("evidence")
async def answer_evidence(ctx: Ctx, answer: Answer) -> Outcome:
    """Files, until «Xong»; words typed here are more of the story, never dropped."""
    if answer.choice is not None:
        return Goto("commune")
    if answer.kind is InputKind.STICKER:
        return Retry(words.EVIDENCE_STICKER)
    if answer.kind is InputKind.TEXT:
        return _add_to_story(ctx, answer.text, "evidence")
    refused = _keep_files(ctx, answer)
    if refused is not None:
        return refused
    if answer.text.strip():  # a caption: more of the story
        return _add_to_story(ctx, answer.text, "evidence")
    return Goto("evidence")


def _keep_files(ctx: Ctx, answer: Answer) -> Outcome | None:
    """Keep the files of this message as evidence; an outcome when the step should not go
    on (a file refused, or the rest of an album, answered once)."""
    stored: list[int] = ctx.data.setdefault("evidence", [])
    mb = int(ctx.rt.settings.max_download_mb)
    for attachment in answer.incoming.attachments:
        if len(stored) >= intake.MAX_EVIDENCE:
            ctx.say(words.EVIDENCE_FULL.format(count=intake.MAX_EVIDENCE))
            return Stay()
        if attachment.problem == "too_big":
            ctx.say(words.EVIDENCE_TOO_BIG.format(mb=mb))
            return Stay()
        if attachment.evidence_id is None:
            ctx.say(words.EVIDENCE_FAILED)
            return Stay()
        stored.append(attachment.evidence_id)
        album = attachment.album
        if album and ctx.data.get("album") == album:
            return Stay()  # one reply per album, not one per photo
        ctx.data["album"] = album
    return None


def _add_to_story(ctx: Ctx, text: str, step: str) -> Outcome:
    """More of the story, told in another message: added, and the step asked again. Words of
    danger in it bring the emergency numbers, as in the first part."""
    story = ctx.data["description"]
    text = text.strip()
    if len(story) + 1 + len(text) > MAX_STORY:
        return Retry(words.STORY_FULL.format(limit=thousands(MAX_STORY)))
    ctx.data["description"] = f"{story}\n{text}"
    if not ctx.data.get("urgent") and intake.sounds_urgent(text):
        ctx.data["urgent"] = True
        return Goto(step, notice=f"{words.EMERGENCY}\n\n{words.STORY_ADDED}")
    return Goto(step, notice=words.STORY_ADDED)


# ---- where ------------------------------------------------------------------------------------

@report.ask("commune")
async def ask_commune(ctx: Ctx) -> Prompt:
    matches = ctx.data.get("commune_matches")
    offered = await intake.communes_to_offer(ctx.session, matches)
    choices = tuple(Choice(str(a.id), a.name) for a in offered)
    if matches:
        return Prompt(words.COMMUNE_PICK, (*choices, Choice(UNKNOWN,
                                                           words.COMMUNE_UNKNOWN_CHOICE)))
    text = words.ASK_COMMUNE if choices else words.ASK_COMMUNE_TYPED
    return Prompt(text, (*choices, Choice(UNKNOWN, words.COMMUNE_UNKNOWN_CHOICE)),
                  accepts=frozenset({InputKind.TEXT}))


@report.answer("commune")
async def answer_commune(ctx: Ctx, answer: Answer) -> Outcome:
    ctx.data.pop("commune_matches", None)
    if answer.choice is not None:
        if answer.choice.id == UNKNOWN:
            ctx.data.update(commune_id=None, area_id=None, place_text=None)
            return Goto("location")
        return await _commune_chosen(ctx, int(answer.choice.id))
    typed = answer.text.strip()
    found = await areas.find_areas(ctx.session, typed, level="commune")
    if len(found) == 1:
        return await _commune_chosen(ctx, found[0].id)
    if len(found) > 1:
        ctx.data["commune_matches"] = [a.id for a in found[:intake.MAX_LISTED_COMMUNES]]
        return Retry(words.COMMUNE_PICK)
    return Retry(words.COMMUNE_NOT_FOUND.format(typed=typed[:60]))


async def _commune_chosen(ctx: Ctx, commune_id: int) -> Outcome:
    ctx.data.update(commune_id=commune_id, area_id=commune_id, place_text=None)
    return Goto("village")


@report.ask("village")
async def ask_village(ctx: Ctx) -> Prompt:
    villages = await intake.villages_to_offer(ctx.session, ctx.data["commune_id"])
    choices = tuple(Choice(str(a.id), a.name) for a in villages.listed)
    return Prompt(words.ASK_VILLAGE.format(commune=areas.in_sentence(villages.commune)),
                  (*choices, Choice(UNKNOWN, words.VILLAGE_UNKNOWN)), columns=2,
                  accepts=frozenset({InputKind.TEXT}))


@report.answer("village")
async def answer_village(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.choice is not None:
        if answer.choice.id != UNKNOWN:
            ctx.data["area_id"] = int(answer.choice.id)
        return Goto("location")
    try:
        ctx.data["area_id"] = await intake.find_village(ctx.session, ctx.data["commune_id"],
                                                        answer.text.strip())
    except InvalidInput as problem:
        return Retry(str(problem))
    return Goto("location")


@report.ask("location")
async def ask_location(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_LOCATION, (Choice("skip", words.LOCATION_SKIP),),
                  accepts=frozenset({InputKind.TEXT, InputKind.LOCATION}),
                  request=Request.LOCATION)


@report.answer("location")
async def answer_location(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.choice is not None:
        ctx.data.update(location=None, address=None)
    elif answer.kind is InputKind.LOCATION and answer.incoming.location:
        ctx.data["location"] = list(answer.incoming.location)
    else:
        text = answer.text.strip()
        if len(text) < 5:
            return Retry(words.ADDRESS_SHORT)
        ctx.data["address"] = text[:500]
    return Goto("when")


@report.ask("when")
async def ask_when(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_WHEN, _choices(words.WHEN_CHOICES), columns=2,
                  accepts=frozenset({InputKind.TEXT}))


@report.answer("when")
async def answer_when(ctx: Ctx, answer: Answer) -> Outcome:
    ctx.data["when"] = answer.choice.label if answer.choice else answer.text.strip()[:200]
    if answer.choice is None and fold(answer.text) in words.WHEN_UNSURE_WORDS:
        ctx.data["when"] = words.WHEN_CHOICES["unsure"]  # «bỏ qua»: a time, not those words
    if answer.choice is not None and answer.choice.id == NOW:
        ctx.data["urgent"] = True
        return Goto("identity", notice=words.EMERGENCY)
    return Goto("identity")


# ---- who ---------------------------------------------------------------------------------------

@report.ask("identity")
async def ask_identity(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_IDENTITY, _choices(words.IDENTITY_CHOICES))


@report.answer("identity")
async def answer_identity(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    ctx.data["identity"] = answer.choice.id
    if answer.choice.id == IdentityMode.PHONE:
        return Goto("phone")
    ctx.data["phone"] = None
    return Goto("review")


@report.ask("phone")
async def ask_phone(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_PHONE, accepts=frozenset({InputKind.TEXT, InputKind.CONTACT}),
                  request=Request.CONTACT)


@report.answer("phone")
async def answer_phone(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.kind is InputKind.CONTACT:
        if not answer.incoming.contact_is_own or not answer.incoming.contact_phone:
            return Retry(words.PHONE_NOT_OWN)
        phone = answer.incoming.contact_phone
    else:
        phone = answer.text.strip()
        if not PHONE.match(phone):
            return Retry(words.PHONE_INVALID)
    ctx.data["phone"] = re.sub(r"[\s.-]", "", phone)
    return Goto("review")


# ---- review and commit -----------------------------------------------------------------------

async def _summary(ctx: Ctx) -> str:
    data = ctx.data
    place = words.PLACE_UNKNOWN
    if data.get("area_id"):
        place = await areas.place_name(ctx.session, data["area_id"])
    if data.get("address"):
        place += words.SUMMARY_ADDRESS.format(address=data["address"])
    if data.get("location"):
        place += words.SUMMARY_LOCATION
    evidence = data.get("evidence") or []
    identity = words.IDENTITY_CHOICES[data["identity"]]
    if data.get("phone"):
        identity += f" ({data['phone']})"
    description = data["description"]
    if len(description) > 300:
        description = description[:300] + "…"
    return words.SUMMARY_LINES.format(
        category=words.CATEGORIES[data["category"]], place=place, when=data["when"],
        evidence=words.EVIDENCE_COUNT.format(count=len(evidence)) if evidence
        else words.NO_EVIDENCE,
        identity=identity, description=description)


@report.ask("review")
async def ask_review(ctx: Ctx) -> Prompt:
    choices = (Choice("send", words.SEND), Choice("edit", words.EDIT),
               Choice("cancel", words.CANCEL))
    return Prompt(words.REVIEW.format(summary=await _summary(ctx)), choices)


@report.answer("review")
async def answer_review(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == "edit":
        return Back()
    if answer.choice.id == "cancel":
        return Finish(texts.CANCELLED)
    data = ctx.data
    draft = Draft(
        category=data["category"], description=data["description"], when=data["when"],
        identity=IdentityMode(data["identity"]), incident_area_id=data.get("area_id"),
        place_text=data.get("place_text"), address=data.get("address"),
        location=tuple(data["location"]) if data.get("location") else None,  # type: ignore[arg-type]
        phone=data.get("phone"), evidence_ids=list(data.get("evidence") or []),
        urgent=bool(data.get("urgent")),
    )
    submitted = await intake.submit(ctx.session, ctx.rt, draft, ctx.person, ctx.person.user_ref)
    return Finish(_receipt(submitted))


def _receipt(submitted: intake.Submitted) -> str:
    fallback = submitted.routing.fallback_reason
    if fallback is not None:
        text = words.RECEIPT_FALLBACK.format(code=submitted.code)
    else:
        assert submitted.routing.commune is not None
        text = words.RECEIPT.format(code=submitted.code,
                                    police=areas.police_of(submitted.routing.commune.name))
    if submitted.tip.urgent:
        text += words.RECEIPT_URGENT
    if submitted.pin:
        text += words.RECEIPT_PIN.format(pin=submitted.pin)
    elif submitted.tip.identity_mode != IdentityMode.ANONYMOUS:
        text += words.RECEIPT_LINKED
    if fallback is not None:
        text += words.FALLBACK_NOTE.format(reason=words.FALLBACK_REASONS[fallback])
    return text.rstrip()


def story_handover(text: str, *, urgent: bool) -> dict[str, dict[str, Any]]:
    """What a report started from a story written before it begins with (`Finish.handover`):
    the story itself, so the resident never types it again."""
    return {report.name: {"description": text.strip(), "urgent": urgent}}


def register(registry: Registry) -> None:
    registry.flow(report)

    async def start_report(ctx: Ctx, _args: str) -> Outcome:
        return StartFlow("report")

    registry.command(Command(
        NAME, start_report, words.REPORT_COMMAND, aliases=("tip", "báo tin"),
        private_only=True, menu_label=words.REPORT_MENU, menu_rank=10,
    ))
