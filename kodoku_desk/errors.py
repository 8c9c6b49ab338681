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
    """A refusal. It names what was refused so the one refusal path (services.access) can write
    it to the audit log in its own committed write, whatever the caller's unit of work does."""

    def __init__(self, message: str, *, field: str | None = None, what: str = "",
                 target_type: str = "", target_id: object = "") -> None:
        super().__init__(message, field=field)
        self.what = what
        self.target_type = target_type
        self.target_id = target_id
        self.audited = False  # set once the refusal is in the audit log


class WorkspaceError(UserError):
    pass


class ConflictError(UserError):
    """Someone else changed the record first (e.g. two windows answering one hand-off)."""
