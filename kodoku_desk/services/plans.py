"""Support plans (支援プラン, docs/DOMAIN.md §8): drafting from a case, kept versions with field-level
comparison, the lifecycle (one transition function), supervisor approval and evaluations.

Plan content is a dict (PlanVersion.data) with the keys of PLAN_FIELDS. Every save appends a new
PlanVersion; nothing is overwritten. Status changes and approval steps are PlanEvent rows.

Approval rule [design]: a supervisor approves the current version before the plan may move to
実施中. Saving a new version after an approval request or an approval withdraws it (the
supervisor approved other content), which is recorded as an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import plan as lifecycle
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.dates import age_on, parse_date, to_wareki
from kodoku_desk.domain.plan import (
    APPROVAL_NONE,
    APPROVAL_OK,
    APPROVAL_PENDING,
    APPROVAL_RETURNED,
    EDITABLE,
    ENDED,
    EV_APPROVE,
    EV_CREATE,
    EV_EVALUATION,
    EV_REQUEST,
    EV_RETURN,
    EV_STATUS,
    EV_WITHDRAWN,
    TRANSITIONS,
)
from kodoku_desk.domain.template import check_text
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Agency,
    Case,
    Consent,
    Handoff,
    HouseholdMember,
    Person,
    Plan,
    PlanEvaluation,
    PlanEvent,
    PlanVersion,
    Sheet,
    Staff,
)
from kodoku_desk.models.handoffs import ACCEPTED, DONE
from kodoku_desk.services import access, audit, case_facts, uow
from kodoku_desk.services.access import check_visible
from kodoku_desk.services.auth import Signed

# (key, 見出し, kind). kind: text / date / lines (list[str]) / issues / roles.
PLAN_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("created_on", "作成日", "date"),
    ("agency", "作成機関", "text"),
    ("person_wish", "本人の意向", "text"),
    ("family_wish", "家族の意向", "text"),
    ("household", "世帯の状況", "text"),
    ("issues", "課題の整理", "issues"),
    ("policy", "総合的な支援の方針", "text"),
    ("long_term_goal", "長期目標", "text"),
    ("short_term_goals", "短期目標", "lines"),
    ("roles", "支援内容（役割分担）", "roles"),
    ("participation", "参加支援・アウトリーチの利用", "text"),
    ("monitoring_on", "モニタリング・評価予定日", "date"),
    ("consent", "本人同意", "text"),
)
FIELD_LABELS = {k: label for k, label, _ in PLAN_FIELDS}
FIELD_KINDS = {k: kind for k, _, kind in PLAN_FIELDS}
# Columns of one 課題 row and one 役割分担 row.
ISSUE_COLUMNS = (("field", "分野"), ("issue", "課題"), ("person_view", "本人の受け止め"))
ROLE_COLUMNS = (("what", "支援内容"), ("agency", "機関"), ("person", "担当者"),
                ("frequency", "頻度"), ("period", "期間"))



# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PlanRow:
    id: int
    case_id: int
    case_no: str
    person_name: str
    status: str
    approval: str
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class VersionRow:
    id: int
    version: int
    status: str
    note: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class EventRow:
    kind: str
    from_status: str
    to_status: str
    actor: str
    comment: str
    at: datetime


@dataclass(frozen=True)
class EvaluationRow:
    id: int
    evaluated_on: date
    version: int
    progress: list[dict]
    next_direction: str
    created_by: str


@dataclass
class PlanView:
    id: int
    case_id: int
    case_no: str
    person_name: str
    status: str
    approval: str
    version: int
    data: dict
    versions: list[VersionRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    evaluations: list[EvaluationRow] = field(default_factory=list)

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return TRANSITIONS[self.status]


@dataclass(frozen=True)
class FieldChange:
    key: str
    label: str
    before: str
    after: str


# ----------------------------------------------------------------------------- drafting


def draft_data(session: Session, case: Case, today: date | None = None) -> dict:
    """A first plan drafted from the case: 本人の意向 from part A, 世帯の状況 and 課題 by field
    from part B, one 役割分担 row per agency whose hand-off reached 対応中 or 完了."""
    today = today or date.today()
    sheet = latest_sheet(session, case.id)
    answers = dict(sheet.answers) if sheet else {}
    owner = session.get(Agency, case.owner_agency_id)
    return {
        "created_on": today.isoformat(),
        "agency": owner.name if owner else "",
        "person_wish": case_facts.person_wish(answers),
        "family_wish": case_facts.family_wish(answers),
        "household": household_text(session, case, today),
        "issues": case_facts.issues_by_field(case, sheet),
        "policy": "",
        "long_term_goal": "",
        "short_term_goals": [],
        "roles": draft_roles(session, case.id),
        "participation": "",
        "monitoring_on": "",
        "consent": consent_text(session, case.id),
    }


def latest_sheet(session: Session, case_id: int) -> Sheet | None:
    return session.scalar(select(Sheet).where(Sheet.case_id == case_id)
                          .order_by(Sheet.received_at.desc(), Sheet.id.desc()).limit(1))


def household_text(session: Session, case: Case, today: date) -> str:
    rows = session.scalars(select(HouseholdMember).where(HouseholdMember.case_id == case.id)
                           .order_by(HouseholdMember.id)).all()
    parts = []
    person_age = age_on(case.person.birth_date, today)
    parts.append(f"本人（{person_age}歳）" if person_age is not None else "本人")
    for m in rows:
        age = age_on(m.person.birth_date, today)
        bits = [m.relation or "家族"]
        if age is not None:
            bits.append(f"{age}歳")
        bits += list(m.flags)
        parts.append("・".join(bits[:1]) + (f"（{'、'.join(bits[1:])}）" if len(bits) > 1 else ""))
    return "、".join(parts) + f"の{len(rows) + 1}人世帯。"


def draft_roles(session: Session, case_id: int) -> list[dict]:
    """One 役割分担 row for each agency whose hand-off was accepted (対応中) or completed."""
    q = (select(Handoff, Agency.name).join(Agency, Agency.id == Handoff.to_agency_id)
         .where(Handoff.case_id == case_id, Handoff.state.in_((ACCEPTED, DONE)))
         .order_by(Handoff.sent_at, Handoff.id))
    rows: list[dict] = []
    seen: set[str] = set()
    for handoff, agency_name in session.execute(q):
        if agency_name in seen:
            continue
        seen.add(agency_name)
        what = handoff.request or handoff.reason
        rows.append({"what": what, "agency": agency_name, "person": "", "frequency": "",
                     "period": "" if handoff.state == ACCEPTED else "完了"})
    return rows


def consent_text(session: Session, case_id: int) -> str:
    consent = current_consent(session, case_id)
    if consent is None:
        return "同意の記録なし"
    how = f"（{consent.method}）" if consent.method else ""
    when = to_wareki(consent.given_on) if consent.given_on else "日付不明"
    meetings = "、会議での共有を含む" if consent.covers_meetings else ""
    return f"{when}に同意{how}{meetings}"


def current_consent(session: Session, case_id: int) -> Consent | None:
    """The newest consent in force (services.consent.active_consents' rule)."""
    from kodoku_desk.services.consent import active_consents

    active = active_consents(session, case_id)
    return active[0] if active else None


# ----------------------------------------------------------------------------- validation


def clean_data(data: dict) -> dict:
    """Normalise and check plan content; unknown keys and bad values are refused by name."""
    unknown = set(data) - set(FIELD_LABELS)
    if unknown:
        raise UserError(f"支援プランに不明な項目があります: {'、'.join(sorted(unknown))}")
    out: dict = {}
    for key, label, kind in PLAN_FIELDS:
        value = data.get(key)
        if kind == "text":
            out[key] = _text(value, label, key)
        elif kind == "date":
            d = value if isinstance(value, date) else parse_date(str(value or ""), field=key)
            out[key] = d.isoformat() if d else ""
        elif kind == "lines":
            items = value if isinstance(value, list) else str(value or "").splitlines()
            lines = [_text(v, label, key) for v in items]
            out[key] = [line for line in lines if line]
        else:
            columns = ISSUE_COLUMNS if kind == "issues" else ROLE_COLUMNS
            out[key] = _clean_rows(value or [], columns, label)
    return out


def _text(value: object, label: str, key: str) -> str:
    """A plan text: whatever was given, as text, through the one text check."""
    return check_text(str(value or ""), label, key)


def _clean_rows(rows: Sequence, columns: Sequence[tuple[str, str]], label: str) -> list[dict]:
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise UserError(f"{label}の{i}行目の形式が正しくありません。", field=label)
        clean = {k: _text(row.get(k), f"{label}の{i}行目の{h}", label) for k, h in columns}
        if any(clean.values()):
            out.append(clean)
    return out


# ----------------------------------------------------------------------------- diff


def render_value(key: str, value) -> str:
    """One field as text, for comparison and for plain display."""
    kind = FIELD_KINDS.get(key, "text")
    if kind == "date":
        return to_wareki(date.fromisoformat(value)) if value else ""
    if kind == "lines":
        return "\n".join(value or [])
    if kind in ("issues", "roles"):
        columns = ISSUE_COLUMNS if kind == "issues" else ROLE_COLUMNS
        return "\n".join(" / ".join(f"{h}: {row.get(k, '')}" for k, h in columns if row.get(k))
                         for row in value or [])
    return str(value or "")


def diff_data(before: dict, after: dict) -> list[FieldChange]:
    """Field-level differences between two versions' data, in PLAN_FIELDS order."""
    changes = []
    for key, label, _ in PLAN_FIELDS:
        old, new = render_value(key, before.get(key)), render_value(key, after.get(key))
        if old != new:
            changes.append(FieldChange(key, label, old, new))
    return changes


# ----------------------------------------------------------------------------- lifecycle


def check_transition(plan: Plan, to_status: str) -> None:
    lifecycle.check_transition(plan.status, plan.approval, to_status)


def _transition(session: Session, actor: Actor, plan: Plan, to_status: str, comment: str) -> None:
    check_transition(plan, to_status)
    session.add(PlanEvent(plan_id=plan.id, kind=EV_STATUS, from_status=plan.status,
                          to_status=to_status, actor_id=actor.staff_id, comment=comment))
    audit.record(session, actor, "plan_status", "plan", plan.id,
                 {"from": plan.status, "to": to_status, "comment": comment})
    plan.status = to_status


def _newest_version(session: Session, plan_id: int) -> PlanVersion | None:
    return session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan_id)
                          .order_by(PlanVersion.version.desc()).limit(1))


