"""Intake: people search and duplicate warnings, and saving one 「つながる」シート with everything
that comes with it (person, case, household, routing decisions, consent, attachments,
hand-offs) in ONE unit of work: all of it is saved, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import routing
from kodoku_desk.domain.actor import Actor
from kodoku_desk.domain.template import (
    SheetTemplate,
    check_text,
    load_template,
    validate_answers,
    validate_worries,
)
from kodoku_desk.domain.text import case_search_text, phone_key, search_key
from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Agency,
    Case,
    CaseField,
    HouseholdMember,
    Person,
    RoutingDecision,
    Sheet,
    Staff,
    now,
)
from kodoku_desk.models.cases import URGENCIES
from kodoku_desk.models.org import FIELDS
from kodoku_desk.services import access, audit, indexing, uow
from kodoku_desk.services import attachments as attachment_service
from kodoku_desk.services import consent as consent_service
from kodoku_desk.services import handoffs as handoff_service
from kodoku_desk.services.attachments import AttachmentInput
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.consent import ConsentInput
from kodoku_desk.services.handoffs import SendInput
from kodoku_desk.store import search_index

MEMBER_FLAGS = ("要介護", "障がい", "18歳未満", "就労", "ひきこもり")
SEXES = ("", "男性", "女性", "その他", "回答しない")


# --- input ----------------------------------------------------------------------------------------

@dataclass
class PersonInput:
    name: str = ""
    kana: str = ""
    birth_date: date | None = None
    sex: str = ""
    address: str = ""
    phone: str = ""
    person_id: int | None = None  # an existing person chosen after the duplicate warning


@dataclass
class MemberInput:
    relation: str
    name: str = ""
    kana: str = ""
    birth_date: date | None = None
    flags: list[str] = field(default_factory=list)
    person_id: int | None = None


@dataclass
class RoutingChoice:
    """What the worker did with a suggestion (source "rule") or added themselves ("worker")."""

    field: str
    agency_id: int | None
    reason: str
    source: str = "rule"
    status: str = "confirmed"  # confirmed / removed
    removed_reason: str = ""


@dataclass
class IntakeInput:
    person: PersonInput
    received_at: datetime | None = None
    method: str = ""
    discovery: str = ""
    urgency: str = "中"
    answers: dict = field(default_factory=dict)
    worries: list[str] = field(default_factory=list)
    most_pressing: str = ""
    household: list[MemberInput] = field(default_factory=list)
    # None: take the rule suggestions as they are (import); a list: the worker's decisions.
    routing: list[RoutingChoice] | None = None
    consent: ConsentInput | None = None
    consent_attachment: AttachmentInput | None = None
    attachments: list[AttachmentInput] = field(default_factory=list)
    handoffs: list[SendInput] = field(default_factory=list)
    agency_id: int | None = None  # 受付機関: the actor's agency unless given
    worker_id: int | None = None  # 受付者: the actor unless given
    block_id: int | None = None  # the person's block: the agency's block unless given
    template_version: str | None = None
    case_id: int | None = None  # add a sheet to an existing case instead of opening a new one


@dataclass(frozen=True)
class SavedIntake:
    case_id: int
    sheet_id: int
    person_id: int
    case_no: str = ""
    handoff_ids: tuple[int, ...] = ()
    urgent_path: bool = False
    multi_agency: bool = False
    fields: tuple[str, ...] = ()


# --- people search and duplicates ------------------------------------------------------------------

@dataclass(frozen=True)
class PersonMatch:
    person_id: int
    name: str
    kana: str
    birth_date: date | None
    phone: str
    address: str
    why: tuple[str, ...] = ()  # for duplicates: which keys matched
    case_nos: tuple[str, ...] = ()
    case_ids: tuple[int, ...] = ()  # same order as case_nos


def likely_duplicates(session: Session, kana: str, birth_date: date | None, phone: str = "",
                      exclude_person_id: int | None = None) -> list[PersonMatch]:
    """People with the same normalised ふりがな and birth date, or the same phone number.
    Only a warning: nobody is ever merged automatically."""
    kana_k, phone_k = search_key(kana), phone_key(phone)
    conditions: list[ColumnElement[bool]] = []
    if kana_k and birth_date:
        conditions.append((Person.kana_key == kana_k) & (Person.birth_date == birth_date))
    if len(phone_k) >= 6:  # a few digits are not a phone number worth matching
        conditions.append(Person.phone_key == phone_k)
    if not conditions:
        return []
    q = select(Person).where(or_(*conditions)).order_by(Person.id).limit(20)
    if exclude_person_id:
        q = q.where(Person.id != exclude_person_id)
    people = list(session.scalars(q))
    cases = _case_numbers(session, [p.id for p in people])
    out = []
    for p in people:
        why = []
        if kana_k and birth_date and p.kana_key == kana_k and p.birth_date == birth_date:
            why.append("ふりがなと生年月日が同じ")
        if len(phone_k) >= 6 and p.phone_key == phone_k:
            why.append("電話番号が同じ")
        nos, ids = cases.get(p.id, ((), ()))
        out.append(PersonMatch(p.id, p.name, p.kana, p.birth_date, p.phone, p.address, tuple(why),
                               nos, ids))
    return out


def _case_numbers(session: Session, person_ids: list[int]
                  ) -> dict[int, tuple[tuple[str, ...], tuple[int, ...]]]:
    """person id → (case numbers, case ids) of the person's own cases."""
    if not person_ids:
        return {}
    # `IS NOT true`, not `= false`: the planner must seek the person_id index, never walk every
    # case through an index on the flag (ix_cases_deleted: 100,000 rows to find a few).
    rows = session.execute(select(Case.person_id, Case.case_no, Case.id).where(
        Case.person_id.in_(person_ids), Case.deleted.is_not(True)).order_by(Case.id))
    out: dict[int, tuple[list[str], list[int]]] = {}
    for pid, no, cid in rows:
        nos, ids = out.setdefault(pid, ([], []))
        nos.append(no)
        ids.append(cid)
    return {k: (tuple(v[0]), tuple(v[1])) for k, v in out.items()}


