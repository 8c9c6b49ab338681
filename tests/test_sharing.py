"""Share exactly what was disclosed (docs/DOMAIN.md §5–§6): a hand-off discloses a snapshot; a
later sheet reaches the receiver only through 追加提供 with its own 提供記録; 返送 and 取下げ end
access; a consent withdrawal refuses new disclosures, marks the open hand-offs and ends access.

World (tests/cases_data.py): u01 (北部地域包括支援センター) took in the 8050 case and handed it to
ふきのとう (basic, worries, household) and 自立相談支援機関 (basic, hearing_living) under the
person's consent (fields 健康 and 生活困窮)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import cases_data
import pytest
from cases_data import FUKI, JIRITSU
from intake_data import household_8050
from sqlalchemy import select

from kodoku_desk.domain import snapshot
from kodoku_desk.domain.handoff import EVENT_ADDITIONAL_SHARE, EVENT_CONSENT_WITHDRAWN
from kodoku_desk.errors import AccessDenied, UserError
from kodoku_desk.models import Consent, Disclosure, Handoff, HandoffEvent, HandoffSnapshot, Sheet
from kodoku_desk.queries.boxes import inbox_data
from kodoku_desk.queries.caseview import load_case_view
from kodoku_desk.queries.search import search_cases
from kodoku_desk.services import consent, handoffs, intake, sharing
from kodoku_desk.services.sheet_print import print_sheet

world = cases_data.world


def _handoff(w, agency: str) -> Handoff:
    """The 8050 case's hand-off to `agency`, as it is now."""
    from kodoku_desk.models import Agency

    with w.north.store.read() as s:
        agency_id = s.scalar(select(Agency.id).where(Agency.name == agency))
        return s.scalar(select(Handoff).where(Handoff.case_id == w.case_8050.case_id,
                                              Handoff.to_agency_id == agency_id))


def _second_sheet(w) -> int:
    """The owner adds a later sheet to the case, with a new word in it."""
    base = household_8050(w.north)
    data = replace(base, person=replace(base.person, person_id=w.case_8050.person_id),
                   case_id=w.case_8050.case_id, handoffs=[], consent=None, household=[],
                   answers={"hearing_living": "新たに借金が判明した（消費者金融）"})
    return intake.save_intake(w.north, data).sheet_id


def test_the_receiver_reads_the_snapshot_not_a_later_sheet(world):
    fuki = world.staff_of(FUKI)
    _second_sheet(world)
    view = load_case_view(fuki, world.case_8050.case_id)
    assert len(view.sheets) == 1 and view.sheets[0].id == world.case_8050.sheet_id
    assert {s.key for s in view.sheets[0].sections} == {"basic", "worries", "household"}
    assert "借金" not in str(view)
    assert view.person.name == "福山 トメ" and view.person.address == "福山市北町1-1"
    assert [m.name for m in view.household] == ["福山 一郎"]
    # …and a word of the later sheet does not find the case for the receiver.
    assert search_cases(fuki, "消費者金融").total == 0
    assert search_cases(world.north, "消費者金融").total == 1


def test_the_snapshot_and_its_disclosure_carry_the_same_hash(world):
    h = _handoff(world, JIRITSU)
    with world.north.store.read() as s:
        snap = s.scalar(select(HandoffSnapshot).where(HandoffSnapshot.handoff_id == h.id))
        disclosure = s.scalar(select(Disclosure).where(Disclosure.handoff_id == h.id))
    assert snap.sections == ["basic", "hearing_living"]
    assert snap.sha256 == snapshot.digest(snap.content) == disclosure.content_hash
    assert disclosure.snapshot_id == snap.id
    assert snap.content["answers"] == {"hearing_living": "年金のみ"}
    assert "household" not in snap.sections and snap.content["household"] == []


def test_additional_share_passes_the_gate_and_writes_its_own_disclosure(world):
    jiritsu = world.staff_of(JIRITSU)
    later = _second_sheet(world)
    h = _handoff(world, JIRITSU)
    snap_id = handoffs.add_share(world.north, h.id, ["hearing_living"], sheet_id=later)
    with world.north.store.read() as s:
        snap = s.get(HandoffSnapshot, snap_id)
        rows = list(s.scalars(select(Disclosure).where(Disclosure.handoff_id == h.id)
                              .order_by(Disclosure.id)))
        events = [e.kind for e in s.scalars(select(HandoffEvent).where(
            HandoffEvent.handoff_id == h.id))]
    assert snap.seq == 2 and snap.sheet_id == later
    assert [d.snapshot_id for d in rows][-1] == snap_id and rows[-1].content_hash == snap.sha256
    assert EVENT_ADDITIONAL_SHARE in events
    view = load_case_view(jiritsu, world.case_8050.case_id)
    assert {v.id for v in view.sheets} == {world.case_8050.sheet_id, later}
    assert "借金が判明" in str(view)


