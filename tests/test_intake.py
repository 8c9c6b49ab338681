"""Intake: saving a sheet with everything in one unit of work, validation with Japanese messages,
duplicates (never merged), search normalisation, dates, attachments."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pytest
from intake_data import agency_id, as_staff_of, household_8050
from sqlalchemy import func, select
from workspace_templates import open_copy

from kodoku_desk.domain.dates import parse_date
from kodoku_desk.domain.template import load_template, validate_answers
from kodoku_desk.errors import AccessDenied, UserError
from kodoku_desk.models import (
    Attachment,
    AuditEntry,
    Case,
    CaseField,
    Consent,
    Handoff,
    HouseholdMember,
    Person,
    RoutingDecision,
    Sheet,
)
from kodoku_desk.services import attachments, intake
from kodoku_desk.services.attachments import AttachmentInput
from kodoku_desk.services.handoffs import SendInput
from kodoku_desk.services.intake import MemberInput, PersonInput, RoutingChoice

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n%...\n"


@pytest.fixture
def worker(north_template, tmp_path):
    s = open_copy(north_template, tmp_path / "ws")  # u01, 北部地域包括支援センター
    yield s
    s.close()


def count(signed, model) -> int:
    with signed.store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_save_8050_household_in_one_unit(worker):
    saved = intake.save_intake(worker, household_8050(worker))
    assert saved.case_no.endswith("-000001") and len(saved.case_no) == 11
    assert saved.multi_agency and not saved.urgent_path
    assert saved.fields == ("高齢", "生活困窮", "健康")
    with worker.store.read() as s:
        case = s.get(Case, saved.case_id)
        assert case.owner_agency_id == worker.actor.agency_id and case.urgency == "高"
        assert case.discovery == "民生委員・児童委員"
        assert case.search_text.split("|")[1:3] == ["福山とめ", "ふくやまとめ"]
        assert sorted(s.scalars(select(CaseField.field).where(CaseField.case_id == case.id))) == \
            sorted(["高齢", "生活困窮", "健康"])
        (member,) = s.scalars(select(HouseholdMember).where(HouseholdMember.case_id == case.id))
        assert member.relation == "長男" and member.flags == ["ひきこもり"]
        assert member.person.kana_key == "ふくやまいちろう"
        sheet = s.get(Sheet, saved.sheet_id)
        assert sheet.template_version == load_template().version
        assert sheet.worries == ["介護", "本人や家族のひきこもり", "収入・生活費"]
        assert sheet.most_pressing == "本人や家族のひきこもり"
        assert sheet.answers["wishes"] == "息子の将来が心配です"
        decisions = list(s.scalars(select(RoutingDecision).where(RoutingDecision.sheet_id == sheet.id)))
        assert {d.field for d in decisions} == {"高齢", "生活困窮", "健康"}
        assert all(d.status == "confirmed" and d.reason for d in decisions)
        (consent,) = s.scalars(select(Consent).where(Consent.case_id == case.id))
        assert consent.scope_fields == ["生活困窮", "健康"] and consent.method == "署名"
        assert len(saved.handoff_ids) == 2
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert "intake_save" in actions and actions.count("handoff_send") == 2
        assert "consent_record" in actions


def test_worker_routing_choices_are_kept_with_reasons(worker):
    social = agency_id(worker, "社会福祉協議会")
    choices = [RoutingChoice("健康", agency_id(worker, "健康推進課「ふきのとう」"), "困りごと「ひきこもり」"),
               RoutingChoice("生活困窮", agency_id(worker, "自立相談支援機関"), "困りごと「収入・生活費」",
                             status="removed", removed_reason="すでに生活保護を受給中"),
               RoutingChoice("参加支援", social, "近所づきあいがない", source="worker")]
    saved = intake.save_intake(worker, household_8050(worker, routing=choices, handoffs=[]))
    with worker.store.read() as s:
        rows = {d.field: d for d in s.scalars(select(RoutingDecision))}
        assert rows["生活困窮"].status == "removed"
        assert rows["生活困窮"].reason == "困りごと「収入・生活費」"
        assert rows["生活困窮"].removed_reason == "すでに生活保護を受給中"
        assert rows["参加支援"].source == "worker"
        assert s.get(Case, saved.case_id).fields == ["健康", "参加支援"]
    with pytest.raises(UserError, match="理由を書いて"):
        intake.save_intake(worker, household_8050(worker, routing=[
            RoutingChoice("参加支援", social, "", source="worker")], handoffs=[]))


def test_dv_puts_case_on_urgent_path(worker):
    data = household_8050(worker, worries=["DV・虐待"], most_pressing="DV・虐待", handoffs=[],
                          household=[MemberInput("長女", "福山 花", "ふくやま はな", date(2016, 1, 1))])
    saved = intake.save_intake(worker, data)
    assert saved.urgent_path
    with worker.store.read() as s:
        assert s.get(Case, saved.case_id).urgent_path


def test_duplicates_are_flagged_never_merged(worker):
    first = intake.save_intake(worker, household_8050(worker, handoffs=[]))
    with worker.store.read() as s:
        matches = intake.likely_duplicates(s, "ﾌｸﾔﾏ　ﾄﾒ", date(1943, 5, 1))
        assert [m.person_id for m in matches] == [first.person_id]
        assert matches[0].why == ("ふりがなと生年月日が同じ",)
        assert matches[0].case_nos == (first.case_no,)
        by_phone = intake.likely_duplicates(s, "", None, "０８４（９００）０００１")
        assert by_phone[0].why == ("電話番号が同じ",)
        assert intake.likely_duplicates(s, "ふくやまとめ", date(1943, 5, 2)) == []
    second = intake.save_intake(worker, household_8050(worker, handoffs=[]))
    assert second.person_id != first.person_id  # the worker did not choose the existing person
    third = intake.save_intake(worker, household_8050(
        worker, handoffs=[], person=PersonInput(person_id=first.person_id)))
    assert third.person_id == first.person_id and third.case_id != first.case_id


@pytest.mark.parametrize("query", ["ﾌｸﾔﾏ", "フクヤマ", "ふくやま", "ふくやま　とめ", "福山 トメ", "福山トメ"])
def test_search_ignores_width_kana_and_spaces(worker, query):
    intake.save_intake(worker, household_8050(worker, handoffs=[]))
    with worker.store.read() as s:
        names = [m.name for m in intake.search_people(s, query)]
    assert "福山 トメ" in names


def test_search_by_phone_with_full_width_digits_and_birth_date(worker):
    intake.save_intake(worker, household_8050(worker, handoffs=[]))
    found = intake.find_people(worker, phone="０８４−９００−０００１")
    assert [m.name for m in found] == ["福山 トメ"]
    with worker.store.read() as s:
        assert [m.name for m in intake.search_people(s, birth_date=date(1972, 3, 3))] == ["福山 一郎"]
        assert intake.search_people(s) == []


@pytest.mark.parametrize("text, expected", [
    ("令和7年4月1日", date(2025, 4, 1)), ("R7.4.1", date(2025, 4, 1)), ("r7/4/1", date(2025, 4, 1)),
    ("２０２５－０４－０１", date(2025, 4, 1)), ("令和元年5月1日", date(2019, 5, 1)),
    ("平成31年4月30日", date(2019, 4, 30)), ("昭和64年1月7日", date(1989, 1, 7)),
    ("Ｒ７．４．１", date(2025, 4, 1)),
])
def test_wareki_accepted(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, fragment", [
    ("令和元年4月1日", "令和になる前"), ("平成31年5月1日", "令和の日付"), ("令和7年2月30日", "存在しない"),
    ("きのう", "日付として読めません"),
])
def test_wareki_refused_with_a_sentence(text, fragment):
    with pytest.raises(UserError, match=fragment):
        parse_date(text, field="entry_date")


def test_invalid_date_in_answers_names_the_field():
    with pytest.raises(UserError) as err:
        validate_answers({"entry_date": "令和元年4月1日"})
    assert err.value.field == "entry_date"
    assert validate_answers({"entry_date": "R7.4.1"}) == {"entry_date": "2025-04-01"}


BAD_INPUTS = [
    ({"worries": ["宇宙人"]}, "困りごと「宇宙人」", "worries"),
    ({"answers": {"favourite_colour": "青"}}, "favourite_colour", "favourite_colour"),
    ({"answers": {"wishes": "たすけて\x07"}}, "制御文字", "wishes"),
    ({"answers": {"wishes": "あ" * 3_500_000}}, "長すぎます", "wishes"),
    ({"answers": {"employment": "宇宙飛行士"}}, "宇宙飛行士", "employment"),
    ({"person": PersonInput(name="山田\x00花子")}, "制御文字", "person.name"),
    ({"person": PersonInput()}, "氏名かふりがな", "person.name"),
    ({"urgency": "最優先"}, "緊急度", "urgency"),
    ({"method": "伝書鳩"}, "受付方法", "method"),
    ({"household": [MemberInput("")]}, "続柄", "household[0].relation"),
    ({"household": [MemberInput("母", flags=["元気"])]}, "元気", "household[0].flags"),
    ({"handoffs": [SendInput(99999, "理由", share=["basic"])]}, "つなぎ先 1", "handoffs[0].to"),
    ({"handoffs": [SendInput(None, "理由", share=["basic"])]}, "つなぎ先 1", "handoffs[0].to"),
]


@pytest.mark.parametrize("change, fragment, field", BAD_INPUTS)
def test_bad_input_is_refused_and_nothing_saved(worker, change, fragment, field):
    before = (count(worker, Case), count(worker, Person), count(worker, Handoff))
    with pytest.raises(UserError) as err:
        intake.save_intake(worker, household_8050(worker, **change))
    assert fragment in err.value.message
    assert err.value.field == field
    assert (count(worker, Case), count(worker, Person), count(worker, Handoff)) == before


def test_second_handoff_failing_rolls_back_everything(worker):
    data = household_8050(worker)
    data.handoffs.append(SendInput(agency_id(worker, "障がい福祉課"), "手帳", share=["basic"]))
    with pytest.raises(UserError, match="つなぎ先 3: 「障がい福祉課」は本人の同意の範囲"):
        intake.save_intake(worker, data)
    assert count(worker, Case) == count(worker, Sheet) == count(worker, Handoff) == 0
    assert count(worker, Person) == 0 and count(worker, Consent) == 0


def test_other_agency_intake_needs_permission(worker):
    with pytest.raises(AccessDenied):
        intake.save_intake(worker, household_8050(worker, agency_id=agency_id(worker, "生活福祉課"),
                                                  handoffs=[]))


def test_attachments_stored_inside_database(worker):
    data = household_8050(worker, attachments=[AttachmentInput("page1.png", PNG)],
                          consent_attachment=AttachmentInput("同意書.pdf", PDF))
    saved = intake.save_intake(worker, data)
    with worker.store.read() as s:
        rows = {a.filename: a for a in s.scalars(select(Attachment))}
        assert rows["page1.png"].sha256 == hashlib.sha256(PNG).hexdigest()
        assert rows["page1.png"].mime == "image/png" and rows["page1.png"].sheet_id == saved.sheet_id
        consent = s.scalar(select(Consent))
        assert consent.attachment_id == rows["同意書.pdf"].id and rows["同意書.pdf"].kind == "consent"
    name, mime, body = attachments.content(worker, rows["同意書.pdf"].id)
    assert (name, mime, body) == ("同意書.pdf", "application/pdf", PDF)
    assert not any(p.suffix in (".png", ".pdf") for p in worker.folder.rglob("*"))


@pytest.mark.parametrize("name, data, fragment", [
    ("scan.pdf", PNG, "中身は image/png"),
    ("scan.png", b"MZ\x90\x00 not an image", "どれでもありません"),
    ("scan.exe", PNG, "添付できない種類"),
    ("scan.jpg", b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024), "大きすぎます"),
    ("empty.pdf", b"", "空のファイル"),
])
def test_bad_attachments_refused(worker, name, data, fragment):
    with pytest.raises(UserError, match=fragment):
        intake.save_intake(worker, household_8050(worker, attachments=[AttachmentInput(name, data)]))
    assert count(worker, Case) == 0


def test_add_attachment_later_and_receiver_scope(worker):
    saved = intake.save_intake(worker, household_8050(worker))
    aid = attachments.add(worker, saved.case_id, AttachmentInput("追加.jpg", b"\xff\xd8\xff\xe0" + b"1" * 10),
                          saved.sheet_id)
    with worker.store.read() as s:
        assert [a.id for a in attachments.list_for_case(s, saved.case_id)] == [aid]
    stranger = as_staff_of(worker, "児童相談所")
    with pytest.raises(AccessDenied):
        attachments.add(stranger, saved.case_id, AttachmentInput("x.png", PNG))


def test_case_numbers_run_per_year(worker):
    with worker.store.write() as s:
        assert intake.next_case_no(s, 2025) == "2025-000001"
        p = Person(name="x")
        s.add(p)
        s.flush()
        s.add(Case(case_no="2025-000122", person_id=p.id, owner_agency_id=worker.actor.agency_id))
        s.flush()
        assert intake.next_case_no(s, 2025) == "2025-000123"
        assert intake.next_case_no(s, 2026) == "2026-000001"
        s.rollback()


def test_second_sheet_on_existing_case_keeps_household_once(worker):
    first = intake.save_intake(worker, household_8050(worker, handoffs=[]))
    again = intake.save_intake(worker, household_8050(
        worker, handoffs=[], case_id=first.case_id, person=PersonInput(person_id=first.person_id),
        worries=["借金"]))
    assert again.case_id == first.case_id and again.sheet_id != first.sheet_id
    with worker.store.read() as s:
        assert s.scalar(select(func.count()).select_from(HouseholdMember)) == 1
        assert "生活困窮" in s.get(Case, first.case_id).fields
    with pytest.raises(UserError, match="本人と、入力された本人が違います"):
        intake.save_intake(worker, household_8050(worker, handoffs=[], case_id=first.case_id))


def test_workspace_rules_file_overrides_the_defaults(worker):
    import json

    rules = {"rules": [{"id": "care_only", "field": "高齢", "when": {"worries_any": ["介護"]},
                        "reason": "市の独自ルール", "to": [{"name": "介護保険課"}]}]}
    (worker.folder / "routing_rules.json").write_text(json.dumps(rules, ensure_ascii=False),
                                                       encoding="utf-8")
    saved = intake.save_intake(worker, household_8050(worker, handoffs=[]))
    assert saved.fields == ("高齢",) and not saved.multi_agency
    with worker.store.read() as s:
        (d,) = s.scalars(select(RoutingDecision))
        assert d.reason == "市の独自ルール"
    (worker.folder / "routing_rules.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(UserError, match="routing_rules.json の 1 行"):
        intake.save_intake(worker, household_8050(worker, handoffs=[]))


def test_people_found_across_agencies_show_only_what_the_worker_may_see(worker):
    first = intake.save_intake(worker, household_8050(worker, handoffs=[]))
    own = intake.find_people(worker, "ふくやまとめ")
    assert own[0].phone == "084-900-0001" and own[0].case_nos == (first.case_no,)
    stranger = as_staff_of(worker, "児童相談所")
    (m,) = intake.find_people(stranger, "ふくやまとめ")
    assert (m.name, m.birth_date) == ("福山 トメ", date(1943, 5, 1))
    assert m.phone == "" and m.address == "" and m.case_ids == ()
    assert m.case_nos == ("他機関で相談歴あり",)
    (d,) = intake.check_duplicates(stranger, "ふくやま とめ", date(1943, 5, 1))
    assert d.person_id == first.person_id and d.address == ""


# --- people search from the indexes (issue 5) -----------------------------------------------------

def _names(found) -> list[str]:
    return [m.name for m in found]


@pytest.mark.parametrize("query", ["福山", "ふくやま", "ﾌｸ", "福", "ふく"])
def test_short_names_find_the_whole_household_in_kana_order(worker, query):
    intake.save_intake(worker, household_8050(worker, handoffs=[]))
    # 一郎 (いちろう) sorts before トメ (とめ): the order is the stored ふりがな, then id
    assert _names(intake.find_people(worker, query)) == ["福山 一郎", "福山 トメ"]


@pytest.mark.parametrize("query, expected", [("とめ", ["福山 トメ"]), ("一郎", ["福山 一郎"]),
                                             ("郎", ["福山 一郎"]), ("ﾄﾒ", ["福山 トメ"]),
                                             ("やまとめ", ["福山 トメ"]), ("ちろう", ["福山 一郎"])])
def test_names_match_anywhere_inside_the_key(worker, query, expected):
    intake.save_intake(worker, household_8050(worker, handoffs=[]))
    assert _names(intake.find_people(worker, query)) == expected


@pytest.mark.parametrize("phone", ["0001", "０００１", "900-0001", "084(900)0001", "01"])
def test_phone_fragments_and_forms(worker, phone):
    intake.save_intake(worker, household_8050(worker, handoffs=[]))
    assert _names(intake.find_people(worker, phone=phone)) == ["福山 トメ"]
    assert intake.find_people(worker, phone="0002") == []


def test_people_search_criteria_combine_and_are_audited(worker):
    intake.save_intake(worker, household_8050(worker, handoffs=[]))
    assert _names(intake.find_people(worker, "福山", date(1972, 3, 3))) == ["福山 一郎"]
    assert intake.find_people(worker, "福山", phone="0001")[0].name == "福山 トメ"
    assert intake.find_people(worker, "とめ", phone="0002") == []
    with worker.store.read() as s:
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "search_person")
                            .order_by(AuditEntry.id)).all()
        details = [json.loads(e.detail) for e in entries]
    assert [d["hits"] for d in details] == [1, 1, 0]
    assert details[1]["criteria"] == ["name", "phone"]


@pytest.mark.parametrize("query", ['"', 'ふく"やま', "AND", "OR", "NEAR(ふく)", "*", "ふく*", "^ふく",
                                   "{name_key}:ふく", "%", "_", "\\", "ふく%"])
def test_query_syntax_characters_are_only_text(worker, query):
    intake.save_intake(worker, household_8050(worker, handoffs=[]))
    assert intake.find_people(worker, query) == []  # never raises: a quoted, escaped literal


def test_people_index_follows_the_intake_service(worker):
    assert intake.find_people(worker, "備後") == []
    saved = intake.save_intake(worker, household_8050(
        worker, handoffs=[], person=PersonInput(name="備後 花", kana="びんご はな"),
        household=[MemberInput("夫", "備後 太", "びんご ふとし", date(1950, 1, 1))]))
    assert _names(intake.find_people(worker, "備後")) == ["備後 花", "備後 太"]  # は < ふ
    assert intake.find_people(worker, phone="7777") == []
    data = household_8050(worker, handoffs=[], household=[], case_id=saved.case_id,
                          person=PersonInput(person_id=saved.person_id, phone="084-555-7777"))
    intake.save_intake(worker, data)
    assert _names(intake.find_people(worker, phone="7777")) == ["備後 花"]
    assert _names(intake.find_people(worker, "びんごは")) == ["備後 花"]


def test_a_signed_consent_page_without_a_consent_is_refused_not_dropped(worker):
    """The scan of a signed consent is kept with its consent record: attached alone it would
    have been checked and then silently not saved."""
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    data = household_8050(worker, consent=None, handoffs=[],
                          consent_attachment=AttachmentInput("同意書.png", png))
    with pytest.raises(UserError, match="同意の記録") as err:
        intake.save_intake(worker, data)
    assert err.value.field == "consent"
    assert count(worker, Attachment) == 0