def search_people(session: Session, query: str = "", birth_date: date | None = None,
                  phone: str = "", limit: int = 50) -> list[PersonMatch]:
    """Name / ふりがな (width-, kana- and space-insensitive), birth date, phone: all given
    criteria must match; a name or phone matches anywhere inside the stored key.

    Answered from indexes, never a scan of every person: 3 characters or digits and more from
    the trigram index (store.search_index), shorter ones from the narrow B-tree indexes on the
    keys, a birth date from its own index."""
    key, digits = search_key(query), phone_key(phone)
    if not (key or birth_date or digits):
        return []
    if len(key) > 200 or len(digits) > 40:
        raise UserError("検索する氏名・ふりがな・電話番号が長すぎます。短くして検索してください。",
                        field="search")
    q = select(Person)
    if key:
        q = q.where(Person.id.in_(_people_matching(key, ("name_key", "kana_key"))))
    if birth_date:
        q = q.where(Person.birth_date == birth_date)
    if digits:
        q = q.where(Person.id.in_(_people_matching(digits, ("phone_key",))))
    people = list(session.scalars(q.order_by(Person.kana_key, Person.id).limit(limit)))
    cases = _case_numbers(session, [p.id for p in people])
    return [PersonMatch(p.id, p.name, p.kana, p.birth_date, p.phone, p.address, (),
                        *cases.get(p.id, ((), ()))) for p in people]


def _people_matching(term: str, columns: tuple[str, ...]):
    """SELECT people.id whose key columns contain `term`."""
    if search_index.indexable(term):
        return search_index.people_ids(columns, [term])
    if columns == ("name_key", "kana_key"):  # 山田, 林: the two-character windows
        return search_index.people_ids_short(term)
    # One or two digits of a phone number: a LIKE over the narrow phone_key index.
    return select(Person.id).where(Person.phone_key.contains(term, autoescape=True))


def scoped(session: Session, actor: Actor, matches: list[PersonMatch]) -> list[PersonMatch]:
    """What a worker may see of people found across the city: name, ふりがな and birth date
    always (enough to recognise a duplicate); address, phone and case numbers only through
    cases the worker may see."""
    from dataclasses import replace

    from kodoku_desk.services.access import scope_clause

    ids = [cid for m in matches for cid in m.case_ids]
    # One query for every case found (services.cases.scope_clause, the one scope rule).
    allowed = set(session.scalars(select(Case.id).where(
        Case.id.in_(ids), Case.deleted.is_(False), scope_clause(actor)))) if ids else set()
    out = []
    for m in matches:
        visible = [(no, cid) for no, cid in zip(m.case_nos, m.case_ids, strict=False)
                   if cid in allowed]
        if visible or actor.sees_all_cases:
            out.append(replace(m, case_nos=tuple(n for n, _ in visible),
                               case_ids=tuple(c for _, c in visible)))
        else:
            hidden = "他機関で相談歴あり" if m.case_ids else ""
            out.append(replace(m, phone="", address="", case_nos=(hidden,) if hidden else (),
                               case_ids=()))
    return out


