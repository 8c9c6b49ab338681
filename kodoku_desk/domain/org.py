"""The organisation's vocabulary: the fields (分野) agencies and consents are grouped by, how an
agency is run, and the staff roles (docs/DOMAIN.md §2)."""

from __future__ import annotations

FIELDS = ("高齢", "障がい", "子ども", "生活困窮", "健康", "参加支援", "行政")
OPERATIONS = ("直営", "委託")

ROLE_ADMIN = "admin"
ROLE_INTAKE = "intake"
ROLE_COORDINATOR = "coordinator"
ROLE_SUPERVISOR = "supervisor"
ROLES = (ROLE_ADMIN, ROLE_INTAKE, ROLE_COORDINATOR, ROLE_SUPERVISOR)
ROLE_LABELS = {
    ROLE_ADMIN: "管理者",
    ROLE_INTAKE: "受付",
    ROLE_COORDINATOR: "コーディネーター",
    ROLE_SUPERVISOR: "監督者",
}
