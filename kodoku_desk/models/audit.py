"""Append-only logs: the SHA-256-chained audit log and the disclosure log (提供記録)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kodoku_desk.models.base import Base, now


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)  # staff login, or "-" for system
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Disclosure(Base):
    """One disclosure of personal information: who, to whom, when, which sections, which basis."""

    __tablename__ = "disclosures"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    from_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200), default="")
    sections: Mapped[list] = mapped_column(default=list)
    basis: Mapped[str] = mapped_column(String(32))
    basis_reason: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))  # handoff / packet / print / export
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"))
    meeting_part_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_parts.id"))
    copy_no: Mapped[int | None] = mapped_column()
    # A hand-off's disclosure names exactly what was disclosed: its snapshot and that content's hash.
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("handoff_snapshots.id"))
    content_hash: Mapped[str] = mapped_column(String(64), default="")


Index("ix_disclosures_basis_at", Disclosure.basis, Disclosure.at)
