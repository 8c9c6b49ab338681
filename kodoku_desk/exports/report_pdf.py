"""Supervisor documents as PDF: the statistics report (with charts from reportlab.graphics)
and the hand-off log. IPAex Gothic is embedded, so the file prints the same everywhere."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kodoku_desk.domain import dates
from kodoku_desk.exports import pdf_common

if TYPE_CHECKING:
    from kodoku_desk.queries.review_handoffs import HandoffLog
    from kodoku_desk.queries.stats import StatsReport

GOTHIC = pdf_common.GOTHIC
PALETTE = [colors.HexColor(c) for c in ("#3b6ea8", "#e07b39", "#5a9e4b", "#c44e52", "#8172b2",
                                        "#937860", "#da8bc3", "#8c8c8c")]


def register_fonts() -> None:
    """IPAex Gothic and Mincho, embedded as subsets (the shared helper, once per process)."""
    pdf_common.register_fonts()


def _fit(text: str) -> str:
    """Characters IPAex lacks (some 外字 such as 𠮷) print as 〓 instead of vanishing."""
    glyphs = pdfmetrics.getFont(GOTHIC).face.charToGlyph
    if all(ord(ch) in glyphs or ch in "\n\r\t" for ch in text):
        return text
    return "".join(ch if ord(ch) in glyphs or ch in "\n\r\t" else pdf_common.SUBSTITUTE
                   for ch in text)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=GOTHIC, fontSize=9.5, leading=14, wordWrap="CJK")
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=18, spaceBefore=10,
                             spaceAfter=4, textColor=colors.HexColor("#1f3b5c")),
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11,
                                textColor=colors.HexColor("#444444")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10.5),
    }


class _NumberedCanvas(rl_canvas.Canvas):
    """Footer 「n / N」 and a header line: pages are buffered so N is known."""

    header = ""

    def __init__(self, *args, **kwargs) -> None:
        if not kwargs.get("initialFontName"):  # no stray non-embedded Helvetica in the file
            kwargs["initialFontName"] = GOTHIC
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        width, height = self._pagesize
        self.setFont(GOTHIC, 8)
        self.setFillColor(colors.HexColor("#555555"))
        self.drawString(15 * mm, height - 10 * mm, _fit(self.header))
        self.drawCentredString(width / 2, 8 * mm, f"{number} / {total}")


def _canvas_with_header(header: str):
    return type("_Canvas", (_NumberedCanvas,), {"header": header})


def _render(story: list, pagesize, header: str, title: str, author: str) -> bytes:
    """Build in memory: the caller (services.exporting) decides where the bytes go."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, title=title, author=author,
                            creator="kodoku-desk")
    doc.build(story, canvasmaker=_canvas_with_header(header))
    return buffer.getvalue()


def _table(rows: Sequence[Sequence], widths: Sequence[float], *, header_rows: int = 1,
           number_cols: Sequence[int] = ()) -> Table:
    st = _styles()["cell"]
    cells = [[c if not isinstance(c, str) else Paragraph(_escape(c), st) for c in row]
             for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=header_rows)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), GOTHIC),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#e6edf5")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    style += [("ALIGN", (c, header_rows), (c, -1), "RIGHT") for c in number_cols]
    table.setStyle(TableStyle(style))
    return table


