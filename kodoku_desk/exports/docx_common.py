"""Shared DOCX plumbing (python-docx): the template in resources/ with East Asian fonts set,
and small helpers for headings, paragraphs and tables.

python-docx's `style.font.name` sets only w:ascii/w:hAnsi, and theme attributes (w:asciiTheme,
w:eastAsiaTheme …) win over explicit names, so Japanese text would fall back to the theme's
Latin font. The template therefore sets w:eastAsia on every w:rFonts, removes the *Theme
attributes, and sets w:lang w:eastAsia="ja-JP". Regenerate it with
`python -m kodoku_desk.exports.docx_common` (the result is committed).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from kodoku_desk.paths import resource

TEMPLATE = resource("templates", "packet_template.docx")
FONT = "IPAexGothic"
HEADING_FONT = "IPAexGothic"
TITLE_FONT = "IPAexMincho"
THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_rfonts(rpr, font: str) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in THEME_ATTRS:
        if rfonts.get(qn(attr)) is not None:
            del rfonts.attrib[qn(attr)]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), font)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "ja-JP")


def build_template(path: Path = TEMPLATE) -> None:
    """Writes the packet/minutes template: A4, Japanese fonts on every style, no theme fonts."""
    doc = Document()
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_rfonts(rpr, FONT)
    for style in doc.styles:
        el = style.element
        if el.find(qn("w:rPr")) is not None or style.name.startswith(("Heading", "Title", "Normal")):
            font = TITLE_FONT if style.name == "Title" else (
                HEADING_FONT if style.name.startswith("Heading") else FONT)
            style.font.name = font
            _set_rfonts(el.get_or_add_rPr(), font)
    for rfonts in styles.iter(qn("w:rFonts")):  # any style the loop above did not reach
        if any(rfonts.get(qn(a)) is not None for a in THEME_ATTRS):
            _set_rfonts(rfonts.getparent(), FONT)
    doc.styles["Normal"].font.size = Pt(10.5)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 12.5), ("Heading 3", 11)):
        doc.styles[name].font.size = Pt(size)
        doc.styles[name].font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(18))
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))


def new_document():
    if not TEMPLATE.exists():
        raise FileNotFoundError(TEMPLATE)
    return Document(str(TEMPLATE))


def to_bytes(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def _set_cell(cell, text: str, bold: bool = False) -> None:
    """Cell text with line breaks kept (one paragraph per line)."""
    lines = str(text or "").split("\n")
    para = cell.paragraphs[0]
    run = para.add_run(lines[0])
    run.bold = bold
    for line in lines[1:]:
        cell.add_paragraph(line)


def table(doc, head: Sequence[str], rows: Sequence[Sequence[str]],
          widths_mm: Sequence[float] | None = None):
    """A grid table with a shaded header row (repeated on each page)."""
    t = doc.add_table(rows=1, cols=len(head))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    header = t.rows[0]
    trpr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, h in zip(header.cells, head, strict=True):
        _set_cell(cell, h, bold=True)
        _shade(cell, "DCE4EE")
    for row in rows:
        cells = t.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            _set_cell(cell, value)
    if widths_mm:
        _widths(t, [w * 174 / sum(widths_mm) for w in widths_mm])
    return t


def _widths(t, widths_mm: Sequence[float]) -> None:
    """Fixed column widths: Word reads the cells' widths, LibreOffice the grid's."""
    t.autofit = False
    for col, w in zip(t.columns, widths_mm, strict=True):
        col.width = Mm(w)
    for row in t.rows:
        for cell, w in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(w)


def pairs(doc, rows: Sequence[tuple[str, str]], label_mm: float = 40):
    """A two-column 見出し | 内容 table."""
    t = doc.add_table(rows=0, cols=2)
    t.style = doc.styles["Table Grid"]
    for label, value in rows:
        cells = t.add_row().cells
        _set_cell(cells[0], label, bold=True)
        _shade(cells[0], "EEF2F6")
        _set_cell(cells[1], value)
    _widths(t, [label_mm, 174 - label_mm])
    return t


def paragraph(doc, text: str, *, bold: bool = False, size: float | None = None,
              color: RGBColor | None = None):
    para = doc.add_paragraph()
    for i, line in enumerate(str(text or "").split("\n")):
        if i:
            para.add_run().add_break()
        run = para.add_run(line)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    return para


if __name__ == "__main__":
    build_template()
    print(TEMPLATE)
