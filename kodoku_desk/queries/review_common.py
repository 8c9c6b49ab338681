"""What the supervisor's review screens share (docs/DOMAIN.md §5–§6): labels for the
access log, look-ups by id and name, the period check, the override-review clause and the filter
choices. Only supervisors and admins reach these screens (services.access.require_supervisor);
viewing them is itself audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import dates
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Agency,
    Block,
    Handoff,
    OverrideReview,
    Staff,
)
from kodoku_desk.models.handoffs import BASES, HANDOFF_STATES
from kodoku_desk.models.org import FIELDS
from kodoku_desk.services import access, audit, uow
from kodoku_desk.services.auth import Signed

CHANNEL_LABELS = {"handoff": "つなぎ", "packet": "会議資料", "print": "印刷", "export": "出力"}

DEFAULT_LIMIT = 1000
EXPORT_LIMIT = 1_000_000
PDF_LIMIT = 5000  # a printed log longer than ~150 pages helps nobody; CSV takes any size

REVIEW_ACTION_LABELS = {
    "view_dashboard": "ダッシュボード閲覧",
    "view_handoff_log": "つなぎ履歴閲覧",
    "view_timeline": "つなぎ経過閲覧",
    "view_disclosures": "提供記録閲覧",
    "view_access_log": "閲覧・出力履歴の閲覧",
    "view_statistics": "統計閲覧",
    "override_review": "同意外提供の確認",
    "verify_chain": "監査ログ検証",
    "check": "整合性検査",
    # Actions other domains record (labels for the access-log view and its CSV).
    "handoff_send": "つなぎ送付", "handoff_acknowledge": "つなぎ受理",
    "handoff_accept": "つなぎ対応開始", "handoff_complete": "つなぎ完了",
    "handoff_return": "つなぎ返送", "handoff_withdraw": "つなぎ取下げ",
    "view_plan": "支援プラン閲覧", "view_meeting": "会議閲覧", "view_attachment": "添付閲覧",
    "search_person": "本人検索", "plan_status": "プラン状態変更", "plan_approval": "プラン承認",
    "intake_save": "受付保存", "duplicate_warning": "重複の警告", "consent_withdraw": "同意撤回",
    "consent_record": "同意記録", "attachment_add": "添付追加", "agenda_refused": "議題の却下",
    "delete": "削除",
}


TARGET_LABELS = {
    "case": "ケース", "person": "本人", "staff": "職員", "agency": "機関", "block": "ブロック",
    "setting": "設定", "workspace": "ワークスペース", "backup": "バックアップ", "handoff": "つなぎ",
    "sheet": "シート", "plan": "支援プラン", "meeting": "会議", "review": "確認・監査画面",
    "audit_log": "監査ログ", "disclosures": "提供記録", "handoff_log": "つなぎ履歴",
    "statistics": "統計", "demo": "デモ",
}


def action_label(action: str) -> str:
    return REVIEW_ACTION_LABELS.get(action) or audit.ACTION_LABELS.get(action, action)


def target_label(target_type: str) -> str:
    return TARGET_LABELS.get(target_type, target_type)


# --------------------------------------------------------------------------- access


def _log(signed: Signed, action: str, target_type: str = "review", target_id: object = "",
         detail: dict | str = "") -> None:
    with uow.write(signed) as s:
        audit.record(s, signed.actor, action, target_type, target_id, detail)


# --------------------------------------------------------------------------- look-ups


def agency_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agency.id, Agency.name)).all())


def name_of(names: Mapping[int, str], key: int | None) -> str:
    """The name for an id that may be absent (e.g. an event by no agency): "" then."""
    return names.get(key, "") if key is not None else ""


def block_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Block.id, Block.name)).all())


def staff_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Staff.id, Staff.display_name)).all())


def resolve_agency(session: Session, name: str | None, *, field: str = "agency") -> int | None:
    """An agency name typed by a user → its id (services.admin.agency_by_name's rule)."""
    from kodoku_desk.services.admin import agency_id_by_name

    return agency_id_by_name(session, name, field=field)


def resolve_block(session: Session, name: str | None) -> int | None:
    if not name or not name.strip():
        return None
    found = session.scalar(select(Block.id).where(Block.name == name.strip()))
    if found is None:
        raise UserError(f"ブロック「{name.strip()}」は登録されていません。", field="block")
    return found


def primary_field(fields: list[str]) -> str:
    """The field an agency counts under in charts: its first field other than 行政."""
    for f in fields:
        if f != "行政":
            return f
    return fields[0] if fields else "その他"


def agencies_with_field(session: Session, field: str) -> list[int]:
    return [a_id for a_id, fields in session.execute(select(Agency.id, Agency.fields))
            if field in (fields or [])]


def check_period(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_to < date_from:
        raise UserError(
            f"期間の終わり（{dates.to_wareki(date_to)}）が始まり（{dates.to_wareki(date_from)}）"
            "より前になっています。", field="date_to")

def is_reviewed():
    return exists().where(OverrideReview.handoff_id == Handoff.id)

# --------------------------------------------------------------------------- filter choices


@dataclass(frozen=True)
class FilterChoices:
    """What the review screens offer in their drop-downs."""

    agencies: list[tuple[int, str]]
    blocks: list[tuple[int, str]]
    staff: list[tuple[str, str]]  # (login, display name)
    fields: tuple[str, ...] = FIELDS
    states: tuple[str, ...] = HANDOFF_STATES
    bases: tuple[str, ...] = BASES
    channels: tuple[tuple[str, str], ...] = tuple(CHANNEL_LABELS.items())


def filter_choices(signed: Signed) -> FilterChoices:
    access.require_supervisor(signed, "確認・監査の画面")
    with uow.read(signed) as s:
        return FilterChoices(
            agencies=sorted(agency_names(s).items(), key=lambda kv: kv[0]),
            blocks=sorted(block_names(s).items()),
            staff=list(s.execute(select(Staff.login, Staff.display_name).order_by(Staff.id)).all()),
        )