def find_people(signed: Signed, query: str = "", birth_date: date | None = None,
                phone: str = "") -> list[PersonMatch]:
    """search_people for the screen: scoped to what the worker may see, and audited."""
    access.require(signed, signed.actor.is_intake, "本人の検索")
    with uow.write(signed) as s:
        found = scoped(s, signed.actor, search_people(s, query, birth_date, phone))
        audit.record(s, signed.actor, "search_person", "person", "",
                     {"criteria": [k for k, v in (("name", query), ("birth", birth_date),
                                                   ("phone", phone)) if v],
                      "hits": len(found)})
        return found


def check_duplicates(signed: Signed, kana: str, birth_date: date | None,
                     phone: str = "") -> list[PersonMatch]:
    access.require(signed, signed.actor.is_intake, "本人の検索")
    with uow.write(signed) as s:
        found = scoped(s, signed.actor, likely_duplicates(s, kana, birth_date, phone))
        if found:
            audit.record(s, signed.actor, "duplicate_warning", "person",
                         ",".join(str(m.person_id) for m in found))
        return found


# --- validation -----------------------------------------------------------------------------------

def _check_person(p: PersonInput) -> PersonInput:
    sex = check_text(p.sex, "性別", "sex")
    if sex not in SEXES:
        raise UserError(f"性別「{sex}」は選べません。{'・'.join(SEXES[1:])} から選んでください。",
                        field="person.sex")
    out = PersonInput(
        name=check_text(p.name, "氏名", "person.name", single_line=True),
        kana=check_text(p.kana, "ふりがな", "person.kana", single_line=True),
        birth_date=p.birth_date, sex=sex,
        address=check_text(p.address, "住所", "person.address", single_line=True),
        phone=check_text(p.phone, "電話", "person.phone", single_line=True),
        person_id=p.person_id)
    if not (out.person_id or out.name or out.kana):
        raise UserError("本人の氏名かふりがなを入力してください（既存の方なら検索して選んでください）。",
                        field="person.name")
    if out.birth_date and out.birth_date > date.today():
        raise UserError("生年月日が未来の日付になっています。", field="person.birth_date")
    if len(out.name) > 100 or len(out.kana) > 200:
        raise UserError("氏名またはふりがなが長すぎます。", field="person.name")
    return out


def _check_member(m: MemberInput, i: int) -> MemberInput:
    where = f"household[{i}]"
    label = f"世帯員 {i + 1}"
    relation = check_text(m.relation, f"{label}の続柄", f"{where}.relation", single_line=True)
    if not relation:
        raise UserError(f"{label}の続柄を入力してください。", field=f"{where}.relation")
    if relation == routing.SELF:
        raise UserError(f"{label}: 本人は世帯員として入力しないでください。", field=f"{where}.relation")
    unknown = [f for f in m.flags if f not in MEMBER_FLAGS]
    if unknown:
        raise UserError(f"{label}の状況「{'、'.join(unknown)}」は選べません。"
                        f"選べるのは {'・'.join(MEMBER_FLAGS)} です。", field=f"{where}.flags")
    if m.birth_date and m.birth_date > date.today():
        raise UserError(f"{label}の生年月日が未来の日付になっています。", field=f"{where}.birth_date")
    return MemberInput(relation,
                       check_text(m.name, f"{label}の氏名", f"{where}.name", single_line=True),
                       check_text(m.kana, f"{label}のふりがな", f"{where}.kana", single_line=True),
                       m.birth_date, [f for f in MEMBER_FLAGS if f in m.flags], m.person_id)


def _check_choice(value: str, options: tuple[str, ...], label: str, key: str) -> str:
    value = check_text(value, label, key)
    if value and value not in options:
        raise UserError(f"{label}「{value}」は選べません。選べるのは {'・'.join(options)} です。",
                        field=key)
    return value


