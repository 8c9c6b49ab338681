"""Consent and hand-offs (つなぎ). History is append-only: events, withdrawals, reviews."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

# Legal bases for a disclosure: the rules own them (docs/DOMAIN.md §6).
from kodoku_desk.domain.consent import (  # noqa: E402, F401
    BASES,
    BASIS_CONSENT,
    BASIS_LAW,
    BASIS_MEETING,
    BASIS_VITAL,
)

# Hand-off states: the rules own them (docs/DOMAIN.md §5).
from kodoku_desk.domain.handoff import (  # noqa: E402, F401
    ACCEPTED,
    ACKNOWLEDGED,
    DONE,
    RETURNED,
    SENT,
    WITHDRAWN,
)
from kodoku_desk.domain.handoff import STATES as HANDOFF_STATES  # noqa: E402, F401
from kodoku_desk.models.base import Base, now


class Consent(Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    given: Mapped[bool] = mapped_column(default=True)
    scope_agencies: Mapped[list] = mapped_column(default=list)  # agency ids
    scope_fields: Mapped[list] = mapped_column(default=list)  # 高齢, 障がい …
    covers_meetings: Mapped[bool] = mapped_column(default=False)  # 重層的支援会議 で共有してよい
    method: Mapped[str] = mapped_column(String(20), default="")  # 署名 / 口頭
    given_on: Mapped[date | None] = mapped_column()
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)


class ConsentWithdrawal(Base):
    __tablename__ = "consent_withdrawals"
    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"), unique=True)
    withdrawn_on: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)


class Handoff(Base):
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("sheets.id"))
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[str] = mapped_column(Text, default="")
    share: Mapped[list] = mapped_column(default=list)  # template section keys it may see
    basis: Mapped[str] = mapped_column(String(32), default=BASIS_CONSENT)
    basis_reason: Mapped[str] = mapped_column(Text, default="")
    consent_override: Mapped[bool] = mapped_column(default=False, index=True)
    # Cached from the events (the events are the truth; services keep these in step).
    state: Mapped[str] = mapped_column(String(10), default=SENT)
    version: Mapped[int] = mapped_column(default=1)  # optimistic lock against double answers
    sent_at: Mapped[datetime] = mapped_column(default=now, index=True)
    due_on: Mapped[date] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    # Calendar days from sending to acknowledgement (ack_days_between), None until acknowledged:
    # the dashboard's and report's medians walk an index on it instead of computing and sorting
    # a date difference per row. Written with acknowledged_at (services.handoffs.transition_in,
    # kodoku_devtools.synthetic; ORM inserts and updates by the listener below; migration 0007 backfilled).
    ack_days: Mapped[float | None] = mapped_column()
    # Set (with a 同意撤回 event) when the person withdrew the consent this open hand-off was sent
    # under and nothing else covers it: the receiver's access to the snapshots ends.
    consent_ended_at: Mapped[datetime | None] = mapped_column()
    # When the current stage began (domain.handoff.restarts_stage): the sending, the step into
    # the current state, or while 対応中 the latest event. The deadlines of 受理 and 対応中 are
    # counted from it (domain.handoff.stage_deadline). Written with every event by the services
    # (handoffs.send_in / transition_in / add_share_in / record_progress_in,
    # sharing.end_for_withdrawal) and kodoku_devtools.synthetic; migration 0011 filled it.
    stage_started_at: Mapped[datetime | None] = mapped_column()


def ack_days_between(sent_at: datetime | None, acknowledged_at: datetime | None) -> float | None:
    """Days from sending to acknowledgement in whole seconds / 86,400 (None if not acknowledged)."""
    if sent_at is None or acknowledged_at is None:
        return None
    return round((acknowledged_at - sent_at).total_seconds()) / 86400


@event.listens_for(Handoff, "before_insert")
@event.listens_for(Handoff, "before_update")
def _keep_ack_days(mapper, connection, target: Handoff) -> None:
    target.ack_days = ack_days_between(target.sent_at, target.acknowledged_at)


@event.listens_for(Handoff, "before_insert")
def _stage_starts_at_sending(mapper, connection, target: Handoff) -> None:
    if target.stage_started_at is None:
        target.stage_started_at = target.sent_at


Index("ix_handoffs_to_state", Handoff.to_agency_id, Handoff.state)
Index("ix_handoffs_state_due", Handoff.state, Handoff.due_on)


class HandoffEvent(Base):
    __tablename__ = "handoff_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(10), default="")
    to_state: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    alternative: Mapped[str] = mapped_column(Text, default="")  # a return's suggested alternative
    # "" for a step of the state machine; "追加提供" or "同意撤回" for an event that changes what
    # the receiver may read without changing the state (from_state == to_state).
    kind: Mapped[str] = mapped_column(String(10), default="")


class HandoffSnapshot(Base):
    """What one hand-off disclosed: the chosen sections of one sheet, frozen at 送付 (seq 1) or
    at a 追加提供 (seq 2, 3 …). The receiving agency reads these, never the live sheet.
    `sha256` is the digest of the canonical content (domain.snapshot), named by the 提供記録."""

    __tablename__ = "handoff_snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    seq: Mapped[int] = mapped_column()
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("sheets.id"))
    sections: Mapped[list] = mapped_column(default=list)
    content: Mapped[dict] = mapped_column(default=dict)
    sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    migrated: Mapped[bool] = mapped_column(default=False)  # made by migration 0010 from the sheet


class OverrideReview(Base):
    """A supervisor's review of a consent override, with a comment."""

    __tablename__ = "override_reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=now)
