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
from collections.abc import Callable
from dataclasses import dataclass, field
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
TABLE_FONT = ("FONTNAME", (0, 0), (-1, -1), GOTHIC)


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
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11.5),
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
    _face: object = None

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

    def table(self, head: list[str], rows: list[list[str]], widths_mm: list[float], where: str,
              head_style: str = "cellhead", row_labels: list[str] | None = None) -> Table:
        """A full-width table of wrapped paragraphs; widths are scaled to fit the frame.
        row_labels name each row in glyph reports (e.g. the case number)."""
        scale = FRAME_W / (sum(widths_mm) * mm)
        widths = [w * mm * scale for w in widths_mm]
        data = [[self.raw(escape(h), head_style) for h in head]]
        for i, row in enumerate(rows):
            place = f"{where}（{row_labels[i]}）" if row_labels else f"{where} {i + 1}行目"
            data.append([self.p(cell, "cell", f"{place} {h}") for cell, h in zip(row, head,
                                                                               strict=True)])
        t = Table(data, colWidths=widths, repeatRows=1)
        t.setStyle(TableStyle([
            TABLE_FONT,
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
        data = [[self.raw(escape(k), "cell"), self.p(v, "cell", f"{where} {k}")] for k, v in rows]
        t = Table(data, colWidths=[label_mm * mm, FRAME_W - label_mm * mm])
        t.setStyle(TableStyle([
            TABLE_FONT,
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e6ecf2")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#7f8c99")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        return t


class CopyMark(Flowable):
    """Zero-size marker: pages from here on belong to copy `number` (page numbers restart)."""

    def __init__(self, number: int, label: str) -> None:
        super().__init__()
        self.number, self.label = number, label
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv._kodoku_copy = (self.number, self.label)


def numbered_canvas(header: str, secret: bool) -> type:
    """A canvas class that holds pages until the end so each page can say 「n / N」 (N counted
    per member copy) and carry the header (meeting name, 秘, copy number)."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[tuple[dict, tuple[int, str]]] = []
            self._kodoku_copy = (0, "")

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._saved.append((dict(self.__dict__), self._kodoku_copy))
            self._startPage()

        def save(self) -> None:
            totals: dict[int, int] = {}
            for _, (number, _) in self._saved:
                totals[number] = totals.get(number, 0) + 1
            seen: dict[int, int] = {}
            for state, (number, label) in self._saved:
                self.__dict__.update(state)
                seen[number] = seen.get(number, 0) + 1
                self._decorate(seen[number], totals[number], label)
                super().showPage()
            super().save()

        def _decorate(self, page: int, total: int, label: str) -> None:
            self.saveState()
            self.setFont(GOTHIC, 8)
            self.setFillColor(colors.HexColor("#333333"))
            top = PAGE_H - 10 * mm
            self.drawString(MARGIN, top, header)
            right = label
            if secret:
                self.setFillColor(colors.HexColor("#b00020"))
                right = f"秘・取扱注意　{label}".strip()
            self.drawRightString(PAGE_W - MARGIN, top, right)
            self.setStrokeColor(colors.HexColor("#999999"))
            self.setLineWidth(0.4)
            self.line(MARGIN, top - 2 * mm, PAGE_W - MARGIN, top - 2 * mm)
            self.setFillColor(colors.black)
            self.setFont(GOTHIC, 9)
            self.drawCentredString(PAGE_W / 2, 8 * mm, f"{page} / {total}")
            self.restoreState()

    return NumberedCanvas


def build_pdf(story: list, *, title: str, header: str, secret: bool,
              password: str | None = None) -> bytes:
    """Lays out the story on A4 and returns the PDF bytes (kept in memory: no plaintext temp
    file; the caller writes it atomically where the user chose)."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.platypus import SimpleDocTemplate

    register_fonts()
    buffer = io.BytesIO()
    encrypt = None
    if password:
        # Readers need the password to open; printing stays allowed, copying text does not.
        encrypt = StandardEncryption(password, canPrint=1, canModify=0, canCopy=0,
                                     canAnnotate=0, strength=128)
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + 2 * mm, bottomMargin=MARGIN, title=title,
                            author="kodoku-desk", encrypt=encrypt,
                            initialFontName=GOTHIC, initialFontSize=9)
    doc.build(story, canvasmaker=numbered_canvas(header, secret))
    return buffer.getvalue()


ProgressFn = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """The default progress callback: nothing to show."""