def latest_version(session: Session, plan_id: int) -> PlanVersion:
    """The plan's newest version (a plan is created with its first version)."""
    version = _newest_version(session, plan_id)
    if version is None:
        raise UserError(f"支援プラン {plan_id} には保存された版がありません。")
    return version


def _append_version(session: Session, actor: Actor, plan: Plan, data: dict, note: str) -> PlanVersion:
    latest = _newest_version(session, plan.id)
    number = latest.version + 1 if latest else 1
    version = PlanVersion(plan_id=plan.id, version=number, status=plan.status, data=data,
                          note=note, created_by=actor.staff_id)
    session.add(version)
    if plan.approval in (APPROVAL_PENDING, APPROVAL_OK):
        session.add(PlanEvent(plan_id=plan.id, kind=EV_WITHDRAWN, from_status=plan.status,
                              to_status=plan.status, actor_id=actor.staff_id,
                              comment=f"第{number}版の保存により、{plan.approval}を取り消しました。"))
        plan.approval = APPROVAL_NONE
    session.flush()
    return version


def _load_plan(session: Session, actor: Actor, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise UserError(f"支援プラン {plan_id} は見つかりません。")
    check_visible(session, actor, plan.case_id)
    return plan


# ----------------------------------------------------------------------------- use cases


def create_plan(signed: Signed, case_id: int, data: dict | None = None, note: str = "") -> int:
    """A new plan for the case, version 1 drafted from the case unless data is given."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "支援プランの作成")
    with uow.write(signed) as s:
        plan_id = create_plan_in(s, actor, case_id, data, note)
    return plan_id


def create_plan_in(session: Session, actor: Actor, case_id: int, data: dict | None = None,
                   note: str = "") -> int:
    return _create_plan(session, actor, case_id, data, note).id


def _create_plan(session: Session, actor: Actor, case_id: int, data: dict | None = None,
                 note: str = "") -> Plan:
    case = check_visible(session, actor, case_id)
    current = plan_for_case(session, case_id)
    if current is not None and current.status not in ENDED:
        raise UserError(f"このケースには進行中の支援プラン（状態: {current.status}）があります。"
                        "そのプランを編集するか、終結・中断にしてから新しいプランを作成してください。")
    content = clean_data(data if data is not None else draft_data(session, case))
    plan = Plan(case_id=case_id, status=lifecycle.DRAFT, created_by=actor.staff_id)
    session.add(plan)
    session.flush()
    _append_version(session, actor, plan, content, note or "ケースから作成")
    session.add(PlanEvent(plan_id=plan.id, kind=EV_CREATE, to_status=lifecycle.DRAFT, actor_id=actor.staff_id))
    audit.record(session, actor, "create", "plan", plan.id, {"case_id": case_id})
    return plan


def draft_for_case(signed: Signed, case_id: int) -> dict:
    """The draft content a new plan would start with (nothing saved; the view is audited)."""
    access.require(signed, signed.actor.is_coordinator, "支援プランの作成")
    with uow.write(signed) as s:
        case = check_visible(s, signed.actor, case_id)
        audit.record(s, signed.actor, "view_case", "case", case_id, {"purpose": "plan_draft"})
        return clean_data(draft_data(s, case))


def save_version(signed: Signed, plan_id: int, data: dict, note: str = "") -> int:
    """Saves the edited content as a new version; returns its number."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "支援プランの編集")
    content = clean_data(data)
    with uow.write(signed) as s:
        plan = _load_plan(s, actor, plan_id)
        if plan.status not in EDITABLE:
            raise UserError(f"「{plan.status}」の支援プランは編集できません。")
        latest = _newest_version(s, plan.id)
        if latest is not None and not diff_data(latest.data, content):
            raise UserError("前の版から変更がないため、新しい版は作成しませんでした。")
        version = _append_version(s, actor, plan, content, note)
        audit.record(s, actor, "update", "plan", plan.id, {
            "version": version.version,
            "fields": [c.key for c in diff_data(latest.data if latest else {}, content)]})
        return version.version


def change_status(signed: Signed, plan_id: int, to_status: str, comment: str = "") -> str:
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "支援プランの状態変更")
    with uow.write(signed) as s:
        plan = _load_plan(s, actor, plan_id)
        _transition(s, actor, plan, to_status, check_text(comment, "コメント", "comment"))
        return plan.status