def _escape(text: str) -> str:
    return _fit(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fmt(n: float | int | None, suffix: str = "") -> str:
    if n is None:
        return "—"
    if isinstance(n, float):
        return f"{n:,.1f}{suffix}"
    return f"{n:,}{suffix}"


# --------------------------------------------------------------------------- charts


def _drawing(width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    drawing.initialFontName = GOTHIC  # the renderer's starting font (else a stray Helvetica)
    return drawing


def bar_chart(title: str, pairs: list[tuple[str, int]], width: float = 170 * mm,
              height: float = 62 * mm, horizontal: bool = False) -> Drawing:
    """One series of counts; labels in IPAex Gothic."""
    drawing = _drawing(width, height)
    if title:
        drawing.add(String(0, height - 10, title, fontName=GOTHIC, fontSize=10))
    values = [v for _, v in pairs] or [0]
    chart = HorizontalBarChart() if horizontal else VerticalBarChart()
    label_room = 38 * mm if horizontal else 0
    chart.x, chart.y = 12 * mm + label_room, 14 * mm if not horizontal else 6 * mm
    chart.width = width - chart.x - 6 * mm
    chart.height = height - chart.y - 16
    chart.data = [values]
    chart.categoryAxis.categoryNames = [_fit(k) for k, _ in pairs] or [""]
    chart.categoryAxis.labels.fontName = GOTHIC
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = GOTHIC
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(max(values) * 1.15, 1)
    chart.valueAxis.valueStep = _nice_step(chart.valueAxis.valueMax)
    chart.bars[0].fillColor = PALETTE[0]
    chart.barLabels.fontName = GOTHIC
    chart.barLabels.fontSize = 6.5
    chart.barLabelFormat = "%d"
    if horizontal:
        chart.categoryAxis.reverseDirection = True
        chart.barLabels.boxAnchor = "w"
        chart.barLabels.dx = 3
    else:
        chart.barLabels.nudge = 6
        if len(pairs) > 6:
            chart.categoryAxis.labels.angle = 30
            chart.categoryAxis.labels.boxAnchor = "ne"
    drawing.add(chart)
    return drawing


def line_chart(title: str, categories: list[str], series: list[tuple[str, list[int]]],
               width: float = 170 * mm, height: float = 70 * mm) -> Drawing:
    drawing = _drawing(width, height)
    drawing.add(String(0, height - 10, title, fontName=GOTHIC, fontSize=10))
    chart = HorizontalLineChart()
    chart.x, chart.y = 12 * mm, 18 * mm
    chart.width, chart.height = width - 50 * mm, height - chart.y - 16
    chart.data = [values for _, values in series] or [[0]]
    top = max([max(v) for _, v in series if v] + [1])
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top * 1.15
    chart.valueAxis.valueStep = _nice_step(top * 1.15)
    chart.categoryAxis.categoryNames = categories
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = GOTHIC
        axis.labels.fontSize = 7
    if len(categories) > 8:
        chart.categoryAxis.labels.angle = 45
        chart.categoryAxis.labels.boxAnchor = "ne"
    for i in range(len(series)):
        chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        chart.lines[i].strokeWidth = 1.6
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 34 * mm, height - 18
    legend.fontName, legend.fontSize = GOTHIC, 8
    legend.alignment = "right"
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], _fit(name))
                             for i, (name, _) in enumerate(series)]
    drawing.add(legend)
    return drawing


def _nice_step(top: float) -> float:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000,
                 50000, 100000):
        if top / step <= 8:
            return step
    return top / 8


# --------------------------------------------------------------------------- statistics report


def _headline(r: StatsReport) -> list[tuple[str, str]]:
    return [
        ("新規ケース数", _fmt(r.cases, " 件")),
        ("受付件数（シート）", _fmt(r.intakes, " 件")),
        ("複数分野にわたるケース", f"{_fmt(r.multi_field_cases, ' 件')}（{r.multi_field_share * 100:.1f}%）"),
        ("つなぎ 送付", _fmt(r.sent, " 件")),
        ("つなぎ 受理", _fmt(r.acknowledged, " 件")),
        ("つなぎ 返送", _fmt(r.returned, " 件")),
        ("つなぎ 受理期限に遅れた", _fmt(r.overdue, " 件")),
        ("受理までの日数（中央値）", _fmt(r.median_ack_days, " 日")),
    ]


def _pairs_table(title: str, pairs: list[tuple[str, int]], total: int | None = None) -> Table:
    rows: list[list] = [[title, "件数", "割合"]]
    denominator = total if total else sum(v for _, v in pairs)
    for k, v in pairs:
        share = f"{v / denominator * 100:.1f}%" if denominator else "—"
        rows.append([k, f"{v:,}", share])
    return _table(rows, [70 * mm, 25 * mm, 25 * mm], number_cols=(1, 2))


