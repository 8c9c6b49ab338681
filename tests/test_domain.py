"""The fast tier: the pure rules of kodoku_desk/domain, without a database or a screen.
(Dates and kana have their own files: test_intake.py, test_search.py; routing: test_routing.py.)"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from kodoku_desk.domain import consent, handoff, meeting, plan
from kodoku_desk.domain.dates import add_business_days, business_days_between, is_business_day
from kodoku_desk.errors import UserError

pytestmark = pytest.mark.fast

# --------------------------------------------------------------------------- hand-offs

A, B = 1, 2  # sender, receiver agencies


@pytest.mark.parametrize(("state", "agency", "expected"), [
    (handoff.SENT, B, [handoff.ACKNOWLEDGED, handoff.RETURNED]),
    (handoff.SENT, A, [handoff.WITHDRAWN]),
    (handoff.ACKNOWLEDGED, B, [handoff.ACCEPTED, handoff.RETURNED]),
    (handoff.ACKNOWLEDGED, A, [handoff.WITHDRAWN]),
    (handoff.ACCEPTED, B, [handoff.DONE, handoff.RETURNED]),
    (handoff.ACCEPTED, A, []),  # once work has started, the sender cannot withdraw
    (handoff.DONE, B, []), (handoff.RETURNED, A, []), (handoff.WITHDRAWN, B, []),
    (handoff.SENT, 3, []),  # a third agency takes no step
    (handoff.SENT, None, []),
])
def test_allowed_actions_follow_the_state_and_the_side(state, agency, expected):
    assert handoff.allowed_actions(state, agency, A, B) == expected


def test_every_step_is_taken_by_exactly_one_side_and_closed_states_are_final():
    for (src, dst), who in handoff.TRANSITIONS.items():
        assert src in handoff.OPEN_STATES and dst in handoff.STATES
        assert who in (handoff.RECEIVER, handoff.SENDER)
    assert not [k for k in handoff.TRANSITIONS if k[0] in handoff.CLOSED_STATES]
    with pytest.raises(UserError, match="すでに「完了」で終わっています"):
        handoff.who_may(handoff.DONE, handoff.RETURNED)
    with pytest.raises(UserError, match="できるのは 受理・返送・取下げ です"):
        handoff.who_may(handoff.SENT, handoff.DONE)
    assert handoff.who_may(handoff.SENT, handoff.WITHDRAWN) == handoff.SENDER


def test_actions_by_english_or_japanese_name():
    assert handoff.target_of("acknowledge") == handoff.target_of("受理") == handoff.ACKNOWLEDGED
    with pytest.raises(UserError, match="操作「approve」はありません"):
        handoff.target_of("approve")


@pytest.mark.parametrize(("target", "note", "alternative", "field"), [
    (handoff.RETURNED, "", "", "note"),
    (handoff.RETURNED, "対象外です", "", "alternative"),  # never just 「うちじゃない」
    (handoff.DONE, "", "", "note"),
    (handoff.WITHDRAWN, "", "", "note"),
])
def test_steps_that_need_words_refuse_without_them(target, note, alternative, field):
    with pytest.raises(UserError) as err:
        handoff.check_note(target, note, alternative)
    assert err.value.field == field


def test_steps_with_their_words_pass():
    handoff.check_note(handoff.RETURNED, "対象外", "生活福祉課へ")
    handoff.check_note(handoff.ACKNOWLEDGED, "", "")
    handoff.check_note(handoff.DONE, "訪問しました", "")


def test_buckets_cover_every_state_once():
    inbox = [s for states in handoff.INBOX_BUCKETS.values() for s in states]
    assert sorted(inbox) == sorted(set(handoff.STATES) - {handoff.WITHDRAWN})
    outbox = [s for states in handoff.OUTBOX_BUCKETS.values() for s in states]
    assert sorted(outbox) == sorted(handoff.STATES)
    with pytest.raises(UserError, match="「保留」という区分はありません"):
        handoff.bucket_states("保留", handoff.INBOX_BUCKETS)


def test_due_day_and_overdue_count_business_days_across_holidays_and_year_end():
    # Sent Friday 26 Dec 2025: 29 Dec–3 Jan closed, 3 business days → Wednesday 7 Jan 2026.
    due = handoff.due_on(date(2025, 12, 26), 3)
    assert due == date(2026, 1, 7)
    assert not handoff.is_overdue(handoff.SENT, due, due)  # the due day itself is in time
    assert handoff.is_overdue(handoff.SENT, due, due + timedelta(days=1))
    # Monday 12 Jan 2026 is 成人の日: Thursday 8, Friday 9 and Tuesday 13 are business days.
    assert handoff.overdue_days(handoff.SENT, due, date(2026, 1, 13)) == 3
    for closed in handoff.CLOSED_STATES:  # a closed hand-off has no deadline left
        assert not handoff.is_overdue(closed, due, date(2026, 3, 1))
        assert handoff.overdue_days(closed, due, date(2026, 3, 1)) == 0
        assert handoff.stage_deadline(closed, due, date(2026, 1, 5), LIMITS) is None
        assert handoff.overdue_status(closed, due, date(2026, 1, 5), LIMITS, date(2026, 3, 1)) \
            is None


# --------------------------------------------------------------------------- deadlines per stage

LIMITS = handoff.Limits(acknowledge=3, start=5, update=20)  # the default settings


def test_every_open_stage_has_a_deadline_and_a_setting():
    assert handoff.AWAITING_ANSWER == handoff.OPEN_STATES
    assert [handoff.STAGES[s].deadline for s in handoff.AWAITING_ANSWER] == \
        ["受理期限", "対応開始期限", "更新期限"]
    assert [LIMITS.days(s) for s in handoff.AWAITING_ANSWER] == [3, 5, 20]
    assert len({handoff.STAGES[s].setting for s in handoff.AWAITING_ANSWER}) == 3


def test_the_acknowledgement_deadline_is_the_due_day_fixed_at_sending():
    due = date(2026, 1, 7)  # whatever the setting says now: it was fixed when sent
    other = handoff.Limits(acknowledge=10, start=5, update=20)
    assert handoff.stage_deadline(handoff.SENT, due, date(2025, 12, 26), other) == due
    late = handoff.overdue_status(handoff.SENT, due, date(2025, 12, 26), other, date(2026, 1, 9))
    assert late == handoff.Overdue(handoff.SENT, due, 2, "受理期限超過")


@pytest.mark.parametrize(("acknowledged", "deadline", "checks"), [
    # Friday before the year-end closure (29 Dec – 3 Jan): Mon 5 … Fri 9 Jan are days 1–5.
    (date(2025, 12, 26), date(2026, 1, 9),
     [(date(2026, 1, 9), 0, False), (date(2026, 1, 10), 0, True),  # Saturday: past, 0 days
      (date(2026, 1, 13), 1, True)]),  # 12 Jan is 成人の日
    # Monday before Golden Week: 29 Apr 昭和の日, 3–6 May holidays.
    (date(2025, 4, 28), date(2025, 5, 8),
     [(date(2025, 5, 2), 0, False), (date(2025, 5, 8), 0, False), (date(2025, 5, 9), 1, True),
      (date(2025, 5, 12), 2, True)]),
])
def test_the_start_deadline_counts_from_the_acknowledgement(acknowledged, deadline, checks):
    at = datetime.combine(acknowledged, time(16, 30))  # the time of day does not matter
    assert handoff.stage_deadline(handoff.ACKNOWLEDGED, date(2000, 1, 1), at, LIMITS) == deadline
    for today, days_late, overdue in checks:
        late = handoff.overdue_status(handoff.ACKNOWLEDGED, date(2000, 1, 1), at, LIMITS, today)
        assert (late is not None) == overdue, today
        if late:
            assert late == handoff.Overdue(handoff.ACKNOWLEDGED, deadline, days_late,
                                           "対応開始期限超過")


def test_the_update_deadline_counts_from_the_latest_event_across_year_end_and_holidays():
    last_event = datetime(2025, 12, 15, 10)  # Monday
    # 9 business days to 26 Dec, none 29 Dec – 3 Jan, 5 in the week of 5 Jan, none on 成人の日
    # (12 Jan), the 20th on Tuesday 20 Jan.
    deadline = date(2026, 1, 20)
    assert handoff.stage_deadline(handoff.ACCEPTED, date(2000, 1, 1), last_event, LIMITS) == \
        deadline
    assert handoff.overdue_status(handoff.ACCEPTED, date(2000, 1, 1), last_event, LIMITS,
                                  deadline) is None
    late = handoff.overdue_status(handoff.ACCEPTED, date(2000, 1, 1), last_event, LIMITS,
                                  date(2026, 1, 26))
    assert late == handoff.Overdue(handoff.ACCEPTED, deadline, 4, "更新なし 24営業日")
    # A longer limit moves the deadline at once (the limit is read when asked).
    longer = handoff.Limits(acknowledge=3, start=5, update=30)
    assert handoff.overdue_status(handoff.ACCEPTED, date(2000, 1, 1), last_event, longer,
                                  date(2026, 1, 26)) is None


def test_which_events_start_the_stage_clock_again():
    assert handoff.restarts_stage("", handoff.SENT)
    assert handoff.restarts_stage(handoff.SENT, handoff.ACKNOWLEDGED)
    assert handoff.restarts_stage(handoff.ACKNOWLEDGED, handoff.ACCEPTED)
    assert handoff.restarts_stage(handoff.ACCEPTED, handoff.ACCEPTED)  # the receiver's 経過
    assert not handoff.restarts_stage(handoff.ACCEPTED, handoff.ACCEPTED, by_receiver=False)
    assert not handoff.restarts_stage(handoff.SENT, handoff.SENT)  # 追加提供 before 受理
    assert not handoff.restarts_stage(handoff.ACKNOWLEDGED, handoff.ACKNOWLEDGED)


def test_progress_notes_only_while_in_progress_and_with_words():
    handoff.check_progress(handoff.ACCEPTED, "訪問しました")
    with pytest.raises(UserError, match="対応中"):
        handoff.check_progress(handoff.ACKNOWLEDGED, "訪問しました")
    with pytest.raises(UserError) as err:
        handoff.check_progress(handoff.ACCEPTED, "")
    assert err.value.field == "note"


@pytest.mark.parametrize("today", [date(2026, 1, 6), date(2026, 1, 13), date(2025, 5, 7),
                                   date(2025, 9, 24), date(2025, 6, 30)])
def test_the_sql_cut_off_says_what_the_deadline_says(today):
    """services.handoffs.stage_overdue_clause compares the stage's start with overdue_before:
    for every start and limit it must agree with stage_deadline."""
    for days in (0, 1, 3, 5, 20):
        cutoff = handoff.overdue_before(today, days)
        for back in range(0, 70):
            start = today - timedelta(days=back)
            assert (start < cutoff) == (add_business_days(start, days) < today), (today, days, start)


def test_adding_business_days_agrees_with_a_day_by_day_walk():
    for start in (date(2024, 12, 1) + timedelta(days=i) for i in range(0, 400, 3)):
        for days in (0, 1, 3, 5, 20, 120, 300):
            d, added = start, 0
            while added < days:
                d += timedelta(days=1)
                added += is_business_day(d)
            assert add_business_days(start, days) == d, (start, days)


def test_business_days_agree_with_a_day_by_day_walk():
    start = date(2024, 12, 1)
    for span in (0, 1, 5, 40, 400):
        end = start + timedelta(days=span)
        walked = sum(is_business_day(start + timedelta(days=i)) for i in range(1, span + 1))
        assert business_days_between(start, end) == walked
    assert business_days_between(date(2025, 5, 7), date(2025, 5, 1)) == 0
    assert add_business_days(date(2025, 5, 2), 1) == date(2025, 5, 7)  # Golden Week


# --------------------------------------------------------------------------- consent


def test_coverage_by_agency_or_by_field():
    by_field = consent.Scope.of(fields=["生活困窮"])
    by_agency = consent.Scope.of(agencies=[7])
    assert consent.covers(by_field, 3, ["生活困窮", "行政"])
    assert not consent.covers(by_field, 3, ["高齢"])
    assert consent.covers(by_agency, 7, [])
    assert not consent.covers(by_agency, 8, ["生活困窮"])
    assert consent.any_covers([by_agency, by_field], 8, ["生活困窮"])
    assert not consent.any_covers([], 8, ["生活困窮"])


def test_a_withdrawn_or_refused_consent_is_not_in_force():
    assert consent.in_force(True, None)
    assert not consent.in_force(True, date(2025, 5, 1))
    assert not consent.in_force(False, None)


def test_the_hand_off_gate():
    ok = consent.handoff_gate(consent.BASIS_CONSENT, "", True, "自立相談支援機関")
    assert ok == consent.Gate(consent.BASIS_CONSENT, "", False)
    with pytest.raises(UserError, match="「自立相談支援機関」は本人の同意の範囲に入っていません"):
        consent.handoff_gate(consent.BASIS_CONSENT, "", False, "自立相談支援機関")
    with pytest.raises(UserError) as err:
        consent.handoff_gate(consent.BASIS_VITAL, "", False, "X")
    assert err.value.field == "basis_reason"
    override = consent.handoff_gate(consent.BASIS_VITAL, "自殺の危険", False, "X")
    assert override.override  # outside consent: supervisors review it
    assert not consent.handoff_gate(consent.BASIS_LAW, "通告", True, "X").override
    with pytest.raises(UserError, match="会議資料の中でだけ"):
        consent.handoff_gate(consent.BASIS_MEETING, "会議", False, "X")
    with pytest.raises(UserError, match="根拠「口約束」はありません"):
        consent.handoff_gate("口約束", "", False, "X")
    assert consent.BASIS_MEETING not in consent.HANDOFF_BASES


# --------------------------------------------------------------------------- plans


def test_plan_lifecycle_transitions_and_approval():
    plan.check_transition(plan.DRAFT, plan.APPROVAL_NONE, plan.SUBMITTED)
    with pytest.raises(UserError, match="承認がないため「実施中」にできません"):
        plan.check_transition(plan.AGREED, plan.APPROVAL_PENDING, plan.RUNNING)
    plan.check_transition(plan.AGREED, plan.APPROVAL_OK, plan.RUNNING)
    with pytest.raises(UserError, match="これ以上状態を変更できません"):
        plan.check_transition(plan.CLOSED, plan.APPROVAL_OK, plan.DRAFT)
    with pytest.raises(UserError, match="「案」からは「会議提出」「中断」に変更できます"):
        plan.check_transition(plan.DRAFT, plan.APPROVAL_NONE, plan.RUNNING)
    with pytest.raises(UserError, match="状態ではありません"):
        plan.check_transition(plan.DRAFT, plan.APPROVAL_NONE, "保留")
    assert plan.WATCHING in plan.TRANSITIONS[plan.EVALUATING]  # 見守り継続 is an outcome


def test_plan_steps_to_agreement_never_pass_through_an_end():
    assert plan.steps_to(plan.DRAFT, plan.AGREED) == [plan.SUBMITTED, plan.AGREED]
    assert plan.steps_to(plan.RUNNING, plan.AGREED) == [plan.EVALUATING, plan.SUBMITTED,
                                                        plan.AGREED]
    assert plan.steps_to(plan.AGREED, plan.AGREED) == []
    assert plan.steps_to(plan.CLOSED, plan.AGREED) == []
    for path_start in plan.STATUSES:
        assert not set(plan.steps_to(path_start, plan.AGREED)) & set(plan.ENDED)


def test_what_a_plan_may_do_in_each_status():
    for status in plan.EVALUABLE:
        plan.check_evaluable(status)
    with pytest.raises(UserError, match="「案」の支援プランは評価できません"):
        plan.check_evaluable(plan.DRAFT)
    assert plan.can_request_approval(plan.DRAFT, plan.APPROVAL_NONE)
    assert plan.can_request_approval(plan.DRAFT, plan.APPROVAL_RETURNED)
    assert not plan.can_request_approval(plan.DRAFT, plan.APPROVAL_PENDING)
    assert not plan.can_request_approval(plan.CLOSED, plan.APPROVAL_NONE)


# --------------------------------------------------------------------------- meetings

GIVEN = meeting.ConsentFacts(True, True, None)
NO_MEETINGS = meeting.ConsentFacts(True, False, None)
WITHDRAWN = meeting.ConsentFacts(True, True, date(2025, 5, 1))


@pytest.mark.parametrize(("consents", "index", "why"), [
    ([], None, "本人の同意が記録されていません"),
    ([NO_MEETINGS], None, "同意の範囲に会議での共有が含まれていません"),
    ([WITHDRAWN], None, "令和7年5月1日に撤回されています"),
    ([NO_MEETINGS, GIVEN], 1, ""),
    ([meeting.ConsentFacts(False, True, None)], None, "本人が同意していません"),
])
def test_which_consent_lets_a_case_be_discussed(consents, index, why):
    found, reason = meeting.meeting_consent(consents)
    assert found == index
    assert why in reason


def test_each_kind_needs_consent_where_its_rule_says():
    juso, shien, block, council = (meeting.rule_for(k) for k in meeting.MEETING_KINDS)
    assert juso.needs_consent() and council.needs_consent()
    assert not shien.needs_consent() and not shien.needs_consent(export_redacted=False)
    assert shien.basis == consent.BASIS_MEETING and "第106条の6" in shien.secrecy_notice
    assert not block.needs_consent(export_redacted=True) and block.needs_consent(False)
    assert block.redact_default
    assert "匿名化して出力" in meeting.refusal(block, "ケース1", "理由")
    assert meeting.refusal(juso, "ケース1", "理由") == "ケース1は重層的支援会議で扱えません: 理由。"
    with pytest.raises(UserError, match="会議の種類「懇談会」はありません"):
        meeting.rule_for("懇談会")


# --- hidden characters: the one rule for every text input (domain.text.hidden_char) -----------

@pytest.mark.parametrize("ch", [
    "\x00", "\x07", "\x1b", "\x7f",  # C0 and DEL
    "\u009b", "\u0085", "\u0080", "\u009f",  # C1: CSI, NEL
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # bidi embeddings and overrides (RLO)
    "\u2066", "\u2067", "\u2068", "\u2069",  # bidi isolates LRI, RLI, FSI, PDI
    "\u200e", "\u200f", "\u061c",  # LRM, RLM, ALM
    "\ufeff", "\u200b", "\u2060", "\u00ad",  # BOM, zero-width space, word joiner, soft hyphen
    "\u2028", "\u2029",  # line and paragraph separators
    "\ud800",  # a lone surrogate (a JSON "\ud800")
])
def test_hidden_characters_are_found_with_their_code_point(ch):
    from kodoku_desk.domain.text import hidden_char

    assert hidden_char(f"山田{ch}花子") == ord(ch)
    assert hidden_char(f"山田{ch}花子\u202e") == ord(ch)  # the first one


@pytest.mark.parametrize("text", [
    "山田 花子", "山田\t花子", "一行目\n二行目", "一行目\r\n二行目", "",
    "👨\u200d👩\u200d👧",  # ZWJ: a family emoji is one picture only with its joiners
    "\u200c",  # ZWNJ: keeps letters apart in some scripts; neither reorders text
    "葛\U000e0100城", "❤\ufe0f", "辻\ufe00",  # variation selectors (Mn): 異体字, emoji style
    "\ue000",  # private use: 外字 of a municipal system
    "髙橋　﨑", "ﾔﾏﾀﾞ",
])
def test_ordinary_text_has_no_hidden_character(text):
    from kodoku_desk.domain.text import hidden_char

    assert hidden_char(text) is None


def test_check_text_names_the_field_and_the_code_point():
    from kodoku_desk.domain.template import check_text

    with pytest.raises(UserError) as err:
        check_text("やまだ\u202eこなは", "氏名", "person.name", single_line=True)
    assert err.value.message == ("「氏名」に表示できない制御文字（U+202E）が含まれています。"
                                 "取り除いてから入力してください。")
    assert err.value.field == "person.name"
    with pytest.raises(UserError, match=r"（U\+009B）"):
        check_text("\u009b31m", "メモ")
    assert check_text(" 一行目\r\n二行目\t ", "メモ") == "一行目\r\n二行目"
    assert check_text("山田\r\n花子", "氏名", single_line=True) == "山田 花子"
