"""Domain errors: raised by services, turned into a polite reply (or a CLI line) at the edge."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no. `str(error)` is a Vietnamese sentence fit to show the user."""


class NotFound(DomainError):
    pass


class NotAllowed(DomainError):
    pass


class InvalidInput(DomainError):
    pass