def request_approval(signed: Signed, plan_id: int, comment: str = "") -> None:
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "支援プランの承認申請")
    with uow.write(signed) as s:
        plan = _load_plan(s, actor, plan_id)
        if plan.status in ENDED:
            raise UserError(f"「{plan.status}」の支援プランは承認を申請できません。")
        if plan.approval == APPROVAL_PENDING:
            raise UserError("この支援プランはすでに承認を申請中です。")
        if plan.approval == APPROVAL_OK:
            raise UserError("この版はすでに承認されています。")
        _approval_step(s, actor, plan, EV_REQUEST, APPROVAL_PENDING, comment)


def approve(signed: Signed, plan_id: int, comment: str = "") -> None:
    actor = signed.actor
    access.require(signed, actor.is_supervisor, "支援プランの承認")
    with uow.write(signed) as s:
        plan = _load_plan(s, actor, plan_id)
        if plan.approval != APPROVAL_PENDING:
            raise UserError("承認を申請されていない支援プランは承認できません。")
        _approval_step(s, actor, plan, EV_APPROVE, APPROVAL_OK, comment)


def return_plan(signed: Signed, plan_id: int, comment: str) -> None:
    """The supervisor sends the plan back with a comment (差戻し)."""
    actor = signed.actor
    access.require(signed, actor.is_supervisor, "支援プランの差戻し")
    if not check_text(comment, "差戻しの理由", "comment"):
        raise UserError("差戻しの理由（コメント）を書いてください。", field="comment")
    with uow.write(signed) as s:
        plan = _load_plan(s, actor, plan_id)
        if plan.approval != APPROVAL_PENDING:
            raise UserError("承認を申請されていない支援プランは差し戻せません。")
        _approval_step(s, actor, plan, EV_RETURN, APPROVAL_RETURNED, comment)


