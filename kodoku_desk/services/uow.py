"""The unit of work every service opens: `write(signed)` (all or nothing) and `read(signed)`.

Three things happen here and nowhere else:
- a refusal (AccessDenied) that escapes a unit of work is written to the audit log in its own
  committed write after the work was rolled back, so it is never lost with the work
  (services.access.record_refusal);
- the kinds of rows a committed write changed are added to the change collector of the calling
  context (`collect_changes`), which the GUI runner turns into one change notification;
- importing this module installs the history chain's session hook (services.history_chain):
  the chained history rows a flush inserts are linked in the same transaction, and an ORM
  UPDATE or DELETE of one is refused.

The UI and the CLI never open a unit of work; they call services and queries, which do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from kodoku_desk import models as m
from kodoku_desk.domain.changes import Change
from kodoku_desk.errors import AccessDenied
from kodoku_desk.services import history_chain  # noqa: F401 - installs the history chain's hook

if TYPE_CHECKING:
    from kodoku_desk.services.auth import Signed

# Which kind of change each model's rows are.
_KIND_OF: dict[type, Change] = {
    m.Person: Change.CASE, m.Case: Change.CASE, m.CaseField: Change.CASE,
    m.HouseholdMember: Change.CASE, m.Sheet: Change.CASE, m.RoutingDecision: Change.CASE,
    m.Attachment: Change.CASE,
    m.Handoff: Change.HANDOFF, m.HandoffEvent: Change.HANDOFF,
    m.Consent: Change.CONSENT, m.ConsentWithdrawal: Change.CONSENT,
    m.Disclosure: Change.DISCLOSURE, m.OverrideReview: Change.OVERRIDE_REVIEW,
    m.Plan: Change.PLAN, m.PlanVersion: Change.PLAN, m.PlanEvent: Change.PLAN,
    m.PlanEvaluation: Change.PLAN,
    m.MeetingSession: Change.MEETING, m.MeetingPart: Change.MEETING,
    m.PartMember: Change.MEETING, m.AgendaItem: Change.MEETING,
    m.MeetingDecision: Change.MEETING,
    m.Block: Change.ORG, m.Agency: Change.ORG, m.Staff: Change.STAFF,
    m.Setting: Change.SETTINGS, m.AuditEntry: Change.AUDIT,
}
_AUDIT_HEAD_KEY = "audit_head"  # the chain head lives in settings; moving it is an audit change

_collector: ContextVar[list[Change] | None] = ContextVar("kodoku_changes", default=None)


def _moves_audit_head(state: ORMExecuteState) -> bool:
    where = getattr(state.statement, "whereclause", None)
    params = where.compile().params if where is not None else {}
    return _AUDIT_HEAD_KEY in params.values()


def report(kinds: Change) -> None:
    """Add kinds committed outside `write` (the refusal path's own write) to the collector."""
    box = _collector.get()
    if box is not None:
        box[0] |= kinds


def kind_of(obj: object) -> Change:
    if isinstance(obj, m.Setting) and obj.key == _AUDIT_HEAD_KEY:
        return Change.AUDIT
    return _KIND_OF.get(type(obj), Change.NONE)


@contextlib.contextmanager
def collect_changes() -> Iterator[list[Change]]:
    """Collect what every write committed inside the block: `changes[0]` is their union."""
    box = [Change.NONE]
    token = _collector.set(box)
    try:
        yield box
    finally:
        _collector.reset(token)


def _track(session: Session) -> list[Change]:
    seen = [Change.NONE]

    @event.listens_for(session, "after_flush")
    def _flushed(sess: Session, _ctx) -> None:
        for obj in (*sess.new, *sess.dirty, *sess.deleted):
            seen[0] |= kind_of(obj)

    @event.listens_for(session, "do_orm_execute")
    def _statement(state: ORMExecuteState) -> None:  # bulk update()/insert() on a model
        if (state.is_update or state.is_insert or state.is_delete) and state.bind_mapper:
            cls = state.bind_mapper.class_
            # audit.record locks the chain head with an UPDATE of its settings row: that is the
            # audit log moving, not a setting changing.
            seen[0] |= Change.AUDIT if cls is m.Setting and _moves_audit_head(state) \
                else _KIND_OF.get(cls, Change.NONE)

    return seen


@contextlib.contextmanager
def _unit(signed: Signed,
          opener: Callable[[], AbstractContextManager[Session]]) -> Iterator[Session]:
    """Open a unit of work; a refusal escaping it is audited once the work is rolled back."""
    from kodoku_desk.services.access import open_units, record_refusal

    token = open_units.set(open_units.get() + 1)
    try:
        try:
            with opener() as session:
                yield session
        finally:
            open_units.reset(token)
    except AccessDenied as exc:  # the unit is closed (rolled back) and no longer counted
        record_refusal(signed, exc)
        raise


@contextlib.contextmanager
def write(signed: Signed) -> Iterator[Session]:
    """All or nothing; what it changed is reported to the change collector after the commit."""
    seen = [Change.NONE]
    with _unit(signed, signed.store.write) as session:
        seen = _track(session)
        yield session
    report(seen[0])


@contextlib.contextmanager
def read(signed: Signed) -> Iterator[Session]:
    """A read-only unit of work (a refusal found while reading is audited all the same)."""
    with _unit(signed, signed.store.read) as session:
        yield session
