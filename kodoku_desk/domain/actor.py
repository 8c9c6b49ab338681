"""Who is acting: the signed-in staff member, their agency and roles. What each role may do is
decided in services.access."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kodoku_desk.domain.org import ROLE_ADMIN, ROLE_COORDINATOR, ROLE_INTAKE, ROLE_SUPERVISOR


class _Named(Protocol):
    name: str


class StaffRecord(Protocol):
    """What an Actor is made from (models.Staff has this shape)."""

    id: int
    login: str
    display_name: str
    agency_id: int | None

    @property  # read-only here, so a model's JSON list column (list[Any]) fits
    def roles(self) -> Sequence[str]: ...

    @property
    def agency(self) -> _Named | None: ...


@dataclass(frozen=True)
class Actor:
    staff_id: int
    login: str
    display_name: str
    agency_id: int | None
    agency_name: str
    roles: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, staff: StaffRecord) -> Actor:
        return cls(
            staff_id=staff.id,
            login=staff.login,
            display_name=staff.display_name,
            agency_id=staff.agency_id,
            agency_name=staff.agency.name if staff.agency else "",
            roles=tuple(staff.roles),
        )

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def sees_all_cases(self) -> bool:
        """Coordinators, supervisors and admins see every case; 受付 sees its agency's."""
        return self.has(ROLE_COORDINATOR, ROLE_SUPERVISOR, ROLE_ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.has(ROLE_ADMIN)

    @property
    def is_supervisor(self) -> bool:
        return self.has(ROLE_SUPERVISOR, ROLE_ADMIN)

    @property
    def is_coordinator(self) -> bool:
        return self.has(ROLE_COORDINATOR, ROLE_SUPERVISOR, ROLE_ADMIN)

    @property
    def is_intake(self) -> bool:
        return self.has(ROLE_INTAKE, ROLE_COORDINATOR, ROLE_SUPERVISOR, ROLE_ADMIN)

