"""Minutes (議事録) as DOCX: the session, then per part its kind, members, agenda and the
decisions recorded for each case (決定事項, 役割分担の変更, 次回見直し日)."""

from __future__ import annotations

from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.exports.docx_common import DocBuilder
from kodoku_desk.exports.pdf_common import ProgressFn, no_progress
from kodoku_desk.queries.meeting_views import DecisionRow, SessionView

RED = "B00020"


def render_minutes(view: SessionView, decisions: list[DecisionRow], *,
                   progress: ProgressFn = no_progress) -> bytes:
    doc = DocBuilder()
    doc.paragraph("秘・取扱注意", bold=True, color=RED, align="right")
    doc.title(f"{view.title} 議事録")
    when = to_wareki(view.held_on)
    if view.start_time:
        when += f"　{view.start_time}" + (f"〜{view.end_time}" if view.end_time else "から")
    doc.pairs([("開催日時", when), ("会場", view.place), ("議長", view.chair),
                   ("ブロック", view.block),
                   ("会議の種類", "\n".join(_heading(p) for p in view.parts))])
    by_part: dict[int, list[DecisionRow]] = {}
    for d in decisions:
        by_part.setdefault(d.part_id, []).append(d)
    total = max(1, len(view.parts))
    for n, part in enumerate(view.parts, 1):
        doc.heading(_heading(part), 1)
        doc.pairs([("根拠", part.rule.legal_frame),
                       ("出席者（構成員）", "、".join(m.label for m in part.members) or "（未設定）")])
        if part.rule.secrecy_notice:
            doc.paragraph(part.rule.secrecy_notice, color=RED)
        doc.heading("議題", 2)
        if part.agenda:
            doc.table(["番号", "ケース", "本人", "プラン"],
                     [[str(i), a.case_no, a.person_name, a.plan_status]
                      for i, a in enumerate(part.agenda, 1)], [12, 40, 70, 52])
        else:
            doc.paragraph("議題はありません。")
        doc.heading("決定事項", 2)
        rows = by_part.get(part.id, [])
        if not rows:
            doc.paragraph("記録された決定事項はありません。")
        for d in rows:
            _decision(doc, d)
        progress(n, total)
    return doc.to_bytes()


def _heading(part) -> str:
    return f"第{part.seq}部　{part.kind}" + (f"（{part.title}）" if part.title else "")


def _decision(doc: DocBuilder, d: DecisionRow) -> None:
    doc.heading(f"{d.case_no}　{d.person_name}", 3)
    plan = f"支援プラン 第{d.plan_version}版（合意）" if d.plan_version else ""
    doc.pairs([("決定事項", d.decisions),
                   ("次回見直し日", to_wareki(d.next_review_on) if d.next_review_on else "未定"),
                   ("支援プラン", plan),
                   ("記録", f"{d.created_by}　{to_wareki(d.created_at.date())}")])
    if d.role_changes:
        doc.paragraph("役割分担の変更", bold=True)
        doc.table(["変更", "支援内容", "機関", "担当者", "頻度", "期間"],
                 [[r.get("change", ""), r.get("what", ""), r.get("agency", ""),
                   r.get("person", ""), r.get("frequency", ""), r.get("period", "")]
                  for r in d.role_changes], [14, 50, 44, 24, 20, 22])