def stats_story(r: StatsReport, author: str) -> list:
    st = _styles()
    scope = r.agency or "全体"
    story: list = [
        Paragraph("統計報告（重層的支援・つながるシート）", st["title"]),
        Paragraph(_escape(f"期間: {r.period_text()}（{r.date_from.isoformat()} 〜 "
                          f"{r.date_to.isoformat()}）　対象: {scope}"), st["base"]),
        Paragraph(_escape(f"作成: {dates.to_wareki(date.today())}　{author}"), st["small"]),
        Spacer(1, 4 * mm),
        Paragraph("主な数値", st["h2"]),
        _table([["項目", "値"], *[[k, v] for k, v in _headline(r)]], [80 * mm, 60 * mm],
               number_cols=(1,)),
        Paragraph("受理までの日数は暦日、受理期限に遅れたものは送付日から営業日（土日・祝日・年末年始を"
                  "除く）で数えた受理期限までに応答がなかったもの。年齢は期間末日時点。", st["small"]),
        Paragraph(_escape(f"期限超過中のつなぎ（{dates.to_wareki(r.overdue_on)}現在）"), st["h2"]),
        _table([["期限", "件数"], *[[k, _fmt(n, " 件")] for k, n in r.overdue_now_rows()]],
               [80 * mm, 60 * mm], number_cols=(1,)),
        Paragraph("期間中に送付したつなぎのうち、いまの段階の期限を過ぎているもの（受信箱・ダッシュボードと"
                  "同じ基準）。受理期限は送付時に決まった日、対応開始期限は受理から、更新期限は対応中の"
                  "最後の記録から、設定の営業日数で数えます。", st["small"]),
    ]
    months = [m.month[2:].replace("-", "/") for m in r.monthly]
    story += [
        CondPageBreak(80 * mm), Paragraph("月別推移", st["h2"]),
        line_chart("新規ケース・つなぎ送付・受理・返送（件）", months, [
            ("新規ケース", [m.cases for m in r.monthly]),
            ("つなぎ送付", [m.sent for m in r.monthly]),
            ("受理", [m.acknowledged for m in r.monthly]),
            ("返送", [m.returned for m in r.monthly]),
        ]),
        _table([["月", "新規ケース", "受付", "送付", "受理", "返送"]] + [
            [m.month, f"{m.cases:,}", f"{m.intakes:,}", f"{m.sent:,}", f"{m.acknowledged:,}",
             f"{m.returned:,}"] for m in r.monthly], [28 * mm] + [26 * mm] * 5,
            number_cols=(1, 2, 3, 4, 5)),
    ]
    for title, pairs, horizontal in (("分野別ケース数（延べ）", r.by_field, False),
                                     ("ブロック別ケース数", r.by_block, False),
                                     ("年齢階層別ケース数", r.by_age, False),
                                     ("発見経路別ケース数", r.by_discovery, True)):
        story += [CondPageBreak(75 * mm), Paragraph(title, st["h2"]),
                  KeepTogether([bar_chart("", pairs, horizontal=horizontal),
                                _pairs_table("項目", pairs, r.cases)])]
    story += [CondPageBreak(60 * mm), Paragraph("困りごと別受付件数（延べ）", st["h2"])]
    if r.by_worry:
        story += [bar_chart("", r.by_worry[:12], horizontal=True,
                            height=max(50 * mm, 7 * mm * min(len(r.by_worry), 12) + 20 * mm)),
                  _pairs_table("困りごと", r.by_worry, r.intakes)]
    else:
        story.append(Paragraph("この期間の受付シートに困りごとの記入はありません。", st["base"]))
    story += [CondPageBreak(60 * mm), Paragraph("機関別 受理までの日数（中央値・暦日）", st["h2"])]
    if r.median_by_agency:
        story.append(_table([["受け手の機関", "中央値（日）", "受理件数"]] + [
            [m.agency, f"{m.median_days:.1f}", f"{m.acknowledged:,}"] for m in r.median_by_agency],
            [90 * mm, 30 * mm, 30 * mm], number_cols=(1, 2)))
    else:
        story.append(Paragraph("この期間に送付されて受理されたつなぎはありません。", st["base"]))
    return story


def render_stats_pdf(r: StatsReport, author: str) -> bytes:
    register_fonts()
    header = f"統計報告　{r.period_text()}　{r.agency or '全体'}"
    return _render(stats_story(r, author), A4, header, "統計報告", author)


# --------------------------------------------------------------------------- hand-off log


def _short(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def render_handoff_log_pdf(log: HandoffLog, today: date, author: str) -> bytes:
    register_fonts()
    st = _styles()
    filters = "、".join(log.filter_text) or "条件なし（すべて）"
    story: list = [
        Paragraph("つなぎ履歴", st["title"]),
        Paragraph(_escape(f"条件: {filters}"), st["base"]),
        Paragraph(_escape(f"{log.total:,} 件（出力 {len(log.rows):,} 件）　作成: "
                          f"{dates.to_wareki(today)}　{author}"), st["small"]),
        Spacer(1, 3 * mm),
    ]
    head = ["ID", "ケース番号", "送付日時", "送付元", "送付先", "状態", "受理期限", "受理日時", "根拠",
            "期限超過", "返送理由・提案先"]
    rows = [head]
    for r in log.rows:
        returned = " → ".join(x for x in (r.return_reason, r.return_alternative) if x)
        basis = r.basis + ("（同意外）" if r.consent_override else "")
        rows.append([str(r.id), r.case_no, _short(r.sent_at), r.from_agency, r.to_agency, r.state,
                     _short(r.due_on), _short(r.acknowledged_at), basis,
                     f"{r.overdue_label}（超過{r.overdue_days}営業日）" if r.overdue_label else "",
                     returned])
    widths = [11, 20, 26, 32, 32, 12, 21, 26, 26, 26, 35]
    story.append(_table(rows, [w * mm for w in widths]))
    if not log.rows:
        story.append(Paragraph("条件に合うつなぎはありません。", st["base"]))
    header = f"つなぎ履歴　{dates.to_wareki(today)}"
    return _render(story, landscape(A4), header, "つなぎ履歴", author)
