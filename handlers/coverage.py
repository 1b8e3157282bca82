"""Coverage for those who answer for it: `/baophu [thôn|tổ] [kỳ]` shows the figures as text
and a chart (a leader their group and village, a commune's admin or police the commune and
anything in it); `/baocao [kỳ]` hands the commune's six-month or annual report as a file.
The rules are `bot.services.coverage.views` and `report`.
"""

from __future__ import annotations

from bot.flows import Command, Ctx, Finish, Outcome, Registry
from bot.services.coverage import report, views
from content import coverage_views as words


async def view(ctx: Ctx, args: str) -> Outcome:
    shown = await views.view(ctx.session, ctx.rt, ctx.person, args)
    rt, person_id, chat_id, channel = ctx.rt, ctx.person.id, ctx.chat.id, ctx.channel
    coverage = shown.figures.coverage
    ctx.after_commit(lambda: views.send_chart(rt, person_id, chat_id, channel, coverage))
    return Finish(shown.text)


async def make_report(ctx: Ctx, args: str) -> Outcome:
    ctx.say(await report.for_chat(ctx.session, ctx.rt, ctx.person, ctx.channel, args))
    return Finish()


def register(registry: Registry) -> None:
    registry.command(Command("baophu", view, words.VIEW_COMMAND,
                             aliases=("báo phủ", "độ phủ", "do phu", "dophu"), private_only=True,
                             menu_label=words.VIEW_LABEL, menu_roles=views.VIEWERS,
                             menu_rank=60))
    registry.command(Command("baocao", make_report, words.REPORT_COMMAND,
                             aliases=("báo cáo", "bao cao"), private_only=True,
                             menu_label=words.REPORT_LABEL, menu_roles=report.REPORTERS,
                             menu_rank=61))
