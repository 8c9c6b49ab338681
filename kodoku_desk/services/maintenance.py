"""Workspace upkeep: the integrity and tamper check, the anchor code, and encrypted backups.

All are gated like every other use case (services.access): the check walks the audit chain and
the history chain, which is a supervisor's review; a backup copies every record, which is an
admin's job."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from kodoku_desk.domain import anchor as anchors
from kodoku_desk.services import access, audit, history_chain, review, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.history_chain import HistoryReport, Progress


@dataclass(frozen=True)
class AnchorReport:
    """An anchor code read back: do the chains still hold those heads at those positions?"""

    ok: bool
    anchor: anchors.Anchor
    message: str


@dataclass(frozen=True)
class CheckReport:
    integrity_problems: list[str]  # SQLCipher page HMACs and SQLite's integrity check
    chain: audit.ChainReport
    history: HistoryReport
    anchor: str | None = None  # check(anchor=True) on clean chains: the code for the paper record
    anchor_check: AnchorReport | None = None  # check(verify_anchor=CODE)

    @property
    def ok(self) -> bool:
        return (not self.integrity_problems and self.chain.ok and self.history.ok
                and (self.anchor_check is None or self.anchor_check.ok))


def verify_history_chain(signed: Signed, progress: Progress | None = None) -> HistoryReport:
    """Walk the history chain and its tables; the report names the first broken row of each
    table. Logged after the walk, like the audit chain's verification (supervisors, admins)."""
    access.require_supervisor(signed, "履歴の改ざん検査")
    with uow.read(signed) as s:
        report = history_chain.verify(s, progress)
    first = report.breaks[0] if report.breaks else None
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "verify_history", first.table_name if first else "history",
                     first.row_id if first and first.row_id is not None else "",
                     {"ok": report.ok, "links": report.links,
                      "broken": [[b.table_name, b.row_id, b.kind] for b in report.breaks]})
    return report


def check_workspace(signed: Signed, progress: Progress | None = None, *, anchor: bool = False,
                    verify_anchor: str | None = None) -> CheckReport:
    """The encrypted file's integrity, the audit chain and the history chain (supervisors and
    admins). anchor=True adds the anchor code of the current heads when everything is clean;
    verify_anchor=CODE also proves the chains still hold the heads that code was made of (a
    malformed or misread code is a UserError sentence, before any work)."""
    access.require_supervisor(signed, "整合性と改ざんの検査")
    wanted = anchors.parse(verify_anchor) if verify_anchor is not None else None
    problems = signed.store.integrity_problems()
    chain = review.verify_audit_chain(signed)
    history = verify_history_chain(signed, progress)
    anchor_check = _check_anchor(signed, wanted) if wanted is not None else None
    clean = not problems and chain.ok and history.ok
    with uow.write(signed) as s:
        code = _current_anchor(s).code if anchor and clean else None
        detail: dict = {"integrity": not problems, "chain": chain.ok, "history": history.ok}
        if code:
            detail["anchor"] = code
        if anchor_check:
            detail["verify_anchor"] = {"code": anchor_check.anchor.code, "ok": anchor_check.ok}
        audit.record(s, signed.actor, "check", "workspace", "", detail)
    return CheckReport(problems, chain, history, code, anchor_check)


def _current_anchor(session: Session) -> anchors.Anchor:
    """The anchor of the chains' heads as they are in this transaction."""
    last = audit.last_entry(session)
    audit_pos, audit_hash = (last.id, last.hash) if last else (0, audit.GENESIS)
    history_pos, history_hash = history_chain.head(session)
    return anchors.anchor_for(audit_pos, audit_hash, history_pos, history_hash)


def _check_anchor(signed: Signed, wanted: anchors.Anchor) -> AnchorReport:
    with uow.read(signed) as s:
        audit_hash = audit.hash_at(s, wanted.audit_pos)
        history_hash = history_chain.hash_at(s, wanted.history_pos)
        audit_len = audit.last_entry(s)
        history_len = history_chain.head(s)[0]
    where = f"監査ログ #{wanted.audit_pos}・履歴の連鎖 #{wanted.history_pos}"
    if audit_hash is None:
        message = (f"監査ログは #{audit_len.id if audit_len else 0} までしかなく、照合コードの時点"
                   f"（#{wanted.audit_pos}）に届きません: 末尾の記録が削除されています。")
    elif history_hash is None:
        message = (f"履歴の連鎖は #{history_len} までしかなく、照合コードの時点"
                   f"（#{wanted.history_pos}）に届きません: 末尾の記録が削除されています。")
    elif anchors.heads_digest(wanted.audit_pos, audit_hash, wanted.history_pos,
                              history_hash) != wanted.digest:
        message = (f"照合コードと一致しません: 照合コードの時点（{where}）までの記録が書き換えられたか、"
                   "末尾を削除して作り直されています。")
    else:
        return AnchorReport(True, wanted, f"照合コードの時点（{where}）までの記録は、"
                                          "照合コードを作ったときのまま残っています。")
    return AnchorReport(False, wanted, message)


def backup_workspace(signed: Signed) -> Path:
    """An encrypted copy of the database and the key file, beside the workspace (admins)."""
    access.require_admin(signed, "バックアップの作成")
    path = signed.store.backup()
    with uow.write(signed) as s:
        audit.record(s, signed.actor, "export", "backup", "", {"path": str(path)})
    return path
