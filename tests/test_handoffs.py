"""Hand-offs: the state machine (every allowed and refused step), who may take each step, the
consent gate and override record, disclosure rows, concurrent answers, inbox/outbox, overdue,
and what the receiving agency may see."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from intake_data import agency_id, as_staff_of, household_8050
from sqlalchemy import func, select
from workspace_templates import open_copy

from kodoku_desk.errors import AccessDenied, ConflictError, UserError
from kodoku_desk.models import Disclosure, Handoff, HandoffEvent, Sheet
from kodoku_desk.models.handoffs import (
    ACCEPTED,
    ACKNOWLEDGED,
    BASIS_LAW,
    BASIS_MEETING,
    BASIS_VITAL,
    DONE,
    RETURNED,
    SENT,
    WITHDRAWN,
)
from kodoku_desk.services import consent, handoffs, intake, sharing

SENDER = "北部地域包括支援センター"
FUKI = "健康推進課「ふきのとう」"
JIRITSU = "自立相談支援機関"
OUTSIDE = "障がい福祉課"


@pytest.fixture
def sender(north_template, tmp_path):
    s = open_copy(north_template, tmp_path / "ws")  # u01, 北部地域包括支援センター
    yield s
    s.close()


@pytest.fixture
def saved(sender):
    """The 8050 intake, saved with two hand-offs (ふきのとう, 自立相談支援機関)."""
    return intake.save_intake(sender, household_8050(sender))


def _handoff_to(signed, saved, name):
    with signed.store.read() as s:
        return s.scalar(select(Handoff).where(Handoff.case_id == saved.case_id,
                                              Handoff.to_agency_id == agency_id(signed, name)))


def _events(signed, handoff_id):
    with signed.store.read() as s:
        return list(s.scalars(select(HandoffEvent).where(HandoffEvent.handoff_id == handoff_id)
                              .order_by(HandoffEvent.id)))


# --- the state machine ---------------------------------------------------------------------------

PATHS = [
    [("acknowledge", "", ""), ("accept", "", ""), ("complete", "面談し家計改善支援を開始", "")],
    [("return", "対象外の内容", "生活福祉課へ")],
    [("acknowledge", "", ""), ("return", "ひきこもり支援の対象外", "基幹相談支援センターへ")],
    [("acknowledge", "", ""), ("accept", "", ""), ("return", "本人が拒否", "交流館の居場所へ")],
]


@pytest.mark.parametrize("steps", PATHS)
def test_allowed_receiver_paths(sender, saved, steps):
    receiver = as_staff_of(sender, FUKI)
    h = _handoff_to(sender, saved, FUKI)
    version = h.version
    for action, note, alt in steps:
        r = handoffs.transition(receiver, h.id, action, note=note, alternative=alt,
                                expected_version=version)
        assert r.version == version + 1
        version = r.version
    evs = _events(sender, h.id)
    assert [e.to_state for e in evs][0] == SENT
    assert len(evs) == len(steps) + 1
    assert all(e.agency_id == receiver.actor.agency_id for e in evs[1:])
    with sender.store.read() as s:
        cached = s.get(Handoff, h.id)
        assert cached.state == evs[-1].to_state == handoffs.derived_state(s, h.id)
        assert cached.closed_at is not None
        if any(a == "acknowledge" for a, _, _ in steps):
            assert cached.acknowledged_at is not None


@pytest.mark.parametrize("before", [[], ["acknowledge"]])
def test_sender_withdraws_from_sent_and_acknowledged(sender, saved, before):
    receiver = as_staff_of(sender, FUKI)
    h = _handoff_to(sender, saved, FUKI)
    for action in before:
        handoffs.transition(receiver, h.id, action)
    r = handoffs.transition(sender, h.id, "withdraw", note="本人の希望で取り下げ")
    assert r.state == WITHDRAWN


ALL_TARGETS = [ACKNOWLEDGED, ACCEPTED, DONE, RETURNED, WITHDRAWN]


def _drive(sender, receiver, h_id, state):
    steps = {SENT: [], ACKNOWLEDGED: ["acknowledge"], ACCEPTED: ["acknowledge", "accept"],
             DONE: ["acknowledge", "accept", "complete"], RETURNED: ["return"],
             WITHDRAWN: ["withdraw"]}[state]
    for action in steps:
        who = sender if action == "withdraw" else receiver
        handoffs.transition(who, h_id, action, note="メモ", alternative="別の窓口")


@pytest.mark.parametrize("state", [SENT, ACKNOWLEDGED, ACCEPTED, DONE, RETURNED, WITHDRAWN])
def test_every_refused_transition(sender, saved, state):
    receiver = as_staff_of(sender, FUKI)
    h = _handoff_to(sender, saved, FUKI)
    _drive(sender, receiver, h.id, state)
    allowed = {dst for (src, dst) in handoffs.TRANSITIONS if src == state}
    for target in ALL_TARGETS:
        if target in allowed:
            continue
        who = sender if target == WITHDRAWN else receiver
        before = len(_events(sender, h.id))
        with pytest.raises(UserError) as err:
            handoffs.transition(who, h.id, target, note="メモ", alternative="別の窓口")
        assert "できません" in err.value.message or "終わっています" in err.value.message
        assert len(_events(sender, h.id)) == before


def test_only_the_receiving_agency_answers(sender, saved):
    h = _handoff_to(sender, saved, FUKI)
    other = as_staff_of(sender, JIRITSU)
    for who in (sender, other):
        with pytest.raises(AccessDenied, match="受けた機関"):
            handoffs.transition(who, h.id, "acknowledge")
    with pytest.raises(AccessDenied, match="送った機関"):
        handoffs.transition(as_staff_of(sender, FUKI), h.id, "withdraw", note="x")
    assert len(_events(sender, h.id)) == 1


def test_return_needs_reason_and_alternative(sender, saved):
    receiver = as_staff_of(sender, FUKI)
    h = _handoff_to(sender, saved, FUKI)
    with pytest.raises(UserError, match="理由"):
        handoffs.transition(receiver, h.id, "return", alternative="生活福祉課")
    with pytest.raises(UserError, match="うちじゃない") as err:
        handoffs.transition(receiver, h.id, "return", note="対象外")
    assert err.value.field == "alternative"
    r = handoffs.transition(receiver, h.id, "返送", note="対象外", alternative="生活福祉課へ")
    assert r.state == RETURNED
    with sender.store.read() as s:
        (row,) = [x for x in handoffs.outbox(s, sender.actor.agency_id, "返送")]
    assert row.last_note == "対象外" and row.last_alternative == "生活福祉課へ"


def test_complete_needs_an_outcome(sender, saved):
    receiver = as_staff_of(sender, FUKI)
    h = _handoff_to(sender, saved, FUKI)
    handoffs.transition(receiver, h.id, "acknowledge")
    handoffs.transition(receiver, h.id, "accept")
    with pytest.raises(UserError, match="結果"):
        handoffs.transition(receiver, h.id, "complete")


def test_unknown_action(sender, saved):
    h = _handoff_to(sender, saved, FUKI)
    with pytest.raises(UserError, match="操作「explode」"):
        handoffs.transition(sender, h.id, "explode")


def test_stale_version_from_a_second_window_is_refused_and_no_event_lost(sender, saved):
    window_a = as_staff_of(sender, FUKI)
    window_b = as_staff_of(sender, FUKI)
    h = _handoff_to(sender, saved, FUKI)
    seen = h.version  # both windows show version 1
    handoffs.transition(window_a, h.id, "acknowledge", expected_version=seen)
    with pytest.raises(ConflictError) as err:
        handoffs.transition(window_b, h.id, "return", note="対象外", alternative="生活福祉課",
                            expected_version=seen)
    assert "別の画面で先に更新" in err.value.message and "受理" in err.value.message
    assert [e.to_state for e in _events(sender, h.id)] == [SENT, ACKNOWLEDGED]


def test_concurrent_threads_one_wins(sender, saved):
    import threading

    h = _handoff_to(sender, saved, FUKI)
    results: list = []

    def answer(action):
        try:
            results.append(handoffs.transition(as_staff_of(sender, FUKI), h.id, action,
                                               note="x", alternative="y", expected_version=1))
        except ConflictError as exc:
            results.append(exc)

    threads = [threading.Thread(target=answer, args=(a,)) for a in ("acknowledge", "return")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(r, ConflictError) for r in results) == 1
    assert len(_events(sender, h.id)) == 2


# --- sending and the consent gate -------------------------------------------------------------------

def test_send_records_disclosure_and_due_date(sender, saved):
    with sender.store.read() as s:
        rows = list(s.scalars(select(Disclosure).where(Disclosure.case_id == saved.case_id)
                              .order_by(Disclosure.id)))
        hs = list(s.scalars(select(Handoff).where(Handoff.case_id == saved.case_id)
                            .order_by(Handoff.id)))
    assert [r.recipient for r in rows] == [FUKI, JIRITSU]
    assert rows[0].sections == ["basic", "worries", "household"]
    assert all(r.basis == "本人同意" and r.channel == "handoff" for r in rows)
    assert [r.handoff_id for r in rows] == [h.id for h in hs]
    from kodoku_desk.domain.dates import add_business_days
    assert hs[0].due_on == add_business_days(hs[0].sent_at.date(), 3)
    assert not any(h.consent_override for h in hs)


def test_outside_consent_needs_another_basis_and_reason(sender, saved):
    outside = agency_id(sender, OUTSIDE)
    with pytest.raises(UserError, match="同意の範囲に入っていません") as err:
        handoffs.send(sender, saved.case_id, outside, "障がいの疑い", share=["basic"])
    assert err.value.field == "basis"
    with pytest.raises(UserError, match="理由") as err:
        handoffs.send(sender, saved.case_id, outside, "障がいの疑い", share=["basic"],
                      basis=BASIS_VITAL)
    assert err.value.field == "basis_reason"
    with pytest.raises(UserError, match="会議資料の中でだけ"):
        handoffs.send(sender, saved.case_id, outside, "x", share=["basic"], basis=BASIS_MEETING,
                      basis_reason="x")
    hid = handoffs.send(sender, saved.case_id, outside, "障がいの疑い", "手帳の相談",
                        ["basic", "hearing_health"], BASIS_LAW, "障害者虐待防止法 第7条の通報")
    with sender.store.read() as s:
        h = s.get(Handoff, hid)
        assert h.consent_override and h.basis == BASIS_LAW
        d = s.scalar(select(Disclosure).where(Disclosure.handoff_id == hid))
        assert d.basis == BASIS_LAW and d.basis_reason.startswith("障害者虐待防止法")
        assert d.sections == ["basic", "hearing_health"]
        assert s.scalar(select(func.count()).select_from(Handoff)
                        .where(Handoff.case_id == saved.case_id)) == 3


def test_consent_by_agency_name_covers(sender, saved):
    outside = agency_id(sender, OUTSIDE)
    consent.record(sender, saved.case_id, consent.ConsentInput(
        scope_agencies=[outside], given_on=date.today(), method="口頭"))
    hid = handoffs.send(sender, saved.case_id, outside, "手帳", share=["basic"])
    with sender.store.read() as s:
        assert not s.get(Handoff, hid).consent_override


def test_withdrawn_consent_stops_further_sharing(sender, saved):
    with sender.store.read() as s:
        (c,) = consent.active_consents(s, saved.case_id)
    consent.withdraw(sender, c.id, reason="本人の申し出")
    with sender.store.read() as s:
        assert not consent.covers(s, saved.case_id, agency_id(sender, FUKI))
        (row,) = consent.consents_for_case(s, saved.case_id)
        assert row.withdrawn_on == date.today() and not row.active
    social = agency_id(sender, "社会福祉協議会")
    with pytest.raises(UserError, match="撤回"):
        handoffs.send(sender, saved.case_id, social, "居場所", share=["basic"])
    with pytest.raises(UserError, match="すでに撤回"):
        consent.withdraw(sender, c.id)


def test_share_must_name_known_sections(sender, saved):
    fuki = agency_id(sender, JIRITSU)
    with pytest.raises(UserError, match="一つ以上"):
        handoffs.send(sender, saved.case_id, fuki, "x", share=[])
    with pytest.raises(UserError, match="secret"):
        handoffs.send(sender, saved.case_id, fuki, "x", share=["secret"])


# --- inbox / outbox / overdue ------------------------------------------------------------------------

def test_inbox_counts_and_lists(sender, saved):
    receiver = as_staff_of(sender, FUKI)
    fuki = receiver.actor.agency_id
    with sender.store.read() as s:
        assert handoffs.inbox_counts(s, fuki) == {"未受理": 1, "対応中": 0, "返送": 0, "完了": 0}
    h = _handoff_to(sender, saved, FUKI)
    handoffs.transition(receiver, h.id, "acknowledge")
    with sender.store.read() as s:
        assert handoffs.inbox_counts(s, fuki) == {"未受理": 0, "対応中": 1, "返送": 0, "完了": 0}
        (row,) = handoffs.inbox(s, fuki, "対応中")
        assert row.case_no == saved.case_no and row.person_name == "福山 トメ"
        assert row.from_agency == SENDER and row.state == ACKNOWLEDGED
        assert handoffs.inbox(s, fuki, "未受理") == []
        out = handoffs.outbox(s, sender.actor.agency_id)
        assert {r.to_agency for r in out} == {FUKI, JIRITSU}
        with pytest.raises(UserError, match="区分"):
            handoffs.inbox(s, fuki, "どこか")


def test_overdue_after_three_business_days(sender, saved):
    h = _handoff_to(sender, saved, FUKI)
    with sender.store.read() as s:
        assert handoffs.overdue_count(s, today=h.due_on) == 0
        later = h.due_on + timedelta(days=1)
        assert handoffs.overdue_count(s, h.to_agency_id, today=later) == 1
        (row,) = handoffs.inbox(s, h.to_agency_id, overdue_only=True, today=later)
        assert row.overdue
    handoffs.transition(as_staff_of(sender, FUKI), h.id, "acknowledge")
    with sender.store.read() as s:
        # Acknowledged: its 対応開始期限 (5 business days from now) has not passed on the day
        # after the 受理期限; the other one, still 送付, is overdue.
        assert handoffs.overdue_count(s, h.to_agency_id, today=later) == 0
        assert handoffs.overdue_count(s, today=later) == 1


def test_due_date_skips_weekend_and_holidays(sender):
    from kodoku_desk.domain.dates import add_business_days
    # Friday 2025-05-02 → Mon 5/5 and Tue 5/6 are holidays (こどもの日, 振替休日).
    assert add_business_days(date(2025, 5, 2), 3) == date(2025, 5, 9)
    assert datetime(2025, 5, 2).weekday() == 4


# --- what the receiving agency sees ------------------------------------------------------------------

def test_receiver_sees_only_shared_sections(sender, saved):
    fuki = as_staff_of(sender, FUKI)
    jiritsu = as_staff_of(sender, JIRITSU)
    with sender.store.read() as s:
        sheet = s.get(Sheet, saved.sheet_id)
        full = sharing.visible_sheet(s, sender.actor, sheet)
        assert full.answers["assessment"] == "8050世帯" and full.hidden_sections == []
        v = sharing.visible_sheet(s, fuki.actor, sheet)
        assert v.sections == ["basic", "worries", "household"]
        assert v.worries == ["介護", "本人や家族のひきこもり", "収入・生活費"]
        assert v.answers == {}  # wishes / hearing_* / assessment are not shared with ふきのとう
        assert "受付者の見立て" not in str(v.answers) and "本人の意向・受付者の見立て" in v.hidden_sections
        j = sharing.visible_sheet(s, jiritsu.actor, sheet)
        assert j.answers == {"hearing_living": "年金のみ"}
        assert j.worries == [] and j.most_pressing == ""
        assert sharing.visible_sheet(s, jiritsu.actor, sheet).answers == {"hearing_living": "年金のみ"}
        other = as_staff_of(sender, "児童相談所")
        assert sharing.shared_sections(s, other.actor, saved.case_id) == set()
        assert sharing.shared_sections(s, sender.actor, saved.case_id) is None


def test_withdrawn_handoff_no_longer_shares(sender, saved):
    h = _handoff_to(sender, saved, FUKI)
    handoffs.transition(sender, h.id, "withdraw", note="誤送信")
    with sender.store.read() as s:
        assert sharing.shared_sections(s, as_staff_of(sender, FUKI).actor, saved.case_id) == set()


def test_allowed_actions_for_buttons():
    assert handoffs.allowed_actions(SENT, 2, 1, 2) == [ACKNOWLEDGED, RETURNED]
    assert handoffs.allowed_actions(SENT, 1, 1, 2) == [WITHDRAWN]
    assert handoffs.allowed_actions(DONE, 2, 1, 2) == []


def test_receiving_agency_may_pass_on_only_what_it_was_shown(sender, saved):
    fuki = as_staff_of(sender, FUKI)  # was shown basic, worries, household
    social = agency_id(sender, "社会福祉協議会")
    consent.record(sender, saved.case_id, consent.ConsentInput(
        scope_fields=["参加支援"], given_on=date.today(), method="口頭"))
    with pytest.raises(UserError, match="受付者の見立て") as err:
        handoffs.send(fuki, saved.case_id, social, "居場所", share=["basic", "assessment"])
    assert err.value.field == "share"
    hid = handoffs.send(fuki, saved.case_id, social, "居場所", share=["basic", "household"])
    with sender.store.read() as s:
        h = s.get(Handoff, hid)
        assert h.from_agency_id == fuki.actor.agency_id and h.share == ["basic", "household"]