def _approval_step(session: Session, actor: Actor, plan: Plan, kind: str, approval: str,
                   comment: str) -> None:
    comment = check_text(comment, "コメント", "comment")
    version = latest_version(session, plan.id)
    note = f"第{version.version}版" + (f": {comment.strip()}" if comment.strip() else "")
    session.add(PlanEvent(plan_id=plan.id, kind=kind, from_status=plan.status,
                          to_status=plan.status, actor_id=actor.staff_id, comment=note))
    audit.record(session, actor, "plan_approval", "plan", plan.id,
                 {"step": kind, "version": version.version, "comment": comment.strip()})
    plan.approval = approval


def add_evaluation(signed: Signed, plan_id: int, evaluated_on: date | str,
                   progress: Sequence[dict], next_direction: str) -> int:
    """Records an evaluation (評価日, progress per goal, next direction). A plan being carried
    out (実施中) moves to 評価."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "支援プランの評価")
    when = evaluated_on if isinstance(evaluated_on, date) else parse_date(evaluated_on,
                                                                          field="evaluated_on")
    if when is None:
        raise UserError("評価日を入力してください。", field="evaluated_on")
    rows = [{"goal": _text(p.get("goal", ""), f"目標 {i}", "progress"),
             "progress": _text(p.get("progress", ""), f"目標 {i} の進み具合", "progress")}
            for i, p in enumerate(progress, 1)]
    rows = [r for r in rows if r["goal"] or r["progress"]]
    next_direction = check_text(next_direction, "今後の方向性", "next_direction")
    if not rows and not next_direction:
        raise UserError("目標ごとの進み具合か今後の方向性を書いてください。", field="progress")
    with uow.write(signed) as s:
        plan = _load_plan(s, actor, plan_id)
        lifecycle.check_evaluable(plan.status)
        version = latest_version(s, plan.id)
        ev = PlanEvaluation(plan_id=plan.id, plan_version_id=version.id, evaluated_on=when,
                            progress=rows, next_direction=next_direction,
                            created_by=actor.staff_id)
        s.add(ev)
        s.add(PlanEvent(plan_id=plan.id, kind=EV_EVALUATION, from_status=plan.status,
                        to_status=plan.status, actor_id=actor.staff_id,
                        comment=f"評価日 {to_wareki(when)}"))
        if plan.status != lifecycle.EVALUATING:
            _transition(s, actor, plan, lifecycle.EVALUATING, f"評価日 {to_wareki(when)}")
        s.flush()
        audit.record(s, actor, "create", "plan_evaluation", ev.id, {"plan_id": plan.id})
        return ev.id


def goals_of(data: dict) -> list[str]:
    """The goals an evaluation reports progress against: the long-term goal, then short-term."""
    goals = [data["long_term_goal"]] if data.get("long_term_goal") else []
    return goals + list(data.get("short_term_goals") or [])


# ----------------------------------------------------------------------------- queries


def list_plans(signed: Signed, status: str | None = None, case_id: int | None = None,
               limit: int = 500) -> list[PlanRow]:
    """Plans, most recently saved first."""
    access.require(signed, signed.actor.is_coordinator, "支援プランの一覧")
    with uow.read(signed) as s:
        return plan_rows(s, signed.actor, status=status, case_id=case_id, limit=limit)


def plan_rows(session: Session, actor: Actor, status: str | None = None,
              case_id: int | None = None, limit: int = 500) -> list[PlanRow]:
    from kodoku_desk.services.access import scope_clause

    latest = (select(PlanVersion.plan_id, func.max(PlanVersion.version).label("v"),
                     func.max(PlanVersion.created_at).label("at"))
              .group_by(PlanVersion.plan_id).subquery())
    q = (select(Plan, Case.case_no, Person.name, latest.c.v, latest.c.at)
         .join(Case, Case.id == Plan.case_id).join(Person, Person.id == Case.person_id)
         .join(latest, latest.c.plan_id == Plan.id)
         .where(Case.deleted.is_(False), scope_clause(actor)).order_by(latest.c.at.desc(), Plan.id))
    if status:
        q = q.where(Plan.status == status)
    if case_id is not None:
        q = q.where(Plan.case_id == case_id)
    return [PlanRow(plan.id, plan.case_id, case_no, name, plan.status, plan.approval, v, at)
            for plan, case_no, name, v, at in session.execute(q.limit(limit))]


def plan_for_case(session: Session, case_id: int) -> Plan | None:
    """The case's current plan: the newest one that has not ended."""
    return session.scalar(select(Plan).where(Plan.case_id == case_id)
                          .order_by((Plan.status.in_(ENDED)).asc(), Plan.id.desc())
                          .limit(1))


