"""統計 (issue 4): the period report (年度 by default) as figures, breakdowns and charts, with
PDF/CSV export. The report is computed in the background and formatted there too; it is
computed when the page is first shown, when the user asks (集計) and, after a change elsewhere,
the next time the page is shown — not on every visit (a year at city scale takes seconds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain.changes import Change
from kodoku_desk.ui.pages.review_common import (
    DateField,
    ReviewPage,
    buttons,
    combo,
    labelled,
    month_labels,
    refill,
)
from kodoku_desk.ui.tables import LogTable

if TYPE_CHECKING:  # both load in the background, after the page is shown
    from kodoku_desk.queries.stats import StatsReport
    from kodoku_desk.ui.pages.review_charts import BarChart, LineChart

CHARTS_AFTER_MS = 60
# What the report counts; never Change.AUDIT. (Not SETTINGS either: every audited write also
# reports SETTINGS for now, and a year's report takes seconds. A changed 受理期限 shows after 集計.)
COUNTED = Change.CASE | Change.HANDOFF | Change.PLAN | Change.MEETING | Change.ORG
BREAKDOWNS = ("分野", "発見経路", "ブロック", "年齢", "困りごと", "受理日数")
CHARTS = (("分野", "分野別ケース数（延べ）", False), ("ブロック", "ブロック別ケース数", False),
          ("年齢", "年齢階層別ケース数（期間末日時点）", False), ("発見経路", "発見経路別ケース数", True))


def _fiscal_year(today: date) -> tuple[date, date]:
    """The current 年度 (April to March), up to today."""
    start_year = today.year if today.month >= 4 else today.year - 1
    return date(start_year, 4, 1), today


@dataclass
class ReportView:
    """A stats report with its tables formatted (made in the background)."""

    report: StatsReport
    headline: list[list[str]]
    breakdowns: dict[str, list[list[str]]]
    months: list[str]
    trend: dict[str, list[int]]


def report_view(r: StatsReport) -> ReportView:
    share = f"{r.multi_field_cases:,} 件（{r.multi_field_share * 100:.1f}%）"
    median = "—" if r.median_ack_days is None else f"{r.median_ack_days:.1f} 日"
    headline = [["新規ケース数", f"{r.cases:,} 件"], ["受付件数（シート）", f"{r.intakes:,} 件"],
                ["複数分野にわたるケース", share], ["つなぎ 送付", f"{r.sent:,} 件"],
                ["つなぎ 受理", f"{r.acknowledged:,} 件"], ["つなぎ 返送", f"{r.returned:,} 件"],
                ["つなぎ 受理期限に遅れた", f"{r.overdue:,} 件"], ["受理までの日数（中央値）", median]]
    headline += [[f"期限超過中 {label}", f"{n:,} 件"] for label, n in r.overdue_now_rows()]
    breakdowns = {key: [[k, f"{v:,}"] for k, v in pairs] for key, pairs in (
        ("分野", r.by_field), ("発見経路", r.by_discovery), ("ブロック", r.by_block),
        ("年齢", r.by_age), ("困りごと", r.by_worry))}
    breakdowns["受理日数"] = [[m.agency, f"{m.median_days:.1f}", f"{m.acknowledged:,}"]
                          for m in r.median_by_agency]
    months = month_labels([m.month for m in r.monthly])
    trend = {"新規ケース": [m.cases for m in r.monthly], "つなぎ送付": [m.sent for m in r.monthly],
             "受理": [m.acknowledged for m in r.monthly], "返送": [m.returned for m in r.monthly]}
    return ReportView(r, headline, breakdowns, months, trend)


class StatisticsPage(ReviewPage):
    title = "統計"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.report: StatsReport | None = None
        self.stale = True  # compute on the next show
        self.computing = False
        filters = QGroupBox("期間")
        row = QHBoxLayout(filters)
        self.date_from, self.date_to = DateField("期間（から）"), DateField("期間（まで）")
        start, end = _fiscal_year(date.today())
        self.date_from.set_date(start)
        self.date_to.set_date(end)
        self.agency = combo([], "全体")
        labelled([("期間", self.date_from), ("〜", self.date_to), ("機関", self.agency)], row,
                 stretch=False)
        self.run_button = QPushButton("集計")
        self.run_button.clicked.connect(lambda: self.compute(progress=True))
        row.addWidget(self.run_button)
        row.addStretch(1)
        self.layout_.addWidget(filters)
        self.add_message_line()
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        self.headline = LogTable(["項目", "値"])
        left_box.addWidget(self.headline, 2)
        self.breakdown_tabs = QTabWidget()
        self.breakdowns: dict[str, LogTable] = {}
        for key in BREAKDOWNS:
            table = (LogTable(["項目", "件数"], stretch=0, numeric=(1,)) if key != "受理日数" else
                     LogTable(["受け手の機関", "中央値（日）", "件数"], stretch=0, numeric=(1, 2)))
            self.breakdowns[key] = table
            self.breakdown_tabs.addTab(table, key)
        left_box.addWidget(self.breakdown_tabs, 3)
        split.addWidget(left)
        # The charts (and QtCharts) are built a moment after the page has been shown and
        # painted: opening the page and drawing its charts are two short steps, not one long.
        self.chart_tabs = QTabWidget()
        self.chart_tabs.setMinimumWidth(420)
        self.trend_chart: LineChart | None = None
        self.breakdown_charts: dict[str, BarChart] = {}
        self._figures: ReportView | None = None
        QTimer.singleShot(CHARTS_AFTER_MS, self, self._build_charts)
        split.addWidget(self.chart_tabs)
        split.setSizes([420, 520])
        self.layout_.addWidget(split, 1)
        self.pdf_button, self.csv_button = QPushButton("PDFで出力"), QPushButton("CSVで出力")
        self.pdf_button.clicked.connect(lambda: self.export_report("pdf"))
        self.csv_button.clicked.connect(lambda: self.export_report("csv"))
        self.layout_.addLayout(buttons(self.pdf_button, self.csv_button))
        ctx.changes.changed.connect(self._changed_elsewhere)

    def _build_charts(self) -> None:
        """The trend chart now; each breakdown chart when its tab is first opened."""
        from kodoku_desk.ui.pages import review_charts as charts

        self.trend_chart = charts.LineChart("月別推移")
        self.chart_tabs.addTab(self.trend_chart, "月別推移")
        for key, _title, _horizontal in CHARTS:
            self.chart_tabs.addTab(QWidget(), key)
        self.chart_tabs.currentChanged.connect(self._chart_tab_opened)
        self._draw_charts()

    def _chart_tab_opened(self, index: int) -> None:
        key, title, horizontal = CHARTS[index - 1] if index > 0 else (None, "", False)
        if key is None or key in self.breakdown_charts:
            return
        from kodoku_desk.ui.pages import review_charts as charts

        chart = self.breakdown_charts[key] = charts.BarChart(title, horizontal=horizontal)
        placeholder = self.chart_tabs.widget(index)
        self.chart_tabs.blockSignals(True)
        self.chart_tabs.removeTab(index)
        self.chart_tabs.insertTab(index, chart, key)
        self.chart_tabs.setCurrentIndex(index)
        self.chart_tabs.blockSignals(False)
        if placeholder is not None:
            placeholder.deleteLater()
        if self._figures is not None:
            chart.update_figures(self._pairs(self._figures.report)[key])

    @staticmethod
    def _pairs(r) -> dict[str, list]:
        return {"分野": r.by_field, "ブロック": r.by_block, "年齢": r.by_age,
                "発見経路": r.by_discovery}

    def _draw_charts(self) -> None:
        view = self._figures
        if view is None or self.trend_chart is None:
            return
        self.trend_chart.update_figures(view.months, view.trend)
        for key, pairs in self._pairs(view.report).items():
            if key in self.breakdown_charts:
                self.breakdown_charts[key].update_figures(pairs)

    def _changed_elsewhere(self, change: Change) -> None:
        if change & COUNTED:
            self.stale = True

    def fill_choices(self, choices) -> None:
        refill(self.agency, [(name, name) for _, name in choices.agencies])

    def refresh(self) -> None:
        if self.stale and not self.computing:
            self.load_choices(self.compute)

    def _period(self) -> tuple[date, date]:
        from kodoku_desk.queries.stats import check_report_period

        return check_report_period(self.date_from.value(), self.date_to.value())

    def compute(self, progress: bool = False) -> None:
        """The report in the background; `progress` (the 集計 button) shows a dialog with 中止."""
        period = self.checked(self._period)
        if period is None:
            return
        (date_from, date_to), agency, signed = period, self.agency.currentData(), self.ctx.signed

        def work() -> ReportView:
            from kodoku_desk.queries import stats

            return report_view(stats.report(signed, date_from, date_to, agency, allow_empty=True))

        def failed(exc: BaseException) -> None:
            self.computing = False
            self.fail(exc)

        self.stale, self.computing = False, True
        self.say("集計しています…")
        # Computing the report is audited: a write (Change.AUDIT, which this page ignores).
        self.write(work, self.show_report, "集計しています…" if progress else None,
                   latest="report", on_failure=failed)

    def show_report(self, view: ReportView) -> None:
        self.computing = False
        r = self.report = view.report
        self.headline.fill(view.headline)
        for key, rows in view.breakdowns.items():
            self.breakdowns[key].fill(rows)
        self._figures = view  # kept for charts whose tab is opened later
        self._draw_charts()
        scope = r.agency or "全体"
        if r.is_empty:
            self.say(f"{r.period_text()}（{scope}）には受付もつなぎもありません。期間を確認してください。",
                     error=True)
        else:
            self.say(f"{r.period_text()}（{scope}）の集計です。")

    def export_report(self, fmt: str) -> None:
        period = self.checked(self._period)
        if period is None:
            return
        (date_from, date_to), agency, signed = period, self.agency.currentData(), self.ctx.signed

        def work(path: str):
            from kodoku_desk.queries import stats

            return stats.export_report(signed, date_from, date_to, fmt, path, agency)

        pattern = "PDF (*.pdf)" if fmt == "pdf" else "CSV (*.csv)"
        self.export("統計報告の出力", f"統計報告_{date_from.isoformat()}_{date_to.isoformat()}.{fmt}",
                    pattern, work, lambda r, path: f"統計報告を出力しました: {path}")
