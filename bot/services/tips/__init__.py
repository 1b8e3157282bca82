"""Tip-offs: a resident reports a crime privately; the commune police receive, check, forward
and close it within the legal time limits, every step on record.

One module per job; the use cases a conversation step calls are marked ▸.
- `intake`: ▸ may this person report now; ▸ the communes and villages to offer; ▸ `submit`:
  the tip stored, routed, its deadline set and its cards queued.
- `actions`: officer actions as a table (who may, what the officer gives, what changes, who
  hears); ▸ `begin` (a card's button), ▸ `act` (the change and every message it calls for).
- `mailbox`: ▸ an officer's list of open tips, ▸ one tip in full (recorded as a view).
- `followup`: the reporter's side after the receipt: ▸ the status view, ▸ their answer.
- `lookup`: ▸ the resident's status lookup, guarded against guessing.
- `team`: ▸ binding a police team's group; which chats are a commune's team groups.
- `stats`: ▸ counts for /thongke.
- `access`: who may see and act on a tip, who holds its mailbox, the way back to a reporter.
- `lifecycle`: the status table, the once-only actions and the deadline table (data).
- `cards`: what officers, the team group and the reporter are told, kept up to date.
- `codes`, `sealed`, `events`: receipt codes and PINs as keyed hashes; the content, sealed;
  the tip's record of actions, notes, messages and views.
- `reminders`, `retention`, `jobs`: deadlines, deletion, the scheduler's part.

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
