"""Issue 18 item 1: control and format characters (C1 such as CSI and NEL, the bidi overrides and
isolates of Trojan-Source spoofing, BOM, zero-width space) are refused on every text input path
by the one rule domain.text.hidden_char, with a sentence naming the field and the code point;
nothing is saved. The pure rule is tested in test_domain.py, the JSON import in
test_intake_import.py."""

from __future__ import annotations

import pytest
from intake_data import agency_id, as_staff_of, household_8050
from sqlalchemy import func, select
from workspace_templates import open_copy

from kodoku_desk.errors import UserError
from kodoku_desk.models import (
    Agency,
    Block,
    Case,
    ConsentWithdrawal,
    Handoff,
    HandoffEvent,
    HouseholdMember,
    MeetingSession,
    Person,
    Staff,
)
from kodoku_desk.services import admin, consent, handoffs, intake, meetings, plans
from kodoku_desk.services.handoffs import SendInput
from kodoku_desk.services.intake import MemberInput, PersonInput

RLO, CSI, NEL, RLI, BOM, ZWSP = "\u202e", "\u009b", "\u0085", "\u2067", "\ufeff", "\u200b"


def sentence(label: str, code_point: str) -> str:
    return f"「{label}」に表示できない制御文字（{code_point}）が含まれています。取り除いてから入力してください。"


@pytest.fixture
def worker(north_template, tmp_path):
    s = open_copy(north_template, tmp_path / "ws")  # u01, 北部地域包括支援センター
    yield s
    s.close()


def count(signed, model) -> int:
    with signed.store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


INTAKE = [
    ({"person": PersonInput(name=f"山田{RLO}こなは", kana="やまだ")}, "氏名", "U+202E", "person.name"),
    ({"person": PersonInput(name="山田", kana=f"やまだ{BOM}")}, "ふりがな", "U+FEFF", "person.kana"),
    ({"person": PersonInput(name="山田", address=f"北町{CSI}31m")}, "住所", "U+009B", "person.address"),
    ({"household": [MemberInput("長男", f"山田{NEL}一郎")]}, "世帯員 1の氏名", "U+0085",
     "household[0].name"),
    ({"answers": {"wishes": f"息子の{RLI}将来"}}, "相談したいこと・支援にあたっての希望", "U+2067", "wishes"),
    ({"handoffs": "reason"}, "つなぐ理由", "U+200B", "reason"),
]


@pytest.mark.parametrize("change, label, code_point, field", INTAKE)
def test_save_intake_refuses_hidden_characters_and_saves_nothing(worker, change, label,
                                                                 code_point, field):
    if change.get("handoffs") == "reason":
        fuki = agency_id(worker, "健康推進課「ふきのとう」")
        change = {"handoffs": [SendInput(fuki, f"長男の{ZWSP}ひきこもり", "訪問", ["basic"])]}
    before = [count(worker, m) for m in (Case, Person, HouseholdMember, Handoff)]
    with pytest.raises(UserError) as err:
        intake.save_intake(worker, household_8050(worker, **change))
    assert label in err.value.message and code_point in err.value.message, err.value.message
    if field != "reason":
        assert err.value.message == sentence(label, code_point)
        assert err.value.field == field
    assert [count(worker, m) for m in (Case, Person, HouseholdMember, Handoff)] == before


def test_zwj_and_variation_selectors_are_kept_in_a_name(worker):
    name = "葛\U000e0100城 👨\u200d👩\u200d👧"
    saved = intake.save_intake(worker, household_8050(
        worker, person=PersonInput(name=name, kana="かつらぎ")))
    with worker.store.read() as s:
        case = s.get(Case, saved.case_id)
        assert s.get(Person, case.person_id).name == name


@pytest.fixture
def saved(worker):
    return intake.save_intake(worker, household_8050(worker))