def validate(data: IntakeInput, template: SheetTemplate | None = None) -> IntakeInput:
    """Everything that can be checked without the database. Returns a cleaned copy."""
    template = template or load_template(data.template_version)
    worries, most = validate_worries(data.worries, data.most_pressing, template)
    method_opts = template.field("method").options
    discovery_opts = template.field("discovery").options
    received = data.received_at or now()
    if received.date() > date.today():
        raise UserError("受付日が未来の日付になっています。", field="received_at")
    if data.consent_attachment is not None and data.consent is None:  # it would not be saved
        raise UserError("署名した同意書を添付するときは、同意の記録（範囲・日付・方法）も入力してください。"
                        "同意を記録しない場合は、添付を外してください。", field="consent")
    if data.urgency not in URGENCIES:
        raise UserError(f"緊急度「{data.urgency}」は選べません。選べるのは {'・'.join(URGENCIES)} です。",
                        field="urgency")
    clean = IntakeInput(
        person=_check_person(data.person), received_at=received,
        method=_check_choice(data.method, method_opts, "受付方法", "method"),
        discovery=_check_choice(data.discovery, discovery_opts, "きっかけ・発見経路", "discovery"),
        urgency=data.urgency, answers=validate_answers(data.answers, template), worries=worries,
        most_pressing=most,
        household=[_check_member(m, i) for i, m in enumerate(data.household)],
        routing=None if data.routing is None else [_check_choice_row(r, i)
                                                   for i, r in enumerate(data.routing)],
        consent=data.consent, consent_attachment=data.consent_attachment,
        attachments=list(data.attachments), handoffs=list(data.handoffs),
        agency_id=data.agency_id, worker_id=data.worker_id, block_id=data.block_id,
        template_version=template.version, case_id=data.case_id)
    for item in clean.attachments + ([clean.consent_attachment] if clean.consent_attachment else []):
        attachment_service.sniff(item.filename, item.data)
    return clean


def _check_choice_row(r: RoutingChoice, i: int) -> RoutingChoice:
    where = f"routing[{i}]"
    if r.field not in FIELDS:
        raise UserError(f"つなぎ先候補 {i + 1} の分野「{r.field}」はありません。", field=f"{where}.field")
    if r.status not in ("confirmed", "removed") or r.source not in ("rule", "worker"):
        raise UserError(f"つなぎ先候補 {i + 1} の状態が正しくありません。", field=where)
    reason = check_text(r.reason, f"つなぎ先候補 {i + 1} の理由", f"{where}.reason")
    if r.source == "worker" and not reason:
        raise UserError(f"追加したつなぎ先候補 {i + 1} の理由を書いてください。", field=f"{where}.reason")
    return RoutingChoice(r.field, r.agency_id, reason, r.source, r.status,
                         check_text(r.removed_reason, "候補から外した理由", f"{where}.removed_reason"))


# --- saving ---------------------------------------------------------------------------------------

def save_intake(signed: Signed, data: IntakeInput) -> SavedIntake:
    """Save the sheet and everything with it in one unit of work (audited)."""
    access.require(signed, signed.actor.is_intake, "相談の受付")
    clean = validate(data)
    rules = routing.rules_for(signed.folder)
    with uow.write(signed) as s:
        return save_in(s, signed.actor, clean, rules)


def save_in(session: Session, actor: Actor, data: IntakeInput,
            rules: routing.RoutingRules | None = None) -> SavedIntake:
    """The body of save_intake inside the caller's unit of work; `data` must be validated.
    rules: the workspace's routing rules (routing.rules_for), default when None."""
    agency = _intake_agency(session, actor, data.agency_id)
    worker_id = _worker(session, data.worker_id or actor.staff_id)
    person = _person(session, data.person)
    received = data.received_at or now()
    block_id = data.block_id if data.block_id is not None else agency.block_id
    decisions, result = _routing(session, data, received.date(), block_id, rules)
    confirmed = [d for d in decisions if d.status == "confirmed"]
    case, is_new = _case(session, actor, data, person, agency, block_id, received)
    fields = routing.fields_of(list(case.fields) + [d.field for d in confirmed])
    case.fields = list(fields)
    case.urgent_path = case.urgent_path or result.urgent or _safety_urgent(data.answers)
    case.multi_agency = routing.is_multi_agency(fields, rules)
    case.urgency = data.urgency
    case.discovery = data.discovery or case.discovery
    case.updated_at = now()
    _case_fields(session, case.id, fields)
    members = _household(session, case.id, data.household)
    sheet = Sheet(case_id=case.id, template_version=data.template_version or load_template().version,
                  received_at=received, agency_id=agency.id, worker_id=worker_id,
                  method=data.method, worries=list(data.worries),
                  most_pressing=data.most_pressing, answers=dict(data.answers))
    session.add(sheet)
    session.flush()
    for d in decisions:
        d.sheet_id, d.decided_by = sheet.id, actor.staff_id
        session.add(d)
    for item in data.attachments:
        attachment_service.add_in(session, actor, case.id, item, sheet.id)
    if data.consent is not None:
        _consent(session, actor, case.id, sheet.id, data.consent, data.consent_attachment)
    handoff_ids = _send_all(session, actor, case.id, sheet.id, agency.id, data.handoffs)
    session.flush()
    indexing.index_cases(session, [case.id])  # its search keys and what its sheets say
    audit.record(session, actor, "intake_save", "case", case.id, {
        "case_no": case.case_no, "sheet_id": sheet.id, "new_case": is_new,
        "person_id": person.id, "members": len(members), "fields": list(fields),
        "urgent_path": case.urgent_path, "multi_agency": case.multi_agency,
        "handoffs": list(handoff_ids)})
    return SavedIntake(case.id, sheet.id, person.id, case.case_no, tuple(handoff_ids),
                       case.urgent_path, case.multi_agency, tuple(fields))


