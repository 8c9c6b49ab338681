"""The audit log: append-only, each entry chained to the previous one by SHA-256."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kodoku_desk.domain.actor import Actor
from kodoku_desk.models import AuditEntry, Setting, now

GENESIS = "0" * 64
HEAD_KEY = "audit_head"

ACTION_LABELS = {
    "login": "ログイン", "login_failed": "ログイン失敗", "logout": "ログアウト",
    "lock": "画面ロック", "unlock": "ロック解除", "unlock_failed": "ロック解除失敗",
    "password_change": "パスワード変更", "password_reset": "パスワード再設定",
    "recovery_created": "回復キー作成", "access_denied": "権限のない操作",
    "view_case": "ケース閲覧", "view_person": "本人情報閲覧", "create": "作成", "update": "変更",
    "deactivate": "無効化", "export": "出力", "print": "印刷", "import": "取込",
}


def _digest(prev: str, at: datetime, actor: str, action: str, target_type: str,
            target_id: str, detail: str) -> str:
    body = json.dumps([prev, at.isoformat(), actor, action, target_type, target_id, detail],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _take_head(session: Session) -> Setting:
    """Lock the chain head (an UPDATE takes the write lock), then read it; the first entry
    creates it at GENESIS."""
    session.execute(update(Setting).where(Setting.key == HEAD_KEY).values(value=Setting.value))
    head = session.get(Setting, HEAD_KEY)
    if head is None:
        head = Setting(key=HEAD_KEY, value=GENESIS)
        session.add(head)
        session.flush()
    return head


def record(session: Session, actor: Actor | str, action: str, target_type: str = "",
           target_id: object = "", detail: dict | str = "") -> AuditEntry:
    """Append one entry to the chain inside the caller's transaction."""
    login = actor if isinstance(actor, str) else actor.login
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
    head = _take_head(session)
    prev = head.value
    at = now()
    entry = AuditEntry(at=at, actor=login, action=action, target_type=target_type,
                       target_id=str(target_id), detail=text, prev_hash=prev)
    entry.hash = _digest(prev, at, login, action, target_type, str(target_id), text)
    session.add(entry)
    head.value = entry.hash
    session.flush()
    return entry


def last_entry(session: Session) -> AuditEntry | None:
    """The newest entry (the chain's head when the chain is whole)."""
    return session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()


def hash_at(session: Session, entry_id: int) -> str | None:
    """The hash of entry `entry_id` (GENESIS at 0), None if there is no such entry."""
    if entry_id == 0:
        return GENESIS
    return session.scalar(select(AuditEntry.hash).where(AuditEntry.id == entry_id))


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_id: int | None = None
    message: str = ""


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the chain in id order; name the first entry whose link or content does not match."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for e in rows:
            if e.prev_hash != prev:
                return ChainReport(False, checked, e.id,
                                   f"監査ログ #{e.id} の直前の記録が削除または改ざんされています。")
            if _digest(prev, e.at, e.actor, e.action, e.target_type, e.target_id, e.detail) != e.hash:
                return ChainReport(False, checked, e.id, f"監査ログ #{e.id} の内容が改ざんされています。")
            prev = e.hash
            checked += 1
            last_id = e.id
        session.expunge_all()
    head = session.get(Setting, HEAD_KEY)
    if head is not None and head.value != prev:
        return ChainReport(False, checked, None,
                           f"監査ログの末尾（#{last_id} より後）の記録が削除されています。")
    return ChainReport(True, checked, None, f"監査ログ {checked} 件を検証しました。改ざんはありません。")