def test_handoff_reason_notes_and_withdrawal_reason_are_refused(worker, saved):
    jiritsu = agency_id(worker, "自立相談支援機関")
    sent = count(worker, Handoff)
    with pytest.raises(UserError) as err:
        handoffs.send(worker, saved.case_id, agency_id(worker, "生活福祉課"), f"収入{RLO}減",
                      share=["basic"], basis="法令に基づく通告", basis_reason="生活保護法")
    assert err.value.message == sentence("つなぐ理由", "U+202E") and err.value.field == "reason"
    assert count(worker, Handoff) == sent

    receiver = as_staff_of(worker, "自立相談支援機関")
    with receiver.store.read() as s:
        h = s.scalar(select(Handoff).where(Handoff.case_id == saved.case_id,
                                           Handoff.to_agency_id == jiritsu))
    events = count(worker, HandoffEvent)
    with pytest.raises(UserError) as err:
        handoffs.transition(receiver, h.id, "return", note=f"対象外{NEL}", alternative="生活福祉課")
    assert err.value.message == sentence("メモ", "U+0085")
    with pytest.raises(UserError, match=r"「代わりの提案」.*U\+2066"):
        handoffs.transition(receiver, h.id, "return", note="対象外", alternative="\u2066生活福祉課")
    assert count(worker, HandoffEvent) == events

    with worker.store.read() as s:
        (c,) = consent.active_consents(s, saved.case_id)
    with pytest.raises(UserError) as err:
        consent.withdraw(worker, c.id, reason=f"本人の{BOM}申し出")
    assert err.value.message == sentence("撤回の理由", "U+FEFF")
    assert count(worker, ConsentWithdrawal) == 0


def test_admin_names_are_refused(signed):
    before = [count(signed, m) for m in (Block, Agency, Staff)]
    with pytest.raises(UserError) as err:
        admin.create_block(signed, f"北部{RLO}")
    assert err.value.message == sentence("ブロック名", "U+202E") and err.value.field == "name"
    with pytest.raises(UserError, match=r"「機関名」.*U\+009B"):
        admin.save_agency(signed, f"{CSI}地域包括", ["高齢"])
    with pytest.raises(UserError, match=r"「連絡先」.*U\+200B"):
        admin.save_agency(signed, "地域包括", ["高齢"], contact=f"084{ZWSP}")
    with pytest.raises(UserError, match=r"「氏名」.*U\+2069"):
        admin.create_staff(signed, "u99", "山田\u2069", "福祉総務課", ["受付"], "long-password-1")
    with pytest.raises(UserError, match=r"「ログインID」.*U\+001B"):
        admin.create_staff(signed, "u\x1b99", "山田", "福祉総務課", ["受付"], "long-password-1")
    assert [count(signed, m) for m in (Block, Agency, Staff)] == before


def test_meeting_and_plan_texts_are_refused(meeting_template, ws_dir):
    from meetings_data import meeting_world_copy

    world = meeting_world_copy(meeting_template, ws_dir)
    signed = world.signed
    try:
        sessions = count(signed, MeetingSession)
        with pytest.raises(UserError) as err:
            meetings.create_session(signed, f"支援会議{RLO}", "R7.6.1", parts=[("支援会議", "")])
        assert err.value.message == sentence("会議名", "U+202E")
        with pytest.raises(UserError, match=r"「場所」.*U\+0085"):
            meetings.create_session(signed, "支援会議", "R7.6.1", place=f"会議室{NEL}",
                                    parts=[("支援会議", "")])
        with pytest.raises(UserError, match=r"「部の名前」.*U\+FEFF"):
            meetings.create_session(signed, "支援会議", "R7.6.1", parts=[("支援会議", f"{BOM}第1部")])
        assert count(signed, MeetingSession) == sessions

        with signed.store.read() as s:
            case_id = s.scalar(select(Case.id).order_by(Case.id).limit(1))
        plan_id = plans.create_plan(signed, case_id)
        data = plans.get_plan(signed, plan_id).data
        with pytest.raises(UserError) as err:
            plans.save_version(signed, plan_id, {**data, "policy": f"見守り{RLI}"})
        assert err.value.message == sentence("総合的な支援の方針", "U+2067")
        assert err.value.field == "policy"
        with pytest.raises(UserError, match=r"課題の整理の1行目.*U\+202E"):
            plans.save_version(signed, plan_id, {**data, "issues": [{"issue": f"孤立{RLO}"}]})
        assert plans.get_plan(signed, plan_id).version == 1
    finally:
        if signed.store._lock is not None:
            signed.close()
