"""The synthetic workspace (kodoku_devtools.synthetic): deterministic, consistent with the services'
rules, and telling every story the demo and the benchmark need."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from kodoku_desk.domain.template import load_template, validate_answers
from kodoku_desk.domain.text import case_search_text
from kodoku_desk.models import (
    AgendaItem,
    AuditEntry,
    Case,
    Consent,
    ConsentWithdrawal,
    Disclosure,
    Handoff,
    HandoffEvent,
    MeetingPart,
    Person,
    Plan,
    PlanVersion,
    Sheet,
)
from kodoku_desk.models.handoffs import (
    ACKNOWLEDGED,
    BASIS_CONSENT,
    BASIS_LAW,
    BASIS_VITAL,
    DONE,
    HANDOFF_STATES,
    RETURNED,
    SENT,
    WITHDRAWN,
)
from kodoku_desk.services import audit, meetings
from kodoku_desk.services.handoffs import derived_state
from kodoku_devtools import synthetic

REFERENCE = date(2026, 11, 20)


def _generated(folder, cases: int, seed: int):
    from kodoku_devtools.demo import create_demo

    signed, _ = create_demo(folder, cases=0)
    summary = synthetic.populate(signed, cases=cases, seed=seed, reference=REFERENCE)
    return signed, summary


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    signed, summary = _generated(tmp_path_factory.mktemp("syn") / "ws", 150, 11)
    yield signed, summary
    signed.close()


def _dump(signed) -> dict[str, list[tuple]]:
    out = {}
    with signed.store.read() as s:
        for model in synthetic.TABLE_ORDER:
            table = model.__table__
            rows = s.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def test_same_seed_same_rows_other_seed_other_rows(tmp_path):
    a, _ = _generated(tmp_path / "a", 25, 3)
    b, _ = _generated(tmp_path / "b", 25, 3)
    c, _ = _generated(tmp_path / "c", 25, 4)
    try:
        dump_a, dump_b, dump_c = _dump(a), _dump(b), _dump(c)
        assert dump_a == dump_b
        assert dump_a["people"] != dump_c["people"]
        assert len(dump_a["cases"]) == 25
    finally:
        for s in (a, b, c):
            s.close()


def test_every_handoff_state_with_events_that_match_the_cached_state(generated):
    signed, summary = generated
    with signed.store.read() as s:
        handoffs = s.scalars(select(Handoff).order_by(Handoff.id)).all()
        events: dict[int, list[HandoffEvent]] = {}
        for e in s.scalars(select(HandoffEvent).order_by(HandoffEvent.id)):
            events.setdefault(e.handoff_id, []).append(e)
        assert {h.state for h in handoffs} == set(HANDOFF_STATES)
        for h in handoffs:
            chain = events[h.id]
            assert chain[0].from_state == "" and chain[0].to_state == SENT
            assert chain[0].at == h.sent_at
            for before, after in zip(chain, chain[1:], strict=False):
                assert after.from_state == before.to_state
                assert after.at >= before.at
            assert chain[-1].to_state == h.state == derived_state(s, h.id)
            assert h.version == len(chain)
            assert h.stage_started_at == chain[-1].at  # every generated event is a step
            acks = [e.at for e in chain if e.to_state == ACKNOWLEDGED]
            assert h.acknowledged_at == (acks[0] if acks else None)
            closed = h.state in (DONE, RETURNED, WITHDRAWN)
            assert (h.closed_at == chain[-1].at) if closed else h.closed_at is None
            last = chain[-1]
            if h.state == RETURNED:
                assert last.note and last.alternative and last.agency_id == h.to_agency_id
            if h.state == WITHDRAWN:
                assert last.agency_id == h.from_agency_id
            assert h.sent_at.date() <= REFERENCE
        overdue = [h for h in handoffs if h.state == SENT and h.due_on < REFERENCE]
        assert overdue, "some hand-offs must be overdue"
        from kodoku_desk.queries.dashboard import build_dashboard

        by_stage = build_dashboard(s, REFERENCE).overdue_by_stage
        assert all(by_stage.values()), f"overdue at every stage: {by_stage}"
        assert len(events) == len(handoffs)
        per_case: dict[int, int] = {}
        for h in handoffs:
            per_case[h.case_id] = per_case.get(h.case_id, 0) + 1
        assert max(per_case.values()) == synthetic.HEAVY_CASE_HANDOFFS  # the long-running case
        # About ten events per case at city scale.
        assert 7 <= sum(len(c) for c in events.values()) / summary.counts["cases"] <= 13


def test_consent_gate_overrides_and_disclosures(generated):
    signed, _ = generated
    with signed.store.read() as s:
        overrides = s.scalars(select(Handoff).where(Handoff.consent_override.is_(True))).all()
        assert overrides
        assert all(h.basis in (BASIS_LAW, BASIS_VITAL) and h.basis_reason for h in overrides)
        normal = s.scalars(select(Handoff).where(Handoff.consent_override.is_(False))).all()
        assert all(h.basis == BASIS_CONSENT for h in normal)
        for h in normal[:200]:  # sent under consent: the consent covered the agency then
            from kodoku_desk.models import Agency

            agency = s.get(Agency, h.to_agency_id)
            scopes = [c for c in s.scalars(select(Consent).where(Consent.case_id == h.case_id,
                                                                 Consent.given.is_(True)))]
            assert any(set(c.scope_fields) & set(agency.fields) for c in scopes)
        disclosures = {d.handoff_id: d for d in s.scalars(select(Disclosure))}
        assert set(disclosures) == {h.id for h in overrides + normal}
        for h in overrides:
            assert disclosures[h.id].basis == h.basis and disclosures[h.id].sections == h.share
        kinds = {
            "withdrawn": s.scalar(select(func.count()).select_from(ConsentWithdrawal)),
            "refused": s.scalar(select(func.count()).where(Consent.given.is_(False))),
            "none": s.scalar(select(func.count()).select_from(Case).where(
                Case.id.not_in(select(Consent.case_id)))),
        }
        assert all(kinds.values()), kinds


def test_people_sheets_and_search_text(generated):
    signed, _ = generated
    template = load_template()
    with signed.store.read() as s:
        names = list(s.scalars(select(Person.name)))
        assert any("髙" in n for n in names) and any("﨑" in n for n in names)
        for case in s.scalars(select(Case)):
            person = s.get(Person, case.person_id)
            assert case.search_text == case_search_text(case.case_no, person.name, person.kana,
                                                        person.phone)
            assert person.phone.startswith("084-9")
            assert "福山市" in person.address
        for sheet in s.scalars(select(Sheet)):
            assert validate_answers(dict(sheet.answers), template) == sheet.answers
            assert set(sheet.worries) <= set(template.worry_labels)
            assert sheet.most_pressing in sheet.worries
        case_nos = list(s.scalars(select(Case.case_no).order_by(Case.id)))
        assert len(set(case_nos)) == len(case_nos)
        assert all(len(no) == 11 and no[4] == "-" for no in case_nos)


def test_plans_with_versions_and_one_audit_entry(generated):
    signed, summary = generated
    with signed.store.read() as s:
        statuses = set(s.scalars(select(Plan.status)))
        assert {"案", "実施中"} <= statuses and len(statuses) >= 4
        assert s.scalar(select(func.max(PlanVersion.version))) >= 2
        assert "申請中" in set(s.scalars(select(Plan.approval)))
        entries = s.scalars(select(AuditEntry).where(AuditEntry.target_type == "synthetic")).all()
        assert len(entries) == 1 and '"seed": 11' in entries[0].detail
        assert audit.verify_chain(s).ok
    assert summary.counts["cases"] == 150


def test_demo_meetings_hold_a_case_without_consent_beside_a_juso_part(demo):
    """`kodoku-desk demo`: upcoming meetings of every kind; the joint session that holds a
    重層的支援会議 part also discusses a case without consent (in its 支援会議 part, the only
    place the law allows it), and no 重層 agenda holds a case without meeting consent."""
    from kodoku_desk.services.auth import sign_in
    from kodoku_devtools.demo import DEMO_PASSWORD

    signed = sign_in(demo, "admin", DEMO_PASSWORD)
    try:
        with signed.store.read() as s:
            parts = s.scalars(select(MeetingPart)).all()
            assert {"重層的支援会議", "支援会議", "支援者支援会議"} <= {p.kind for p in parts}
            juso_sessions = {p.session_id for p in parts if p.kind == "重層的支援会議"}
            found_without = False
            for part in parts:
                for item in s.scalars(select(AgendaItem).where(AgendaItem.part_id == part.id)):
                    consent, _ = meetings.meeting_consent(s, item.case_id)
                    if part.kind == "重層的支援会議":
                        assert consent is not None
                    elif consent is None and part.session_id in juso_sessions:
                        found_without = True
            assert found_without
    finally:
        signed.close()


DIGEST_CHILD = r"""
import hashlib, sys
from datetime import date
from sqlalchemy import select
from kodoku_desk.store import keys
keys.ARGON2_PARAMS.update(t=1, m=8192, p=1)
from kodoku_devtools import demo, synthetic
signed, _ = demo.create_demo(sys.argv[1], cases=0)
synthetic.populate(signed, 40, 9, reference=date(2026, 11, 20))
digest = hashlib.sha256()
with signed.store.read() as s:
    for model in synthetic.TABLE_ORDER:
        table = model.__table__
        for row in s.execute(select(table).order_by(*table.primary_key.columns)):
            digest.update(repr(tuple(row)).encode())
signed.close()
print(digest.hexdigest())
"""


def test_same_rows_across_processes_whatever_the_hash_seed(tmp_path):
    """Set iteration order changes with PYTHONHASHSEED; the generated rows must not."""
    import os
    import subprocess
    import sys

    digests = []
    for i, hash_seed in enumerate(("1", "4242")):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        proc = subprocess.run([sys.executable, "-c", DIGEST_CHILD, str(tmp_path / f"w{i}")],
                              capture_output=True, text=True, env=env, timeout=120, check=True)
        digests.append(proc.stdout.strip().splitlines()[-1])
    assert digests[0] == digests[1]
