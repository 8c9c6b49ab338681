"""Administration: blocks, agencies, staff accounts and settings (admin only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kodoku_desk.domain.template import check_text
from kodoku_desk.domain.text import search_key
from kodoku_desk.errors import UserError
from kodoku_desk.models import Agency, Block, Setting, Staff
from kodoku_desk.models.org import FIELDS, OPERATIONS, ROLES
from kodoku_desk.services import access, audit, uow
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.keys import check_password_rule

# The hand-off deadlines (domain.handoff.STAGES names which setting holds which stage's limit):
# 受理期限 is fixed on each hand-off when it is sent; the other two apply as soon as they change.
SETTING_DEFAULTS = {"idle_lock_minutes": 5, "overdue_business_days": 3, "start_business_days": 5,
                    "update_business_days": 20}
SETTING_LABELS = {"idle_lock_minutes": "自動ロックまでの分数",
                  "overdue_business_days": "受理期限（送付→受理、営業日）",
                  "start_business_days": "対応開始期限（受理→対応中、営業日）",
                  "update_business_days": "対応中の更新期限（更新のない営業日）"}


@dataclass(frozen=True)
class AgencyRow:
    id: int
    name: str
    fields: list[str]
    block: str
    operation: str
    contact: str
    active: bool


@dataclass(frozen=True)
class StaffRow:
    id: int
    login: str
    display_name: str
    agency: str
    roles: list[str]
    active: bool


def list_blocks(session: Session) -> list[Block]:
    return list(session.scalars(select(Block).order_by(Block.id)))


def list_agencies(session: Session, include_inactive: bool = True) -> list[AgencyRow]:
    q = select(Agency).order_by(Agency.id)
    if not include_inactive:
        q = q.where(Agency.active.is_(True))
    return [AgencyRow(a.id, a.name, list(a.fields), a.block.name if a.block else "", a.operation,
                      a.contact, a.active) for a in session.scalars(q)]


def list_staff(session: Session) -> list[StaffRow]:
    return [StaffRow(s.id, s.login, s.display_name, s.agency.name if s.agency else "",
                     list(s.roles), s.active)
            for s in session.scalars(select(Staff).order_by(Staff.id))]


# ------------------------------------------------------------------- use cases that read


def staff_accounts(signed: Signed) -> list[StaffRow]:
    """Every account with its roles: admins only (the UI's 職員 page and `staff list`)."""
    access.require_admin(signed, "職員一覧の閲覧")
    with uow.read(signed) as s:
        return list_staff(s)


def agencies(signed: Signed, include_inactive: bool = True) -> list[AgencyRow]:
    """The organisation's agencies: anyone signed in (every picker needs them)."""
    with uow.read(signed) as s:
        return list_agencies(s, include_inactive)


def block_names(signed: Signed) -> list[str]:
    with uow.read(signed) as s:
        return [b.name for b in list_blocks(s)]


def settings(signed: Signed, keys: list[str] | None = None) -> dict[str, int]:
    """Workspace settings (the idle lock applies to everyone, so anyone may read them)."""
    with uow.read(signed) as s:
        return {key: get_setting(s, key) for key in (keys or list(SETTING_DEFAULTS))}


def agency_by_name(session: Session, name: str, *, field: str = "agency") -> Agency:
    """An agency named by a user (CLI --agency, an import file, a form): the one rule for every
    path. The exact name, else the one agency whose name matches ignoring width, kana and
    spaces, else the one whose name contains it; several candidates or none is a sentence."""
    text = (name or "").strip()
    agency = session.scalar(select(Agency).where(Agency.name == text)) if text else None
    if agency is not None:
        return agency
    key = search_key(text)
    every = list(session.scalars(select(Agency).order_by(Agency.id))) if key else []
    same = [a for a in every if search_key(a.name) == key]
    matches = same or [a for a in every if key in search_key(a.name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"機関「{text}」は登録されていません。機関名を確認してください。", field=field)
    names = "、".join(a.name for a in matches[:5])
    raise UserError(f"「{text}」に当てはまる機関が複数あります（{names}）。正式な名前で指定してください。",
                    field=field)


def agency_id_by_name(session: Session, name: str | None, *, field: str = "agency") -> int | None:
    """agency_by_name for an optional filter: no name → None."""
    return agency_by_name(session, name, field=field).id if name and name.strip() else None


def _block_id(session: Session, block: str | None) -> int | None:
    if not block:
        return None
    found = session.scalar(select(Block).where(Block.name == block.strip()))
    if found is None:
        raise UserError(f"ブロック「{block}」は登録されていません。", field="block")
    return found.id


def create_block(signed: Signed, name: str) -> int:
    access.require(signed, signed.actor.is_admin, "ブロックの登録")
    name = check_text(name, "ブロック名", "name", single_line=True)
    if not name:
        raise UserError("ブロック名を入力してください。", field="name")
    with uow.write(signed) as s:
        if s.scalar(select(Block).where(Block.name == name)):
            raise UserError(f"ブロック「{name}」はすでにあります。", field="name")
        block = Block(name=name)
        s.add(block)
        s.flush()
        audit.record(s, signed.actor, "create", "block", block.id, {"name": name})
        return block.id


def _check_agency_input(name: str, fields: list[str], operation: str) -> None:
    if not name:
        raise UserError("機関名を入力してください。", field="name")
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise UserError(f"分野「{'、'.join(unknown)}」はありません。選べるのは {'・'.join(FIELDS)} です。",
                        field="fields")
    if operation not in OPERATIONS:
        raise UserError("運営形態は「直営」か「委託」を選んでください。", field="operation")


def save_agency(signed: Signed, name: str, fields: list[str], block: str | None = None,
                operation: str = "直営", contact: str = "", agency_id: int | None = None) -> int:
    """Create an agency, or update it when agency_id is given."""
    access.require(signed, signed.actor.is_admin, "機関の登録・変更")
    name = check_text(name, "機関名", "name", single_line=True)
    contact = check_text(contact, "連絡先", "contact")
    _check_agency_input(name, fields, operation)
    with uow.write(signed) as s:
        clash = s.scalar(select(Agency).where(Agency.name == name))
        if clash is not None and clash.id != agency_id:
            raise UserError(f"機関「{name}」はすでにあります。", field="name")
        agency = s.get(Agency, agency_id) if agency_id else Agency()
        if agency is None:
            raise UserError("その機関は見つかりません。")
        agency.name, agency.fields = name, list(fields)
        agency.block_id, agency.operation = _block_id(s, block), operation
        agency.contact = contact
        s.add(agency)
        s.flush()
        audit.record(s, signed.actor, "update" if agency_id else "create", "agency", agency.id,
                     {"name": agency.name})
        return agency.id


def set_agency_active(signed: Signed, agency_id: int, active: bool) -> None:
    access.require(signed, signed.actor.is_admin, "機関の無効化")
    with uow.write(signed) as s:
        agency = s.get(Agency, agency_id)
        if agency is None:
            raise UserError("その機関は見つかりません。")
        agency.active = active
        audit.record(s, signed.actor, "update" if active else "deactivate", "agency", agency_id)


def create_staff(signed: Signed, login: str, display_name: str, agency: str, roles: list[str],
                 password: str) -> int:
    access.require(signed, signed.actor.is_admin, "職員の登録")
    login = check_text(login, "ログインID", "login", single_line=True)
    if not login or not login.isascii() or " " in login:
        raise UserError("ログインIDは空白を含まない半角英数字で入力してください。", field="login")
    display_name = check_text(display_name, "氏名", "display_name", single_line=True)
    if not display_name:
        raise UserError("氏名を入力してください。", field="display_name")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise UserError("役割を一つ以上選んでください（管理者・受付・コーディネーター・監督者）。",
                        field="roles")
    check_password_rule(password)
    with uow.write(signed) as s:
        if s.scalar(select(Staff).where(Staff.login == login)):
            raise UserError(f"ログインID「{login}」はすでに使われています。", field="login")
        staff = Staff(login=login, display_name=display_name,
                      agency_id=agency_by_name(s, agency).id, roles=list(roles))
        s.add(staff)
        s.flush()
        audit.record(s, signed.actor, "create", "staff", staff.id,
                     {"login": login, "roles": roles, "agency": agency})
        staff_id = staff.id
    signed.store.rewrap(login, password)
    return staff_id


def deactivate_staff(signed: Signed, staff_id: int) -> None:
    """The account can no longer sign in: its key wrap is removed; its history stays."""
    access.require(signed, signed.actor.is_admin, "職員の無効化")
    if staff_id == signed.actor.staff_id:
        raise UserError("自分自身のアカウントは無効にできません。")
    with uow.write(signed) as s:
        staff = s.get(Staff, staff_id)
        if staff is None:
            raise UserError("その職員は見つかりません。")
        staff.active = False
        audit.record(s, signed.actor, "deactivate", "staff", staff_id, {"login": staff.login})
        login = staff.login
    signed.store.forget_user(login)


def get_setting(session: Session, key: str) -> int:
    row = session.get(Setting, key)
    try:
        return int(row.value) if row else SETTING_DEFAULTS[key]
    except ValueError:
        return SETTING_DEFAULTS[key]


def get_settings(session: Session, keys: list[str]) -> dict[str, int]:
    """Several settings in one statement, each as get_setting reads it."""
    stored = {key: value for key, value in session.execute(
        select(Setting.key, Setting.value).where(Setting.key.in_(keys)))}
    out = {}
    for key in keys:
        try:
            out[key] = int(stored[key]) if key in stored else SETTING_DEFAULTS[key]
        except ValueError:
            out[key] = SETTING_DEFAULTS[key]
    return out


def set_setting(signed: Signed, key: str, value: int) -> None:
    access.require(signed, signed.actor.is_admin, "設定の変更")
    if key not in SETTING_DEFAULTS:
        raise UserError(f"設定「{key}」はありません。")
    if not 1 <= int(value) <= 120:
        raise UserError(f"{SETTING_LABELS[key]}は1〜120の範囲で入力してください。", field=key)
    with uow.write(signed) as s:
        row = s.get(Setting, key) or Setting(key=key)
        row.value = str(int(value))
        s.add(row)
        audit.record(s, signed.actor, "update", "setting", key, {"value": value})


__all__ = ["check_password_rule"]