def _intake_agency(session: Session, actor: Actor, agency_id: int | None) -> Agency:
    agency_id = agency_id or actor.agency_id
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is None:
        raise UserError("受付機関が登録されていません。", field="agency")
    if agency.id != actor.agency_id and not actor.sees_all_cases:
        raise access.denied("相談の受付", f"「{agency.name}」の受付として記録する権限がありません"
                            "（自分の機関の受付だけ記録できます）。", target_type="agency",
                            target_id=agency.id, field="agency")
    return agency


def _worker(session: Session, worker_id: int) -> int:
    staff = session.get(Staff, worker_id)
    if staff is None:
        raise UserError("受付者が登録されていません。", field="worker")
    return staff.id


def _person(session: Session, p: PersonInput) -> Person:
    if p.person_id:
        person = session.get(Person, p.person_id)
        if person is None:
            raise UserError(f"本人（番号 {p.person_id}）は見つかりません。", field="person")
        # Fill what the existing record lacks; never overwrite what someone else recorded.
        for attr in ("name", "kana", "sex", "address", "phone", "birth_date"):
            if not getattr(person, attr) and getattr(p, attr):
                setattr(person, attr, getattr(p, attr))
        before = indexing.person_row(person)
        _keys(person)
        if indexing.person_row(person) != before:
            session.flush()
            indexing.refresh_person(session, person)  # the index and their cases' search text
        return person
    person = Person(name=p.name, kana=p.kana, birth_date=p.birth_date, sex=p.sex,
                    address=p.address, phone=p.phone)
    _keys(person)
    session.add(person)
    session.flush()
    indexing.index_people(session, [person])
    return person


def _keys(person: Person) -> None:
    person.name_key = search_key(person.name)
    person.kana_key = search_key(person.kana)
    person.phone_key = phone_key(person.phone)


def next_case_no(session: Session, year: int) -> str:
    """2025-000123: the year of receipt and a running number within it."""
    prefix = f"{year}-"
    # A range on the unique index (LIKE would scan: SQLite's LIKE is case-insensitive).
    in_year = (Case.case_no >= prefix) & (Case.case_no < f"{year}.")
    last = session.scalar(select(func.max(Case.case_no)).where(in_year))
    try:
        n = int(last.split("-", 1)[1]) if last else 0
    except ValueError:
        n = session.scalar(select(func.count()).select_from(Case).where(in_year)) or 0
    return f"{prefix}{n + 1:06d}"


def _case(session: Session, actor: Actor, data: IntakeInput, person: Person, agency: Agency,
          block_id: int | None, received: datetime) -> tuple[Case, bool]:
    if data.case_id:
        from kodoku_desk.services.access import check_visible

        case = check_visible(session, actor, data.case_id)
        if case.person_id != person.id:
            raise UserError("このケースの本人と、入力された本人が違います。", field="person")
        return case, False
    case_no = next_case_no(session, received.year)
    case = Case(case_no=case_no, person_id=person.id, owner_agency_id=agency.id,
                block_id=block_id, opened_at=received, fields=[],
                search_text=case_search_text(case_no, person.name, person.kana, person.phone))
    session.add(case)
    session.flush()
    return case, True


def _case_fields(session: Session, case_id: int, fields: tuple[str, ...]) -> None:
    have = set(session.scalars(select(CaseField.field).where(CaseField.case_id == case_id)))
    for f in fields:
        if f not in have:
            session.add(CaseField(case_id=case_id, field=f))


