"""A group's households, in private chat with its leader and its residents:

- `/danhsachho`: the leader sends the roster (CSV or XLSX) as a file; the accepted columns are
  shown first. A spreadsheet a leader sends with nothing under way is taken as the roster too.
  Zalo passes no files to bots: there the leader is told so, and how else (the commune's
  `binhyen households import`, Telegram, or `/sohodan`).
- `/sohodan 48`: the number of households of a group without a roster; `/sohotrongnhom 40`:
  how many households are in the group's chat. Both shown as entered by the leader.
- `/maho`: the leader's numbered list of households with their registration codes (their own
  group only); `/huylienket [số]`: who registered, and undoing a wrong one.
- `/dangky <mã>`: a resident links themselves to their household.

The rules are `bot.services.coverage.households`; every sentence is `content.households`.
"""

from __future__ import annotations

from datetime import datetime

from bot.clock import format_local
from bot.flows import Answer, Command, Ctx, Finish, Flow, Goto, Outcome, Registry, StartFlow, Stay
from bot.messages import Attachment, InputKind, Prompt
from bot.models import Role
from bot.parse import parse_int
from bot.services.coverage import households as service
from bot.services.coverage.roster import MAX_ROWS
from bot.services.errors import DomainError
from bot.text import thousands
from content import households as words

LEADERS = frozenset({Role.GROUP_LEADER})
ANYTHING = frozenset(kind for kind in InputKind if kind is not InputKind.CHOICE)
TOO_BIG = "too_big"  # an attachment's problem: over the messenger's download limit

roster_flow = Flow("households_roster")


def _columns_limit() -> str:
    return thousands(MAX_ROWS)


def _day(ctx: Ctx, at: datetime | None) -> str:
    assert at is not None
    return format_local(at, ctx.rt.settings.tz, with_time=False)


# ---- /danhsachho ------------------------------------------------------------------------------

async def roster_command(ctx: Ctx, args: str) -> Outcome:
    return StartFlow(roster_flow.name, args)


@roster_flow.begin
async def _roster_begin(ctx: Ctx, args: str) -> Outcome:
    group = await service.led_group(ctx.session, ctx.person, ctx.now, args)
    if not ctx.rt.parts(ctx.channel).capabilities.receives_files:
        return Finish(words.ROSTER_NO_FILES.format(limit=_columns_limit()))
    ctx.data["group"] = group.id
    return Goto("file")


@roster_flow.ask("file")
async def _ask_file(ctx: Ctx) -> Prompt:
    return Prompt(words.ROSTER_ASK.format(limit=_columns_limit()), accepts=ANYTHING)


@roster_flow.answer("file")
async def _answer_file(ctx: Ctx, answer: Answer) -> Outcome:
    attachments = answer.incoming.attachments
    if answer.kind is InputKind.DOCUMENT and attachments:
        done, reply = await _import(ctx, attachments[0], ctx.data.get("group"))
        if done:
            return Finish(reply)
        ctx.say(f"{reply}\n\n{words.ROSTER_SEND_AGAIN}")
        return Stay()
    for attachment in attachments:
        await service.discard_upload(ctx.session, ctx.rt, ctx.person, attachment.evidence_id)
    if answer.kind is InputKind.PHOTO:
        ctx.say(words.ROSTER_PHOTO)
    elif answer.kind is InputKind.TEXT:
        ctx.say(words.ROSTER_TEXT)
    else:
        ctx.say(words.FILE_NOT_A_SPREADSHEET)
    return Stay()


async def _import(ctx: Ctx, attachment: Attachment, group_id: int | None) -> tuple[bool, str]:
    """Import the file a leader sent: (True, what it did) or (False, why not)."""
    if attachment.problem == TOO_BIG:
        return False, words.ROSTER_DOWNLOAD_TOO_BIG.format(
            limit=thousands(int(ctx.rt.settings.max_download_mb)))
    if attachment.evidence_id is None:
        return False, words.ROSTER_FETCH_FAILED
    try:
        imported = await service.import_upload(ctx.session, ctx.rt, ctx.person,
                                               attachment.evidence_id, group_id)
    except DomainError as problem:
        return False, str(problem)
    return True, "\n".join([*service.summary(imported), words.IMPORTED_NEXT])


async def roster_sent(ctx: Ctx) -> Outcome | None:
    """A spreadsheet sent by a group leader with nothing under way: their roster. On a
    messenger that passes no files (Zalo: «unsupported»), a leader is told how else."""
    incoming = ctx.incoming
    if incoming.kind is InputKind.OTHER:
        if ctx.rt.parts(ctx.channel).capabilities.receives_files \
                or not await service.led_groups(ctx.session, ctx.person, ctx.now):
            return None
        return Finish(words.ROSTER_NOT_PASSED)
    if incoming.kind is not InputKind.DOCUMENT or not incoming.attachments:
        return None
    attachment = incoming.attachments[0]
    if not service.looks_like_roster(attachment.file_name, attachment.mime_type) \
            or not await service.led_groups(ctx.session, ctx.person, ctx.now):
        return None
    _done, reply = await _import(ctx, attachment, None)
    return Finish(reply)


