"""Receipt codes, PINs and the keyed hashes that stand for them (and for a reporter).

A receipt code and a PIN exist in clear only in the receipt message; the database keeps the
keyed hashes made here, so a stolen database names no code, no PIN and no reporter.
"""

from __future__ import annotations

import secrets

from bot.crypto import normalize_code, random_code
from bot.models import Person
from bot.runtime import Runtime

CODE_LENGTH = 10
PIN_CONTEXT = "tip.pin"


def new_receipt_code() -> str:
    code = random_code(CODE_LENGTH)
    return f"TB-{code[:5]}-{code[5:]}"


def canonical_code(text: str) -> str | None:
    """The 10 code characters from what a person typed (with or without TB-, dashes, case)."""
    code = normalize_code(text)
    if len(code) == CODE_LENGTH + 2 and code.startswith("TB"):
        code = code[2:]
    return code if len(code) == CODE_LENGTH else None


def receipt_hash(rt: Runtime, canonical: str) -> str:
    return rt.digest(canonical, "tip.receipt")


PIN_DIGITS = 6


def new_pin() -> str:
    return f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"


def canonical_pin(text: str) -> str | None:
    """A PIN as typed ("123 456" too): six ASCII digits, or None for anything else."""
    pin = "".join(text.split())
    return pin if len(pin) == PIN_DIGITS and pin.isascii() and pin.isdigit() else None


def _pin_message(canonical: str, pin: str) -> str:
    """A PIN is hashed with its code: the same PIN on two tips gives two hashes."""
    return f"{canonical}:{pin.strip()}"


def pin_hash(rt: Runtime, canonical: str, pin: str) -> str:
    return rt.digest(_pin_message(canonical, pin), PIN_CONTEXT)


def pin_matches(rt: Runtime, canonical: str, pin: str, stored: str) -> bool:
    """Is `pin` the PIN of the tip with this code (under the current key or an earlier one)?"""
    return rt.keyring.verify_digest(_pin_message(canonical, pin), PIN_CONTEXT, stored)


def reporter_ref(rt: Runtime, person: Person) -> str:
    return rt.digest(str(person.id), "tip.reporter")
