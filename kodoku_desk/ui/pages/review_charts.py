"""QtCharts for the review screens: where a supervisor would rather look than read.

Each chart is built once with its series and axes; new figures replace the values in place
(no new QChart per refresh, no animations). A chart that is not on screen (a tab behind
another) keeps the figures and draws them when it is shown, so a refresh of a page costs the
GUI thread only the charts the user is looking at."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPainter

PALETTE = ("#3b6ea8", "#e07b39", "#5a9e4b", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c")
_BOTTOM, _LEFT = Qt.AlignmentFlag.AlignBottom, Qt.AlignmentFlag.AlignLeft


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    font = QFont(chart.titleFont())
    font.setPointSizeF(11)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(_BOTTOM)
    return chart


def _category_axis() -> QBarCategoryAxis:
    """Category labels a size smaller than the app font, so names and months are not elided."""
    axis = QBarCategoryAxis()
    font = QFont(axis.labelsFont())
    font.setPointSizeF(8.5)
    axis.setLabelsFont(font)
    return axis


def _set_top(axis: QValueAxis, top: float) -> None:
    axis.setRange(0, max(top * 1.15, 1))
    axis.applyNiceNumbers()


def _set_categories(axis: QBarCategoryAxis, names: Sequence[str]) -> None:
    names = list(names) or [""]
    if axis.categories() != names:
        axis.clear()
        axis.append(names)


def _set_values(bar_set: QBarSet, values: Sequence[float]) -> None:
    if bar_set.count():
        bar_set.remove(0, bar_set.count())
    bar_set.append([float(v) for v in values])


def _bar_set(name: str, color: str) -> QBarSet:
    bar_set = QBarSet(name)
    bar_set.setColor(QColor(color))
    return bar_set


class ChartView(QChartView):
    """A chart with its figures; `update_figures` stores them and draws them now if the view is
    on screen, or when it is next shown."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)
        self.setChart(_chart(title))
        self._pending: tuple | None = None
        self.drawn = 0  # how many times figures were drawn (tests)

    def update_figures(self, *figures) -> None:
        self._pending = figures
        if self.isVisible():
            self._draw_pending()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._draw_pending()

    def _draw_pending(self) -> None:
        if self._pending is not None:
            figures, self._pending = self._pending, None
            self.draw(*figures)
            self.drawn += 1

    def draw(self, *figures) -> None:
        raise NotImplementedError


class BarChart(ChartView):
    """A single series of values with the value printed on each bar."""

    def __init__(self, title: str, *, horizontal: bool = False, decimals: int = 0,
                 color: str = PALETTE[0], parent=None) -> None:
        super().__init__(title, parent)
        chart = self.chart()
        series: QAbstractBarSeries = QHorizontalBarSeries() if horizontal else QBarSeries()
        self.bar_set = _bar_set(title, color)
        series.append(self.bar_set)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        series.setLabelsPrecision(3 if decimals else 6)
        chart.addSeries(series)
        self.names = _category_axis()
        self.values = QValueAxis()
        self.values.setLabelFormat("%.1f" if decimals else "%d")
        chart.addAxis(self.names, _LEFT if horizontal else _BOTTOM)
        chart.addAxis(self.values, _BOTTOM if horizontal else _LEFT)
        series.attachAxis(self.names)
        series.attachAxis(self.values)
        self.horizontal = horizontal
        chart.legend().setVisible(False)
        _set_top(self.values, 0)

    def draw(self, pairs: Sequence[tuple[str, float]]) -> None:
        if self.horizontal:  # Qt draws the first category at the bottom; a list reads downwards
            pairs = list(reversed(pairs))
        _set_categories(self.names, [k for k, _ in pairs])
        _set_values(self.bar_set, [v for _, v in pairs])
        _set_top(self.values, max([v for _, v in pairs] or [0]))


class StackedBarChart(ChartView):
    """One stacked bar per category (month), one colour per series (field)."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(title, parent)
        chart = self.chart()
        self.bars = QStackedBarSeries()
        chart.addSeries(self.bars)
        self.x_axis, self.y_axis = _category_axis(), QValueAxis()
        self.y_axis.setLabelFormat("%d")
        chart.addAxis(self.x_axis, _BOTTOM)
        chart.addAxis(self.y_axis, _LEFT)
        self.bars.attachAxis(self.x_axis)
        self.bars.attachAxis(self.y_axis)
        self.sets: dict[str, QBarSet] = {}
        chart.legend().setVisible(False)
        _set_top(self.y_axis, 0)

    def draw(self, categories: Sequence[str], series: dict[str, list[int]]) -> None:
        if list(series) != list(self.sets):  # other series than last time: new sets
            self.bars.clear()
            self.sets = {name: _bar_set(name, PALETTE[i % len(PALETTE)])
                         for i, name in enumerate(series)}
            for bar_set in self.sets.values():
                self.bars.append(bar_set)
        _set_categories(self.x_axis, categories)
        for name, values in series.items():
            _set_values(self.sets[name], values)
        totals = [sum(v[i] for v in series.values() if i < len(v)) for i in range(len(categories))]
        _set_top(self.y_axis, max(totals or [0]))
        self.chart().legend().setVisible(bool(series))


class LineChart(ChartView):
    """A monthly trend: one line per series over category positions."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(title, parent)
        chart = self.chart()
        self.x_axis, self.y_axis = _category_axis(), QValueAxis()
        self.y_axis.setLabelFormat("%d")
        chart.addAxis(self.x_axis, _BOTTOM)
        chart.addAxis(self.y_axis, _LEFT)
        self.lines: dict[str, QLineSeries] = {}
        _set_top(self.y_axis, 0)

    def draw(self, categories: Sequence[str], series: dict[str, list[int]]) -> None:
        chart = self.chart()
        if list(series) != list(self.lines):
            for line in self.lines.values():
                chart.removeSeries(line)
                line.deleteLater()
            self.lines = {}
            for i, name in enumerate(series):
                line = QLineSeries()
                line.setName(name)
                pen = line.pen()
                pen.setColor(QColor(PALETTE[i % len(PALETTE)]))
                pen.setWidthF(2.2)
                line.setPen(pen)
                chart.addSeries(line)
                line.attachAxis(self.x_axis)
                line.attachAxis(self.y_axis)
                self.lines[name] = line
        _set_categories(self.x_axis, categories)
        for name, values in series.items():
            self.lines[name].replace([QPointF(pos, value) for pos, value in enumerate(values)])
        _set_top(self.y_axis, max([max(v) for v in series.values() if v] + [0]))