def get_plan(signed: Signed, plan_id: int) -> PlanView:
    """The plan with its versions, events and evaluations (the view is audited)."""
    actor = signed.actor
    access.require(signed, actor.is_coordinator, "支援プランの閲覧")
    with uow.write(signed) as s:
        plan = _load_plan(s, actor, plan_id)
        audit.record(s, actor, "view_plan", "plan", plan.id)
        return plan_view(s, plan)


def plan_view(session: Session, plan: Plan) -> PlanView:
    names = dict(session.execute(select(Staff.id, Staff.display_name)).all())
    versions = session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id)
                               .order_by(PlanVersion.version)).all()
    events = session.scalars(select(PlanEvent).where(PlanEvent.plan_id == plan.id)
                             .order_by(PlanEvent.at, PlanEvent.id)).all()
    evals = session.scalars(select(PlanEvaluation).where(PlanEvaluation.plan_id == plan.id)
                            .order_by(PlanEvaluation.evaluated_on, PlanEvaluation.id)).all()
    by_id = {v.id: v.version for v in versions}
    case = session.get_one(Case, plan.case_id)  # plans.case_id is a foreign key
    return PlanView(
        id=plan.id, case_id=plan.case_id, case_no=case.case_no, person_name=case.person.name,
        status=plan.status, approval=plan.approval, version=versions[-1].version,
        data=dict(versions[-1].data),
        versions=[VersionRow(v.id, v.version, v.status, v.note, names.get(v.created_by, ""),
                             v.created_at) for v in versions],
        events=[EventRow(e.kind, e.from_status, e.to_status, names.get(e.actor_id, ""), e.comment,
                         e.at) for e in events],
        evaluations=[EvaluationRow(e.id, e.evaluated_on, by_id.get(e.plan_version_id, 0),
                                   list(e.progress), e.next_direction,
                                   names.get(e.created_by, "")) for e in evals],
    )