# ---- the leader's figures ----------------------------------------------------------------------

async def household_count(ctx: Ctx, args: str) -> Outcome:
    current = await service.figures(ctx.session, ctx.rt, ctx.person)
    group = current.group.name
    if current.roster:
        return Finish(words.COUNT_HAS_ROSTER.format(group=group, count=current.roster))
    if not args.strip():
        now = [] if current.households is None else [words.COUNT_NOW.format(
            group=group, count=current.households, day=_day(ctx, current.households_at))]
        return Finish("\n".join([*now, words.COUNT_ASK]))
    count = parse_int(args, low=1, high=MAX_ROWS)
    if count is None:
        return Finish(words.COUNT_BAD.format(high=thousands(MAX_ROWS)))
    await service.set_households(ctx.session, ctx.rt, ctx.person, count)
    return Finish(words.COUNT_SET.format(group=group, count=count))


async def connected_count(ctx: Ctx, args: str) -> Outcome:
    current = await service.figures(ctx.session, ctx.rt, ctx.person)
    if not args.strip():
        now = [] if current.connected is None else [words.CONNECTED_NOW.format(
            count=current.connected, day=_day(ctx, current.connected_at))]
        return Finish("\n".join([*now, words.CONNECTED_ASK]))
    count = parse_int(args, low=0, high=MAX_ROWS)
    if count is None:
        return Finish(words.CONNECTED_BAD.format(high=thousands(MAX_ROWS)))
    await service.set_connected(ctx.session, ctx.rt, ctx.person, count)
    return Finish(words.CONNECTED_SET.format(count=count, group=current.group.name))


# ---- the leader's list, registrations ---------------------------------------------------------

async def household_codes(ctx: Ctx, args: str) -> Outcome:
    listing = await service.listing(ctx.session, ctx.rt, ctx.person, args)
    group = listing.group.name
    if not listing.households:
        return Finish(words.LIST_EMPTY.format(group=group))
    lines = [words.LIST_TITLE.format(group=group, count=thousands(len(listing.households)),
                                     linked=thousands(listing.linked))]
    lines += [words.LIST_LINE.format(
        number=item.number, label=item.label, code=item.reg_code,
        head=words.LIST_HEAD.format(head=item.head) if item.head else "",
        linked=words.LIST_LINKED.format(count=item.linked) if item.linked else "")
        for item in listing.households]
    lines.append(words.LIST_HINT.format(example=listing.households[0].reg_code))
    return Finish("\n".join(lines))


async def register_household(ctx: Ctx, args: str) -> Outcome:
    if not args.strip():
        return Finish(words.REG_ASK)
    done = await service.register(ctx.session, ctx.rt, ctx.person, args)
    label, group = done.household.label, done.group.name
    if done.already:
        return Finish(words.REG_ALREADY.format(label=label, group=group))
    if done.moved_from is not None:
        reply = words.REG_MOVED.format(old=done.moved_from, label=label, group=group)
    else:
        reply = words.REG_DONE.format(label=label, group=group)
    return Finish(f"{reply} {words.REG_REPLAYED}" if done.replayed else reply)


async def undo_link(ctx: Ctx, args: str) -> Outcome:
    if args.strip():
        undone = await service.unlink(ctx.session, ctx.rt, ctx.person, parse_int(args))
        return Finish(words.UNLINKED.format(name=undone.name, label=undone.label))
    group, found = await service.links(ctx.session, ctx.rt, ctx.person)
    if not found:
        return Finish(words.LINKS_EMPTY.format(group=group.name))
    lines = [words.LINKS_TITLE.format(group=group.name, count=len(found))]
    lines += [words.LINKS_LINE.format(number=link.number, name=link.name, label=link.label)
              for link in found]
    lines.append(words.LINKS_HINT)
    return Finish("\n".join(lines))


def register(registry: Registry) -> None:
    registry.flow(roster_flow)
    registry.file_fallback(roster_sent)
    registry.command(Command(
        "danhsachho", roster_command, words.ROSTER_COMMAND,
        aliases=("danh sách hộ dân", "gửi danh sách hộ"), private_only=True,
        menu_label=words.ROSTER_LABEL, menu_roles=LEADERS, menu_rank=43))
    registry.command(Command("maho", household_codes, words.CODES_COMMAND,
                             aliases=("mã đăng ký hộ", "danh sách mã hộ"), private_only=True,
                             menu_label=words.CODES_LABEL, menu_roles=LEADERS, menu_rank=42))
    registry.command(Command("sohodan", household_count, words.COUNT_COMMAND,
                             aliases=("số hộ",), private_only=True))
    registry.command(Command("sohotrongnhom", connected_count, words.CONNECTED_COMMAND,
                             aliases=("số hộ trong nhóm chat", "hộ trong nhóm"),
                             private_only=True))
    registry.command(Command("dangky", register_household, words.REGISTER_COMMAND,
                             aliases=("đăng ký hộ",), private_only=True))
    registry.command(Command("huylienket", undo_link, words.UNLINK_COMMAND,
                             aliases=("hủy liên kết", "bỏ đăng ký hộ"), private_only=True))
