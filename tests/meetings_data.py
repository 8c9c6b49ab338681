"""Test data for plans, meetings and packets, built with the models in one write() session."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from workspace_templates import Template, keep, open_copy

from kodoku_desk.domain.text import case_search_text, phone_key, search_key
from kodoku_desk.models import (
    Agency,
    Case,
    Consent,
    ConsentWithdrawal,
    Handoff,
    HandoffEvent,
    HouseholdMember,
    Person,
    Sheet,
    Staff,
)
from kodoku_desk.models.handoffs import ACCEPTED, ACKNOWLEDGED, DONE, SENT
from kodoku_desk.services import indexing, sharing


@dataclass
class PersonSpec:
    name: str
    kana: str
    birth: date
    address: str = ""
    phone: str = ""
    relation: str = ""
    flags: list[str] = field(default_factory=list)


@dataclass
class CaseSpec:
    person: PersonSpec
    household: list[PersonSpec] = field(default_factory=list)
    consent: str = "meetings"  # meetings / agencies / none / withdrawn
    worries: list[str] = field(default_factory=lambda: ["介護", "収入・生活費"])
    wishes: str = ""
    notes: str = ""
    answers: dict = field(default_factory=dict)  # further sheet answers (visitor, mobile …)


def setup_org(signed) -> dict[str, int]:
    """Two more agencies and a supervisor and a coordinator; returns agency ids by name."""
    with signed.store.write() as s:
        names = ["北部地域包括支援センター", "自立相談支援機関", "健康推進課「ふきのとう」"]
        for n in names:
            s.add(Agency(name=n, fields=["高齢"]))
        s.flush()
        ids = {a.name: a.id for a in s.scalars(select(Agency))}
        s.add(Staff(login="super", display_name="監督 一郎", agency_id=ids["福祉総務課"],
                    roles=["supervisor"]))
        s.add(Staff(login="coord", display_name="連携 花子", agency_id=ids["福祉総務課"],
                    roles=["coordinator"]))
        return ids


def make_case(signed, spec: CaseSpec, n: int) -> int:
    actor = signed.actor
    with signed.store.write() as s:
        agencies = {a.name: a.id for a in s.scalars(select(Agency))}
        own = actor.agency_id
        p = _person(spec.person)
        s.add(p)
        s.flush()
        case = Case(case_no=f"K-2025-{n:04d}", person_id=p.id, owner_agency_id=own,
                    fields=["高齢", "生活困窮"], multi_agency=True, urgency="高",
                    search_text=case_search_text(f"K-2025-{n:04d}", p.name, p.kana, p.phone))
        s.add(case)
        s.flush()
        for m in spec.household:
            mp = _person(m)
            s.add(mp)
            s.flush()
            s.add(HouseholdMember(case_id=case.id, person_id=mp.id, relation=m.relation,
                                  flags=m.flags))
        sheet = Sheet(case_id=case.id, template_version="v1", agency_id=own, worker_id=actor.staff_id,
                      method="来所", worries=spec.worries, most_pressing=spec.worries[0],
                      received_at=datetime(2025, 4, 1, 10, 0),
                      answers={"wishes": spec.wishes or "母の介護と自分の仕事のことを相談したい。",
                               "notes": spec.notes,
                               "hearing_care": "母は要介護2。デイサービス未利用。",
                               "hearing_living": "収入は母の年金のみ。", **spec.answers})
        s.add(sheet)
        s.flush()
        if spec.consent != "none":
            c = Consent(case_id=case.id, given=True, scope_fields=["高齢", "生活困窮"],
                        covers_meetings=spec.consent in ("meetings", "withdrawn"),
                        method="署名", given_on=date(2025, 4, 1), recorded_by=actor.staff_id)
            s.add(c)
            s.flush()
            if spec.consent == "withdrawn":
                s.add(ConsentWithdrawal(consent_id=c.id, withdrawn_on=date(2025, 5, 1),
                                        reason="本人の申し出", recorded_by=actor.staff_id))
        states = [(agencies["北部地域包括支援センター"], ACCEPTED),
                  (agencies["自立相談支援機関"], DONE),
                  (agencies["健康推進課「ふきのとう」"], SENT)]
        for to, state in states:
            h = Handoff(case_id=case.id, sheet_id=sheet.id, from_agency_id=own, to_agency_id=to,
                        reason="介護と生活費の相談", request="訪問して状況を確認してください",
                        share=["A", "B"], state=state, due_on=date(2025, 4, 4),
                        sent_at=datetime(2025, 4, 1, 11, 0), created_by=actor.staff_id)
            s.add(h)
            s.flush()
            s.add(HandoffEvent(handoff_id=h.id, to_state=SENT, actor_id=actor.staff_id,
                               agency_id=own, at=datetime(2025, 4, 1, 11, 0)))
            path = {ACCEPTED: [ACKNOWLEDGED, ACCEPTED], DONE: [ACKNOWLEDGED, ACCEPTED, DONE],
                    SENT: []}[state]
            prev = SENT
            for i, st in enumerate(path, 2):
                s.add(HandoffEvent(handoff_id=h.id, from_state=prev, to_state=st,
                                   actor_id=actor.staff_id, agency_id=to,
                                   at=datetime(2025, 4, i, 9, 0), note=f"{st}しました"))
                h.stage_started_at = datetime(2025, 4, i, 9, 0)  # as the services keep it
                prev = st
        # Rows written directly, as the intake service would: keep the search index in step.
        s.flush()
        indexing.index_people(s, [p])
        indexing.index_cases(s, [case.id])
        sharing.snapshot_missing(s)  # what each hand-off disclosed, as 送付 freezes it
        return case.id


def _person(spec: PersonSpec) -> Person:
    return Person(name=spec.name, kana=spec.kana, birth_date=spec.birth, sex="",
                  address=spec.address, phone=spec.phone, name_key=search_key(spec.name),
                  kana_key=search_key(spec.kana), phone_key=phone_key(spec.phone))


YAMADA = CaseSpec(
    PersonSpec("山田 太郎", "やまだ たろう", date(1972, 6, 15), "福山市東桜町3-5", "084-928-1234"),
    [PersonSpec("山田 花子", "やまだ はなこ", date(1943, 2, 3), "福山市東桜町3-5", "084-928-1234",
                "母", ["要介護"])],
    wishes="山田 太郎です。母の山田花子の介護と仕事のことを相談したい。連絡は090-1111-2222へ。",
    notes="花子さんは昭和18年2月3日生まれ。太郎さんは長く就労していない。",
)
SUZUKI = CaseSpec(
    PersonSpec("鈴木 一郎", "すずき いちろう", date(1985, 11, 30), "福山市南町1-2-3", "084-900-5678"),
    [PersonSpec("鈴木 美咲", "すずき みさき", date(2015, 7, 7), "福山市南町1-2-3", "",
                "子", ["18歳未満"])],
    consent="none",
)

TANAKA = CaseSpec(
    PersonSpec("田中 恵子", "たなか けいこ", date(1990, 1, 20), "福山市西町2-8-1", "090-3333-4444"),
    [PersonSpec("田中 翔", "たなか しょう", date(2012, 9, 1), "福山市西町2-8-1", "", "子",
                ["18歳未満", "ひきこもり"])],
    consent="withdrawn",
    worries=["子どもの不登校・ひきこもり", "収入・生活費"],
    notes="翔くんは中学校に通えていない。恵子さんの携帯は０９０－３３３３－４４４４。正男さんとは別居。",
    answers={"visitor_name": "田中 正男", "visitor_relation": "夫",
             "visitor_contact": "080-5555-6666", "phone_mobile": "090-7777-8888"},
)

# The redaction corpus (issue 11): the person's name in every spelling, household members, a
# 来談者, third parties after role words and before honorifics, ordinary words that must stay,
# addresses, phone numbers, birth dates and ages. No one shares the family name 福山, so 福山様 is
# the person; the 吉井 are three people, so 吉井 alone is masked.
FUKUYAMA = CaseSpec(
    PersonSpec("福山 トメ", "ふくやま とめ", date(1944, 3, 5), "福山市霞町1-2-3 ひまわり荘201号室",
               "084-922-3344"),
    [PersonSpec("吉井 和子", "よしい かずこ", date(1970, 8, 9), "福山市霞町1-2-3", "", "長女"),
     PersonSpec("吉井 翔太", "よしい しょうた", date(2010, 4, 2), "", "", "孫", ["18歳未満"])],
    consent="none",
    worries=["介護", "地域・近所との関係"],
    wishes="福山トメです。ふくやま とめ、フクヤマ トメ、ﾌｸﾔﾏﾄﾒ、福山　トメとも書かれます。",
    notes=("トメさんは独居。福山様から電話あり（０８４－９２２－３３４４、携帯090-1234-5678）。"
           "長女の和子さん（ヨシイ カズコ）と孫の翔太くんが週末に来る。娘婿の吉井 正が来談。"
           "隣人の佐藤花子さんが見守り、佐藤さんは毎日声をかけている。民生委員の山本氏、"
           "大家の鈴木が家賃を督促。担任の高田先生とも連絡。友人のマイケルが買い物を手伝う。"
           "お母さんと皆さん、お客様、ヘルパーさん、包括さんにもよろしく。様子を見る。"
           "昭和19年3月5日生まれ、S45.8.9生の長女。孫の生年月日：2010/4/2。令和7年4月1日に訪問。"
           "本人は81歳、長女は55歳、孫は15歳。18歳未満の孫がいる。"
           "住所は霞町1-2-3、旧住所は西町3丁目4番5号。福山市内で暮らす。"),
    answers={"visitor_name": "吉井 正", "visitor_relation": "娘婿",
             "visitor_contact": "080-2222-3333",
             "hearing_social": "近所の人とは疎遠。ひまわり荘の管理人とは話す。"},
)
# What must not survive redaction of FUKUYAMA (squeezed, as pdftotext gives it back).
FUKUYAMA_GONE = ("福山トメ", "ふくやま", "フクヤマ", "ﾌｸﾔﾏ", "トメ", "とめ", "和子", "カズコ", "よしい",
                 "翔太", "吉井", "佐藤", "花子", "山本", "鈴木", "高田", "マイケル", "ひまわり荘",
                 "0849223344", "084-922-3344", "０８４－９２２－３３４４", "090-1234-5678",
                 "080-2222-3333", "1-2-3", "3丁目4番5号", "201号室", "昭和19年3月5日", "S45.8.9",
                 "2010/4/2", "81歳", "55歳", "15歳", "K-2025-0004")
# Ordinary words and town names that must stay as written.
FUKUYAMA_KEPT = ("お母さん", "皆さん", "お客様", "ヘルパーさん", "包括さん", "様子を見る", "福山市内",
                 "令和7年4月1日に訪問", "18歳未満の孫", "霞町（番地以下非表示）", "西町（番地以下非表示）",
                 "近所の人とは疎遠", "福山市霞町（番地以下非表示）")


@dataclass
class MeetingWorld:
    signed: object
    cases: dict[str, int]
    session_id: int
    juso_part: int
    shien_part: int
    agencies: dict[str, int]


def meeting_world(signed) -> MeetingWorld:
    """Three cases (consented, no consent, consent withdrawn) and one session with a
    重層的支援会議 part (consented case) and a 支援会議 part (the case without consent)."""
    from kodoku_desk.queries import meeting_views
    from kodoku_desk.services import meetings

    agencies = setup_org(signed)
    cases = {"yamada": make_case(signed, YAMADA, 1), "suzuki": make_case(signed, SUZUKI, 2),
             "tanaka": make_case(signed, TANAKA, 3)}
    sid = meetings.create_session(signed, "6月 合同会議", "令和7年6月10日", start_time="13:30",
                                  end_time="16:00", place="福山市役所 会議室A", chair="福祉総務課長",
                                  parts=[("重層的支援会議", ""), ("支援会議", "")])
    view = meeting_views.get_session(signed, sid)
    juso, shien = view.parts[0].id, view.parts[1].id
    meetings.set_members(signed, juso, [
        meetings.MemberSpec(agency_id=agencies["北部地域包括支援センター"]),
        meetings.MemberSpec(external_name="民生 委員", external_affiliation="民生委員・児童委員協議会")])
    meetings.set_members(signed, shien, [
        meetings.MemberSpec(agency_id=agencies["北部地域包括支援センター"]),
        meetings.MemberSpec(agency_id=agencies["自立相談支援機関"])])
    meetings.add_case(signed, juso, cases["yamada"])
    meetings.add_case(signed, shien, cases["suzuki"])
    meetings.add_case(signed, shien, cases["tanaka"])
    return MeetingWorld(signed, cases, sid, juso, shien, agencies)


def meeting_world_template(admin: Template, folder: Path) -> tuple[Template, MeetingWorld]:
    """meeting_world on a copy of the admin-only workspace, closed (conftest builds it once)."""
    world = meeting_world(open_copy(admin, folder))
    return keep(world.signed), replace(world, signed=None)


def meeting_world_copy(template: tuple[Template, MeetingWorld], folder: Path) -> MeetingWorld:
    """A copy of the meeting world for one test."""
    workspace, world = template
    return replace(deepcopy(world), signed=open_copy(workspace, folder))