def _household(session: Session, case_id: int, members: list[MemberInput]) -> list[HouseholdMember]:
    """New household rows; on an existing case, members already recorded (same 続柄, name and
    birth date) are not added twice."""
    known = {(h.relation, h.person.name, h.person.birth_date) for h in session.scalars(
        select(HouseholdMember).where(HouseholdMember.case_id == case_id))}
    rows = []
    for i, m in enumerate(members):
        if (m.relation, m.name, m.birth_date) in known:
            continue
        if m.person_id:
            person = session.get(Person, m.person_id)
            if person is None:
                raise UserError(f"世帯員 {i + 1}（番号 {m.person_id}）は見つかりません。",
                                field=f"household[{i}]")
        else:
            person = Person(name=m.name, kana=m.kana, birth_date=m.birth_date)
            _keys(person)
            session.add(person)
            session.flush()
            indexing.index_people(session, [person])
        row = HouseholdMember(case_id=case_id, person_id=person.id, relation=m.relation,
                              flags=list(m.flags))
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def routing_input_for(data: IntakeInput, on: date, block_id: int | None) -> routing.RoutingInput:
    return routing.routing_input(
        data.worries, data.person.birth_date,
        [(m.relation, m.birth_date, m.flags) for m in data.household], on=on, block_id=block_id)


def suggest_for(session: Session, data: IntakeInput, on: date | None = None,
                block_id: int | None = None, rules: routing.RoutingRules | None = None
                ) -> routing.RoutingResult:
    """Routing suggestions for an intake being entered (agencies read from the workspace)."""
    agencies = session.scalars(select(Agency).where(Agency.active.is_(True))).all()
    return routing.suggest(routing_input_for(data, on or date.today(), block_id), agencies, rules)


def _routing(session: Session, data: IntakeInput, on: date, block_id: int | None,
             rules: routing.RoutingRules | None) -> tuple[list[RoutingDecision], routing.RoutingResult]:
    result = suggest_for(session, data, on, block_id, rules)
    choices = data.routing
    if choices is None:
        choices = [RoutingChoice(s.field, s.agency_id, s.reason) for s in result.suggestions]
    rows = []
    for i, c in enumerate(choices):
        if c.agency_id is not None and session.get(Agency, c.agency_id) is None:
            raise UserError(f"つなぎ先候補 {i + 1} の機関（番号 {c.agency_id}）は登録されていません。",
                            field=f"routing[{i}].agency")
        rows.append(RoutingDecision(agency_id=c.agency_id, field=c.field, reason=c.reason,
                                    source=c.source, status=c.status,
                                    removed_reason=c.removed_reason, decided_by=0))
    return rows, result


def _safety_urgent(answers: dict) -> bool:
    return bool(answers.get("safety"))


def _consent(session: Session, actor: Actor, case_id: int, sheet_id: int, consent: ConsentInput,
             attachment: AttachmentInput | None) -> None:
    if attachment is not None:
        item = AttachmentInput(attachment.filename, attachment.data, "consent")
        consent.attachment_id = attachment_service.add_in(session, actor, case_id, item,
                                                          sheet_id).id
    consent_service.record_in(session, actor, case_id, consent)


def _send_all(session: Session, actor: Actor, case_id: int, sheet_id: int, from_agency_id: int,
              items: list[SendInput]) -> list[int]:
    ids = []
    seen: set[int] = set()
    for i, item in enumerate(items):
        if item.to_agency_id in seen:
            raise UserError(f"つなぎ先 {i + 1}: 同じ機関へのつなぎが二つあります。", field=f"handoffs[{i}].to")
        seen.add(item.to_agency_id)
        try:
            h = handoff_service.send_in(session, actor, case_id, item, sheet_id, from_agency_id)
        except UserError as err:
            raise type(err)(f"つなぎ先 {i + 1}: {err.message}",
                            field=f"handoffs[{i}].{err.field or 'to'}") from None
        ids.append(h.id)
    return ids


__all__ = [
    "MEMBER_FLAGS", "IntakeInput", "MemberInput", "PersonInput", "PersonMatch", "RoutingChoice",
    "SavedIntake", "check_duplicates", "find_people", "scoped", "likely_duplicates", "next_case_no",
    "routing_input_for", "save_in", "save_intake", "search_people", "suggest_for", "validate",
]