def test_additional_share_refuses_what_it_must(world):
    h = _handoff(world, FUKI)
    with pytest.raises(UserError, match="共有範囲"):
        handoffs.add_share(world.north, h.id, [])
    with pytest.raises(UserError):
        handoffs.add_share(world.north, h.id, ["宇宙"])
    with pytest.raises(AccessDenied):  # only the sender's agency
        handoffs.add_share(world.staff_of(FUKI), h.id, ["wishes"])
    consent.withdraw(world.north, _consent_id(world), reason="本人の申し出")
    with pytest.raises(UserError, match="同意を撤回したため"):
        handoffs.add_share(world.north, _handoff(world, JIRITSU).id, ["wishes"])
    handoffs.transition(world.north, h.id, "withdraw", note="誤送信")
    with pytest.raises(UserError, match="追加提供できません"):
        handoffs.add_share(world.north, h.id, ["wishes"])


@pytest.mark.parametrize("how", ["return", "withdraw"])
def test_return_and_withdrawal_end_the_receivers_access(world, tmp_path, how):
    fuki = world.staff_of(FUKI)
    h = _handoff(world, FUKI)
    if how == "return":
        handoffs.transition(fuki, h.id, "return", note="対象外", alternative="保健所へ")
    else:
        handoffs.transition(world.north, h.id, "withdraw", note="誤送信")
    with pytest.raises(AccessDenied):
        load_case_view(fuki, world.case_8050.case_id)
    assert search_cases(fuki, "福山").total == 0
    with pytest.raises(AccessDenied):
        print_sheet(fuki, world.case_8050.sheet_id, tmp_path / "sheet.pdf")
    assert not (tmp_path / "sheet.pdf").exists()
    if how == "return":  # the receiver keeps a stub in its inbox: number, dates, its answer
        box = inbox_data(fuki, bucket="返送")
        row = next(r for r in box.rows if r.id == h.id)
        assert row.case_no == world.case_8050.case_no and row.person_name == handoffs.STUB_NAME
        assert row.last_note == "対象外" and row.access_ended


def test_a_completed_hand_off_keeps_what_was_received(world):
    fuki = world.staff_of(FUKI)
    h = _handoff(world, FUKI)
    for step in ("acknowledge", "accept"):
        handoffs.transition(fuki, h.id, step)
    handoffs.transition(fuki, h.id, "complete", note="訪問し面談した")
    consent.withdraw(world.north, _consent_id(world), reason="本人の申し出")
    view = load_case_view(fuki, world.case_8050.case_id)
    assert view.person.name == "福山 トメ" and view.household


def _consent_id(w) -> int:
    with w.north.store.read() as s:
        return s.scalar(select(Consent.id).where(Consent.case_id == w.case_8050.case_id))


def test_withdrawal_refuses_new_disclosures_marks_open_hand_offs_and_ends_access(world):
    fuki, jiritsu = world.staff_of(FUKI), world.staff_of(JIRITSU)
    consent.withdraw(world.north, _consent_id(world), withdrawn_on=date.today(),
                     reason="本人の申し出")
    for receiver, agency in ((fuki, FUKI), (jiritsu, JIRITSU)):
        h = _handoff(world, agency)
        assert h.consent_ended_at is not None
        with pytest.raises(AccessDenied):
            load_case_view(receiver, world.case_8050.case_id)
        box = inbox_data(receiver, bucket="未受理")
        row = next(r for r in box.rows if r.id == h.id)
        assert row.access_ended and row.person_name == handoffs.STUB_NAME
        with world.north.store.read() as s:
            kinds = [e.kind for e in s.scalars(select(HandoffEvent).where(
                HandoffEvent.handoff_id == h.id))]
        assert EVENT_CONSENT_WITHDRAWN in kinds
    from intake_data import agency_id

    with pytest.raises(UserError, match="同意の範囲に入っていません"):
        handoffs.send(world.north, world.case_8050.case_id, agency_id(world.north, FUKI),
                      "再度の相談", share=["basic"])
    # Another recorded basis still works (and is a consent override for review).
    new = handoffs.send(world.north, world.case_8050.case_id, agency_id(world.north, FUKI),
                        "自殺の危険", share=["basic"], basis="生命・身体の保護",
                        basis_reason="本人から死にたいとの発言")
    with world.north.store.read() as s:
        assert s.get(Handoff, new).consent_override
    assert load_case_view(fuki, world.case_8050.case_id).person.name == "福山 トメ"


