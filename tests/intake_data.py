"""Shared helpers for the intake / routing / hand-off tests: a demo organisation without
generated cases, staff of other agencies on the same open store, and ready-made intakes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from kodoku_desk.domain.actor import Actor
from kodoku_desk.models import Agency, Staff
from kodoku_desk.services.auth import Signed
from kodoku_desk.services.consent import ConsentInput
from kodoku_desk.services.handoffs import SendInput
from kodoku_desk.services.intake import IntakeInput, MemberInput, PersonInput


def agency_id(signed: Signed, name: str) -> int:
    with signed.store.read() as s:
        return s.scalar(select(Agency.id).where(Agency.name == name))


def as_staff_of(signed: Signed, agency_name: str) -> Signed:
    """The first intake worker of an agency, on the same open workspace (one app, two users)."""
    with signed.store.read() as s:
        staff = s.scalar(select(Staff).join(Agency, Agency.id == Staff.agency_id)
                         .where(Agency.name == agency_name).order_by(Staff.id).limit(1))
        s.refresh(staff, ["agency"])
        return Signed(signed.store, Actor.of(staff))


def household_8050(signed: Signed, **overrides) -> IntakeInput:
    """An 8050 household: an elderly mother and her withdrawn son in his fifties."""
    fuki = agency_id(signed, "健康推進課「ふきのとう」")
    jiritsu = agency_id(signed, "自立相談支援機関")
    data = IntakeInput(
        person=PersonInput(name="福山 トメ", kana="ふくやま とめ", birth_date=date(1943, 5, 1),
                           sex="女性", address="福山市北町1-1", phone="084-900-0001"),
        method="来所", discovery="民生委員・児童委員", urgency="高",
        worries=["介護", "本人や家族のひきこもり", "収入・生活費"],
        most_pressing="本人や家族のひきこもり",
        household=[MemberInput("長男", "福山 一郎", "ふくやま いちろう", date(1972, 3, 3),
                               ["ひきこもり"])],
        answers={"wishes": "息子の将来が心配です", "hearing_care": "要介護2",
                 "hearing_living": "年金のみ", "assessment": "8050世帯"},
        consent=ConsentInput(scope_fields=["健康", "生活困窮"], given_on=date.today(),
                             method="署名"),
        handoffs=[SendInput(fuki, "長男のひきこもり", "訪問での面談", ["basic", "worries", "household"]),
                  SendInput(jiritsu, "収入減", "家計相談", ["basic", "hearing_living"])],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data
