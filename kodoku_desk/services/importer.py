"""Import 「つながる」シート records from JSON (migration from spreadsheets, scripting).

All-or-nothing: every record is checked and resolved first, then all are saved in one unit of
work. Every refusal names the file, the record (シート N) and the field. Format: docs/IMPORT.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import routing
from kodoku_desk.domain.dates import parse_date
from kodoku_desk.domain.template import check_text, load_template
from kodoku_desk.domain.text import hidden_char
from kodoku_desk.errors import UserError
from kodoku_desk.models import Agency, Block, Staff
from kodoku_desk.models.org import FIELDS
from kodoku_desk.services import access, audit, intake, uow
from kodoku_desk.services import attachments as attachment_service
from kodoku_desk.services.admin import agency_by_name
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.consent import ConsentInput
from kodoku_desk.services.handoffs import SendInput
from kodoku_desk.store.files import read_regular

SHEET_KEYS = {
    "received_at", "agency", "worker", "method", "discovery", "block", "person", "household",
    "worries", "most_pressing", "wishes", "notes", "urgency", "answers", "consent", "handoffs",
    "attachments",
}
PERSON_KEYS = {"name", "kana", "birth_date", "sex", "address", "phone"}
MEMBER_KEYS = {"relation", "name", "kana", "birth_date", "flags"}
CONSENT_KEYS = {"given", "scope", "method", "date", "covers_meetings", "attachment"}
HANDOFF_KEYS = {"to", "reason", "request", "share", "basis", "basis_reason"}
ATTACHMENT_KEYS = {"file", "kind"}
MAX_FILE_BYTES = 200 * 1024 * 1024


class _Where:
    """Builds messages that name the file, the record and the field."""

    def __init__(self, file: str, index: int | None = None, who: str = "") -> None:
        self.file, self.index = file, index
        # The person's name as the file gives it, before any check: a name with a hidden
        # character (a right-to-left override …) is not echoed into the message.
        self.who = who if isinstance(who, str) and hidden_char(who) is None else ""

    def error(self, path: str, message: str) -> UserError:
        record = "" if self.index is None else f"シート {self.index + 1}"
        if record and self.who:
            record += f"（{self.who}）"
        place = "・".join(p for p in (record, f"項目 {path}" if path else "") if p)
        return UserError(f"{self.file}: {place}: {message}" if place else f"{self.file}: {message}",
                         field=path or None)


def read_json(path: Path | str) -> tuple[list[dict], str]:
    """The list of sheet records of a file, structurally checked. Returns (records, file name)."""
    path = Path(path)
    name = path.name
    if not path.exists() and not path.is_symlink():
        raise UserError(f"{name}: ファイルが見つかりません。")
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{name}: ファイルが大きすぎます（{MAX_FILE_BYTES // 1024 // 1024} MB まで）。")
        # A regular file only: a named pipe, a device or a folder is refused before it is read.
        text = read_regular(path, max_bytes=MAX_FILE_BYTES).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{name}: UTF-8 のテキストではありません。") from None
    except OSError as exc:
        raise UserError(f"{name}: ファイルを読めません（{exc.strerror}）。") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{name}: {exc.lineno} 行 {exc.colno} 文字目が JSON として読めません"
                        f"（{exc.msg}）。") from None
    if isinstance(raw, dict) and set(raw) - {"sheets"}:
        extra = "、".join(sorted(set(raw) - {"sheets"}))
        raise UserError(f"{name}: 最上位のキー「{extra}」は使えません（\"sheets\" だけです）。")
    if not isinstance(raw, dict) or not isinstance(raw.get("sheets"), list):
        raise UserError(f"{name}: 最上位は {{\"sheets\": [ ... ]}} の形にしてください。")
    if not raw["sheets"]:
        raise UserError(f"{name}: \"sheets\" が空です。")
    for i, record in enumerate(raw["sheets"]):
        if not isinstance(record, dict):
            raise _Where(name, i).error("", "シートはオブジェクト（{ ... }）で書いてください。")
    return raw["sheets"], name


def _keys(where: _Where, obj: object, allowed: set[str], path: str) -> dict:
    if not isinstance(obj, dict):
        raise where.error(path, "オブジェクト（{ ... }）で書いてください。")
    unknown = sorted(set(obj) - allowed)
    for key in unknown:  # JSON keys are strings
        code_point = hidden_char(key)
        if code_point is not None:
            raise where.error(path, f"キーに表示できない制御文字（U+{code_point:04X}）が含まれています。"
                              "取り除いてください。")
    if unknown:
        raise where.error(f"{path}.{unknown[0]}" if path else unknown[0],
                          f"キー「{unknown[0]}」は使えません。使えるのは {'・'.join(sorted(allowed))} です。")
    return obj


def _list(where: _Where, obj: object, path: str) -> list:
    if obj is None:
        return []
    if not isinstance(obj, list):
        raise where.error(path, "一覧（[ ... ]）で書いてください。")
    return obj


def _text(where: _Where, obj: object, path: str, label: str) -> str:
    try:
        return check_text(obj, label, path)
    except UserError as err:
        raise where.error(path, err.message) from None


def _date(where: _Where, obj: object, path: str) -> date | None:
    if obj in (None, ""):
        return None
    if not isinstance(obj, str):
        raise where.error(path, "日付は文字で書いてください（例: \"令和7年4月1日\"、\"2025-04-01\"）。")
    try:
        return parse_date(obj, field=path)
    except UserError as err:
        raise where.error(path, err.message) from None


def _datetime(where: _Where, obj: object, path: str) -> datetime | None:
    if obj in (None, ""):
        return None
    if isinstance(obj, str):
        try:
            return datetime.fromisoformat(obj.strip()).replace(tzinfo=None, microsecond=0)
        except ValueError:
            pass
    d = _date(where, obj, path)
    return datetime(d.year, d.month, d.day) if d else None


@dataclass
class _Lookup:
    """Names in the file → rows in the workspace."""

    session: Session

    def agency(self, where: _Where, name: object, path: str) -> Agency:
        text = _text(where, name, path, "機関名")
        try:
            agency = agency_by_name(self.session, text)
        except UserError as exc:
            raise where.error(path, exc.message) from None
        if not agency.active:
            raise where.error(path, f"機関「{agency.name}」は無効になっています。")
        return agency

    def worker(self, where: _Where, value: object, path: str) -> Staff:
        text = _text(where, value, path, "受付者")
        staff = self.session.scalar(select(Staff).where(
            or_(Staff.login == text, Staff.display_name == text)).limit(1))
        if staff is None:
            raise where.error(path, f"受付者「{text}」は職員として登録されていません（ログインIDか氏名）。")
        return staff

    def block(self, where: _Where, value: object, path: str) -> int | None:
        text = _text(where, value, path, "ブロック")
        if not text:
            return None
        block = self.session.scalar(select(Block).where(Block.name == text))
        if block is None:
            raise where.error(path, f"ブロック「{text}」は登録されていません。")
        return block.id


def _person(where: _Where, obj: object) -> intake.PersonInput:
    p = _keys(where, obj or {}, PERSON_KEYS, "person")
    return intake.PersonInput(
        name=_text(where, p.get("name"), "person.name", "氏名"),
        kana=_text(where, p.get("kana"), "person.kana", "ふりがな"),
        birth_date=_date(where, p.get("birth_date"), "person.birth_date"),
        sex=_text(where, p.get("sex"), "person.sex", "性別"),
        address=_text(where, p.get("address"), "person.address", "住所"),
        phone=_text(where, p.get("phone"), "person.phone", "電話"))


def _household(where: _Where, obj: object) -> list[intake.MemberInput]:
    members = []
    for i, m in enumerate(_list(where, obj, "household")):
        path = f"household[{i}]"
        m = _keys(where, m, MEMBER_KEYS, path)
        flags = [_text(where, f, f"{path}.flags", "状況") for f in _list(where, m.get("flags"), f"{path}.flags")]
        members.append(intake.MemberInput(
            relation=_text(where, m.get("relation"), f"{path}.relation", "続柄"),
            name=_text(where, m.get("name"), f"{path}.name", "氏名"),
            kana=_text(where, m.get("kana"), f"{path}.kana", "ふりがな"),
            birth_date=_date(where, m.get("birth_date"), f"{path}.birth_date"), flags=flags))
    return members


def _attachment(where: _Where, base: Path, value: object, path: str,
                kind: str = "scan") -> attachment_service.AttachmentInput:
    name = _text(where, value, path, "ファイル")
    if not name:
        raise where.error(path, "添付ファイル名を書いてください。")
    file = (base / name)
    try:
        item = attachment_service.read_file(file, within=base)
        attachment_service.sniff(item.filename, item.data)
    except UserError as err:
        raise where.error(path, err.message) from None
    return attachment_service.AttachmentInput(item.filename, item.data, kind)


def _consent(where: _Where, look: _Lookup, base: Path, obj: object
             ) -> tuple[ConsentInput | None, attachment_service.AttachmentInput | None]:
    if obj is None:
        return None, None
    c = _keys(where, obj, CONSENT_KEYS, "consent")
    given = c.get("given", True)
    if not isinstance(given, bool):
        raise where.error("consent.given", "true か false で書いてください。")
    agencies, fields = [], []
    for i, item in enumerate(_list(where, c.get("scope"), "consent.scope")):
        text = _text(where, item, f"consent.scope[{i}]", "同意の範囲")
        if text in FIELDS:
            fields.append(text)
        else:
            agencies.append(look.agency(where, text, f"consent.scope[{i}]").id)
    method = _text(where, c.get("method", "口頭"), "consent.method", "同意の方法")
    meetings = c.get("covers_meetings", False)
    if not isinstance(meetings, bool):
        raise where.error("consent.covers_meetings", "true か false で書いてください。")
    attachment = (_attachment(where, base, c["attachment"], "consent.attachment", "consent")
                  if c.get("attachment") else None)
    consent = ConsentInput(given, agencies, fields, meetings, method,
                           _date(where, c.get("date"), "consent.date"))
    return consent, attachment


def _handoffs(where: _Where, look: _Lookup, obj: object) -> list[SendInput]:
    out = []
    for i, h in enumerate(_list(where, obj, "handoffs")):
        path = f"handoffs[{i}]"
        h = _keys(where, h, HANDOFF_KEYS, path)
        share = [_text(where, k, f"{path}.share", "共有範囲")
                 for k in _list(where, h.get("share"), f"{path}.share")]
        out.append(SendInput(
            to_agency_id=look.agency(where, h.get("to"), f"{path}.to").id,
            reason=_text(where, h.get("reason"), f"{path}.reason", "つなぐ理由"),
            request=_text(where, h.get("request"), f"{path}.request", "依頼内容"),
            share=share or None,
            basis=_text(where, h.get("basis") or "本人同意", f"{path}.basis", "根拠"),
            basis_reason=_text(where, h.get("basis_reason"), f"{path}.basis_reason", "根拠の理由")))
    return out


def to_input(session: Session, record: dict, index: int, file: str,
             base: Path | None = None) -> intake.IntakeInput:
    """One record → IntakeInput, names resolved against the workspace. Raises naming the place."""
    person_name = record.get("person", {}).get("name", "") if isinstance(record.get("person"), dict) else ""
    where = _Where(file, index, person_name if isinstance(person_name, str) else "")
    _keys(where, record, SHEET_KEYS, "")
    look = _Lookup(session)
    answers = dict(_keys(where, record.get("answers") or {},
                         {f.key for f in load_template().fields}, "answers"))
    for key in ("wishes", "notes"):
        if record.get(key) not in (None, ""):
            answers[key] = record[key]
    worries = [_text(where, w, "worries", "困りごと") for w in _list(where, record.get("worries"), "worries")]
    consent, consent_file = _consent(where, look, base or Path("."), record.get("consent"))
    data = intake.IntakeInput(
        person=_person(where, record.get("person")),
        received_at=_datetime(where, record.get("received_at"), "received_at"),
        method=_text(where, record.get("method"), "method", "受付方法"),
        discovery=_text(where, record.get("discovery"), "discovery", "きっかけ"),
        urgency=_text(where, record.get("urgency") or "中", "urgency", "緊急度"),
        answers=answers, worries=worries,
        most_pressing=_text(where, record.get("most_pressing"), "most_pressing", "いちばん困っていること"),
        household=_household(where, record.get("household")),
        consent=consent, consent_attachment=consent_file,
        attachments=[_attachment(where, base or Path("."), _keys(where, a, ATTACHMENT_KEYS, f"attachments[{i}]").get("file"),
                                 f"attachments[{i}].file", a.get("kind", "scan"))
                     for i, a in enumerate(_list(where, record.get("attachments"), "attachments"))],
        handoffs=_handoffs(where, look, record.get("handoffs")),
        agency_id=look.agency(where, record.get("agency"), "agency").id if record.get("agency") else None,
        worker_id=look.worker(where, record.get("worker"), "worker").id if record.get("worker") else None,
        block_id=look.block(where, record.get("block"), "block"))
    try:
        return intake.validate(data)
    except UserError as err:
        raise where.error(err.field or "", err.message) from None


@dataclass(frozen=True)
class ImportResult:
    file: str
    saved: tuple[intake.SavedIntake, ...]


def import_file(signed: Signed, path: Path | str) -> ImportResult:
    """Import every sheet of the file, or none."""
    access.require(signed, signed.actor.is_intake, "シートの取込")
    path = Path(path)
    records, name = read_json(path)
    saved = []
    rules = routing.rules_for(signed.folder)
    with uow.write(signed) as s:
        inputs = [to_input(s, r, i, name, path.parent) for i, r in enumerate(records)]
        for i, data in enumerate(inputs):
            try:
                saved.append(intake.save_in(s, signed.actor, data, rules))
            except UserError as err:
                who = data.person.name
                raise _Where(name, i, who).error(err.field or "", err.message) from None
        audit.record(s, signed.actor, "import", "file", name, {"sheets": len(saved)})
    return ImportResult(name, tuple(saved))


# --- intake route: suggestions only, nothing saved ------------------------------------------------

@dataclass(frozen=True)
class RouteReport:
    index: int
    person: str
    result: routing.RoutingResult


def route_file(path: Path | str, rules_path: Path | str | None = None,
               agencies: list | None = None, on: date | None = None,
               workspace: Path | str | None = None) -> list[RouteReport]:
    """Routing suggestions for each sheet in a file (for checking rule edits). Without a
    workspace the destinations are shown as the rules name them. Rules: `rules_path`, else the
    workspace's own rules file, else the bundled defaults."""
    records, name = read_json(path)
    rules = routing.load_rules(rules_path) if rules_path else routing.rules_for(workspace)
    reports = []
    for i, record in enumerate(records):
        where = _Where(name, i)
        _keys(where, record, SHEET_KEYS, "")
        person = _person(where, record.get("person"))
        household = _household(where, record.get("household"))
        worries = [_text(where, w, "worries", "困りごと")
                   for w in _list(where, record.get("worries"), "worries")]
        known = load_template().worry_labels
        for w in worries:
            if w not in known:
                raise where.error("worries", f"困りごと「{w}」はシートの選択肢にありません。")
        received = _datetime(where, record.get("received_at"), "received_at")
        data = routing.routing_input(worries, person.birth_date,
                                     [(m.relation, m.birth_date, m.flags) for m in household],
                                     on=on or (received.date() if received else date.today()))
        reports.append(RouteReport(i + 1, person.name, routing.suggest(data, agencies, rules)))
    return reports


def route_file_for(signed: Signed, path: Path | str,
                   rules_path: Path | str | None = None) -> list[RouteReport]:
    """route_file with the workspace's own agencies and rules file."""
    from kodoku_desk.domain.routing import AgencyRef
    from kodoku_desk.services import admin

    agencies = [AgencyRef(a.id, a.name, tuple(a.fields), None, a.active)
                for a in admin.agencies(signed, include_inactive=False)]
    return route_file(path, rules_path, agencies, workspace=signed.folder)


__all__ = ["ImportResult", "RouteReport", "import_file", "read_json", "route_file", "to_input"]
