"""User-facing errors: each carries one Japanese sentence fit to show as it is."""

from __future__ import annotations


class UserError(Exception):
    """An error caused by input or circumstances the user can act on."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field or import path the message belongs to, if any


class AuthError(UserError):
    pass


class AccessDenied(UserError):
    pass


class WorkspaceError(UserError):
    pass


class ConflictError(UserError):
    """Someone else changed the record first (e.g. two windows answering one hand-off)."""
