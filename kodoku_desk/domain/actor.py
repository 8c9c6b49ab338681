"""Who is acting, and what they may see. Access rules live here, not in widgets."""

from __future__ import annotations

from dataclasses import dataclass, field

from kodoku_desk.errors import AccessDenied
from kodoku_desk.models.org import (
    ROLE_ADMIN,
    ROLE_COORDINATOR,
    ROLE_INTAKE,
    ROLE_SUPERVISOR,
    Staff,
)


@dataclass(frozen=True)
class Actor:
    staff_id: int
    login: str
    display_name: str
    agency_id: int | None
    agency_name: str
    roles: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, staff: Staff) -> Actor:
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


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise AccessDenied(f"{what}の権限がありません。管理者に問い合わせてください。")
