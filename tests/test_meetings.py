"""Meetings: kind rules, agenda, re-check at export, decisions → plan version 合意, minutes, CLI."""

from __future__ import annotations

import json
import subprocess
from datetime import date

import pytest
from conftest import ADMIN_PASSWORD
from meetings_data import meeting_world_copy
from office import docx_to_pdf
from sqlalchemy import select

from kodoku_desk.cli import main
from kodoku_desk.errors import UserError
from kodoku_desk.models import AuditEntry, Case, ConsentWithdrawal, MeetingDecision
from kodoku_desk.queries import meeting_views
from kodoku_desk.services import meeting_packets, meetings, plans


@pytest.fixture
def world(meeting_template, ws_dir):
    world = meeting_world_copy(meeting_template, ws_dir)
    yield world
    if world.signed.store._lock is not None:
        world.signed.close()


def test_juso_meeting_refuses_cases_without_meeting_consent_naming_case_and_why(world):
    signed, cases = world.signed, world.cases
    with pytest.raises(UserError) as err:
        meetings.add_case(signed, world.juso_part, cases["suzuki"])
    assert "K-2025-0002（鈴木 一郎）" in err.value.message
    assert "重層的支援会議で扱えません" in err.value.message
    assert "同意が記録されていません" in err.value.message
    with pytest.raises(UserError) as err:
        meetings.add_case(signed, world.juso_part, cases["tanaka"])
    assert "撤回されています" in err.value.message and "田中 恵子" in err.value.message
    with signed.store.read() as s:
        refused = s.scalars(select(AuditEntry).where(AuditEntry.action == "agenda_refused")).all()
    assert len(refused) == 2
    juso = meetings.can_add(signed, "重層的支援会議", list(cases.values()))
    assert juso[cases["yamada"]] == "" and "同意" in juso[cases["suzuki"]]
    assert "撤回" in juso[cases["tanaka"]]
    # 支援会議 (社会福祉法 第106条の6) accepts any case.
    assert set(meetings.can_add(signed, "支援会議", list(cases.values())).values()) == {""}


def test_consent_given_only_for_agencies_does_not_cover_the_meeting(world):
    from kodoku_desk.models import Consent

    signed, cases = world.signed, world.cases
    with signed.store.write() as s:
        s.add(Consent(case_id=cases["suzuki"], given=True, scope_fields=["子ども"],
                      covers_meetings=False, method="口頭", given_on=date(2025, 4, 1),
                      recorded_by=signed.actor.staff_id))
    with pytest.raises(UserError, match="会議での共有が含まれていません"):
        meetings.add_case(signed, world.juso_part, cases["suzuki"])


def test_session_view_lists_parts_members_agenda_and_duplicate_is_refused(world):
    signed = world.signed
    view = meeting_views.get_session(signed, world.session_id)
    assert [p.kind for p in view.parts] == ["重層的支援会議", "支援会議"]
    assert view.parts[0].members[1].label == "民生 委員（民生委員・児童委員協議会）"
    assert [a.case_no for a in view.parts[1].agenda] == ["K-2025-0002", "K-2025-0003"]
    assert view.parts[1].rule.secrecy_notice.startswith("本資料は社会福祉法第106条の6")
    assert view.case_count == 3
    with pytest.raises(UserError, match="すでにこの部の議題"):
        meetings.add_case(signed, world.shien_part, world.cases["suzuki"])
    rows = meeting_views.list_sessions(signed)
    assert rows[0].held_on_wareki == "令和7年6月10日" and rows[0].cases == 3


def test_bad_session_input_gets_sentences(world):
    signed = world.signed
    with pytest.raises(UserError, match="会議名"):
        meetings.create_session(signed, " ", "R7.6.1", parts=[("支援会議", "")])
    with pytest.raises(UserError, match="種類「夕食会」"):
        meetings.create_session(signed, "x", "R7.6.1", parts=[("夕食会", "")])
    with pytest.raises(UserError, match="令和元年4月1日"):
        meetings.create_session(signed, "x", "令和元年4月1日", parts=[("支援会議", "")])
    with pytest.raises(UserError, match="時刻"):
        meetings.create_session(signed, "x", "R7.6.1", start_time="25:00", parts=[("支援会議", "")])
    with pytest.raises(UserError, match="部"):
        meetings.create_session(signed, "x", "R7.6.1")


