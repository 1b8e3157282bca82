"""Injected Bot API failures, for crash-safety and retry tests.

A test adds rules with POST /control/faults; each Bot API request is matched against
them in order (by method, default every method but getUpdates and getMe, and chat_id)
and the first matching rule fails it, `times` times (0 = until cleared):

- "429": Too Many Requests with retry_after; "5xx": a server error with `status`;
  "403": blocked by the user / kicked from the group; "400": a Bad Request. None of
  these apply the request.
- "timeout": the answer comes after `delay` seconds (the client normally gives up
  first); "drop": the connection closes without an answer. With `apply` the request
  takes effect first and a patient client gets the real answer; without it, nothing
  happens and the connection is closed after the delay.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox.errors import BotApiError, ControlError

FAULT_KINDS = ("429", "5xx", "timeout", "drop", "403", "400")
DELAYED_KINDS = frozenset({"timeout", "drop"})
SPARED_BY_DEFAULT = frozenset({"getUpdates", "getMe"})
FAULT_FIELDS = frozenset(
    {"method", "chat_id", "error", "times", "retry_after", "status", "delay", "apply"}
)
MAX_DELAY_SECONDS = 3600.0
SERVER_ERROR_TEXTS = {502: "Bad Gateway"}
INJECTED_BAD_REQUEST = "Bad Request: some injected error"


@dataclass
class FaultRule:
    """One rule: which requests it fails, how, and how many more times."""

    rule_id: int
    error: str
    method: str | None = None
    chat_id: int | str | None = None
    times: int = 1
    retry_after: int = 1
    status: int = 502
    delay: float = 30.0
    apply: bool = False
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        """Whether the rule has failed as many requests as it was asked to."""
        return self.times > 0 and self.hits >= self.times

    @property
    def takes_effect(self) -> bool:
        """Whether a request it hits is applied before the failure."""
        return self.apply and self.error in DELAYED_KINDS

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        """Whether a request to `method` (canonical name) for `chat_id` is hit."""
        if self.method is None and method in SPARED_BY_DEFAULT:
            return False
        if self.method is not None and self.method != method:
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def to_json(self) -> dict[str, Any]:
        """The rule as GET /control/faults lists it."""
        return {
            "rule_id": self.rule_id,
            "error": self.error,
            "method": self.method,
            "chat_id": self.chat_id,
            "times": self.times,
            "hits": self.hits,
            "retry_after": self.retry_after,
            "status": self.status,
            "delay": self.delay,
            "apply": self.apply,
        }

    def error_for(self, chat_type: str | None) -> BotApiError:
        """The Bot API error of a 429, 5xx, 403 or 400 rule, for a chat of this type."""
        if self.error == "429":
            return too_many_requests(self.retry_after)
        if self.error == "5xx":
            text = SERVER_ERROR_TEXTS.get(self.status, "Internal Server Error")
            return BotApiError(self.status, text)
        if self.error == "403":
            return BotApiError(403, forbidden_text(chat_type))
        return BotApiError(400, INJECTED_BAD_REQUEST)


def too_many_requests(retry_after: int) -> BotApiError:
    """Telegram's flood-control answer."""
    return BotApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def forbidden_text(chat_type: str | None) -> str:
    """Telegram's 403 for a user who blocked the bot, or a group that removed it."""
    if chat_type in ("group", "supergroup"):
        return f"Forbidden: bot was kicked from the {chat_type} chat"
    return "Forbidden: bot was blocked by the user"


class FaultBook:
    """The active fault rules, in the order they were added."""

    def __init__(
        self, canonical_method: Callable[[str], str | None], *, chat_id_type: type = int
    ) -> None:
        self._canonical = canonical_method
        self._chat_id_type = chat_id_type
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, body: Mapping[str, Any]) -> FaultRule:
        """Add a rule from a POST /control/faults body; ControlError if it is invalid."""
        rule = parse_fault(body, self._next_id, self._canonical, self._chat_id_type)
        self._next_id += 1
        self._rules.append(rule)
        return rule

    def take(self, method: str, chat_id: int | str | None) -> FaultRule | None:
        """The first rule hitting this request, counted as a hit; None if no rule does."""
        for rule in self._rules:
            if rule.matches(method, chat_id):
                rule.hits += 1
                if rule.exhausted:
                    self._rules.remove(rule)
                return rule
        return None

    def rules(self) -> list[dict[str, Any]]:
        """The active rules."""
        return [rule.to_json() for rule in self._rules]

    def clear(self) -> int:
        """Remove every rule; returns how many there were."""
        count = len(self._rules)
        self._rules.clear()
        return count


def parse_fault(
    body: Mapping[str, Any],
    rule_id: int,
    canonical_method: Callable[[str], str | None],
    chat_id_type: type = int,
) -> FaultRule:
    """A FaultRule from a control request body; chat ids are integers (Telegram) or,
    with `chat_id_type` str, strings (Zalo, where an integer is taken as its digits)."""
    unknown = sorted(set(body) - FAULT_FIELDS)
    if unknown:
        raise ControlError(f'unknown field "{unknown[0]}"')
    error = body.get("error")
    if error not in FAULT_KINDS:
        raise ControlError(f'"error" must be one of {", ".join(FAULT_KINDS)}')
    rule = FaultRule(rule_id=rule_id, error=str(error))
    rule.method = _method(body.get("method"), canonical_method)
    rule.chat_id = _chat_id(body, chat_id_type)
    rule.times = _int_field(body, "times", rule.times, minimum=0)
    rule.retry_after = _int_field(body, "retry_after", rule.retry_after, minimum=1)
    rule.status = _int_field(body, "status", rule.status, minimum=500)
    if rule.status > 599:
        raise ControlError('"status" must be a 5xx HTTP status')
    rule.delay = _delay(body.get("delay", rule.delay))
    rule.apply = _apply(body.get("apply", False), rule.error)
    return rule


def _method(value: Any, canonical_method: Callable[[str], str | None]) -> str | None:
    if value is None:
        return None
    name = canonical_method(value) if isinstance(value, str) else None
    if name is None:
        raise ControlError(f'"method" must name a Bot API method of the sandbox, not {value!r}')
    return name


def _chat_id(body: Mapping[str, Any], chat_id_type: type) -> int | str | None:
    if chat_id_type is not str:
        return _optional_int(body, "chat_id", minimum=None)
    value = body.get("chat_id")
    if value is None or (isinstance(value, str) and value):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ControlError('"chat_id" must be a string')


def _optional_int(body: Mapping[str, Any], name: str, minimum: int | None) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise ControlError(f'"{name}" must be an integer')
    if minimum is not None and value < minimum:
        raise ControlError(f'"{name}" must be >= {minimum}')
    return value


def _int_field(body: Mapping[str, Any], name: str, default: int, minimum: int) -> int:
    value = _optional_int(body, name, minimum)
    return default if value is None else value


def _delay(value: Any) -> float:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not 0 <= value <= MAX_DELAY_SECONDS:
        raise ControlError(f'"delay" must be a number of seconds in [0, {MAX_DELAY_SECONDS:g}]')
    return float(value)


def _apply(value: Any, error: str) -> bool:
    if not isinstance(value, bool):
        raise ControlError('"apply" must be true or false')
    if value and error not in DELAYED_KINDS:
        raise ControlError('"apply" is only for "timeout" and "drop" faults')
    return value
