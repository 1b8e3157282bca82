"""The conversation engine: commands, channel-agnostic flows, and their stored state.

A flow is a set of named steps; each step *asks* (returns a `Prompt`) and *answers* (turns the
user's input into an outcome: go to a step, retry with a problem, finish, start another flow,
run a command). State lives per (chat, person) in `flow_states`, encrypted, with an expiry, so a
restart mid-conversation simply continues. `/huy` cancels and `/quaylai` goes back at any step.

Buttons carry a token naming the prompt version that showed them, so a stale or forged button
changes nothing. Text-only messengers answer the same prompts with numbers or typed labels; a
number may also answer a message sent outside any conversation (a broadcast's ✅, `Standing`)
while that message is newer than the prompt open.
The engine never talks to a messenger: it enqueues `Outgoing` messages in the caller's
transaction; the handlers registered here never import a channel (a ruff rule enforces it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import is_number, match_choice, typed_number
from bot.messages import (
    MEDIA_KINDS,
    Choice,
    Incoming,
    InputKind,
    Outgoing,
    PlatformRequest,
    Prompt,
    Request,
    split_choice_data,
)
from bot.models import Chat, ChatKind, FlowState, Lane, Person, Role
from bot.runtime import AFTER_COMMIT, Runtime
from bot.services import outbox, people
from bot.services.errors import DomainError, NotAllowed
from bot.text import squash, thousands
from content import texts

log = logging.getLogger(__name__)

STATE_CONTEXT = "flow.state"
STATE_OF = select(FlowState).where(FlowState.chat_id == bindparam("chat"),
                                   FlowState.person_id == bindparam("person"))
CLEAR_STATE = delete(FlowState).where(FlowState.chat_id == bindparam("chat"),
                                      FlowState.person_id == bindparam("person"))
MAX_TEXT = 4000
COMMAND_TOKEN = "c"
PICK_FLOW = "_pick"
HANDOVER = "handover"  # in a menu's stored data: what the flow a choice starts begins with
CANCEL_WORDS = frozenset({"huy", "cancel"})
BACK_WORDS = frozenset({"quaylai", "back"})


# ---- outcomes of a step or a command --------------------------------------------------------

@dataclass(frozen=True)
class Goto:
    step: str
    notice: str | None = None


@dataclass(frozen=True)
class Retry:
    problem: str


@dataclass(frozen=True)
class Finish:
    """End the flow; `reply` may offer command choices (e.g. a menu). `handover` is kept with
    those choices for the flow a chosen command starts (per flow name: its first data), so
    what the person wrote before choosing is not lost (a story offered as a report)."""

    reply: str | Prompt | None = None
    handover: dict[str, dict[str, Any]] | None = None


@dataclass(frozen=True)
class StartFlow:
    name: str
    args: str = ""


@dataclass(frozen=True)
class RunCommand:
    name: str
    args: str = ""


@dataclass(frozen=True)
class Stay:
    """Keep the flow where it is without asking again (the step already said something)."""


@dataclass(frozen=True)
class Back:
    """Go back to the previous step (as /quaylai does)."""


Outcome = Goto | Retry | Finish | StartFlow | RunCommand | Stay | Back


@dataclass(frozen=True)
class Answer:
    kind: InputKind
    text: str
    choice: Choice | None
    incoming: Incoming

    def picked(self, items: list[Any]) -> Any:
        """The item of a list kept in the flow's data that this answer chose, when its choices
        were made by `choices_of` (their ids are the items' places in the list)."""
        assert self.choice is not None
        return items[int(self.choice.id[1:])]


def choices_of(labels: Iterable[str], prefix: str = "c") -> tuple[Choice, ...]:
    """One choice per item of a list kept in the flow's data, by its place in it (the list,
    not the choice, carries what was chosen; `Answer.picked` reads it back)."""
    return tuple(Choice(f"{prefix}{place}", label) for place, label in enumerate(labels))


# ---- the context a step works in --------------------------------------------------------------

@dataclass
class Ctx:
    rt: Runtime
    session: AsyncSession
    incoming: Incoming
    person: Person
    chat: Chat
    data: dict[str, Any] = field(default_factory=dict)
    toast: str | None = None
    chosen: Choice | None = None
    expired: bool = False
    delete_command: bool = False
    first_contact: bool = False  # the person's first message ever
    step: str = ""  # the step being answered (for a flow's guard)
    close_request: bool = False  # the first message to this chat closes a share request
    handed: dict[str, dict[str, Any]] = field(default_factory=dict)  # see `Finish.handover`
    _outgoing: list[tuple[Chat, Outgoing, Lane]] = field(default_factory=list)
    _later: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _button_answer: ButtonAnswer | None = None

    @property
    def now(self) -> datetime:
        return self.rt.clock.now()

    @property
    def channel(self) -> str:
        return self.incoming.channel

    def say(self, message: str | Outgoing, *, to: Chat | None = None,
            lane: Lane = Lane.INTERACTIVE) -> None:
        """Queue a message (to this chat unless `to` names another)."""
        outgoing = Outgoing(text=message) if isinstance(message, str) else message
        self._outgoing.append((to or self.chat, outgoing, lane))

    def later(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` in this transaction after the replies are queued, so the person who
        acted hears back first (a reporter's receipt goes before the officers' cards)."""
        self._later.append(work)

    def after_commit(self, work: Callable[[], Awaitable[Any]]) -> None:
        """Run `work` in its own transaction once this one has committed (what is not needed
        for the answer — the officers' cards — should not make the answer wait)."""
        self.session.info.setdefault(AFTER_COMMIT, []).append(work)

    async def roles(self) -> set[Role]:
        grants = await people.active_roles(self.session, self.person.id, self.now)
        return {Role(grant.role) for grant in grants}

    def deep_link(self, payload: str) -> str | None:
        return self.rt.parts(self.channel).deep_link(payload)


AskFn = Callable[[Ctx], Awaitable[Prompt]]
AnswerButton = Callable[[Ctx], "ButtonAnswer"]


@dataclass(frozen=True)
class ButtonAnswer:
    """What a messenger with buttons says back when one is pressed, as its channel builds it
    (the engine only queues it): `at_once` outside the chat's order (stopping the button's
    spinner, with the step's toast), `after` behind the replies (marking what was chosen)."""

    at_once: list[PlatformRequest]
    after: list[PlatformRequest]


AnswerFn = Callable[[Ctx, Answer], Awaitable[Outcome]]
BeginFn = Callable[[Ctx, str], Awaitable[Outcome]]
GuardFn = Callable[[Ctx], Awaitable[Outcome | None]]


@dataclass
class Step:
    name: str
    ask: AskFn
    answer: AnswerFn | None = None


class Flow:
    """A named conversation: steps registered with `@flow.ask(name)` and `@flow.answer(name)`."""

    def __init__(self, name: str, *, private_only: bool = True) -> None:
        self.name = name
        self.private_only = private_only
        self.steps: dict[str, Step] = {}
        self.first_step: str | None = None
        self._begin: BeginFn | None = None
        self.guard_fn: GuardFn | None = None

    def ask(self, step: str) -> Callable[[AskFn], AskFn]:
        def register(fn: AskFn) -> AskFn:
            self.steps[step] = Step(step, fn)
            self.first_step = self.first_step or step
            return fn

        return register

    def answer(self, step: str) -> Callable[[AnswerFn], AnswerFn]:
        def register(fn: AnswerFn) -> AnswerFn:
            self.steps[step].answer = fn
            return fn

        return register

    def begin(self, fn: BeginFn) -> BeginFn:
        """Optional entry: decide the first step (or refuse) from the command's arguments."""
        self._begin = fn
        return fn

    def guard(self, fn: GuardFn) -> GuardFn:
        """Optional check before every answer: an outcome from it (a refusal) ends the step
        there. For what can change between two messages, such as a role being revoked."""
        self.guard_fn = fn
        return fn

    async def enter(self, ctx: Ctx, args: str) -> Outcome:
        if self._begin is not None:
            return await self._begin(ctx, args)
        assert self.first_step is not None, f"flow {self.name} has no steps"
        return Goto(self.first_step)


CommandFn = Callable[[Ctx, str], Awaitable[Outcome]]


@dataclass(frozen=True)
class Command:
    """A command a user can type (with or without a slash on text-only messengers)."""

    name: str
    run: CommandFn
    description: str
    aliases: tuple[str, ...] = ()
    private_only: bool = False
    menu_label: str | None = None
    menu_roles: frozenset[Role] | None = None
    keeps_flow: bool = False
    public: bool = True
    menu_rank: int = 50

    @property
    def keys(self) -> set[str]:
        return {squash(self.name), *(squash(alias) for alias in self.aliases)}


CallbackFn = Callable[[Ctx, str], Awaitable[Outcome | None]]
# what a private message that is no command and answers no question most likely means
UnderstandFn = Callable[[Ctx, str], Awaitable[Outcome]]
# a file sent privately with nothing under way: a feature's outcome, or None if not its file
FileFn = Callable[[Ctx], Awaitable[Outcome | None]]


@dataclass(frozen=True)
class Standing:
    """Choices a message sent outside any conversation offers (a broadcast's ✅), with when it
    reached the person: on a text-only messenger its number answers it — as its button would
    — only while it is the newest numbered message they got."""

    choices: tuple[Choice, ...]
    token: str  # a callback family's (`Registry.callback`)
    at: datetime


StandingFn = Callable[[Ctx], Awaitable[Standing | None]]


class Registry:
    """All commands, flows and button families the bot knows."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self._by_key: dict[str, Command] = {}
        self.flows: dict[str, Flow] = {}
        self.callbacks: dict[str, CallbackFn] = {}
        self.standing: StandingFn | None = None
        self.understand: UnderstandFn | None = None
        self.on_file: FileFn | None = None

    def fallback(self, fn: UnderstandFn) -> UnderstandFn:
        """The one answer to a private message no command or conversation takes (free text,
        an unknown command with its slash): a feature's, so the engine holds no sentences
        about greetings or emergencies."""
        self.understand = fn
        return fn

    def file_fallback(self, fn: FileFn) -> FileFn:
        """Who may take a file sent privately with nothing under way (a leader's roster), or
        a message the messenger did not pass on (Zalo: a file), before the engine's own
        answer (send it again while reporting; not readable): None leaves it to that."""
        if self.on_file is not None:
            raise ValueError("file fallback registered twice")
        self.on_file = fn
        return fn

    def command(self, command: Command) -> None:
        for key in command.keys:
            if key in self._by_key:
                raise ValueError(f"command key {key!r} registered twice")
            self._by_key[key] = command
        self.commands[command.name] = command

    def flow(self, flow: Flow) -> Flow:
        self.flows[flow.name] = flow
        return flow

    def callback(self, prefix: str, handler: CallbackFn) -> None:
        if prefix in self.callbacks or prefix == COMMAND_TOKEN or prefix.startswith("f"):
            raise ValueError(f"callback prefix {prefix!r} taken")
        self.callbacks[prefix] = handler

    def standing_choices(self, find: StandingFn) -> None:
        """How to find the choices a person was offered outside any conversation (one finder:
        the newest such message is the one a number answers)."""
        if self.standing is not None:
            raise ValueError("standing choices registered twice")
        self.standing = find

    def find(self, typed: str) -> Command | None:
        return self._by_key.get(squash(typed))

    def keys_for(self, roles: set[Role]) -> dict[str, Command]:
        """Every typed form of the commands these roles may use (those a menu shows only to
        other roles left out): what a mistyped command is compared with."""
        return {key: cmd for key, cmd in self._by_key.items()
                if cmd.menu_roles is None or cmd.menu_roles & roles}

    def menu(self, roles: set[Role]) -> list[Command]:
        shown = [
            cmd
            for cmd in self.commands.values()
            if cmd.menu_label and (cmd.menu_roles is None or cmd.menu_roles & roles)
        ]
        return sorted(shown, key=lambda cmd: cmd.menu_rank)

    def menu_prompt(self, roles: set[Role], title: str) -> Prompt:
        """The menu for these roles under `title`: every way out of a dead end."""
        return Prompt(title, tuple(command_choice(c) for c in self.menu(roles)))


def command_choice(command: Command) -> Choice:
    assert command.menu_label is not None
    return Choice(f"/{command.name}", command.menu_label)


# ---- stored state -------------------------------------------------------------------------------

@dataclass
class State:
    row: FlowState | None
    flow: str
    step: str
    version: int
    data: dict[str, Any]
    history: list[str]
    choices: list[Choice]
    accepts: set[str]
    # the version whose prompt numbered `choices`; another numbered message since (the
    # outbox moves `version` on) makes those numbers stale
    numbered: int = 0
    max_text: int = MAX_TEXT  # the longest text the step takes
    requested: bool = False  # the step offered a way to share a contact or place (`Request`)

    @property
    def stale_numbers(self) -> bool:
        return self.numbered != self.version

    @property
    def token(self) -> str:
        return f"f{self.version}"


class Engine:
    """Routes one `Incoming` through commands and flows, inside the caller's transaction."""

    def __init__(self, rt: Runtime, registry: Registry) -> None:
        self.rt = rt
        self.registry = registry
        self.ttl = timedelta(hours=rt.settings.flow_ttl_hours)

    # -- public entry ----------------------------------------------------------------------
    async def handle(self, session: AsyncSession, incoming: Incoming, *,
                     answer_button: AnswerButton | None = None) -> Ctx:
        """`answer_button` gives the channel's answer to a pressed button (`ButtonAnswer`),
        queued in the same insert as the replies."""
        person, chat, first = await people.arrive(session, self.rt, incoming)
        ctx = Ctx(self.rt, session, incoming, person, chat, first_contact=first)
        state = await self._load(ctx)
        try:
            await self._route(ctx, state)
        except DomainError as problem:
            ctx.say(str(problem))
        if answer_button is not None:
            ctx._button_answer = answer_button(ctx)
        await self._flush(ctx)
        return ctx

    # -- routing ---------------------------------------------------------------------------
    async def _route(self, ctx: Ctx, state: State | None) -> None:
        incoming = ctx.incoming
        group = ctx.chat.kind == ChatKind.GROUP
        if incoming.kind is InputKind.MEMBERSHIP:
            return
        if incoming.pressed is not None:
            await self._on_button(ctx, state, incoming.pressed)
            return
        if incoming.command is not None:
            await self._on_command(ctx, state, incoming.command, incoming.args)
            return
        if group:
            return  # in a group the bot speaks only when addressed by a command
        if await self._standing(ctx, state):
            return
        if squash(incoming.text) in CANCEL_WORDS | BACK_WORDS:
            # typed without a slash (text-only messengers): still cancel / go back
            await self._on_command(ctx, state, incoming.text, "")
            return
        if state is not None:
            if state.stale_numbers and state.choices and is_number(incoming.text):
                await self._outdated(ctx, state)
                return
            await self._feed(ctx, state, self._answer_from(incoming, state))
            return
        typed = self._typed_command(incoming.text)
        if typed is not None:
            await self._run_command(ctx, None, *typed)
            return
        if ctx.expired:
            await self._menu(ctx, texts.FLOW_EXPIRED)
            return
        if incoming.kind in MEDIA_KINDS or incoming.kind is InputKind.OTHER:
            # a file a feature recognises (a leader's roster; on Zalo, what it did not pass on)
            taken = await self.registry.on_file(ctx) if self.registry.on_file else None
            if taken is not None:
                await self._apply(ctx, None, taken)
                return
        if incoming.kind in MEDIA_KINDS:  # most likely evidence sent before starting a report
            ctx.say(texts.FILE_WITHOUT_TASK)
            return
        if incoming.kind is InputKind.OTHER:  # what the messenger does not let us read
            await self._menu(ctx, texts.CANNOT_READ)
            return
        await self._understand(ctx, incoming.text)

    async def _outdated(self, ctx: Ctx, state: State) -> None:
        """A bare number, but a numbered message came after the question it would answer: it
        answers only the latest, so the question is asked again."""
        if state.flow == PICK_FLOW:
            await self._clear(ctx, state)
            await self._menu(ctx, texts.NUMBER_OUTDATED)
            return
        await self._ask(ctx, state, problem=texts.NUMBER_OUTDATED)

    async def _understand(self, ctx: Ctx, text: str) -> None:
        """A private message nothing else took: the registry's fallback says what it most
        likely means (without one, that it was not understood, and the menu)."""
        if self.registry.understand is None:
            await self._menu(ctx, texts.NOT_UNDERSTOOD)
            return
        await self._apply(ctx, None, await self.registry.understand(ctx, text))

    async def _menu(self, ctx: Ctx, lead: str) -> None:
        """`lead`, then the menu of the person's roles: no answer is a dead end."""
        prompt = self.registry.menu_prompt(await ctx.roles(), f"{lead}\n{texts.MENU_AFTER}")
        await self._finish(ctx, prompt)

    def _typed_command(self, text: str) -> tuple[Command, str] | None:
        """A command typed without the slash, in one or two words, with or without
        diacritics ("baotin", "báo tin", "tham gia 7K3M…"): the command and what follows."""
        words_in = text.split()
        for count in (2, 1):
            if len(words_in) >= count:
                command = self.registry.find(" ".join(words_in[:count]))
                if command is not None:
                    return command, " ".join(words_in[count:])
        command = self.registry.find(text) if text.strip() else None
        return (command, "") if command is not None else None

    async def _on_button(self, ctx: Ctx, state: State | None, data: str) -> None:
        token, value = split_choice_data(data)
        if token == COMMAND_TOKEN:
            name, _, args = value.lstrip("/").partition(" ")
            command = self.registry.find(name)
            if command is not None:
                self._take_handover(ctx, state)
                await self._run_command(ctx, state, command, args)
                return
        elif token in self.registry.callbacks:
            outcome = await self.registry.callbacks[token](ctx, value)
            if outcome is not None:
                await self._apply(ctx, state, outcome)
            return
        elif state is not None and token == state.token:
            choice = next((c for c in state.choices if c.id == value), None)
            if choice is not None:
                ctx.chosen = choice
                answer = Answer(InputKind.CHOICE, choice.label, choice, ctx.incoming)
                await self._feed(ctx, state, answer)
                return
        ctx.toast = texts.STALE_BUTTON_TOAST
        if ctx.chat.kind == ChatKind.PRIVATE:
            ctx.say(texts.STALE_BUTTON)

    async def _standing(self, ctx: Ctx, state: State | None) -> bool:
        """A number typed on a text-only messenger for a message sent outside any conversation
        (`Standing`), when that message came after the prompt open now, if any: answered as
        its button would be, and True. A menu it came after is let go; a conversation in
        progress stays where it is. Only a number is looked at, and only where there are no
        buttons: nothing else costs a query."""
        find = self.registry.standing
        if find is None or ctx.incoming.kind is not InputKind.TEXT \
                or typed_number(ctx.incoming.text) is None \
                or self.rt.parts(ctx.channel).capabilities.buttons:
            return False
        offered = await find(ctx)
        if offered is None or (state is not None and state.row is not None
                               and state.row.updated_at >= offered.at):
            return False
        choice = match_choice(ctx.incoming.text, offered.choices)
        if choice is None:
            return False
        if state is not None and state.flow == PICK_FLOW:
            await self._clear(ctx, state)
            state = None
        outcome = await self.registry.callbacks[offered.token](ctx, choice.id)
        if outcome is not None:
            await self._apply(ctx, None, outcome)
        if state is not None:
            ctx.say(texts.CONTINUE_HINT)
        return True

    async def _on_command(self, ctx: Ctx, state: State | None, name: str, args: str) -> None:
        key = squash(name)
        if key in CANCEL_WORDS:
            await self._cancel(ctx, state)
            return
        if key in BACK_WORDS:
            await self._back(ctx, state)
            return
        command = self.registry.find(name)
        if command is None:
            if ctx.chat.kind == ChatKind.PRIVATE:
                if state is not None and state.flow == PICK_FLOW:
                    await self._clear(ctx, state)
                await self._understand(ctx, f"/{name} {args}".strip())
            return
        await self._run_command(ctx, state, command, args)

    async def _run_command(
        self, ctx: Ctx, state: State | None, command: Command, args: str
    ) -> None:
        if command.private_only and ctx.chat.kind != ChatKind.PRIVATE:
            link = ctx.deep_link(command.name)
            ctx.delete_command = True
            ctx.say(texts.PRIVATE_ONLY_LINK.format(link=link) if link else texts.PRIVATE_ONLY)
            return
        if state is not None and not command.keeps_flow:
            await self._clear(ctx, state)
            state = None
        try:
            outcome = await command.run(ctx, args)
            if command.keeps_flow and state is not None:
                # answer without touching the conversation in progress
                if isinstance(outcome, Finish) and outcome.reply is not None:
                    reply = outcome.reply
                    ctx.say(reply if isinstance(reply, str) else Outgoing.of(reply))
                if state.flow != PICK_FLOW:
                    ctx.say(texts.CONTINUE_HINT)
                return
            await self._apply(ctx, state, outcome)
        except NotAllowed as refusal:
            roles = await ctx.roles()
            if ctx.chat.kind != ChatKind.PRIVATE or (roles and command in self.registry.menu(
                    roles)):
                raise  # said as it is: someone who may use the command, refused this once
            await self._menu(ctx, str(refusal))  # a command for another role: what they may do

    async def _cancel(self, ctx: Ctx, state: State | None) -> None:
        if state is None or state.flow == PICK_FLOW:
            if state is not None:
                await self._clear(ctx, state)
            await self._menu(ctx, texts.NOTHING_TO_CANCEL)
            return
        await self._clear(ctx, state)
        ctx.say(texts.CANCELLED)

    async def _back(self, ctx: Ctx, state: State | None) -> None:
        if state is None or state.flow == PICK_FLOW:
            if state is not None:
                await self._clear(ctx, state)
            await self._menu(ctx, texts.NOTHING_TO_GO_BACK_TO)
            return
        if not state.history:
            ctx.say(texts.NOTHING_TO_GO_BACK)
            await self._ask(ctx, state)
            return
        state.step = state.history.pop()
        await self._ask(ctx, state)

    # -- answers ---------------------------------------------------------------------------
    def _answer_from(self, incoming: Incoming, state: State) -> Answer:
        choice = match_choice(incoming.text, state.choices) if incoming.text else None
        if choice is not None:
            return Answer(InputKind.CHOICE, incoming.text, choice, incoming)
        return Answer(incoming.kind, incoming.text, None, incoming)

    async def _feed(self, ctx: Ctx, state: State, answer: Answer) -> None:
        ctx.data = state.data
        if state.flow == PICK_FLOW:
            await self._pick(ctx, state, answer)
            return
        flow = self.registry.flows.get(state.flow)
        step = flow.steps.get(state.step) if flow else None
        if flow is None or step is None or step.answer is None:
            await self._clear(ctx, state)
            await self._menu(ctx, texts.FLOW_EXPIRED)
            return
        ctx.step = state.step
        if flow.guard_fn is not None and (refusal := await flow.guard_fn(ctx)) is not None:
            await self._apply(ctx, state, refusal)
            return
        problem = self._check_kind(answer, state)
        if problem is not None:
            await self._ask(ctx, state, problem=problem)
            return
        outcome = await step.answer(ctx, answer)
        await self._apply(ctx, state, outcome)

    def _check_kind(self, answer: Answer, state: State) -> str | None:
        accepts = state.accepts
        if answer.kind is InputKind.CHOICE:
            return None
        if answer.kind is InputKind.TEXT:
            if "text" in accepts:
                text = answer.text.strip()
                if not text:
                    return texts.EMPTY_TEXT
                if len(text) > state.max_text:
                    return texts.TOO_LONG.format(length=thousands(len(text)),
                                               limit=thousands(state.max_text))
                return None
            if state.choices:
                return texts.PICK_ONE
        if answer.kind.value in accepts:
            return None
        if answer.kind in MEDIA_KINDS and accepts & {k.value for k in MEDIA_KINDS}:
            return None
        wanted = [texts.KIND_WORDS[k] for k in sorted(accepts) if k in texts.KIND_WORDS]
        if state.choices:
            wanted.insert(0, texts.KIND_WORDS["choice"])
        joined = texts.KIND_OR.join(dict.fromkeys(wanted)) or texts.KIND_WORDS["text"]
        problem = texts.WRONG_KIND.format(wanted=joined)
        # a file or contact card the messenger does not pass on: said, and the step goes on
        return f"{texts.CANNOT_READ} {problem}" if answer.kind is InputKind.OTHER else problem

    async def _pick(self, ctx: Ctx, state: State, answer: Answer) -> None:
        """Answers to a finished flow's command menu (numbers on text-only messengers)."""
        await self._clear(ctx, state)
        if answer.choice is not None:
            name, _, args = answer.choice.id.lstrip("/").partition(" ")
            command = self.registry.find(name)
            if command is not None:
                self._take_handover(ctx, state)
                await self._run_command(ctx, None, command, args)
                return
        await self._route(ctx, None)

    @staticmethod
    def _take_handover(ctx: Ctx, state: State | None) -> None:
        """A command chosen from a menu gets what that menu kept (`Finish.handover`)."""
        if state is not None and state.flow == PICK_FLOW:
            ctx.handed = state.data.get(HANDOVER) or {}

    # -- outcomes --------------------------------------------------------------------------
    async def _apply(self, ctx: Ctx, state: State | None, outcome: Outcome) -> None:
        if isinstance(outcome, Goto):
            if state is None:
                raise RuntimeError("Goto outside a flow")
            if state.step and state.step != outcome.step:
                state.history.append(state.step)
            state.step = outcome.step
            await self._ask(ctx, state, notice=outcome.notice)
        elif isinstance(outcome, Retry):
            if state is None:
                ctx.say(outcome.problem)
            else:
                await self._ask(ctx, state, problem=outcome.problem)
        elif isinstance(outcome, Stay):
            if state is not None:
                await self._save(ctx, state)
        elif isinstance(outcome, Back):
            await self._back(ctx, state)
        elif isinstance(outcome, Finish):
            if state is not None:
                await self._clear(ctx, state)
            await self._finish(ctx, outcome.reply, outcome.handover)
        elif isinstance(outcome, StartFlow):
            if state is not None:
                await self._clear(ctx, state)
            flow = self.registry.flows[outcome.name]
            if flow.private_only and ctx.chat.kind != ChatKind.PRIVATE:
                ctx.say(texts.PRIVATE_ONLY)
                return
            fresh = State(None, flow.name, "", 0, dict(ctx.handed.pop(flow.name, {})), [], [],
                          set())
            ctx.data = fresh.data
            await self._apply(ctx, fresh, await flow.enter(ctx, outcome.args))
        elif isinstance(outcome, RunCommand):
            command = self.registry.commands[outcome.name]
            await self._run_command(ctx, state, command, outcome.args)

    async def _finish(self, ctx: Ctx, reply: str | Prompt | None,
                      handover: dict[str, dict[str, Any]] | None = None) -> None:
        if reply is None:
            return
        if isinstance(reply, str):
            ctx.say(reply)
            return
        if not reply.choices:
            ctx.say(Outgoing.of(reply))
            return
        data = {HANDOVER: handover} if handover else {}
        state = State(None, PICK_FLOW, "pick", 0, data, [], list(reply.choices), set())
        await self._save(ctx, state)
        ctx.say(Outgoing.of(reply, token=COMMAND_TOKEN))

    async def _ask(
        self, ctx: Ctx, state: State, *, problem: str | None = None, notice: str | None = None
    ) -> None:
        flow = self.registry.flows[state.flow]
        ctx.data = state.data
        prompt = await flow.steps[state.step].ask(ctx)
        state.version += 1
        state.numbered = state.version
        state.max_text = prompt.max_text or MAX_TEXT
        if state.requested and prompt.request is None:
            ctx.close_request = True
        state.requested = prompt.request is not None
        state.choices = list(prompt.choices)
        state.accepts = {kind.value for kind in prompt.accepted}
        if prompt.request is Request.CONTACT:
            state.accepts.add(InputKind.CONTACT.value)
        if prompt.request is Request.LOCATION:
            state.accepts.add(InputKind.LOCATION.value)
        lead = "\n\n".join(part for part in (problem, notice) if part)
        text = f"{lead}\n\n{prompt.text}" if lead else prompt.text
        ctx.say(Outgoing.of(Prompt(text, prompt.choices, prompt.accepts, prompt.request,
                                   prompt.columns), token=state.token))
        await self._save(ctx, state)

    # -- persistence -----------------------------------------------------------------------
    async def _load(self, ctx: Ctx) -> State | None:
        if ctx.first_contact:
            return None  # a person met just now has no conversation yet: no need to look
        row = await ctx.session.scalar(STATE_OF, {"chat": ctx.chat.id, "person": ctx.person.id})
        if row is None:
            return None
        if row.expires_at <= ctx.now:
            await ctx.session.delete(row)
            ctx.expired = True
            return None
        blob = json.loads(self.rt.open(row.data_enc, STATE_CONTEXT))
        return State(
            row=row,
            flow=row.flow,
            step=row.step,
            version=row.version,
            data=blob["data"],
            history=blob["history"],
            choices=[Choice(cid, label) for cid, label in blob["choices"]],
            accepts=set(blob["accepts"]),
            numbered=blob.get("numbered", row.version),
            max_text=blob.get("max_text", MAX_TEXT),
            requested=blob.get("requested", False),
        )

    async def _save(self, ctx: Ctx, state: State) -> None:
        blob = json.dumps(
            {
                "data": state.data,
                "history": state.history,
                "choices": [[c.id, c.label] for c in state.choices],
                "accepts": sorted(state.accepts),
                "numbered": state.numbered,
                "max_text": state.max_text,
                "requested": state.requested,
            },
            ensure_ascii=False,
        )
        sealed = self.rt.seal(blob, STATE_CONTEXT)
        row = state.row
        if row is None:
            existing = await ctx.session.scalar(
                STATE_OF, {"chat": ctx.chat.id, "person": ctx.person.id})
            row = existing or FlowState(chat_id=ctx.chat.id, person_id=ctx.person.id)
            if existing is None:
                ctx.session.add(row)
            state.row = row
        row.flow, row.step, row.version = state.flow, state.step, state.version
        row.data_enc = sealed
        row.expires_at = ctx.now + self.ttl
        row.updated_at = ctx.now
        await ctx.session.flush()

    async def _clear(self, ctx: Ctx, state: State) -> None:
        await ctx.session.execute(CLEAR_STATE, {"chat": ctx.chat.id, "person": ctx.person.id})
        state.row = None
        if state.requested:
            ctx.close_request = True

    async def _flush(self, ctx: Ctx) -> None:
        await self._enqueue(ctx)
        while ctx._later:
            await ctx._later.pop(0)()
            await self._enqueue(ctx)

    async def _enqueue(self, ctx: Ctx) -> None:
        """The step's messages and the answer to a pressed button, in one insert (in order
        within each chat and lane)."""
        button, ctx._button_answer = ctx._button_answer, None
        rows = [(ctx.chat, request, Lane.BUTTON) for request in (button.at_once if button else [])]
        if ctx.close_request:
            for index, (chat, message, lane) in enumerate(ctx._outgoing):
                if chat is ctx.chat:
                    ctx._outgoing[index] = (chat, replace(message, close_request=True), lane)
                    ctx.close_request = False
                    break
        rows += [(chat, request, lane) for chat, message, lane in ctx._outgoing
                 for request in outbox.render(self.rt, chat, message)]
        rows += [(ctx.chat, request, Lane.INTERACTIVE)
                 for request in (button.after if button else [])]
        ctx._outgoing.clear()
        if rows:
            await outbox.enqueue_in_lanes(ctx.session, self.rt, rows)


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(FlowState).where(FlowState.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
