"""A deterministic city-scale synthetic workspace (issue 5; demo data of issues 2, 3 and 6).

`populate(signed, cases, seed)` fills a workspace whose demo organisation (blocks, agencies,
staff from kodoku_devtools.demo) already exists with generated people and households, cases, sheets,
routing decisions, consents, hand-offs in every state with their events and disclosures,
consent overrides (some reviewed) and support plans with versions, events and evaluations.

Same seed + same reference date → the same rows (random.Random(seed); every timestamp derives
from the reference date, never from the clock). Rows go in with SQLAlchemy Core bulk inserts
(executemany) in batches, inside ONE unit of work: the workspace gets all of it or none.
Bulk inserts pass by the history chain's flush hook, so the generated history rows are linked
into the chain at the end by services.history_chain.link_unlinked, in the same unit of work.
One audit entry records the generation (not one per row).

Routing uses the workspace's own rules (domain.routing.suggest), the consent gate the same
coverage rule as services.consent.covers, due dates domain.dates.add_business_days and the
search text domain.text.case_search_text, so the generated data looks like what the
application itself would have saved.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from kodoku_desk.domain import consent as consent_rules
from kodoku_desk.domain import handoff as handoff_rules
from kodoku_desk.domain import routing
from kodoku_desk.domain.template import load_template
from kodoku_desk.domain.text import case_notes_text, case_search_text, phone_key, search_key
from kodoku_desk.models import (
    Agency,
    Block,
    Case,
    CaseField,
    Consent,
    ConsentWithdrawal,
    Disclosure,
    Handoff,
    HandoffEvent,
    HouseholdMember,
    OverrideReview,
    Person,
    Plan,
    PlanEvaluation,
    PlanEvent,
    PlanVersion,
    RoutingDecision,
    Sheet,
    Staff,
)
from kodoku_desk.models.handoffs import (
    ACCEPTED,
    ACKNOWLEDGED,
    BASIS_CONSENT,
    BASIS_LAW,
    BASIS_VITAL,
    DONE,
    RETURNED,
    SENT,
    WITHDRAWN,
    ack_days_between,
)
from kodoku_desk.services import audit, history_chain, sharing, uow
from kodoku_desk.services.admin import get_setting
from kodoku_desk.services.auth import Signed
from kodoku_desk.store import search_index
from kodoku_devtools import synthetic_vocab as V

Progress = Callable[[int, int], None]
BATCH_CASES = 2000
HEAVY_CASE_HANDOFFS = 30  # the first generated case is passed on this many times
HISTORY_DAYS = 730  # cases opened over the two years before the reference date

# Insert order respects the foreign keys (PRAGMA foreign_keys is on).
TABLE_ORDER = (Person, Case, CaseField, HouseholdMember, Sheet, RoutingDecision, Consent,
               ConsentWithdrawal, Handoff, HandoffEvent, Disclosure, OverrideReview, Plan,
               PlanVersion, PlanEvent, PlanEvaluation)

# Final state of a hand-off, before the reference date cuts its story short.
STATE_WEIGHTS = ((DONE, 38), (ACCEPTED, 24), (ACKNOWLEDGED, 8), (SENT, 6), (RETURNED, 14),
                 (WITHDRAWN, 5))
CONSENT_WEIGHTS = (("full", 62), ("narrow", 12), ("withdrawn", 8), ("refused", 6), ("none", 12))
# The first cases tell the stories every demo and test needs, whatever the size.
SCRIPTED = (("8050", "full"), ("ひとり親", "none"), ("ひきこもり", "withdrawn"),
            ("生活困窮", "narrow"), ("ダブルケア", "full"), ("ヤングケアラー", "refused"))
PLAN_PATHS = (
    ("案",), ("案", "会議提出"), ("案", "会議提出", "合意"),
    ("案", "会議提出", "合意", "実施中"), ("案", "会議提出", "合意", "実施中", "評価"),
    ("案", "会議提出", "合意", "実施中", "評価", "見守り継続"),
    ("案", "会議提出", "合意", "実施中", "評価", "終結"), ("案", "中断"),
)


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    name: str
    fields: tuple[str, ...]
    block_id: int | None
    active: bool = True


@dataclass
class Org:
    agencies: list[AgencyInfo]
    by_id: dict[int, AgencyInfo]
    by_name: dict[str, AgencyInfo]
    staff: dict[int, list[int]]  # agency id → staff ids
    blocks: list[int]
    supervisor: int
    coordinator: int
    overdue_days: int


@dataclass
class Summary:
    """What populate() wrote: row counts per table, for the CLI and the bench."""

    seed: int
    reference: date
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Ids:
    """Next free id per table: rows reference each other without a round-trip per row."""

    next: dict[str, int]

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


class _Rows:
    def __init__(self) -> None:
        self.by_table: dict[str, list[dict]] = {m.__tablename__: [] for m in TABLE_ORDER}

    def add(self, model, **values) -> None:
        self.by_table[model.__tablename__].append(values)

    def flush(self, session: Session, counts: dict[str, int]) -> None:
        people, cases = self._search_rows()
        for model in TABLE_ORDER:
            rows = self.by_table[model.__tablename__]
            if rows:
                session.execute(insert(model.__table__), rows)
                counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(rows)
                rows.clear()
        # The search indexes, as services.intake keeps them (store.search_index).
        search_index.put_new_people(session, people)
        search_index.put_cases(session, cases, new=True)

    def _search_rows(self) -> tuple[list, list]:
        people = [(p["id"], p["name_key"], p["kana_key"], p["phone_key"])
                  for p in self.by_table["people"]]
        sheets: dict[int, list] = {}
        for sheet in self.by_table["sheets"]:
            sheets.setdefault(sheet["case_id"], []).append((sheet["worries"], sheet["answers"]))
        cases = [(c["id"], c["search_text"], case_notes_text(sheets.get(c["id"], ())))
                 for c in self.by_table["cases"]]
        return people, cases


# ----------------------------------------------------------------------------- entry point


def populate(signed: Signed, cases: int, seed: int, progress: Progress | None = None,
             reference: date | None = None) -> Summary:
    """Generate `cases` cases (and everything around them) into the open workspace.

    reference: the "today" of the generated history (default: today). Same seed and same
    reference give identical rows."""
    if cases < 0:
        raise ValueError("cases must be >= 0")
    reference = reference or date.today()
    rules = routing.rules_for(signed.folder)
    summary = Summary(seed, reference)
    with uow.write(signed) as s:
        org = _load_org(s)
        gen = _Generator(random.Random(seed), org, rules, reference, _start_ids(s),
                         _case_counters(s))
        rows = _Rows()
        for start in range(0, cases, BATCH_CASES):
            for opened_at in gen.opened_times(start, min(cases, start + BATCH_CASES), cases):
                gen.case(rows, opened_at)
            rows.flush(s, summary.counts)
            if progress:
                progress(min(cases, start + BATCH_CASES), cases)
        # What each generated hand-off disclosed, frozen as the app freezes it at 送付; then
        # the chain over the rows the Core inserts wrote (the hook links ORM inserts only).
        summary.counts["handoff_snapshots"] = sharing.snapshot_missing(s)
        history_chain.link_unlinked(s)
        audit.record(s, signed.actor, "create", "synthetic", "",
                     {"seed": seed, "reference": reference.isoformat(), "cases": cases,
                      "rows": summary.counts})
    return summary


def _load_org(s: Session) -> Org:
    agencies = [AgencyInfo(a.id, a.name, tuple(a.fields), a.block_id, a.active)
                for a in s.scalars(select(Agency).order_by(Agency.id))]
    staff: dict[int, list[int]] = {}
    supervisor = coordinator = None
    for st in s.scalars(select(Staff).where(Staff.active.is_(True)).order_by(Staff.id)):
        if st.agency_id is not None:
            staff.setdefault(st.agency_id, []).append(st.id)
        if supervisor is None and "supervisor" in st.roles:
            supervisor = st.id
        if coordinator is None and "coordinator" in st.roles:
            coordinator = st.id
    if not agencies or not staff:
        raise ValueError("the demo organisation (agencies and staff) must exist first")
    fallback = next(iter(staff.values()))[0]
    blocks = list(s.scalars(select(Block.id).order_by(Block.id)))
    return Org(agencies, {a.id: a for a in agencies}, {a.name: a for a in agencies}, staff,
               blocks or [None], supervisor or fallback, coordinator or fallback,
               get_setting(s, "overdue_business_days"))


def _start_ids(s: Session) -> _Ids:
    nxt = {}
    for model in TABLE_ORDER:
        if model is CaseField:
            continue
        nxt[model.__tablename__] = (s.scalar(select(func.max(model.id))) or 0) + 1
    return _Ids(nxt)


def _case_counters(s: Session) -> dict[int, int]:
    """Last running number per year already used (generation may follow real cases)."""
    counters: dict[int, int] = {}
    for case_no in s.scalars(select(Case.case_no)):
        year, _, n = case_no.partition("-")
        if year.isdigit() and n.isdigit():
            counters[int(year)] = max(counters.get(int(year), 0), int(n))
    return counters


@lru_cache(maxsize=4096)
def _due(sent_on: date, days: int) -> date:
    return handoff_rules.due_on(sent_on, days)  # cached: the generator sends a million


def _next_weekday(d: date, days: int) -> date:
    """`days` weekdays later (holidays are not worth a lookup for generated answer times)."""
    if days <= 0:
        return d
    while d.weekday() >= 5:  # from a weekend, count from the Friday before
        d -= timedelta(days=1)
    weeks, rest = divmod(days, 5)
    d += timedelta(days=7 * weeks)
    for _ in range(rest):
        d += timedelta(days=3 if d.weekday() == 4 else 1)
    return d


# ----------------------------------------------------------------------------- the generator


class _Generator:
    def __init__(self, rng: random.Random, org: Org, rules: routing.RoutingRules,
                 reference: date, ids: _Ids, counters: dict[int, int]) -> None:
        self.rng = rng
        self.org = org
        self.rules = rules
        self.reference = reference
        self.now = datetime.combine(reference, time(18, 0))
        self.ids = ids
        self.counters = counters
        self.template = load_template()
        self.case_index = 0
        self.seen_states: set[str] = set()
        self.overrides = 0
        self.kinds = list(V.HOUSEHOLDS)
        self.kind_weights = [V.HOUSEHOLDS[k]["weight"] for k in self.kinds]
        self.participation = [a for a in org.agencies if "参加支援" in a.fields]

    # --- time ---------------------------------------------------------------------------------

    def opened_times(self, start: int, stop: int, total: int) -> list[datetime]:
        """Opening times for cases start..stop, spread evenly over the history and sorted, so
        case numbers and ids grow with time as they would in use."""
        out = []
        for i in range(start, stop):
            days_ago = HISTORY_DAYS * (total - i) / max(total, 1) - self.rng.random()
            d = self.reference - timedelta(days=max(0, int(days_ago)))
            while d.weekday() >= 5:
                d -= timedelta(days=1)
            out.append(self._at(d))
        out.sort()
        return out

    def _at(self, d: date) -> datetime:
        minutes = self.rng.randrange(9 * 60, 17 * 60 + 30)
        at = datetime.combine(d, time(minutes // 60, minutes % 60))
        return min(at, self.now)

    def _later(self, at: datetime, min_days: int, max_days: int) -> datetime:
        return self._at(_next_weekday(at.date(), self.rng.randint(min_days, max_days)))

    # --- people -------------------------------------------------------------------------------

    def _given(self, sex: str, age: int) -> tuple[str, str]:
        male = sex == "男性"
        if age >= 65:
            pool = V.GIVEN_MALE_OLD if male else V.GIVEN_FEMALE_OLD
        elif age >= 25:
            pool = V.GIVEN_MALE_MID if male else V.GIVEN_FEMALE_MID
        else:
            pool = V.GIVEN_MALE_YOUNG if male else V.GIVEN_FEMALE_YOUNG
        return self.rng.choice(pool)

    def _birth(self, age_range: tuple[int, int], opened: date) -> tuple[date, int]:
        age = self.rng.randint(*age_range)
        birth = opened - timedelta(days=age * 365 + self.rng.randrange(365) + age // 4)
        return birth, age

    def _address(self, block_index: int) -> str:
        town = self.rng.choice(V.TOWNS[block_index % len(V.TOWNS)])
        building = self.rng.choice(V.BUILDINGS).format(n=self.rng.randint(101, 508))
        return (f"広島県福山市{town}{self.rng.randint(1, 5)}丁目{self.rng.randint(1, 30)}-"
                f"{self.rng.randint(1, 20)}" + (f" {building}" if building else ""))

    def _phone(self) -> str:
        return f"084-9{self.rng.randrange(100):02d}-{self.rng.randrange(10000):04d}"

    def _person(self, rows: _Rows, family: tuple[str, str], sex: str, age_range, opened: datetime,
                *, address: str = "", phone: str = "") -> tuple[int, date, int]:
        birth, age = self._birth(age_range, opened.date())
        given = self._given(sex, age)
        pid = self.ids.take("people")
        name, kana = f"{family[0]} {given[0]}", f"{family[1]} {given[1]}"
        rows.add(Person, id=pid, name=name, kana=kana, birth_date=birth, sex=sex,
                 address=address, phone=phone, name_key=search_key(name), kana_key=search_key(kana),
                 phone_key=phone_key(phone), created_at=opened)
        return pid, birth, age

    # --- one case -----------------------------------------------------------------------------

    def case(self, rows: _Rows, opened: datetime) -> None:
        rng = self.rng
        if self.case_index < len(SCRIPTED):
            kind, consent_kind = SCRIPTED[self.case_index]
        else:
            kind = rng.choices(self.kinds, self.kind_weights)[0]
            consent_kind = rng.choices(*zip(*CONSENT_WEIGHTS, strict=True))[0]
        self.case_index += 1
        spec = V.HOUSEHOLDS[kind]
        block_index = rng.randrange(len(self.org.blocks))
        block_id = self.org.blocks[block_index]
        family = rng.choice(V.FAMILY_NAMES)
        sex = spec["person"][0] or rng.choice(("男性", "女性"))
        phone = self._phone()
        person_id, birth, age = self._person(rows, family, sex, spec["person"][1], opened,
                                             address=self._address(block_index), phone=phone)
        name_row = rows.by_table["people"][-1]
        case_id = self.ids.take("cases")
        members = self._household(rows, spec, case_id, family, opened)
        worries = self._worries(spec, kind, consent_kind)
        intake = self._intake_agency(kind, block_id)
        worker = rng.choice(self.org.staff[intake.id])
        result = routing.suggest(
            routing.routing_input(worries, birth, [(m[0], m[1], m[2]) for m in members],
                                  on=opened.date(), block_id=block_id,
                                  person_flags=spec["person"][2]),
            self.org.agencies, self.rules)
        sheet_id = self.ids.take("sheets")
        confirmed = self._routing(rows, result, sheet_id, worker, opened)
        fields = routing.fields_of([s.field for s in confirmed])
        urgent = result.urgent
        answers = self._answers(kind, spec, age, worries, urgent, opened)
        urgent = urgent or bool(answers.get("safety"))
        year = opened.year
        self.counters[year] = self.counters.get(year, 0) + 1
        case_no = f"{year}-{self.counters[year]:06d}"
        case = dict(id=case_id, case_no=case_no, person_id=person_id, owner_agency_id=intake.id,
                    block_id=block_id, status="open",
                    urgency=rng.choice(("即日対応", "高")) if urgent else
                    rng.choices(("高", "中", "低"), (2, 5, 3))[0],
                    urgent_path=urgent, multi_agency=routing.is_multi_agency(fields, self.rules),
                    fields=list(fields), discovery=rng.choice(spec["discovery"]),
                    opened_at=opened, updated_at=opened, deleted=False,
                    search_text=case_search_text(case_no, name_row["name"], name_row["kana"], phone))
        rows.add(Case, **case)
        for f in fields:
            rows.add(CaseField, case_id=case_id, field=f)
        rows.add(Sheet, id=sheet_id, case_id=case_id, template_version=self.template.version,
                 received_at=opened, agency_id=intake.id, worker_id=worker,
                 method="交流館" if "交流館" in intake.name else rng.choice(V.METHODS),
                 worries=worries, most_pressing=worries[0], answers=answers, created_at=opened,
                 updated_at=opened)
        consent = self._consent(rows, consent_kind, case_id, fields, worker, opened)
        last = self._handoffs(rows, case, sheet_id, intake, worker, confirmed, consent, fields)
        case["updated_at"] = max(opened, last)
        if case["multi_agency"] and rng.random() < 0.45 or self.case_index <= 2:
            self._plan(rows, case, opened)
        if opened.date() < self.reference - timedelta(days=365) and rng.random() < 0.35:
            case["status"] = "closed"

    def _household(self, rows: _Rows, spec: dict, case_id: int, family, opened: datetime
                   ) -> list[tuple[str, date, list[str]]]:
        out = []
        for relation, sex, ages, flags, chance in spec["members"]:
            if self.rng.random() > chance:
                continue
            pid, birth, _ = self._person(rows, family, sex, ages, opened)
            rows.add(HouseholdMember, id=self.ids.take("household_members"), case_id=case_id,
                     person_id=pid, relation=relation, flags=list(flags))
            out.append((relation, birth, list(flags)))
        return out

    def _worries(self, spec: dict, kind: str, consent_kind: str) -> list[str]:
        pool = spec["worries"]
        worries = self.rng.sample(pool, k=self.rng.randint(2, min(4, len(pool))))
        if consent_kind == "none" and self.case_index <= len(SCRIPTED) and "DV・虐待" in pool:
            worries = ["DV・虐待"] + [w for w in worries if w != "DV・虐待"]  # the override story
        return worries

    def _intake_agency(self, kind: str, block_id: int | None) -> AgencyInfo:
        """Where the person came in: usually a window of their block, otherwise a city one."""
        local = [a for a in self.org.agencies if a.block_id == block_id and a.id in self.org.staff
                 and ("地域包括" in a.name or "交流館" in a.name)]
        if local and self.rng.random() < 0.55:
            if kind in ("8050", "高齢単身", "ダブルケア"):
                return local[0]
            return self.rng.choice(local)
        staffed = [a for a in self.org.agencies if a.id in self.org.staff]
        return self.rng.choice(staffed)

    def _routing(self, rows: _Rows, result: routing.RoutingResult, sheet_id: int, worker: int,
                 at: datetime) -> list[routing.Suggestion]:
        confirmed = []
        for s in result.suggestions:
            removed = not s.urgent and self.rng.random() < 0.06
            rows.add(RoutingDecision, id=self.ids.take("routing_decisions"), sheet_id=sheet_id,
                     agency_id=s.agency_id, field=s.field, reason=s.reason, source="rule",
                     status="removed" if removed else "confirmed",
                     removed_reason="本人が今は希望しないため。" if removed else "",
                     decided_by=worker, at=at)
            if not removed:
                confirmed.append(s)
        return confirmed

    def _answers(self, kind: str, spec: dict, age: int, worries: list[str], urgent: bool,
                 opened: datetime) -> dict:
        rng = self.rng
        answers: dict = {"entry_date": opened.date().isoformat(), "wishes": V.WISHES[kind],
                         "assessment": V.ASSESSMENTS[kind], "intent": V.WISHES[kind]}
        if rng.random() < 0.4:
            answers["phone_mobile"] = f"080-0{rng.randrange(1000):03d}-{rng.randrange(10000):04d}"
        if rng.random() < 0.15:
            answers["contact_ok"] = "平日の日中のみ。家族に知られたくない。"
        if kind in ("8050", "ヤングケアラー") and rng.random() < 0.6:
            family, given = rng.choice(V.FAMILY_NAMES), rng.choice(V.GIVEN_FEMALE_MID)
            answers.update(visitor_name=f"{family[0]} {given[0]}", visitor_relation="民生委員",
                           visitor_contact=self._phone())
        for key, options in V.HEARINGS.items():
            if rng.random() < 0.6:
                answers[key] = rng.choice(options)
        answers["care_level"] = rng.choice(("要支援2", "要介護1", "要介護2", "申請中")) \
            if age >= 65 else "なし"
        answers["income_source"] = ["年金"] if age >= 65 else \
            rng.sample(["就労収入", "手当", "仕送り", "なし"], k=1)
        answers["employment"] = "就労していない" if age >= 65 or age < 18 else \
            rng.choice(("正規", "非正規", "求職中", "就労していない"))
        answers["housing"] = rng.choice(("持ち家", "賃貸（民間）", "公営住宅"))
        answers["health_insurance"] = "後期高齢者医療" if age >= 75 else \
            rng.choice(("国民健康保険", "社会保険"))
        if urgent:
            answers["safety"] = ["DV"] if "DV・虐待" in worries else ["自殺の危険"]
            answers["safety_note"] = "本日中に関係機関へ連絡。"
        if "その他" in worries:
            answers["worry_other"] = "手続きの書類が読めない。"
        return answers

    # --- consent ------------------------------------------------------------------------------

    def _consent(self, rows: _Rows, kind: str, case_id: int, fields: tuple[str, ...],
                 worker: int, opened: datetime) -> dict | None:
        """The consent as the gate sees it: {"fields", "agencies", "until"} or None."""
        if kind == "none":
            return None
        consent_id = self.ids.take("consents")
        given = kind != "refused"
        scope = list(fields) if kind != "narrow" else list(fields[:1])
        if given and not scope:
            scope = ["生活困窮"]
        covers_meetings = given and kind in ("full", "withdrawn") and self.rng.random() < 0.7
        rows.add(Consent, id=consent_id, case_id=case_id, given=given,
                 scope_agencies=[], scope_fields=scope if given else [],
                 covers_meetings=covers_meetings,
                 method=self.rng.choice(("署名", "口頭")), given_on=opened.date(),
                 attachment_id=None, recorded_by=worker, recorded_at=opened)
        if not given:
            return None
        until = None
        if kind == "withdrawn":
            span = (self.now - opened).days
            on = opened.date() + timedelta(days=min(span, self.rng.randint(10, 120)))
            until = datetime.combine(on, time(9, 0))
            rows.add(ConsentWithdrawal, id=self.ids.take("consent_withdrawals"),
                     consent_id=consent_id, withdrawn_on=on,
                     reason="本人から、これ以上の共有はしないでほしいと申し出があった。",
                     recorded_by=worker, recorded_at=max(until, opened))
        return {"fields": set(scope), "until": until}

    @staticmethod
    def _covered(consent: dict | None, agency: AgencyInfo, at: datetime) -> bool:
        """domain.consent's coverage rule, on the consent as it stood at `at`."""
        if consent is None or (consent["until"] is not None and at >= consent["until"]):
            return False
        scope = consent_rules.Scope.of(fields=consent["fields"])
        return consent_rules.covers(scope, agency.id, agency.fields)

    # --- hand-offs ----------------------------------------------------------------------------

    def _handoffs(self, rows: _Rows, case: dict, sheet_id: int, intake: AgencyInfo, worker: int,
                  confirmed: list[routing.Suggestion], consent: dict | None,
                  fields: tuple[str, ...]) -> datetime:
        """Hand-offs of one case: to the confirmed suggestions, then onward and re-sends."""
        rng = self.rng
        opened = case["opened_at"]
        target = rng.choice((2, 3, 3, 4, 4, 4, 5, 5, 6, 7))
        if self.case_index == 1:  # one long-running case: opening it must stay fast (issue 3)
            target = HEAVY_CASE_HANDOFFS
        sent: list[tuple[int, AgencyInfo, str, datetime]] = []  # (id, to, state, last event)
        dests = []
        for s in confirmed:
            agency = self.org.by_id.get(s.agency_id) if s.agency_id else None
            if agency and agency.id != intake.id and agency not in dests:
                dests.append(agency)
        last = opened
        for agency in dests:
            h = self._send(rows, case, sheet_id, intake, worker, agency, consent,
                           self._later(opened, 0, 1) if rng.random() < 0.3 else opened)
            if h:
                sent.append(h)
        tries = 0
        while len(sent) < target and tries < 2 * target + 4:
            tries += 1
            parent = rng.choice(sent) if sent else None
            if parent and parent[2] == RETURNED:
                to = self._alternative(parent[1])
                frm, at = intake, self._later(parent[3], 0, 2)
            elif parent and parent[2] in (ACCEPTED, DONE):
                frm, to = parent[1], self._onward(parent[1], fields)
                at = self._later(parent[3], 1, 20)
            else:
                frm, to, at = intake, self._onward(intake, fields), self._later(opened, 1, 30)
            if to is None or to.id == frm.id or at > self.now:
                continue
            h = self._send(rows, case, sheet_id, frm, rng.choice(self.org.staff.get(frm.id, [worker])),
                           to, consent, at)
            if h:
                sent.append(h)
        for h in sent:
            last = max(last, h[3])
        return last

    def _alternative(self, returned_from: AgencyInfo) -> AgencyInfo | None:
        for _reason, alt in V.RETURN_REASONS:
            agency = self.org.by_name.get(alt)
            if agency and agency.id != returned_from.id:
                return agency
        return None

    @lru_cache(maxsize=256)  # noqa: B019 - one generator per populate(); few field sets
    def _field_pool(self, fields: tuple[str, ...]) -> tuple[AgencyInfo, ...]:
        return tuple(a for a in self.org.agencies
                     if a.active and set(a.fields) & set(fields) and a.id in self.org.staff)

    def _onward(self, frm: AgencyInfo, fields: tuple[str, ...]) -> AgencyInfo | None:
        pool = [a for a in self._field_pool(fields) if a.id != frm.id] or self.participation
        return self.rng.choice(pool) if pool else None

    def _basis(self, case: dict, consent: dict | None, to: AgencyInfo, at: datetime
               ) -> tuple[str, str, bool] | None:
        """The consent gate (services.handoffs._gate): None when the case may not be sent there."""
        if self._covered(consent, to, at):
            return BASIS_CONSENT, "", False
        if not case["urgent_path"]:
            return None
        basis = BASIS_LAW if self.rng.random() < 0.5 else BASIS_VITAL
        return basis, V.OVERRIDE_REASONS[basis], True

    def _final_state(self, sent_at: datetime) -> str:
        age_days = (self.now - sent_at).days
        if age_days > 40:
            missing = [s for s, _ in STATE_WEIGHTS if s not in self.seen_states]
            if missing:
                return missing[0]
        if age_days < 5:
            return self.rng.choices((SENT, ACKNOWLEDGED, RETURNED, WITHDRAWN), (60, 30, 5, 5))[0]
        states, weights = zip(*STATE_WEIGHTS, strict=True)
        return self.rng.choices(states, weights)[0]

    def _send(self, rows: _Rows, case: dict, sheet_id: int, frm: AgencyInfo, sender: int,
              to: AgencyInfo, consent: dict | None, at: datetime
              ) -> tuple[int, AgencyInfo, str, datetime] | None:
        gate = self._basis(case, consent, to, at)
        if gate is None:
            return None
        basis, basis_reason, override = gate
        share = self._share(to)
        hid = self.ids.take("handoffs")
        events = self._story(hid, at, frm, sender, to)
        state = events[-1]["to_state"]
        self.seen_states.add(state)
        ack = next((e["at"] for e in events if e["to_state"] == ACKNOWLEDGED), None)
        closed = events[-1]["at"] if state in (DONE, RETURNED, WITHDRAWN) else None
        rows.add(Handoff, id=hid, case_id=case["id"], sheet_id=sheet_id, from_agency_id=frm.id,
                 to_agency_id=to.id, reason=self._reason(to), request="面談と今後の支援の検討をお願いします。",
                 share=share, basis=basis, basis_reason=basis_reason, consent_override=override,
                 state=state, version=len(events), sent_at=at,
                 due_on=_due(at.date(), self.org.overdue_days), acknowledged_at=ack,
                 ack_days=ack_days_between(at, ack),
                 # Every generated event is a step (domain.handoff.restarts_stage): the current
                 # stage began with the last one.
                 stage_started_at=events[-1]["at"],
                 closed_at=closed, created_by=sender)
        for e in events:
            rows.add(HandoffEvent, id=self.ids.take("handoff_events"), **e)
        rows.add(Disclosure, id=self.ids.take("disclosures"), at=at, case_id=case["id"],
                 actor_id=sender, from_agency_id=frm.id, to_agency_id=to.id, recipient=to.name,
                 sections=share, basis=basis, basis_reason=basis_reason, channel="handoff",
                 handoff_id=hid, meeting_part_id=None, copy_no=None)
        if override:
            self.overrides += 1
            if (self.now - at).days > 14 and self.rng.random() < 0.6:
                rows.add(OverrideReview, id=self.ids.take("override_reviews"), handoff_id=hid,
                         reviewer_id=self.org.supervisor,
                         comment="根拠と理由を確認しました。対応は適切です。",
                         at=self._later(at, 1, 10))
        return hid, to, state, events[-1]["at"]

    def _share(self, to: AgencyInfo) -> list[str]:
        share = {"basic", "worries", "wishes", "reception", "household", "urgency", "assessment"}
        topical = {"高齢": "hearing_care", "障がい": "hearing_health", "子ども": "hearing_children",
                   "生活困窮": "hearing_living", "健康": "hearing_health", "参加支援": "hearing_social"}
        share |= {topical[f] for f in to.fields if f in topical}
        if self.rng.random() < 0.2:
            share.discard("assessment")
        return [k for k in self.template.section_keys() if k in share]

    def _reason(self, to: AgencyInfo) -> str:
        field = next((f for f in to.fields if f != "行政"), "行政")
        return f"{field}分野の支援が必要なため（{to.name}）。"

    def _story(self, hid: int, sent_at: datetime, frm: AgencyInfo, sender: int,
               to: AgencyInfo) -> list[dict]:
        """The events from 送付 to the final state; steps the reference date has not reached yet
        are left out, so the cached state always equals the last event."""
        rng = self.rng
        final = self._final_state(sent_at)
        receiver = rng.choice(self.org.staff.get(to.id, [sender]))
        path = {SENT: [], ACKNOWLEDGED: [ACKNOWLEDGED], ACCEPTED: [ACKNOWLEDGED, ACCEPTED],
                DONE: [ACKNOWLEDGED, ACCEPTED, DONE],
                RETURNED: rng.choice(([], [ACKNOWLEDGED], [ACKNOWLEDGED, ACCEPTED])) + [RETURNED],
                WITHDRAWN: rng.choice(([], [ACKNOWLEDGED])) + [WITHDRAWN]}[final]
        events = [dict(handoff_id=hid, from_state="", to_state=SENT, actor_id=sender,
                       agency_id=frm.id, at=sent_at, note="面談と今後の支援の検討をお願いします。",
                       alternative="")]
        at, state = sent_at, SENT
        for step in path:
            gap = {ACKNOWLEDGED: (0, 2) if rng.random() < 0.9 else (4, 12), ACCEPTED: (1, 10),
                   DONE: (10, 90), RETURNED: (0, 5), WITHDRAWN: (1, 8)}[step]
            nxt = self._later(at, *gap)
            if nxt > self.now or nxt < at:
                break
            note, alternative = "", ""
            actor, agency = receiver, to.id
            if step == RETURNED:
                note, alternative = rng.choice(V.RETURN_REASONS)
            elif step == WITHDRAWN:
                note, actor, agency = rng.choice(V.WITHDRAW_NOTES), sender, frm.id
            elif step == DONE:
                note = rng.choice(V.DONE_NOTES)
            events.append(dict(handoff_id=hid, from_state=state, to_state=step, actor_id=actor,
                               agency_id=agency, at=nxt, note=note, alternative=alternative))
            at, state = nxt, step
        return events

    # --- plans --------------------------------------------------------------------------------

    def _plan(self, rows: _Rows, case: dict, opened: datetime) -> None:
        rng = self.rng
        coord = self.org.coordinator
        created = self._later(opened, 3, 20)
        if created > self.now:
            return
        path = rng.choice(PLAN_PATHS)
        plan_id = self.ids.take("plans")
        events, versions = [], []
        at = created
        approval = ""
        data = self._plan_data(case, created)

        def version(note: str, status: str) -> int:
            vid = self.ids.take("plan_versions")
            versions.append(dict(id=vid, plan_id=plan_id, version=len(versions) + 1, status=status,
                                 data=data, note=note, created_by=coord, created_at=at))
            return vid

        def event(kind: str, frm: str, to: str, actor: int, comment: str = "") -> None:
            events.append(dict(id=self.ids.take("plan_events"), plan_id=plan_id, kind=kind,
                               from_status=frm, to_status=to, actor_id=actor, comment=comment,
                               at=at))

        last_vid = version("初版（ケースから作成）", "案")
        event("作成", "", "案", coord)
        status = "案"
        for step in path[1:]:
            nxt = self._later(at, 3, 40)
            if nxt > self.now:
                break
            at = nxt
            if step == "実施中":
                event("承認申請", status, status, coord)
                event("承認", status, status, self.org.supervisor, "内容を確認しました。")
                approval = "承認"
            if step == "合意":
                last_vid = version("会議での合意を反映", "合意")
            event("状態変更", status, step, coord)
            status = step
            if step == "評価":
                event("評価記録", step, step, coord)
                rows.add(PlanEvaluation, id=self.ids.take("plan_evaluations"), plan_id=plan_id,
                         plan_version_id=last_vid, evaluated_on=at.date(),
                         progress=[{"goal": g, "progress": rng.choice(("達成", "一部達成", "継続"))}
                                   for g in data["short_term_goals"]],
                         next_direction="見守りを続けながら次の目標を設定する。",
                         created_by=coord, created_at=at)
        if status == "合意" and rng.random() < 0.5:
            at = min(self._later(at, 0, 3), self.now)
            event("承認申請", status, status, coord, "承認をお願いします。")
            approval = "申請中"
        rows.add(Plan, id=plan_id, case_id=case["id"], status=status, approval=approval,
                 created_by=coord, created_at=created)
        for v in versions:
            rows.add(PlanVersion, **v)
        for e in events:
            rows.add(PlanEvent, **e)

    def _plan_data(self, case: dict, created: datetime) -> dict:
        owner = self.org.by_id[case["owner_agency_id"]]
        goals = ["週1回の訪問を受け入れる", "必要なサービスの申請を行う"]
        return {
            "created_on": created.date().isoformat(), "agency": owner.name,
            "person_wish": "今の家で暮らし続けたい。", "family_wish": "",
            "household": "", "issues": [{"field": f, "issue": f"{f}分野の課題", "person_view": ""}
                                        for f in case["fields"]],
            "policy": self.rng.choice(V.POLICIES), "long_term_goal": "地域の中で安心して暮らす。",
            "short_term_goals": goals,
            "roles": [{"what": "相談・訪問", "agency": owner.name, "person": "", "frequency": "週1回",
                       "period": "6か月"}],
            "participation": "交流館のサロンへの参加を検討。",
            "monitoring_on": (created.date() + timedelta(days=90)).isoformat(),
            "consent": "",
        }


__all__ = ["Summary", "populate"]
