"""Errors raised by the Telegram sandbox.

`BotApiError` becomes Telegram's error envelope on the Bot API routes; `ControlError`
becomes a plain JSON error on the /control routes used by tests and the web chat page.
"""

from typing import Any


class BotApiError(Exception):
    """A Bot API failure, answered as `{"ok": false, "error_code", "description"}`."""

    def __init__(
        self,
        error_code: int,
        description: str,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_envelope(self) -> dict[str, Any]:
        """Telegram's JSON body for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> BotApiError:
    """A 400 error whose description is `Bad Request: <detail>`, as Telegram words them."""
    return BotApiError(400, f"Bad Request: {detail}")


class ControlError(Exception):
    """A failure of a control operation (bad input, unknown chat, missing button...)."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status
