"""QtCharts builders for the review screens: where a supervisor would rather look than read."""

from __future__ import annotations

from PySide6.QtCharts import (
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
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter

PALETTE = ("#3b6ea8", "#e07b39", "#5a9e4b", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c")


def _chart(title: str) -> QChart:
    chart = QChart()
    chart.setTitle(title)
    font = QFont(chart.titleFont())
    font.setPointSizeF(11)
    font.setBold(True)
    chart.setTitleFont(font)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return chart


def _value_axis(top: float, decimals: int = 0) -> QValueAxis:
    axis = QValueAxis()
    axis.setRange(0, max(top * 1.15, 1))
    axis.setLabelFormat("%.1f" if decimals else "%d")
    axis.applyNiceNumbers()
    return axis


def _bar_set(name: str, values: list[float], color: str) -> QBarSet:
    bar_set = QBarSet(name)
    bar_set.append([float(v) for v in values])
    bar_set.setColor(QColor(color))
    return bar_set


def stacked_bars(title: str, categories: list[str], series: dict[str, list[int]]) -> QChart:
    """One stacked bar per category (month), one colour per series (field)."""
    chart = _chart(title)
    bars = QStackedBarSeries()
    for i, (name, values) in enumerate(series.items()):
        bars.append(_bar_set(name, values, PALETTE[i % len(PALETTE)]))
    chart.addSeries(bars)
    x = QBarCategoryAxis()
    x.append(categories)
    totals = [sum(v[i] for v in series.values()) for i in range(len(categories))]
    y = _value_axis(max(totals or [0]))
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    bars.attachAxis(x)
    bars.attachAxis(y)
    chart.legend().setVisible(bool(series))
    return chart


def bars(title: str, pairs: list[tuple[str, float]], *, horizontal: bool = False,
         decimals: int = 0, color: str = PALETTE[0]) -> QChart:
    """A single series of values with the value printed on each bar."""
    chart = _chart(title)
    series = QHorizontalBarSeries() if horizontal else QBarSeries()
    series.append(_bar_set(title, [v for _, v in pairs], color))
    series.setLabelsVisible(True)
    series.setLabelsFormat("@value")
    series.setLabelsPrecision(3 if decimals else 6)
    chart.addSeries(series)
    names = QBarCategoryAxis()
    names.append([k for k, _ in pairs] or [""])
    values = _value_axis(max([v for _, v in pairs] or [0]), decimals)
    if horizontal:
        chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
    else:
        chart.addAxis(names, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(names)
    series.attachAxis(values)
    if horizontal:
        names.setReverse(True)  # first item at the top, as in a list
    chart.legend().setVisible(False)
    return chart


def lines(title: str, categories: list[str], series: dict[str, list[int]]) -> QChart:
    """A monthly trend: one line per series over category positions."""
    chart = _chart(title)
    x = QBarCategoryAxis()
    x.append(categories)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    y = _value_axis(max([max(v) for v in series.values() if v] + [0]))
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    for i, (name, values) in enumerate(series.items()):
        line = QLineSeries()
        line.setName(name)
        for pos, value in enumerate(values):
            line.append(pos, value)
        pen = line.pen()
        pen.setColor(QColor(PALETTE[i % len(PALETTE)]))
        pen.setWidthF(2.2)
        line.setPen(pen)
        chart.addSeries(line)
        line.attachAxis(x)
        line.attachAxis(y)
    return chart


class ChartView(QChartView):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(240)

    def show_chart(self, chart: QChart) -> None:
        old = self.chart()
        self.setChart(chart)
        if old is not None:
            old.deleteLater()
