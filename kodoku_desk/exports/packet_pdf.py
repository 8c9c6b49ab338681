"""Meeting packet as PDF (reportlab, IPAex embedded, A4): per member copy a cover (meeting,
kinds, date in 和暦, 「秘・取扱注意」, copy number and recipient), the agenda, then each part as
its own section with its kind's notice, and per case: summary, worries by field, household,
hand-off history, plan draft. Header: meeting name; footer 「n / N」 counted per copy."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, PageBreak, Spacer

from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.exports.packet_model import (
    CasePacket,
    MemberCopy,
    Packet,
    PartPacket,
    PersonInfo,
    PlanBlock,
)
from kodoku_desk.exports.pdf_common import (
    ProgressFn,
    ProgressMark,
    Typesetter,
    new_canvas,
    no_progress,
)


def meeting_when(packet: Packet) -> str:
    when = to_wareki(packet.held_on)
    if packet.start_time:
        when += f"　{packet.start_time}〜{packet.end_time}" if packet.end_time \
            else f"　{packet.start_time}から"
    return when


def person_age(p: PersonInfo) -> str:
    return p.age_text or (f"{p.age}歳" if p.age is not None else "")


def person_birth(p: PersonInfo) -> str:
    return p.birth_text or (to_wareki(p.birth_date) if p.birth_date else "")


def render_pdf(packet: Packet, *, password: str | None = None, strict_glyphs: bool = False,
               progress: ProgressFn = no_progress) -> tuple[bytes, Typesetter]:
    """Returns the PDF bytes and the typesetter (its `missing` lists replaced characters).
    The body (agenda and parts) is laid out once per distinct set of parts; each member copy
    gets its own cover and places the body pages by reference, numbered 「n / N」 per copy."""
    ts = Typesetter(strict=strict_glyphs)
    buffer = io.BytesIO()
    canv = new_canvas(buffer, title=packet.title, password=password)
    header = ts.fit(f"{packet.title}（{to_wareki(packet.held_on)}）", "会議名")
    bodies: dict[tuple[int, ...], list[str]] = {}
    for copy in packet.copies:
        bodies.setdefault(tuple(copy.part_ids), [])
    # Progress: one step per case laid out (once per distinct body) and one per copy placed.
    total = sum(len(c) for c in _body_cases(packet, bodies)) + len(packet.copies) + 1
    done = [0]

    def step() -> None:
        done[0] += 1
        progress(min(done[0], total - 1), total)

    for copy in packet.copies:
        key = tuple(copy.part_ids)
        if not bodies[key]:
            story = agenda(ts, packet, copy)
            for n, part in enumerate(packet.parts_for(copy)):
                if n:
                    story.append(PageBreak())  # each part is its own section
                story += part_section(ts, part)
                for i, case in enumerate(part.cases, 1):
                    story += case_section(ts, part, case, i)
                    story.append(ProgressMark(step))
            bodies[key] = canv.layout(story)
        pages = canv.layout(cover(ts, packet, copy)) + bodies[key]
        canv.emit(pages, header, f"写し番号 {copy.number}", secret=True)
        step()
    canv.finish()
    progress(total, total)
    return buffer.getvalue(), ts


def _body_cases(packet: Packet, bodies: dict[tuple[int, ...], list[str]]) -> list[list]:
    return [[c for p in packet.parts if p.part_id in key for c in p.cases] for key in bodies]


def cover(ts: Typesetter, packet: Packet, copy: MemberCopy) -> list:
    parts = packet.parts_for(copy)
    kinds = "・".join(dict.fromkeys(p.kind for p in parts))
    story: list = [Spacer(1, 18 * mm),
                   ts.raw("秘・取扱注意", "secret"), Spacer(1, 8 * mm),
                   ts.p(packet.title, "title", "会議名"),
                   ts.p(kinds, "center", "会議の種類"), Spacer(1, 10 * mm)]
    rows = [("開催日時", meeting_when(packet)), ("会場", packet.place), ("議長", packet.chair),
            ("会議の種類", "\n".join(f"{p.heading}（{p.legal_frame}）" for p in parts)),
            ("議題", f"{sum(len(p.cases) for p in parts)}件"),
            ("写し番号", f"{copy.number} / {len(packet.copies)}"),
            ("配布先", f"{copy.recipient} 様")]
    story.append(ts.pairs(rows, "表紙"))
    story.append(Spacer(1, 8 * mm))
    for p in parts:
        if p.secrecy_notice:
            story.append(ts.p(f"【{p.kind}】{p.secrecy_notice}", "notice", "注意書き"))
    if any(p.redacted for p in parts):
        story.append(ts.raw("この写しの事例は匿名化されています（氏名は符号、年齢は年代で表示）。", "small"))
    story.append(ts.raw(escape(f"作成: {to_wareki(packet.generated_at.date())} "
                               f"{packet.generated_at:%H:%M}"), "small"))
    return story


def agenda(ts: Typesetter, packet: Packet, copy: MemberCopy) -> list:
    rows, labels = [], []
    for part in packet.parts_for(copy):
        for i, case in enumerate(part.cases, 1):
            plan = case.plan.status if case.plan else ""
            rows.append([part.heading, str(i), case.case_no, case.person.name,
                         "・".join(case.fields), plan])
            labels.append(f"ケース {case.case_no}")
    story: list = [ts.raw("議題", "h1")]
    story.append(ts.table(["部", "番号", "ケース", "本人", "分野", "プラン"], rows,
                          [44, 10, 26, 30, 40, 18], "議題一覧", row_labels=labels))
    story.append(PageBreak())
    return story


def part_section(ts: Typesetter, part: PartPacket) -> list:
    story: list = [CondPageBreak(80 * mm), ts.p(part.heading, "h1", "部の名前")]
    rows = [("根拠", part.legal_frame), ("構成員", "、".join(part.members) or "（未設定）"),
            ("議題", f"{len(part.cases)}件")]
    story.append(ts.pairs(rows, part.heading))
    if part.secrecy_notice:
        story.append(ts.p(part.secrecy_notice, "notice", "注意書き"))
    if not part.cases:
        story.append(ts.raw("この部の議題はありません。"))
    return story


def case_section(ts: Typesetter, part: PartPacket, case: CasePacket, number: int) -> list:
    where = f"ケース {case.case_no}"
    p = case.person
    story: list = [CondPageBreak(70 * mm),
                   ts.p(f"議題{number}　{case.case_no}　{p.name}", "h2", f"{where} 見出し")]
    summary = [("本人", f"{p.name}" + (f"（{p.kana}）" if p.kana else "")),
               ("年齢・性別", "　".join(x for x in (person_age(p), p.sex) if x)),
               ("生年月日", person_birth(p)), ("住所", p.address), ("電話", p.phone),
               ("分野", "・".join(case.fields)),
               ("緊急度", case.urgency + ("（緊急対応の経路）" if case.urgent_path else "")),
               ("受付", (to_wareki(case.opened_on) if case.opened_on else "") + f"　{case.owner_agency}"),
               ("同意", case.consent)]
    if case.visitor is not None:
        v = case.visitor
        summary.append(("来談者", "　".join(x for x in (v.name, f"（{v.relation}）", v.phone) if x)))
    story.append(ts.pairs(summary, f"{where} 概要"))
    if case.wishes:
        story.append(ts.pairs([("相談したいこと", case.wishes)], f"{where} 本人の希望"))
    story += _worries(ts, case, where)
    story += _household(ts, case, where)
    story += _handoffs(ts, case, where)
    if case.plan is not None:
        story += plan_block(ts, case.plan, where)
    story.append(Spacer(1, 6 * mm))
    return story


def _worries(ts: Typesetter, case: CasePacket, where: str) -> list:
    rows = [[field, "、".join(items)] for field, items in case.worries_by_field]
    rows += [[label, text] for label, text in case.hearings]
    if case.assessment:
        rows.append(["受付者の見立て", case.assessment])
    if case.notes:
        rows.append(["メモ", case.notes])
    if not rows:
        return []
    return [KeepTogether([ts.raw("困りごと（分野別）・聞き取り", "h2"),
                          ts.table(["分野", "内容（◎ 最も困っていること）"], rows, [30, 144],
                                   f"{where} 困りごと")])]


def _household(ts: Typesetter, case: CasePacket, where: str) -> list:
    rows = [[m.relation, m.name, person_age(m), person_birth(m), "、".join(m.flags)]
            for m in case.people()]
    return [KeepTogether([ts.raw("世帯", "h2"),
                          ts.table(["続柄", "氏名", "年齢", "生年月日", "状況"], rows,
                                   [20, 36, 34, 38, 46], f"{where} 世帯",
                                   row_labels=[m.relation for m in case.people()])])]


def _handoffs(ts: Typesetter, case: CasePacket, where: str) -> list:
    if not case.handoffs:
        return [ts.raw("つなぎの履歴", "h2"), ts.raw("つなぎはありません。")]
    rows = [[to_wareki(h.sent_on), f"{h.from_agency}\n→ {h.to_agency}", h.state,
             "\n".join(x for x in (h.reason, h.request) if x), h.basis,
             (to_wareki(h.last_on) if h.last_on else "") + (f"\n{h.last_note}" if h.last_note else "")]
            for h in case.handoffs]
    return [KeepTogether([ts.raw("つなぎの履歴", "h2"),
                          ts.table(["送付日", "送付元 → 送付先", "状態", "理由・依頼内容", "根拠",
                                    "最新の対応"], rows, [24, 40, 14, 48, 18, 30],
                                   f"{where} つなぎの履歴")])]


def plan_block(ts: Typesetter, plan: PlanBlock, where: str) -> list:
    label = f"第{plan.version}版" if plan.version else "ケースからの下書き（未保存）"
    status = f"支援プラン（{plan.status}・{label}" + (f"・{plan.approval}" if plan.approval else "") + "）"
    fields = [(k, v) for k, v in plan.fields if v]
    head = [ts.p(status, "h2", f"{where} 支援プラン")]
    if fields:
        head.append(ts.pairs(fields[:4], f"{where} 支援プラン"))
    story: list = [KeepTogether(head)]
    if len(fields) > 4:
        story.append(ts.pairs(fields[4:], f"{where} 支援プラン"))
    if plan.issues:
        story.append(Spacer(1, 2 * mm))
        story.append(ts.table(["分野", "課題", "本人の受け止め"],
                              [[r.get("field", ""), r.get("issue", ""), r.get("person_view", "")]
                               for r in plan.issues], [24, 100, 50], f"{where} 課題の整理"))
    if plan.roles:
        story.append(Spacer(1, 2 * mm))
        story.append(ts.table(["支援内容（役割分担）", "機関", "担当者", "頻度", "期間"],
                              [[r.get("what", ""), r.get("agency", ""), r.get("person", ""),
                                r.get("frequency", ""), r.get("period", "")] for r in plan.roles],
                              [62, 46, 24, 20, 22], f"{where} 役割分担"))
    return story
