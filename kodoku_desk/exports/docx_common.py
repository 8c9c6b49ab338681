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
import re
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
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


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FULL_WIDTH_TWIPS = 9864  # 174 mm of text width (A4 minus 18 mm margins), in twentieths of a point
MM_TWIPS = 56.7


def _t(text: str) -> str:
    """Runs for one text: XML-escaped, control characters dropped, line breaks kept."""
    lines = _CONTROL.sub("", str(text or "")).split("\n")
    return "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)


class DocBuilder:
    """Builds the body as WordprocessingML text and parses it once at the end.

    python-docx's object API looks styles up and inserts children one by one; a 30-case packet
    has thousands of cells, which took seconds. Writing the same elements as text (style ids
    from the template) keeps the export well under a second."""

    def __init__(self) -> None:
        self.doc = new_document()
        self.parts: list[str] = []

    def paragraph(self, text: str, *, style: str = "", bold: bool = False, size: float = 0,
                  color: str = "", align: str = "") -> None:
        ppr = ""
        if style or align:
            ppr = "<w:pPr>" + (f'<w:pStyle w:val="{style}"/>' if style else "") + \
                (f'<w:jc w:val="{align}"/>' if align else "") + "</w:pPr>"
        rpr = ("<w:b/>" if bold else "") + (f'<w:color w:val="{color}"/>' if color else "") + \
            (f'<w:sz w:val="{int(size * 2)}"/>' if size else "")
        run = f"<w:r>{f'<w:rPr>{rpr}</w:rPr>' if rpr else ''}{_t(text)}</w:r>"
        self.parts.append(f"<w:p>{ppr}{run}</w:p>")

    def heading(self, text: str, level: int) -> None:
        self.paragraph(text, style=f"Heading{level}")

    def title(self, text: str) -> None:
        self.paragraph(text, style="Title", align="center")

    def page_break(self) -> None:
        self.parts.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')

    def _cell(self, text: str, width: int, fill: str = "", bold: bool = False) -> str:
        shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>' if fill else ""
        rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
        paras = "".join(f"<w:p><w:r>{rpr}{_t(line)}</w:r></w:p>"
                        for line in str(text or "").split("\n"))
        return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>{paras}</w:tc>'

    def _table(self, widths: list[int], rows_xml: list[str]) -> None:
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        self.parts.append(
            '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/>'
            f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
            '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:top w:w="40" w:type="dxa"/>'
            '<w:left w:w="80" w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/>'
            '<w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{''.join(rows_xml)}</w:tbl>")
        self.parts.append("<w:p/>")  # Word needs a paragraph between tables; it also spaces them

    def table(self, head: Sequence[str], rows: Sequence[Sequence[str]],
              widths_mm: Sequence[float]) -> None:
        """A grid table with a shaded header row repeated on each page."""
        scale = FULL_WIDTH_TWIPS / sum(widths_mm)
        widths = [int(w * scale) for w in widths_mm]
        xml = ['<w:tr><w:trPr><w:tblHeader/></w:trPr>'
               + "".join(self._cell(h, w, "DCE4EE", True) for h, w in zip(head, widths, strict=True))
               + "</w:tr>"]
        for row in rows:
            xml.append("<w:tr>" + "".join(self._cell(v, w) for v, w in zip(row, widths, strict=True))
                       + "</w:tr>")
        self._table(widths, xml)

    def pairs(self, rows: Sequence[tuple[str, str]], label_mm: float = 40) -> None:
        """A two-column 見出し | 内容 table."""
        label = int(label_mm * MM_TWIPS)
        widths = [label, FULL_WIDTH_TWIPS - label]
        self._table(widths, [f"<w:tr>{self._cell(k, widths[0], 'EEF2F6')}"
                             f"{self._cell(v, widths[1])}</w:tr>" for k, v in rows])

    def to_bytes(self) -> bytes:
        body = self.doc.element.body
        fragment = parse_xml(f'<w:body {nsdecls("w")}>{"".join(self.parts)}</w:body>')
        sect = body.find(qn("w:sectPr"))
        for child in list(fragment):
            if sect is not None:
                sect.addprevious(child)
            else:
                body.append(child)
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


if __name__ == "__main__":
    build_template()
    print(TEMPLATE)
