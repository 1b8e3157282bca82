"""/baotin: a resident reports a crime, privately, step by step, on any messenger.

notice with the category → what happened → where (one list of villages, or the commune then
its village) → address or location → when → review, where choosing how to send (the identity)
sends it (→ the phone number, then sent), then the receipt. A file sent at any step is kept as
evidence; words sent just after the story are more of it. «Sửa» lets the resident pick the part
to change. `/huy` cancels and `/quaylai` goes back at any step; the state is stored, so a
restart continues where the resident was. Every sentence shown is in `content.tips`.
"""

from __future__ import annotations

import re
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
CANCEL = "cancel"
EDIT = "edit"
MIN_DESCRIPTION = 10  # characters
NOW = "now"  # «Đang xảy ra»: the emergency numbers come first
TYPED = frozenset({InputKind.TEXT})
# a story may come in several messages; together at most this long (one message of any
# messenger is shorter, so a single message is never refused for its length)
MAX_STORY = 12_000
# the parts «Sửa» offers, each the step that asks it; after it, back to the review
EDITABLE = ("category", "description", "place", "location", "when")


def _choices(mapping: dict[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(key, label) for key, label in mapping.items())


# ---- the notice, with the first question -------------------------------------------------------

@report.begin
async def begin(ctx: Ctx, _args: str) -> Outcome:
    if not await intake.may_report(ctx.session, ctx.rt, ctx.person):
        return Finish(intake.rate_limited(ctx.rt))
    return Goto("category")


@report.guard
async def files_at_any_step(ctx: Ctx) -> Outcome | None:
    """A file sent at any step is kept as evidence, and the step goes on: no step refuses a
    photo, and there is no step just for files. Its caption is more of the story (or, at the
    story's step, the story)."""
    incoming = ctx.incoming
    if incoming.kind not in MEDIA_KINDS or ctx.step == "category":
        return None
    refused = _keep_files(ctx, incoming.attachments)
    if refused is not None:
        return refused
    caption = incoming.text.strip()
    if ctx.step == "description":
        if len(caption) >= MIN_DESCRIPTION:
            return _story_told(ctx, caption)
        return Retry(words.FILES_KEPT_TELL_STORY.format(count=len(ctx.data["evidence"])))
    if caption:
        return _add_to_story(ctx, caption, ctx.step)
    return Retry(words.FILES_KEPT.format(count=len(ctx.data["evidence"])))


@report.ask("category")
async def ask_category(ctx: Ctx) -> Prompt:
    """The notice (what happens to the tip, who sees it, the law) and the first question in
    one message: choosing a category is the resident's go-ahead."""
    choices = (*_choices(words.CATEGORIES), Choice(CANCEL, words.CANCEL))
    if ctx.data.get("editing"):
        return Prompt(words.ASK_CATEGORY, choices, columns=2)
    months = ctx.rt.settings.tip_retention_months
    kept = (words.KEPT_YEARS.format(count=months // 12) if months % 12 == 0
            else words.KEPT_MONTHS.format(count=months))
    text = words.NOTICE.format(kept=kept) + "\n\n" + words.ASK_CATEGORY
    return Prompt(text, choices, columns=2)


@report.answer("category")
async def answer_category(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == CANCEL:
        return Finish(texts.CANCELLED)
    ctx.data["category"] = answer.choice.id
    if ctx.data.get("editing"):
        return _then(ctx, "description")
    if len(ctx.data.get("description") or "") >= MIN_DESCRIPTION:  # written before the report
        return Goto("place", notice=words.STORY_KEPT)
    return Goto("description")


# ---- what happened ------------------------------------------------------------------------------

@report.ask("description")
async def ask_description(ctx: Ctx) -> Prompt:
    text = words.ASK_DESCRIPTION.format(count=intake.MAX_EVIDENCE,
                                        mb=int(ctx.rt.settings.max_download_mb))
    return Prompt(text, accepts=TYPED, max_text=MAX_STORY)


@report.answer("description")
async def answer_description(ctx: Ctx, answer: Answer) -> Outcome:
    text = answer.text.strip()
    if len(text) < MIN_DESCRIPTION:
        return Retry(words.DESCRIPTION_SHORT)
    return _story_told(ctx, text)


def _story_told(ctx: Ctx, text: str) -> Outcome:
    editing = bool(ctx.data.get("editing"))
    ctx.data["description"] = text
    ctx.data["urgent"] = intake.sounds_urgent(text)
    ctx.data["story_open"] = not editing  # words at the next step are more of it
    return _then(ctx, "place", notice=words.EMERGENCY if ctx.data["urgent"] else None)


def _keep_files(ctx: Ctx, attachments: tuple[Any, ...]) -> Outcome | None:
    """Keep a message's files as evidence; an outcome when the step should not go on (a file
    refused, or the rest of an album, answered once)."""
    stored: list[int] = ctx.data.setdefault("evidence", [])
    mb = int(ctx.rt.settings.max_download_mb)
    for attachment in attachments:
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


def _add_to_story(ctx: Ctx, text: str, step: str, notice: str = words.STORY_ADDED) -> Outcome:
    """More of the story, told in another message: added, and the step asked again. Words of
    danger in it bring the emergency numbers, as in the first part."""
    story = ctx.data.get("description") or ""
    text = text.strip()
    if len(story) + 1 + len(text) > MAX_STORY:
        return Retry(words.STORY_FULL.format(limit=thousands(MAX_STORY)))
    ctx.data["description"] = f"{story}\n{text}".strip()
    if not ctx.data.get("urgent") and intake.sounds_urgent(text):
        ctx.data["urgent"] = True
        return Goto(step, notice=f"{words.EMERGENCY}\n\n{notice}")
    return Goto(step, notice=notice)


def _then(ctx: Ctx, step: str, notice: str | None = None) -> Outcome:
    """The next step, or back to the review when the resident is changing one part."""
    if ctx.data.pop("editing", False):
        return Goto("review", notice=notice)
    return Goto(step, notice=notice)


# ---- where ------------------------------------------------------------------------------------

@report.ask("place")
async def ask_place(ctx: Ctx) -> Prompt:
    """Every village of every commune in one list when there are few (one answer instead of
    two); else the commune first, typed or chosen (`commune`), then its village."""
    places = await intake.places_to_offer(ctx.session)
    if places is None:
        return await ask_commune(ctx)
    choices = tuple(Choice(place.key, place.label) for place in places)
    return Prompt(words.ASK_PLACE, (*choices, Choice(UNKNOWN, words.COMMUNE_UNKNOWN_CHOICE)),
                  accepts=TYPED)


@report.answer("place")
async def answer_place(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.choice is not None and answer.choice.id == UNKNOWN:
        return _place_chosen(ctx, None, None)
    if answer.choice is not None and not answer.choice.id.isdigit():
        commune_id, area_id = await intake.place_of(ctx.session, answer.choice.id)
        return _place_chosen(ctx, commune_id, area_id)
    if answer.choice is not None or await intake.places_to_offer(ctx.session) is None:
        return await answer_commune(ctx, answer)  # many communes: asked as `commune` is
    typed = answer.text.strip()
    found = await intake.find_place(ctx.session, typed)
    if found is not None:
        return _place_chosen(ctx, *found)
    return _not_a_place(ctx, typed, "place")


def _place_chosen(ctx: Ctx, commune_id: int | None, area_id: int | None) -> Outcome:
    ctx.data.update(commune_id=commune_id, area_id=area_id, place_text=None, story_open=False)
    ctx.data.pop("commune_matches", None)
    return _then(ctx, "location")


def _not_a_place(ctx: Ctx, typed: str, step: str) -> Outcome:
    """Words that name no place: right after the story, more of it (never dropped); else, or
    when they read like a place's name, the place was not found."""
    looks_like_place = fold(typed).split(" ", 1)[0] in words.PLACE_WORDS
    if ctx.data.get("story_open") and not looks_like_place:
        return _add_to_story(ctx, typed, step, notice=words.STORY_ADDED_NOT_PLACE)
    not_found = words.PLACE_NOT_FOUND if step == "place" else words.COMMUNE_NOT_FOUND
    return Retry(not_found.format(typed=typed[:60]))


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
                  accepts=TYPED)


@report.answer("commune")
async def answer_commune(ctx: Ctx, answer: Answer) -> Outcome:
    """Also the place step's answer where communes are too many to list with villages."""
    ctx.data.pop("commune_matches", None)
    if answer.choice is not None:
        if answer.choice.id == UNKNOWN:
            return _place_chosen(ctx, None, None)
        return _commune_chosen(ctx, int(answer.choice.id))
    typed = answer.text.strip()
    found = await areas.find_areas(ctx.session, typed, level="commune")
    if len(found) == 1:
        return _commune_chosen(ctx, found[0].id)
    if len(found) > 1:
        ctx.data["commune_matches"] = [a.id for a in found[:intake.MAX_LISTED_COMMUNES]]
        return Goto("commune", notice=words.COMMUNE_PICK)
    return _not_a_place(ctx, typed, ctx.step)


def _commune_chosen(ctx: Ctx, commune_id: int) -> Outcome:
    ctx.data.update(commune_id=commune_id, area_id=commune_id, place_text=None,
                    story_open=False)
    return Goto("village")


@report.ask("village")
async def ask_village(ctx: Ctx) -> Prompt:
    villages = await intake.villages_to_offer(ctx.session, ctx.data["commune_id"])
    choices = tuple(Choice(str(a.id), a.name) for a in villages.listed)
    return Prompt(words.ASK_VILLAGE.format(commune=areas.in_sentence(villages.commune)),
                  (*choices, Choice(UNKNOWN, words.VILLAGE_UNKNOWN)), columns=2,
                  accepts=TYPED)


@report.answer("village")
async def answer_village(ctx: Ctx, answer: Answer) -> Outcome:
    if answer.choice is not None:
        if answer.choice.id != UNKNOWN:
            ctx.data["area_id"] = int(answer.choice.id)
        return _then(ctx, "location")
    try:
        ctx.data["area_id"] = await intake.find_village(ctx.session, ctx.data["commune_id"],
                                                        answer.text.strip())
    except InvalidInput as problem:
        return Retry(str(problem))
    return _then(ctx, "location")


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
    return _then(ctx, "when")


@report.ask("when")
async def ask_when(ctx: Ctx) -> Prompt:
    return Prompt(words.ASK_WHEN, _choices(words.WHEN_CHOICES), columns=2, accepts=TYPED)


@report.answer("when")
async def answer_when(ctx: Ctx, answer: Answer) -> Outcome:
    ctx.data["when"] = answer.choice.label if answer.choice else answer.text.strip()[:200]
    if answer.choice is None and fold(answer.text) in words.WHEN_UNSURE_WORDS:
        ctx.data["when"] = words.WHEN_CHOICES["unsure"]  # «bỏ qua»: a time, not those words
    if answer.choice is not None and answer.choice.id == NOW:
        ctx.data["urgent"] = True
        return _then(ctx, "review", notice=words.EMERGENCY)
    return _then(ctx, "review")


# ---- review: choosing how to send it sends it ------------------------------------------------------

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
    description = data["description"]
    if len(description) > 300:
        description = description[:300] + "…"
    return words.SUMMARY_LINES.format(
        category=words.CATEGORIES[data["category"]], place=place, when=data["when"],
        evidence=words.EVIDENCE_COUNT.format(count=len(evidence)) if evidence
        else words.NO_EVIDENCE, description=description)


@report.ask("review")
async def ask_review(ctx: Ctx) -> Prompt:
    """The whole tip, then the choice of identity, which sends it (the phone number first,
    for those who leave one); or a part to change, or nothing sent at all."""
    choices = (*_choices(words.SEND_AS), Choice(EDIT, words.EDIT), Choice(CANCEL, words.CANCEL))
    return Prompt(words.REVIEW.format(summary=await _summary(ctx)), choices)


@report.answer("review")
async def answer_review(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == EDIT:
        return Goto("edit")
    if answer.choice.id == CANCEL:
        return Finish(texts.CANCELLED)
    ctx.data["identity"] = answer.choice.id
    if answer.choice.id == IdentityMode.PHONE:
        return Goto("phone")
    ctx.data["phone"] = None
    return await _submit(ctx)


@report.ask("edit")
async def ask_edit(ctx: Ctx) -> Prompt:
    choices = tuple(Choice(step, words.EDIT_PARTS[step]) for step in EDITABLE)
    return Prompt(words.ASK_EDIT, (*choices, Choice("review", words.EDIT_NOTHING)), columns=2)


@report.answer("edit")
async def answer_edit(ctx: Ctx, answer: Answer) -> Outcome:
    assert answer.choice is not None
    if answer.choice.id == "review":
        return Goto("review")
    ctx.data["editing"] = True
    return Goto(answer.choice.id)


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
    return await _submit(ctx)


async def _submit(ctx: Ctx) -> Outcome:
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