def test_the_receiver_passes_on_only_what_it_received(world):
    """An onward hand-off from the receiver freezes the receiver's snapshot, not the live sheet."""
    from intake_data import agency_id

    jiritsu = world.staff_of(JIRITSU)
    _second_sheet(world)
    hid = handoffs.send(jiritsu, world.case_8050.case_id, agency_id(world.north, "生活福祉課"),
                        "生活保護の相談", share=["hearing_living"],
                        sheet_id=world.case_8050.sheet_id, basis="法令に基づく通告",
                        basis_reason="テスト")
    with world.north.store.read() as s:
        snap = s.scalar(select(HandoffSnapshot).where(HandoffSnapshot.handoff_id == hid))
    assert snap.content["answers"] == {"hearing_living": "年金のみ"}
    with pytest.raises(UserError, match="共有を受けていない"):
        handoffs.send(jiritsu, world.case_8050.case_id, agency_id(world.north, "生活福祉課"),
                      "x", share=["wishes"], sheet_id=world.case_8050.sheet_id,
                      basis="法令に基づく通告", basis_reason="テスト")


def test_migration_gives_existing_hand_offs_a_snapshot(world):
    """A workspace from before 0009: its hand-offs get a migrated snapshot of what they share,
    named by their 提供記録."""
    from kodoku_desk.store import migrate

    engine = world.north.store.engine
    with world.north.store.read() as s:
        before = {h.id: list(h.share) for h in s.scalars(select(Handoff))}
    migrate.downgrade(engine, "0008_review_cover")
    migrate.upgrade(engine)
    with world.north.store.read() as s:
        snaps = list(s.scalars(select(HandoffSnapshot)))
        assert {x.handoff_id for x in snaps} == set(before)
        assert all(x.migrated for x in snaps)
        for x in snaps:
            assert x.sections == [k for k in x.content["sections"]]
            assert x.sha256 == snapshot.digest(x.content)
            assert set(x.sections) == set(before[x.handoff_id])
        linked = {d.handoff_id: d.content_hash for d in s.scalars(
            select(Disclosure).where(Disclosure.channel == "handoff"))}
        assert all(linked[x.handoff_id] == x.sha256 for x in snaps)
    fuki = world.staff_of(FUKI)
    view = load_case_view(fuki, world.case_8050.case_id)
    assert {s.key for s in view.sheets[0].sections} == {"basic", "worries", "household"}


def test_sheet_content_is_what_the_template_sections_hold(world):
    with world.north.store.read() as s:
        sheet = s.get(Sheet, world.case_8050.sheet_id)
        content = sharing.sheet_content(s, sheet, ["worries", "hearing_living"])
    assert content["sections"] == ["worries", "hearing_living"]
    assert "address" not in content["person"] and content["person"]["name"] == "福山 トメ"
    assert content["answers"] == {"hearing_living": "年金のみ"}
    assert content["worries"] and content["household"] == []


def test_a_receiver_finds_a_case_by_phone_only_if_the_phone_was_provided(world):
    from intake_data import agency_id

    hid = handoffs.send(world.north, world.case_8050.case_id,
                        agency_id(world.north, "生活福祉課"), "家計の相談",
                        share=["hearing_living"], basis="法令に基づく通告", basis_reason="テスト")
    welfare = world.staff_of("生活福祉課")
    assert search_cases(welfare, "福山 トメ").total == 1  # the name travels with every hand-off
    assert search_cases(welfare, "084-900-0001").total == 0  # the phone was not provided
    assert search_cases(world.staff_of(FUKI), "084-900-0001").total == 1  # provided with basic
    handoffs.add_share(world.north, hid, ["basic"])
    assert search_cases(welfare, "0849000001").total == 1
