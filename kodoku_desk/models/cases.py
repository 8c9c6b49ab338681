"""People, households, cases, sheets (「つながる」シート), attachments and routing decisions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kodoku_desk.models.base import Base, now

URGENCIES = ("即日対応", "高", "中", "低")
CASE_STATUSES = ("open", "closed")
CASE_STATUS_LABELS = {"open": "対応中", "closed": "終結"}


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    kana: Mapped[str] = mapped_column(String(200), default="")
    birth_date: Mapped[date | None] = mapped_column()
    sex: Mapped[str] = mapped_column(String(10), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # Normalised keys (NFKC, katakana→hiragana, no spaces or hyphens) for search/duplicates.
    name_key: Mapped[str] = mapped_column(String(100), default="", index=True)
    kana_key: Mapped[str] = mapped_column(String(200), default="")
    phone_key: Mapped[str] = mapped_column(String(40), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)


Index("ix_people_kana_birth", Person.kana_key, Person.birth_date)


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(20), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    block_id: Mapped[int | None] = mapped_column(ForeignKey("blocks.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    urgency: Mapped[str] = mapped_column(String(10), default="中")
    urgent_path: Mapped[bool] = mapped_column(default=False)  # DV・虐待 / 死にたい気持ち
    multi_agency: Mapped[bool] = mapped_column(default=False)  # two or more fields: 多機関協働
    fields: Mapped[list] = mapped_column(default=list)
    discovery: Mapped[str] = mapped_column(String(40), default="")
    opened_at: Mapped[datetime] = mapped_column(default=now, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=now)
    deleted: Mapped[bool] = mapped_column(default=False)
    # Normalised text of name, kana, phone and case number for search (inside the encrypted db).
    search_text: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship()


class CaseField(Base):
    """One row per field (高齢, 障がい …) of a case: lets statistics aggregate in SQL."""

    __tablename__ = "case_fields"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(10), primary_key=True, index=True)


class HouseholdMember(Base):
    __tablename__ = "household_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    relation: Mapped[str] = mapped_column(String(40), default="")
    flags: Mapped[list] = mapped_column(default=list)  # 要介護, 障がい, 18歳未満, 就労, ひきこもり

    person: Mapped[Person] = relationship()


class Sheet(Base):
    __tablename__ = "sheets"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    template_version: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(default=now, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    method: Mapped[str] = mapped_column(String(20), default="")
    worries: Mapped[list] = mapped_column(default=list)
    most_pressing: Mapped[str] = mapped_column(String(60), default="")
    answers: Mapped[dict] = mapped_column(default=dict)  # field key → value, per the template
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class Attachment(Base):
    """Scanned pages and files, stored inside the encrypted database, never on disk."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("sheets.id"))
    kind: Mapped[str] = mapped_column(String(20), default="scan")
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class RoutingDecision(Base):
    """A routing suggestion and what the worker did with it; a removed one keeps its reason."""

    __tablename__ = "routing_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("sheets.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    field: Mapped[str] = mapped_column(String(10), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10), default="rule")  # rule / worker
    status: Mapped[str] = mapped_column(String(10), default="confirmed")  # confirmed / removed
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(default=now)
