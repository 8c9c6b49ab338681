"""Workspace upkeep: the integrity and tamper check, and encrypted backups.

Both are gated like every other use case (services.access): the check walks the audit chain,
which is a supervisor's review; a backup copies every record, which is an admin's job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kodoku_desk.services import access, audit, review, uow
from kodoku_desk.services.auth import Signed


@dataclass(frozen=True)
class CheckReport:
    integrity_problems: list[str]  # SQLCipher page HMACs and SQLite's integrity check
    chain: audit.ChainReport

    @property
    def ok(self) -> bool:
        return not self.integrity_problems and self.chain.ok


def check_workspace(signed: Signed) -> CheckReport:
    """The encrypted file's integrity and the audit chain (supervisors and admins)."""
    access.require_supervisor(signed, "整合性と改ざんの検査")
    problems = signed.store.integrity_problems()
    chain = review.verify_audit_chain(signed)
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "check", "workspace", "",
                     {"integrity": not problems, "chain": chain.ok})
    return CheckReport(problems, chain)


def backup_workspace(signed: Signed) -> Path:
    """An encrypted copy of the database and the key file, beside the workspace (admins)."""
    access.require_admin(signed, "バックアップの作成")
    path = signed.store.backup()
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "export", "backup", "", {"path": str(path)})
    return path
