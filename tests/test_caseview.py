"""The case view: everything for the owning agency, only the shared sections for a receiving
agency, refusals logged, views audited, and a fixed number of queries however many hand-offs."""

from __future__ import annotations

import cases_data
import pytest
from cases_data import FUKI, JIRITSU, OTHER
from intake_data import agency_id
from sqlalchemy import event, select

from kodoku_desk.errors import AccessDenied
from kodoku_desk.models import AuditEntry
from kodoku_desk.queries.caseview import case_view, load_case_view
from kodoku_desk.services import consent, handoffs

# The shared fixtures (an organisation, two saved intakes).
world = cases_data.world


def _section_keys(view) -> set[str]:
    return {sec.key for sheet in view.sheets for sec in sheet.sections}


def _answers(view) -> dict[str, str]:
    return {a.key: a.value for sheet in view.sheets for sec in sheet.sections for a in sec.answers}


def test_owner_sees_the_whole_case(world):
    view = load_case_view(world.north, world.case_8050.case_id)
    assert view.sees_everything and view.is_owner
    assert view.person.name == "福山 トメ" and view.person.age is not None
    assert view.person.phone == "084-900-0001" and view.person.address
    assert [(m.relation, m.name, m.flags) for m in view.household] == [
        ("長男", "福山 一郎", ["ひきこもり"])]
    assert view.household[0].age is not None
    answers = _answers(view)
    assert answers["hearing_care"] == "要介護2" and answers["assessment"] == "8050世帯"
    assert view.sheets[0].worries and view.sheets[0].most_pressing == "本人や家族のひきこもり"
    assert view.sheets[0].hidden_sections == []
    assert view.multi_agency and set(view.fields) >= {"高齢", "生活困窮"}
    assert {h.to_agency for h in view.handoffs} == {FUKI, JIRITSU}
    assert len(view.timeline) == 2 and all(e.to_state == "送付" for e in view.timeline)
    assert all(e.who and e.agency for e in view.timeline)
    assert view.consents and view.consents[0].active
    assert view.routing  # the routing decisions with their reasons


def test_receiving_agency_sees_only_shared_sections(world):
    fuki = world.staff_of(FUKI)  # shared: basic, worries, household
    view = load_case_view(fuki, world.case_8050.case_id)
    assert not view.sees_everything and not view.is_owner
    assert _section_keys(view) <= {"basic", "worries", "household"}
    answers = _answers(view)
    assert "hearing_care" not in answers and "assessment" not in answers
    assert "wishes" not in answers
    assert view.sheets[0].worries  # worries were shared
    assert "聞き取り：介護" in view.sheets[0].hidden_sections
    assert view.household and view.person.phone  # household and basic were shared
    assert view.consents == [] and view.routing == [] and view.attachments == []
    assert {h.to_agency for h in view.handoffs} == {FUKI}  # not what 自立 was sent

    jiritsu = world.staff_of(JIRITSU)  # shared: basic, hearing_living
    view = load_case_view(jiritsu, world.case_8050.case_id)
    assert _answers(view).get("hearing_living") == "年金のみ"
    assert "hearing_care" not in _answers(view)
    assert view.household == [] and view.household_hidden
    assert view.sheets[0].worries == []


def test_refusal_is_logged_and_view_is_audited(world):
    with pytest.raises(AccessDenied):
        load_case_view(world.staff_of(OTHER), world.case_8050.case_id)
    with pytest.raises(AccessDenied):
        load_case_view(world.north, world.case_south.case_id)
    load_case_view(world.north, world.case_8050.case_id)
    with world.north.store.read() as s:
        actions = [(e.action, e.target_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "case"))]
    assert ("access_denied", str(world.case_8050.case_id)) in actions
    assert ("access_denied", str(world.case_south.case_id)) in actions
    assert ("view_case", str(world.case_8050.case_id)) in actions


def test_timeline_merges_events_and_withdrawals_show(world):
    fuki = world.staff_of(FUKI)
    ids = {h.to_agency: h.id for h in load_case_view(world.north, world.case_8050.case_id).handoffs}
    handoffs.transition(fuki, ids[FUKI], "acknowledge", "受け取りました")
    handoffs.transition(world.staff_of(JIRITSU), ids[JIRITSU], "return", "対象外です",
                        "社会福祉協議会の家計相談")
    view = load_case_view(world.north, world.case_8050.case_id)
    steps = [(e.to_agency, e.from_state, e.to_state, e.agency, e.note, e.alternative)
             for e in view.timeline]
    assert (FUKI, "送付", "受理", FUKI, "受け取りました", "") in steps
    assert (JIRITSU, "送付", "返送", JIRITSU, "対象外です", "社会福祉協議会の家計相談") in steps
    assert [e.at for e in view.timeline] == sorted(e.at for e in view.timeline)
    consent.withdraw(world.north, view.consents[0].id, reason="本人の希望")
    view = case_view(world.north, world.case_8050.case_id)
    assert not view.consents[0].active and view.consents[0].withdrawal_reason == "本人の希望"


def _count_queries(signed, fn) -> int:
    engine = signed.store.engine
    seen = []

    def before(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(seen)


def test_query_count_does_not_grow_with_hand_offs(world):
    case_id = world.case_8050.case_id
    first = _count_queries(world.north, lambda: load_case_view(world.north, case_id))
    others = ["こども家庭センター", "障がい福祉課", "介護保険課", "社会福祉協議会"]
    for name in others:
        handoffs.send(world.north, case_id, agency_id(world.north, name), "追加の相談",
                      share=["basic"], basis="生命・身体の保護", basis_reason="急ぎの確認")
    view = load_case_view(world.north, case_id)
    assert len(view.handoffs) == 6 and len(view.timeline) == 6
    again = _count_queries(world.north, lambda: load_case_view(world.north, case_id))
    assert 3 < first == again  # a handful of queries, none per hand-off