def test_withdrawal_or_deletion_after_agenda_is_caught_at_export(world, tmp_path):
    signed, cases = world.signed, world.cases
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    from kodoku_desk.models import Consent

    with signed.store.write() as s:
        consent = s.scalar(select(Consent).where(Consent.case_id == cases["yamada"]))
        s.add(ConsentWithdrawal(consent_id=consent.id, withdrawn_on=date(2025, 6, 1),
                                reason="本人の申し出", recorded_by=signed.actor.staff_id))
    view = meeting_views.get_session(signed, world.session_id)
    assert "撤回されています" in view.parts[0].agenda[0].problem
    out = tmp_path / "packet.pdf"
    with pytest.raises(UserError) as err:
        meeting_packets.export_packet(signed, world.session_id, "pdf", out)
    assert "K-2025-0001（山田 太郎）" in err.value.message and "撤回" in err.value.message
    assert not out.exists()

    meetings.remove_case(signed, world.juso_part, cases["yamada"])
    with signed.store.write() as s:
        s.get(Case, cases["suzuki"]).deleted = True
    with pytest.raises(UserError, match="K-2025-0002（鈴木 一郎）は削除されています"):
        meeting_packets.export_packet(signed, world.session_id, "pdf", out)
    assert list(tmp_path.iterdir()) == []


def test_meeting_without_cases_is_a_sentence(world, tmp_path):
    signed = world.signed
    sid = meetings.create_session(signed, "空の会議", "R7.7.1", parts=[("支援会議", "")])
    with pytest.raises(UserError, match="議題のケースがありません"):
        meeting_packets.export_packet(signed, sid, "pdf", tmp_path / "x.pdf")


def test_decision_creates_agreed_plan_version_and_minutes(world, tmp_path):
    signed, cases = world.signed, world.cases
    roles = [{"what": "デイサービス調整", "agency": "北部地域包括支援センター", "person": "ケアマネ",
              "frequency": "週1回", "period": "3か月"},
             {"what": "就労準備支援", "agency": "自立相談支援機関", "person": "", "frequency": "",
              "period": ""}]
    row = meetings.record_decision(signed, world.juso_part, cases["yamada"],
                                   "母のデイサービス利用を開始し、本人は就労準備支援へ。", roles,
                                   "令和7年9月1日")
    assert row.plan_version == 2 and row.next_review_on == date(2025, 9, 1)
    assert {c["change"] for c in row.role_changes} == {"変更"}
    plan = plans.get_plan(signed, row.plan_id)
    assert plan.status == "合意" and plan.data["monitoring_on"] == "2025-09-01"
    assert plan.data["roles"][0]["what"] == "デイサービス調整"
    assert "就労準備支援へ" in plan.versions[-1].note
    assert [e.to_status for e in plan.events if e.kind == "状態変更"] == ["会議提出", "合意"]
    with pytest.raises(UserError, match="議題にありません"):
        meetings.record_decision(signed, world.shien_part, cases["yamada"], "x")
    with pytest.raises(UserError, match="決定事項を入力"):
        meetings.record_decision(signed, world.juso_part, cases["yamada"], " ")

    out = tmp_path / "議事録.docx"
    meeting_packets.export_minutes(signed, world.session_id, out)
    text = _docx_text(out, tmp_path)
    assert "議事録" in text and "母のデイサービス利用を開始し" in text
    assert "令和7年9月1日" in text and "デイサービス調整" in text
    with signed.store.read() as s:
        assert s.scalar(select(MeetingDecision.plan_version_id)) is not None


def _docx_text(path, tmp_path) -> str:
    pdf = docx_to_pdf(path, tmp_path / "lo")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return "".join(text.split())  # LibreOffice spaces digits from kanji: compare without spaces


