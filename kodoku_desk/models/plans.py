"""Support plans (支援プラン) with kept versions, approvals and evaluations; meetings with parts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kodoku_desk.domain.meeting import MEETING_KINDS  # noqa: E402, F401 - the column's values
from kodoku_desk.domain.plan import STATUSES as PLAN_STATUSES  # noqa: F401 - the column's values
from kodoku_desk.models.base import Base, now


class Plan(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="案", index=True)
    approval: Mapped[str] = mapped_column(String(10), default="")  # "" / 申請中 / 承認 / 差戻し
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class PlanVersion(Base):
    __tablename__ = "plan_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    version: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict] = mapped_column(default=dict)  # docs/DOMAIN.md §8 fields
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class PlanEvent(Base):
    """Status changes and approval steps (request / approve / return with a comment)."""

    __tablename__ = "plan_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str] = mapped_column(String(10), default="")
    to_status: Mapped[str] = mapped_column(String(10), default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=now)


class PlanEvaluation(Base):
    __tablename__ = "plan_evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    evaluated_on: Mapped[date] = mapped_column()
    progress: Mapped[list] = mapped_column(default=list)  # [{goal, progress}]
    next_direction: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class MeetingSession(Base):
    """One sitting on one day; it may hold several parts of different kinds."""

    __tablename__ = "meeting_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(index=True)
    start_time: Mapped[str] = mapped_column(String(5), default="")
    end_time: Mapped[str] = mapped_column(String(5), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    chair: Mapped[str] = mapped_column(String(100), default="")
    block_id: Mapped[int | None] = mapped_column(ForeignKey("blocks.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class MeetingPart(Base):
    __tablename__ = "meeting_parts"
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id"), index=True)
    seq: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")


class PartMember(Base):
    __tablename__ = "part_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("meeting_parts.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    external_name: Mapped[str] = mapped_column(String(100), default="")
    external_affiliation: Mapped[str] = mapped_column(String(200), default="")


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("meeting_parts.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(default=1)
    added_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    added_at: Mapped[datetime] = mapped_column(default=now)


class MeetingDecision(Base):
    __tablename__ = "meeting_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("meeting_parts.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    decisions: Mapped[str] = mapped_column(Text, default="")
    role_changes: Mapped[list] = mapped_column(default=list)
    next_review_on: Mapped[date | None] = mapped_column()
    plan_version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_versions.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


Index("ix_meeting_parts_kind", MeetingPart.kind)
