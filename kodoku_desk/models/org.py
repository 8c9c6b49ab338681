"""Organisation: blocks, agencies, staff accounts and workspace settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The organisation's vocabulary is the rules' (domain.org); re-exported for the models' users.
from kodoku_desk.domain.org import (  # noqa: E402, F401
    FIELDS,
    OPERATIONS,
    ROLE_ADMIN,
    ROLE_COORDINATOR,
    ROLE_INTAKE,
    ROLE_LABELS,
    ROLE_SUPERVISOR,
    ROLES,
)
from kodoku_desk.models.base import Base, now


class Block(Base):
    __tablename__ = "blocks"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Agency(Base):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    fields: Mapped[list] = mapped_column(default=list)  # subset of FIELDS
    block_id: Mapped[int | None] = mapped_column(ForeignKey("blocks.id"))
    operation: Mapped[str] = mapped_column(String(10), default="直営")
    contact: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)

    block: Mapped[Block | None] = relationship()


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    roles: Mapped[list] = mapped_column(default=list)  # subset of ROLES
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)

    agency: Mapped[Agency | None] = relationship()

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class Setting(Base):
    """Admin-editable configuration (idle lock minutes, overdue business days …)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