def test_cli_meeting_list_and_packet(world, tmp_path, monkeypatch, capsys):
    signed, folder = world.signed, world.signed.folder
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    empty = meetings.create_session(signed, "空の会議", "R7.7.1", parts=[("支援会議", "")])
    signed.close()
    monkeypatch.setenv("KODOKU_PASSWORD", ADMIN_PASSWORD)
    base = ["--workspace", str(folder), "--user", "admin"]

    assert main(["meeting", "list", *base, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["title"] == "6月 合同会議" and rows[0]["kinds"] == ["重層的支援会議", "支援会議"]

    out = tmp_path / "packet.pdf"
    assert main(["packet", *base, "--meeting", str(world.session_id), "--format", "pdf",
                 "--out", str(out)]) == 0
    assert "写し 3 部" in capsys.readouterr().out and out.exists()

    assert main(["packet", *base, "--meeting", str(empty), "--format", "pdf",
                 "--out", str(tmp_path / "empty.pdf")]) == 1
    assert "議題のケースがありません" in capsys.readouterr().err
    assert main(["packet", *base, "--meeting", str(world.session_id), "--format", "docx",
                 "--out", str(tmp_path / "nowhere" / "p.docx")]) == 1
    assert "フォルダ" in capsys.readouterr().err
    assert main(["packet", *base, "--meeting", "999", "--format", "pdf",
                 "--out", str(tmp_path / "x.pdf")]) == 1
    assert "会議 999 は見つかりません" in capsys.readouterr().err
    assert main(["packet", *base, "--meeting", str(world.session_id), "--format", "pdf",
                 "--password-env", "NO_SUCH_VAR_X", "--out", str(tmp_path / "y.pdf")]) == 1
    assert "NO_SUCH_VAR_X" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["packet.pdf"]


def test_demo_meetings_cover_every_kind_and_a_case_without_consent(demo_org, tmp_path):
    from meetings_data import SUZUKI, TANAKA, YAMADA, make_case
    from workspace_templates import open_copy

    from kodoku_devtools.meetings_demo import create_demo_meetings

    signed = open_copy(demo_org, tmp_path / "demo")  # as create_demo(cases=0) returned it
    try:
        for i in range(9):
            make_case(signed, (YAMADA, SUZUKI, TANAKA)[i % 3], i + 1)
        ids = create_demo_meetings(signed, seed=3)
        kinds = {p.kind: p for sid in ids for p in meeting_views.get_session(signed, sid).parts}
        assert set(kinds) == {"重層的支援会議", "支援会議", "支援者支援会議", "地域協議会"}
        assert all(kinds[k].agenda and kinds[k].members for k in kinds)
        assert all(a.problem == "" for p in kinds.values() for a in p.agenda)
        names = {a.person_name for a in kinds["支援会議"].agenda}
        assert names & {"鈴木 一郎", "田中 恵子"}  # cases without consent
        assert {a.person_name for a in kinds["重層的支援会議"].agenda} == {"山田 太郎"}
    finally:
        signed.close()


def test_second_decision_and_decision_on_running_plan_keep_the_lifecycle(world):
    signed, cases = world.signed, world.cases
    first = meetings.record_decision(signed, world.juso_part, cases["yamada"], "方針に合意")
    again = meetings.record_decision(signed, world.juso_part, cases["yamada"], "役割を修正")
    assert (first.plan_id, again.plan_version) == (again.plan_id, first.plan_version + 1)
    plans.request_approval(signed, first.plan_id)
    plans.approve(signed, first.plan_id)
    plans.change_status(signed, first.plan_id, "実施中")
    third = meetings.record_decision(signed, world.juso_part, cases["yamada"], "見直し",
                                     next_review_on="R7.12.1")
    view = plans.get_plan(signed, third.plan_id)
    assert view.status == "合意" and view.approval == ""
    assert [e.to_status for e in view.events if e.kind == "状態変更"][-3:] == ["評価", "会議提出", "合意"]


def test_session_editing_and_access(world):
    from kodoku_desk.domain.actor import Actor
    from kodoku_desk.errors import AccessDenied
    from kodoku_desk.models import Staff
    from kodoku_desk.services.auth import Signed

    signed = world.signed
    meetings.update_session(signed, world.session_id, "6月 合同会議（変更）", "R7.6.11",
                            start_time="14:00", place="会議室B")
    part = meetings.add_part(signed, world.session_id, "地域協議会", "孤独・孤立")
    view = meeting_views.get_session(signed, world.session_id)
    assert view.title.endswith("（変更）") and view.held_on == date(2025, 6, 11)
    assert [p.seq for p in view.parts] == [1, 2, 3]
    meetings.remove_part(signed, part)
    assert len(meeting_views.get_session(signed, world.session_id).parts) == 2
    meetings.record_decision(signed, world.juso_part, world.cases["yamada"], "合意")
    with pytest.raises(UserError, match="決定事項を記録した部"):
        meetings.remove_part(signed, world.juso_part)
    with signed.store.write() as s:
        s.add(Staff(login="uke", display_name="受付 花", agency_id=signed.actor.agency_id,
                    roles=["intake"]))
    with signed.store.read() as s:
        staff = s.scalar(select(Staff).where(Staff.login == "uke"))
        s.refresh(staff, ["agency"])
        intake = Signed(signed.store, Actor.of(staff))
    with pytest.raises(AccessDenied):
        meeting_views.list_sessions(intake)
    with pytest.raises(AccessDenied):
        meeting_packets.export_packet(intake, world.session_id, "pdf", "/tmp/never.pdf")


def test_candidate_cases_for_the_picker_say_which_the_kind_accepts(world):
    rows = meeting_views.candidate_cases(world.signed, world.juso_part)
    by_no = {r.case_no: r for r in rows}
    assert by_no["K-2025-0001"].on_agenda and by_no["K-2025-0001"].refusal == ""
    assert "同意" in by_no["K-2025-0002"].refusal and not by_no["K-2025-0002"].on_agenda
    assert [r.case_no for r in meeting_views.candidate_cases(world.signed, world.juso_part,
                                                        "ｽｽﾞｷ")] == ["K-2025-0002"]
    assert [r.case_no for r in meeting_views.candidate_cases(world.signed, world.shien_part,
                                                        "090-3333")] == ["K-2025-0003"]
