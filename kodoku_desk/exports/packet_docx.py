"""Meeting packet as DOCX (from resources/templates/packet_template.docx, East Asian fonts set):
the same content as the PDF in editable headings and tables. The DOCX is the coordinator's
editable master, so it holds one cover with the numbered distribution list (写し番号 and 配布先)
instead of repeating the whole packet per copy; each part states which copies receive it."""

from __future__ import annotations

from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.exports.docx_common import DocBuilder
from kodoku_desk.exports.packet_model import CasePacket, Packet, PartPacket, PlanBlock
from kodoku_desk.exports.packet_pdf import meeting_when, person_age, person_birth
from kodoku_desk.exports.pdf_common import ProgressFn, no_progress

RED = "B00020"


def render_docx(packet: Packet, *, progress: ProgressFn = no_progress) -> bytes:
    doc = DocBuilder()
    total = packet.case_count + 1
    _cover(doc, packet)
    _agenda(doc, packet)
    done = 0
    for part in packet.parts:
        _part(doc, packet, part)
        for i, case in enumerate(part.cases, 1):
            _case(doc, case, i)
            done += 1
            progress(done, total)
    data = doc.to_bytes()
    progress(total, total)
    return data


def _cover(doc: DocBuilder, packet: Packet) -> None:
    doc.paragraph("秘・取扱注意", bold=True, size=16, color=RED, align="center")
    doc.title(packet.title)
    doc.paragraph("・".join(dict.fromkeys(p.kind for p in packet.parts)), align="center")
    doc.pairs([("開催日時", meeting_when(packet)), ("会場", packet.place), ("議長", packet.chair),
               ("会議の種類", "\n".join(f"{p.heading}（{p.legal_frame}）" for p in packet.parts)),
               ("議題", f"{packet.case_count}件")])
    doc.heading("配布先（写し番号）", 2)
    names = {p.part_id: p.heading for p in packet.parts}
    doc.table(["写し番号", "配布先", "受け取る部"],
              [[f"{c.number} / {len(packet.copies)}", f"{c.recipient} 様",
                "\n".join(names[i] for i in c.part_ids)] for c in packet.copies], [22, 80, 72])
    for p in packet.parts:
        if p.secrecy_notice:
            doc.paragraph(f"【{p.kind}】{p.secrecy_notice}", color=RED)
    if packet.redacted:
        doc.paragraph("匿名化された部の事例は、氏名を符号、年齢を年代で表示しています。", size=9)
    doc.paragraph(f"作成: {to_wareki(packet.generated_at.date())} {packet.generated_at:%H:%M}",
                  size=9)
    doc.page_break()


def _agenda(doc: DocBuilder, packet: Packet) -> None:
    doc.heading("議題", 1)
    rows = [[part.heading, str(i), case.case_no, case.person.name, "・".join(case.fields),
             case.plan.status if case.plan else ""]
            for part in packet.parts for i, case in enumerate(part.cases, 1)]
    doc.table(["部", "番号", "ケース", "本人", "分野", "プラン"], rows, [44, 10, 26, 30, 40, 18])
    doc.page_break()


def _part(doc: DocBuilder, packet: Packet, part: PartPacket) -> None:
    doc.heading(part.heading, 1)
    copies = [str(c.number) for c in packet.copies if part.part_id in c.part_ids]
    doc.pairs([("根拠", part.legal_frame), ("構成員", "、".join(part.members) or "（未設定）"),
               ("議題", f"{len(part.cases)}件"), ("配布する写し", "・".join(copies))])
    if part.secrecy_notice:
        doc.paragraph(part.secrecy_notice, color=RED)
    if not part.cases:
        doc.paragraph("この部の議題はありません。")


def _case(doc: DocBuilder, case: CasePacket, number: int) -> None:
    p = case.person
    doc.heading(f"議題{number}　{case.case_no}　{p.name}", 2)
    doc.pairs([
        ("本人", p.name + (f"（{p.kana}）" if p.kana else "")),
        ("年齢・性別", "　".join(x for x in (person_age(p), p.sex) if x)),
        ("生年月日", person_birth(p)), ("住所", p.address), ("電話", p.phone),
        ("分野", "・".join(case.fields)),
        ("緊急度", case.urgency + ("（緊急対応の経路）" if case.urgent_path else "")),
        ("受付", (to_wareki(case.opened_on) if case.opened_on else "") + f"　{case.owner_agency}"),
        ("同意", case.consent), ("相談したいこと", case.wishes)]
        + ([("来談者", "　".join(x for x in (case.visitor.name, f"（{case.visitor.relation}）",
                                             case.visitor.phone) if x))] if case.visitor else []))
    rows = [[f, "、".join(items)] for f, items in case.worries_by_field]
    rows += [[label, text] for label, text in case.hearings]
    if case.assessment:
        rows.append(["受付者の見立て", case.assessment])
    if case.notes:
        rows.append(["メモ", case.notes])
    if rows:
        doc.heading("困りごと（分野別）・聞き取り", 3)
        doc.table(["分野", "内容（◎ 最も困っていること）"], rows, [30, 144])
    doc.heading("世帯", 3)
    doc.table(["続柄", "氏名", "年齢", "生年月日", "状況"],
              [[m.relation, m.name, person_age(m), person_birth(m), "、".join(m.flags)]
               for m in case.people()], [20, 36, 34, 38, 46])
    doc.heading("つなぎの履歴", 3)
    if case.handoffs:
        doc.table(["送付日", "送付元 → 送付先", "状態", "理由・依頼内容", "根拠", "最新の対応"],
                  [[to_wareki(h.sent_on), f"{h.from_agency}\n→ {h.to_agency}", h.state,
                    "\n".join(x for x in (h.reason, h.request) if x), h.basis,
                    (to_wareki(h.last_on) if h.last_on else "")
                    + (f"\n{h.last_note}" if h.last_note else "")] for h in case.handoffs],
                  [24, 40, 14, 48, 18, 30])
    else:
        doc.paragraph("つなぎはありません。")
    if case.plan is not None:
        _plan(doc, case.plan)


def _plan(doc: DocBuilder, plan: PlanBlock) -> None:
    label = f"第{plan.version}版" if plan.version else "ケースからの下書き（未保存）"
    doc.heading(f"支援プラン（{plan.status}・{label}"
                + (f"・{plan.approval}" if plan.approval else "") + "）", 3)
    fields = [(k, v) for k, v in plan.fields if v]
    if fields:
        doc.pairs(fields)
    if plan.issues:
        doc.paragraph("課題の整理", bold=True)
        doc.table(["分野", "課題", "本人の受け止め"],
                  [[r.get("field", ""), r.get("issue", ""), r.get("person_view", "")]
                   for r in plan.issues], [24, 100, 50])
    if plan.roles:
        doc.paragraph("支援内容（役割分担）", bold=True)
        doc.table(["支援内容", "機関", "担当者", "頻度", "期間"],
                  [[r.get("what", ""), r.get("agency", ""), r.get("person", ""),
                    r.get("frequency", ""), r.get("period", "")] for r in plan.roles],
                  [62, 46, 24, 20, 22])
