"""The 「つながる」シート on A4 paper (issue 3 item 5), laid out from the versioned template
(services/template.py): a blank part A for the person to fill in by hand, and a filled sheet
(parts A and B) with the saved values. Renderers take plain data; services/sheet_print.py
loads it from the database and writes the file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.domain.template import PART_LABELS, Section, SheetTemplate, TemplateField
from kodoku_desk.exports.pdf_common import FRAME_W, TABLE_FONT, Typesetter, build_pdf

LABEL_W = 46 * mm
BOX_HEIGHTS = {"text": 9 * mm, "multiline": 46 * mm}
CONSENT_TEXT = "相談内容を、支援に必要な関係機関と共有することに同意します。"


@dataclass
class FilledSheet:
    """Values of one saved sheet, by template field key (text already formatted for print),
    plus the household rows and identification for the header."""

    case_no: str
    received_on: date | None
    agency: str
    worker: str
    values: dict[str, str] = field(default_factory=dict)
    worries: list[str] = field(default_factory=list)
    most_pressing: str = ""
    household: list[list[str]] = field(default_factory=list)  # [続柄, 氏名, 年齢, 生年月日, 状況]
    consent_lines: list[str] = field(default_factory=list)


def _grid(table: Table, label_col: bool = True) -> Table:
    style = [TABLE_FONT, ("GRID", (0, 0), (-1, -1), 0.6, colors.HexColor("#555555")),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (-1, -1), 4), ("TOPPADDING", (0, 0), (-1, -1), 3)]
    if label_col:
        style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")))
    table.setStyle(TableStyle(style))
    return table


def _section_title(ts: Typesetter, section: Section) -> list:
    return [Spacer(1, 3 * mm), ts.p(section.label, "h2", "項目グループ")]


# ----------------------------------------------------------------------------- blank part A


def _blanks(ts: Typesetter, parts: Sequence[tuple[str, float]]) -> Table:
    """A line of fixed-width gaps and words, e.g. [ ]年[ ]月[ ]日: reportlab collapses
    spaces (also U+3000), so the gaps are table cells."""
    t = Table([[ts.raw(escape(text), "big") for text, _ in parts]],
              colWidths=[w * mm for _, w in parts])
    t.setStyle(TableStyle([TABLE_FONT, ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                           ("TOPPADDING", (0, 0), (-1, -1), 0)]))
    return t


DATE_GAPS = [("", 14), ("年", 12), ("", 8), ("月", 12), ("", 8), ("日", 10)]


def _blank_value(ts: Typesetter, f: TemplateField) -> list:
    """The answer cell of a blank form: a box tall enough to write in by hand."""
    if f.type == "date":
        return [_blanks(ts, DATE_GAPS + [("（和暦・西暦どちらでも）", 60)])]
    if f.type in ("choice", "multichoice"):
        return [ts.p("　".join(f"□ {o}" for o in f.options), "big", f.label)]
    if f.type == "consent":
        return [ts.raw("□ 同意します", "big"),
                _blanks(ts, [("署名:", 14), ("", 70)]),
                _blanks(ts, [("同意した日:", 26)] + DATE_GAPS),
                ts.raw("共有してよい分野: □ 高齢 □ 障がい □ 子ども □ 生活困窮 □ 健康 □ 参加支援", "big"),
                ts.raw("□ 重層的支援会議での共有にも同意します", "big")]
    return [Spacer(1, BOX_HEIGHTS.get(f.type, 9 * mm))]


def _worries_grid(ts: Typesetter, f: TemplateField, marked: dict[str, str] | None = None) -> Table:
    """The worry list as a grid with a mark box per item (○ all that apply, ◎ the most)."""
    cells = []
    for option in f.options:
        mark = "（　）" if marked is None else (marked.get(option) or "")
        cells.append([ts.raw(escape(mark), "center"), ts.p(option, "body", f.label)])
    rows = []
    for i in range(0, len(cells), 2):
        left = cells[i]
        right = cells[i + 1] if i + 1 < len(cells) else ["", ""]
        rows.append(left + right)
    half = FRAME_W / 2
    t = Table(rows, colWidths=[12 * mm, half - 12 * mm, 12 * mm, half - 12 * mm])
    t.setStyle(TableStyle([TABLE_FONT, ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#777777")),
                           ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return t


def render_blank_part_a(template: SheetTemplate) -> tuple[bytes, Typesetter]:
    ts = Typesetter()
    story: list = [ts.p(f"{template.title}（{PART_LABELS['A']}）", "title", "表題"),
                   ts.p(template.notes.get("A", "書ける範囲でご記入ください。"), "big", "注意書き")]
    for section in template.part_sections("A"):
        block = _section_title(ts, section)
        rows: list = []
        for f in section.fields:
            if f.type == "worries":
                if rows:
                    block.append(_grid(Table(rows, colWidths=[LABEL_W, FRAME_W - LABEL_W])))
                    rows = []
                block.append(ts.p(f.label, "body", f.label))
                block.append(_worries_grid(ts, f))
                continue
            label = [ts.p(f.label, "body", f.label)]
            if f.help:
                label.append(ts.p(f.help, "small", f.label))
            rows.append([label, _blank_value(ts, f)])
        if rows:
            block.append(_grid(Table(rows, colWidths=[LABEL_W, FRAME_W - LABEL_W])))
        story.append(KeepTogether(block))
    story.append(Spacer(1, 4 * mm))
    story.append(ts.raw("※ 受付の職員が、ご記入の内容をもとにお話をうかがいます。", "small"))
    header = f"{template.title}　{PART_LABELS['A']}（様式 {template.version}）"
    return build_pdf(story, title=header, header=header, secret=False), ts


# ----------------------------------------------------------------------------- filled sheet


def _value(sheet: FilledSheet, f: TemplateField) -> str:
    if f.type == "consent":
        return "\n".join(sheet.consent_lines) or "（同意の記録なし）"
    return sheet.values.get(f.key, "")


def render_filled(template: SheetTemplate, sheet: FilledSheet) -> tuple[bytes, Typesetter]:
    ts = Typesetter()
    where = f"シート {sheet.case_no}"
    story: list = [ts.p(template.title, "title", "表題"),
                   ts.pairs([("ケース番号", sheet.case_no),
                             ("受付", f"{to_wareki(sheet.received_on) if sheet.received_on else ''}　"
                                      f"{sheet.agency}　{sheet.worker}")], where)]
    for part in ("A", "B"):
        story.append(ts.p(f"{PART_LABELS[part]}", "h1", "部"))
        for section in template.part_sections(part):
            block = _section_title(ts, section)
            rows: list[tuple[str, str]] = []
            for f in section.fields:
                if f.type == "worries":
                    marked = {w: "○" for w in sheet.worries}
                    if sheet.most_pressing:
                        marked[sheet.most_pressing] = "◎"
                    if rows:
                        block.append(ts.pairs(rows, where, label_mm=46))
                        rows = []
                    block.append(_worries_grid(ts, f, marked))
                    continue
                if f.type == "household":
                    if rows:
                        block.append(ts.pairs(rows, where, label_mm=46))
                        rows = []
                    block.append(ts.table(["続柄", "氏名", "年齢", "生年月日", "状況"],
                                          sheet.household or [["", "（記入なし）", "", "", ""]],
                                          [20, 40, 20, 40, 54], f"{where} 世帯構成"))
                    continue
                rows.append((f.label, _value(sheet, f)))
            if rows:
                block.append(ts.pairs(rows, f"{where} {section.label}", label_mm=46))
            story.append(KeepTogether(block))
    header = f"{template.title}　{sheet.case_no}"
    return build_pdf(story, title=header, header=header, secret=True), ts