def version_data(signed: Signed, plan_id: int, version: int) -> dict:
    access.require(signed, signed.actor.is_coordinator, "支援プランの閲覧")
    with uow.write(signed) as s:
        _load_plan(s, signed.actor, plan_id)
        row = _version(s, plan_id, version)
        audit.record(s, signed.actor, "view_plan", "plan", plan_id, {"version": version})
        return dict(row.data)


def _version(session: Session, plan_id: int, version: int) -> PlanVersion:
    row = session.scalar(select(PlanVersion).where(PlanVersion.plan_id == plan_id,
                                                   PlanVersion.version == version))
    if row is None:
        raise UserError(f"支援プラン {plan_id} に第{version}版はありません。")
    return row


def compare_with_previous(signed: Signed, plan_id: int, version: int) -> list[FieldChange]:
    """What changed in `version` compared with the version before it (version 1: everything)."""
    access.require(signed, signed.actor.is_coordinator, "支援プランの閲覧")
    with uow.write(signed) as s:
        _load_plan(s, signed.actor, plan_id)
        audit.record(s, signed.actor, "view_plan", "plan", plan_id, {"compare": version})
        current = _version(s, plan_id, version)
        previous = _version(s, plan_id, version - 1).data if version > 1 else {}
        return diff_data(previous, current.data)


def ensure_plan(session: Session, actor: Actor, case_id: int) -> Plan:
    """The case's current plan; one is drafted from the case if it has none (or only ended ones)."""
    plan = plan_for_case(session, case_id)
    if plan is None or plan.status in ENDED:
        plan = _create_plan(session, actor, case_id, note="会議の決定のため作成")
    return plan


def agree_from_meeting(session: Session, actor: Actor, case_id: int, changes: dict,
                       note: str) -> PlanVersion:
    """Used by meetings.record_decision: the case's plan gets a new version with status 合意.
    A case without a plan gets one drafted first. The plan walks the lifecycle to 合意 through
    the one transition function (e.g. 案 → 会議提出 → 合意, 実施中 → 評価 → 会議提出 → 合意),
    each step recorded; a plan already 合意 just gets the new version."""
    plan = ensure_plan(session, actor, case_id)
    for step in lifecycle.steps_to(plan.status, lifecycle.AGREED):
        _transition(session, actor, plan, step, note)
    data = dict(latest_version(session, plan.id).data)
    data.update(changes)
    version = _append_version(session, actor, plan, clean_data(data), note)
    audit.record(session, actor, "update", "plan", plan.id,
                 {"version": version.version, "from": "meeting_decision"})
    return version


__all__ = [
    "PLAN_FIELDS", "TRANSITIONS", "PlanRow", "PlanView", "FieldChange", "add_evaluation",
    "agree_from_meeting", "approve", "change_status", "check_transition", "compare_with_previous",
    "create_plan", "diff_data", "ensure_plan", "latest_version", "draft_data", "draft_for_case", "get_plan", "goals_of",
    "list_plans", "plan_for_case", "render_value", "request_approval", "return_plan",
    "save_version", "version_data",
]
