"""Demo meetings (issue 6 item 5): upcoming sessions of every kind with agenda cases taken from
the generated demo cases — a joint session (支援会議 part + 重層的支援会議 part on one day, as in
Uwajima), a 支援者支援会議 for a block and a 地域協議会 — including cases without consent (they
can only be on the 支援会議 and 支援者支援会議 agendas). Plans are drafted for the 重層 cases.
Every agenda entry goes through the same services (and kind rules) as the GUI."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from kodoku_desk.domain.dates import add_business_days
from kodoku_desk.models import Agency, Block, Case, Staff
from kodoku_desk.queries import meeting_views
from kodoku_desk.services import meetings, plans, uow
from kodoku_desk.services.auth import Signed

# The demo agendas take at most 6 consented and a handful of other cases; looking further would
# ask for every case's consent (two queries each: 100 s at 100,000 cases) to use none of them.
ENOUGH_CONSENTED, ENOUGH_OTHER = 6, 20


def _split_cases(signed: Signed) -> tuple[list[int], list[int]]:
    """(cases whose consent covers meetings, cases without such consent), oldest first, stopping
    once both lists hold enough for the demo agendas."""
    with uow.read(signed) as s:
        ids = s.scalars(select(Case.id).where(Case.deleted.is_(False)).order_by(Case.id))
        consented, other = [], []
        for cid in ids:
            consent, _ = meetings.meeting_consent(s, cid)
            (consented if consent is not None else other).append(cid)
            if len(consented) >= ENOUGH_CONSENTED and len(other) >= ENOUGH_OTHER:
                break
        return consented, other


def _members(signed: Signed, names: list[str]) -> list[meetings.MemberSpec]:
    with uow.read(signed) as s:
        found = {a.name: a.id for a in s.scalars(select(Agency).where(Agency.name.in_(names)))}
        coord = s.scalar(select(Staff.id).where(Staff.login == "coord"))
    specs = [meetings.MemberSpec(agency_id=found[n]) for n in names if n in found]
    if coord is not None:
        specs.append(meetings.MemberSpec(staff_id=coord))
    specs.append(meetings.MemberSpec(external_name="民生 委員子", external_affiliation="民生委員・児童委員協議会"))
    return specs


def create_demo_meetings(signed: Signed, seed: int = 1, today: date | None = None) -> list[int]:
    """Creates the demo sessions; returns their ids. Needs demo cases (some with consent)."""
    rng = random.Random(seed)
    today = today or date.today()
    consented, other = _split_cases(signed)
    core = ["北部地域包括支援センター", "障がい福祉課", "こども家庭センター", "自立相談支援機関",
            "健康推進課「ふきのとう」", "社会福祉協議会"]
    ids = []

    joint = meetings.create_session(
        signed, "福山市 支援会議・重層的支援会議（合同開催）", add_business_days(today, 7),
        start_time="13:30", end_time="16:30", place="福山市役所 本庁舎 会議室", chair="福祉総務課長",
        parts=[("支援会議", "同意のないケースの情報共有"), ("重層的支援会議", "支援プランの協議")])
    shien, juso = [p.id for p in meeting_views.get_session(signed, joint).parts]
    meetings.set_members(signed, shien, _members(signed, core))
    meetings.set_members(signed, juso, _members(signed, core[:4]))
    for cid in other[:3]:
        meetings.add_case(signed, shien, cid)
    for cid in consented[:4]:
        meetings.add_case(signed, juso, cid)
        with uow.write(signed) as s:
            plans.ensure_plan(s, signed.actor, cid)
    ids.append(joint)

    with uow.read(signed) as s:
        block = s.scalar(select(Block).order_by(Block.id))
        block_name = block.name if block else None
    study = meetings.create_session(
        signed, f"{block_name or 'ブロック'} 支援者支援会議", add_business_days(today, 12),
        start_time="10:00", end_time="12:00", place="北部交流館", chair="北部地域包括支援センター長",
        block=block_name, parts=[("支援者支援会議", "事例検討")])
    part = meeting_views.get_session(signed, study).parts[0].id
    meetings.set_members(signed, part, _members(signed, core[:1] + ["北部交流館", "社会福祉協議会"]))
    for cid in rng.sample(other[3:] or other, k=min(2, len(other))):
        meetings.add_case(signed, part, cid)
    ids.append(study)

    council = meetings.create_session(
        signed, "孤独・孤立対策 地域協議会", today + timedelta(days=30), start_time="14:00",
        end_time="15:30", place="福山市役所 会議室B", chair="福祉総務課長",
        parts=[("地域協議会", "居場所づくりの検討")])
    part = meeting_views.get_session(signed, council).parts[0].id
    meetings.set_members(signed, part, _members(signed, ["社会福祉協議会", "北部交流館"]))
    for cid in consented[4:6] or consented[:2]:
        meetings.add_case(signed, part, cid)
    ids.append(council)
    return ids
