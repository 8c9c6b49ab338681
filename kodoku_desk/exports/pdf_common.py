"""Shared PDF plumbing (reportlab): the bundled IPAex fonts, Japanese paragraph styles with CJK
line breaking, the page header and 「n / N」 footer, and the glyph check.

Missing glyphs: IPAex lacks some 外字 such as 𠮷 (U+20BB7). Such a character is never silently
dropped: it is printed as 〓 (the geta mark Japanese typesetting uses for "character missing")
and reported — each `MissingGlyph` names the character, its code point and where it occurs
(e.g. 「ケース K-2025-0003 本人の氏名」). The export result carries the list, the CLI prints it
and the UI shows it, so staff can correct the printed copy by hand. Pass strict=True to
Typesetter to refuse the export instead (UserError naming the first character and place).
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from kodoku_desk.errors import UserError
from kodoku_desk.paths import GOTHIC_TTF, MINCHO_TTF

GOTHIC = "IPAexGothic"
MINCHO = "IPAexMincho"
SUBSTITUTE = "〓"
PAGE_W, PAGE_H = A4
MARGIN = 16 * mm
FRAME_W = PAGE_W - 2 * MARGIN

_registered = False
# reportlab's Table sets its cell font (default Helvetica, never embedded) even around
# paragraph cells; naming IPAex keeps every font in the PDF embedded.
CELL_SIZE, CELL_LEADING = 8.5, 11.5
TABLE_FONT = ("FONTNAME", (0, 0), (-1, -1), GOTHIC)
# Plain-text cells are drawn by the table itself in its own font and size.
TABLE_TEXT = [TABLE_FONT, ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
              ("LEADING", (0, 0), (-1, -1), CELL_LEADING)]


def register_fonts() -> None:
    """Registers the bundled IPAex fonts once per process (subset-embedded in every PDF)."""
    global _registered
    if _registered:
        return
    for name, path in ((GOTHIC, GOTHIC_TTF), (MINCHO, MINCHO_TTF)):
        if not path.exists():
            raise UserError(f"印刷用フォント {path.name} が見つかりません。アプリを再インストールしてください。")
        pdfmetrics.registerFont(TTFont(name, str(path)))
    _registered = True


def font_has(char: str, font: str = GOTHIC) -> bool:
    register_fonts()
    face = pdfmetrics.getFont(font).face
    return ord(char) in face.charToGlyph or char in "\n\r\t"


@dataclass(frozen=True)
class MissingGlyph:
    char: str
    where: str

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.char):04X}"

    def message(self) -> str:
        return (f"「{self.char}」（{self.codepoint}）は印刷用フォントにない文字のため「{SUBSTITUTE}」で"
                f"印刷しました: {self.where}")


def make_styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("body", fontName=GOTHIC, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
        "cell": ParagraphStyle("cell", parent=base, fontSize=CELL_SIZE, leading=CELL_LEADING),
        "cellhead": ParagraphStyle("cellhead", parent=base, fontSize=8.5, leading=11.5,
                                   textColor=colors.white),
        "h1": ParagraphStyle("h1", parent=base, fontSize=14, leading=20, spaceBefore=4,
                             spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11.5, leading=16, spaceBefore=8,
                             spaceAfter=4, textColor=colors.HexColor("#1f3a5f")),
        "title": ParagraphStyle("title", parent=base, fontName=MINCHO, fontSize=22, leading=30,
                                alignment=TA_CENTER, spaceAfter=10),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "secret": ParagraphStyle("secret", parent=base, fontSize=16, leading=22,
                                 alignment=TA_CENTER, textColor=colors.HexColor("#b00020")),
        "notice": ParagraphStyle("notice", parent=base, fontSize=9, leading=13, borderWidth=0.8,
                                 borderColor=colors.HexColor("#b00020"), borderPadding=6,
                                 spaceBefore=6, spaceAfter=10),
        "big": ParagraphStyle("big", parent=base, fontSize=12, leading=18),
    }


@dataclass
class Typesetter:
    """Makes paragraphs from user text: escapes markup, keeps line breaks, and replaces (and
    reports) characters the font lacks."""

    strict: bool = False
    styles: dict[str, ParagraphStyle] = field(default_factory=make_styles)
    missing: list[MissingGlyph] = field(default_factory=list)
    _face: Any = None  # reportlab's TTFontFace (reportlab has no type information)

    def __post_init__(self) -> None:
        self._face = pdfmetrics.getFont(GOTHIC).face

    def fit(self, text: str, where: str) -> str:
        """The text with characters outside the font replaced by 〓 (each one reported)."""
        if not text:
            return ""
        glyphs = self._face.charToGlyph
        if all(ord(ch) in glyphs or ch in "\n\r\t" for ch in text):
            return text
        out = []
        for ch in text:
            if ord(ch) in glyphs or ch in "\n\r\t":
                out.append(ch)
                continue
            found = MissingGlyph(ch, where)
            if self.strict:
                raise UserError(f"「{ch}」（{found.codepoint}）は印刷用フォントにない文字です: {where}。"
                                "別の字体に置き換えてから出力してください。")
            if found not in self.missing:
                self.missing.append(found)
            out.append(SUBSTITUTE)
        return "".join(out)

    def markup(self, text: str, where: str) -> str:
        return escape(self.fit(str(text or ""), where)).replace("\n", "<br/>")

    def p(self, text: str, style: str = "body", where: str = "") -> Paragraph:
        return Paragraph(self.markup(text, where), self.styles[style])

    def raw(self, markup: str, style: str = "body") -> Paragraph:
        """A paragraph of our own fixed markup (no user text)."""
        return Paragraph(markup, self.styles[style])

    def cell(self, text: str, width: float, where: str):
        """A table cell: plain text when it fits on one line (reportlab draws those directly,
        far cheaper than a Paragraph, which tables wrap twice), else a wrapped paragraph."""
        text = self.fit(str(text or ""), where)
        if "\n" not in text and pdfmetrics.stringWidth(text, GOTHIC, CELL_SIZE) <= width - 7:
            return text
        return Paragraph(escape(text).replace("\n", "<br/>"), self.styles["cell"])

    def table(self, head: list[str], rows: list[list[str]], widths_mm: list[float], where: str,
              head_style: str = "cellhead", row_labels: list[str] | None = None) -> Table:
        """A full-width table of wrapped paragraphs; widths are scaled to fit the frame.
        row_labels name each row in glyph reports (e.g. the case number)."""
        scale = FRAME_W / (sum(widths_mm) * mm)
        widths = [w * mm * scale for w in widths_mm]
        data = [[self.raw(escape(h), head_style) for h in head]]
        for i, row in enumerate(rows):
            place = f"{where}（{row_labels[i]}）" if row_labels else f"{where} {i + 1}行目"
            data.append([self.cell(cell, w, f"{place} {h}")
                         for cell, h, w in zip(row, head, widths, strict=True)])
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            *TABLE_TEXT,
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#3b5b7f")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#7f8c99")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        return t

    def pairs(self, rows: list[tuple[str, str]], where: str, label_mm: float = 40) -> Table:
        """A two-column 見出し | 内容 table."""
        widths = [label_mm * mm, FRAME_W - label_mm * mm]
        data = [[self.cell(k, widths[0], where), self.cell(v, widths[1], f"{where} {k}")]
                for k, v in rows]
        t = Table(data, colWidths=widths)
        t.setStyle(TableStyle([
            *TABLE_TEXT,
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e6ecf2")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#7f8c99")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        return t


class ProgressMark(Flowable):
    """Zero-size flowable that reports progress when layout reaches it (and lets a cancel
    raised by the callback stop the layout)."""

    def __init__(self, report: Callable[[], None]) -> None:
        super().__init__()
        self.report = report
        self.width = self.height = 0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.report()


def decorate(canv: rl_canvas.Canvas, header: str, right: str, secret: bool, page: int,
             total: int) -> None:
    """Header (meeting name; 秘 and copy number on the right) and the 「n / N」 footer."""
    canv.saveState()
    canv.setFont(GOTHIC, 8)
    canv.setFillColor(colors.HexColor("#333333"))
    top = PAGE_H - 10 * mm
    canv.drawString(MARGIN, top, header)
    if secret:
        canv.setFillColor(colors.HexColor("#b00020"))
        right = f"秘・取扱注意　{right}".strip()
    canv.drawRightString(PAGE_W - MARGIN, top, right)
    canv.setStrokeColor(colors.HexColor("#999999"))
    canv.setLineWidth(0.4)
    canv.line(MARGIN, top - 2 * mm, PAGE_W - MARGIN, top - 2 * mm)
    canv.setFillColor(colors.black)
    canv.setFont(GOTHIC, 9)
    canv.drawCentredString(PAGE_W / 2, 8 * mm, f"{page} / {total}")
    canv.restoreState()


class FormCanvas(rl_canvas.Canvas):
    """Pages are laid out once, each into a PDF Form XObject, and then placed by reference:
    a packet with ten member copies lays out its body once, not ten times (and the file holds
    the body once). Platypus drives it through `layout()`; `emit()` places pages; `finish()`
    writes the document."""

    def __init__(self, *args, title: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Platypus re-applies these from its document template on every layout.
        self.doc_settings = {"encrypt": kwargs.get("encrypt"), "title": title,
                             "author": "kodoku-desk", "creator": "kodoku-desk"}
        self._serial = 0
        self._forms: list[str] = []
        self._recording = False

    def _open_form(self) -> None:
        self._serial += 1
        self.beginForm(f"kdpage{self._serial}")

    def showPage(self) -> None:  # noqa: N802 - reportlab API
        if not self._recording:
            super().showPage()
            return
        self.endForm()
        self._forms.append(f"kdpage{self._serial}")
        self._open_form()

    def save(self) -> None:
        """Platypus calls save() after each layout; the document is written by finish()."""

    def layout(self, story: list) -> list[str]:
        """Lays the story out on A4 pages; returns the names of the recorded pages."""
        from reportlab.platypus import SimpleDocTemplate

        self._forms, self._recording = [], True
        self._open_form()
        doc = SimpleDocTemplate(io.BytesIO(), pagesize=A4, leftMargin=MARGIN,
                                rightMargin=MARGIN, topMargin=MARGIN + 2 * mm,
                                bottomMargin=MARGIN, **self.doc_settings)
        doc.build(story, canvasmaker=lambda *a, **k: self)
        self.endForm()  # the empty page opened after the last one (never placed)
        self._recording = False
        return self._forms

    def emit(self, forms: list[str], header: str, right: str, secret: bool) -> None:
        for page, name in enumerate(forms, 1):
            self.doForm(name)
            decorate(self, header, right, secret, page, len(forms))
            super().showPage()

    def finish(self) -> None:
        rl_canvas.Canvas.save(self)


def new_canvas(buffer: io.BytesIO, *, title: str, password: str | None = None) -> FormCanvas:
    from reportlab.lib.pdfencrypt import StandardEncryption

    register_fonts()
    encrypt = None
    if password:
        # Readers need the password to open; printing stays allowed, copying text does not. The
        # owner password is random and never shown, so the user password cannot lift those limits.
        # 128-bit: reportlab's 256-bit mode writes revision 5 (an Adobe extension that poppler and
        # other readers refuse), so the packet could not be opened at all.
        encrypt = StandardEncryption(password, ownerPassword=secrets.token_urlsafe(24), canPrint=1,
                                     canModify=0, canCopy=0, canAnnotate=0, strength=128)
    return FormCanvas(buffer, pagesize=A4, encrypt=encrypt, initialFontName=GOTHIC,
                      initialFontSize=9, title=title)


def build_pdf(story: list, *, title: str, header: str, secret: bool,
              password: str | None = None, right: str = "") -> bytes:
    """Lays out the story on A4 and returns the PDF bytes (kept in memory: no plaintext temp
    file; the caller writes it atomically where the user chose)."""
    buffer = io.BytesIO()
    canv = new_canvas(buffer, title=title, password=password)
    canv.emit(canv.layout(story), header, right, secret)
    canv.finish()
    return buffer.getvalue()


ProgressFn = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The default progress callback: nothing to show."""
