"""Tip-offs: a resident reports a crime privately; the commune police receive, check, forward
and close it within the legal time limits, every step on record.

One module per job:
- `intake`: may this person report now; the tip stored, routed, its cards queued.
- `codes`: receipt codes, PINs and the keyed hashes that stand for them.
- `sealed`: the draft and the tip's content, encrypted.
- `access`: who may see and act on a tip, who holds its mailbox.
- `lifecycle`: the status table and the deadline table (data, not `if` chains).
- `actions`: officer actions as a table: who may, from which states, what changes, who hears.
- `cards`: what officers, the team group and the reporter are told.
- `events`: the tip's record of actions, notes, messages and views.
- `followup`: after the receipt: questions to the reporter, the reporter's answers.
- `lookup`: the resident's status lookup, guarded against guessing.
- `reminders`, `retention`, `stats`, `jobs`: deadlines, deletion, counts, the scheduler's part.

Never logs or returns tip content or reporter identity except to the police of the tip's
commune (and the dispatcher for tips no commune can take). Receipt codes and PINs exist in
clear only in the receipt message; the database keeps keyed hashes.

This module holds only what every other one shares (the package's two errors), so any of them
may import it.
"""

from __future__ import annotations

from bot.services.errors import DomainError


class TipProblem(DomainError):
    pass


class TipChanged(TipProblem):
    """Someone else changed the tip between the officer's look and their action."""
