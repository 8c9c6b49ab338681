"""What the supervisor screens (issue 4) share: the page shape (title, message line, background
work), the 和暦/西暦 date field of their filters, drop-downs, and display formats.

Every database query and export runs through ctx.runner; errors come back as a sentence in the
page's message line (no modal box to dismiss, no traceback). Rows are formatted for display in
the background too, so the GUI thread only hands finished cells to a LogTable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.errors import UserError
from kodoku_desk.ui.ops import Latest, error_text
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.tables import LogTable

ALL = "（すべて）"
DATE_HINT = "例: R7.4.1 / 令和7年4月1日 / 2025-04-01"


def dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def wareki(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return dates.to_wareki(value.date() if isinstance(value, datetime) else value)


class DateField(QLineEdit):
    """A date typed as 和暦 or 西暦; parsed on demand, the error shown at the field."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.setPlaceholderText(DATE_HINT)
        self.setMinimumWidth(150)
        self.setMaximumWidth(200)
        self.setToolTip(f"{label}（{DATE_HINT}）")

    def value(self) -> date | None:
        try:
            parsed = dates.parse_date(self.text(), field=self.label)
        except UserError as err:
            self.setStyleSheet("border: 2px solid #c0392b;")
            self.setFocus()
            raise UserError(f"{self.label}: {err.message}", field=self.label) from None
        self.setStyleSheet("")
        return parsed

    def set_date(self, value: date | None) -> None:
        self.setText(dates.to_wareki(value) if value else "")


class ReviewPage(Page):
    """Shared shape: a title, a message line for results and errors, and background work."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.layout_ = QVBoxLayout(self)
        heading = QLabel(self.title)
        heading.setStyleSheet("font-size: 17px; font-weight: bold;")
        self.layout_.addWidget(heading)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choices = None
        self._latest = Latest()

    def add_message_line(self) -> None:
        self.layout_.addWidget(self.message)

    def say(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        color = "#c0392b" if error else ("#1e7e34" if ok else "#333333")
        self.message.setStyleSheet(f"color: {color};")
        self.message.setText(text)

    def fail(self, exc: BaseException) -> None:
        self.say(error_text(exc), error=True)

    def checked(self, read: Callable[[], Any]) -> Any:
        """read() — the page's filter or period — or None after saying what is wrong with it."""
        try:
            return read()
        except UserError as err:
            self.say(err.message, error=True)
            return None

    def query(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
              label: str | None = None, *, latest: str | None = None,
              on_failure: Callable[[BaseException], None] | None = None) -> None:
        """Read: fn() in the background, on_success(result) here. With `latest`, only the
        result of the last call under that name is shown (a slow answer to an older search is
        dropped). `label` shows a progress dialog with 中止."""
        self._background(self.ctx.runner.query, fn, on_success, label, latest, on_failure)

    def write(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
              label: str | None = None, *, latest: str | None = None,
              on_failure: Callable[[BaseException], None] | None = None) -> None:
        """As query, for work that commits: a review, an export, and every audited read
        (the logs record that they were looked at)."""
        self._background(self.ctx.runner.write, fn, on_success, label, latest, on_failure)

    def _background(self, start, fn, on_success, label, latest, on_failure) -> None:
        failure = on_failure or self.fail
        if latest is not None:
            on_success, failure = self._latest.guard(latest, on_success, failure)
        if label is None:
            start(fn, on_success, failure, parent=self)
        else:  # with a progress dialog the runner passes a progress callback we do not need
            start(lambda _progress: fn(), on_success, failure, parent=self, progress_label=label)

    def open_case_from(self, table: LogTable) -> None:
        case_id = table.current_case_id()
        if case_id:
            self.ctx.open_case(int(case_id))
        else:
            self.say("ケースを開くには、一覧の行を選んでください。", error=True)

    def load_choices(self, then: Callable[[], None]) -> None:
        if self.choices is not None:
            then()
            return

        def work():
            # Services load here, off the GUI thread, the first time a review page is opened.
            from kodoku_desk.queries import review_common

            return review_common.filter_choices(signed)

        def done(choices) -> None:
            self.choices = choices
            self.fill_choices(choices)
            then()

        signed = self.ctx.signed
        self.query(work, done)

    def fill_choices(self, choices) -> None:
        """Pages with drop-downs fill them here."""

    def ask_save_path(self, caption: str, suggested: str, pattern: str) -> str | None:
        """The user chooses where an export goes (tests replace this on the instance)."""
        path, _ = QFileDialog.getSaveFileName(self, caption, suggested, pattern)
        return path or None

    def export(self, caption: str, suggested: str, pattern: str,
               work: Callable[[str], Any],
               done_text: Callable[[Any, str], str] = lambda n, path: f"{n:,} 件を出力しました: {path}"
               ) -> None:
        path = self.ask_save_path(caption, suggested, pattern)
        if not path:
            return
        self.say("出力しています…")
        self.write(lambda: work(path), lambda result: self.say(done_text(result, path), ok=True),
                   label="出力しています…")


PAGE_ROWS = 500  # rows asked of the database at a time; more as the user scrolls down
Cells = tuple[list[Sequence[Any]], list[int | None], list[int | None]]  # texts, case ids, ids


class LogPage(ReviewPage):
    """A filtered log in a LogTable: the newest PAGE_ROWS rows first, the next PAGE_ROWS when the
    user scrolls to the end. `query(offset, limit)` returns (rows, total, meta) and `cells(rows)`
    the display texts with each row's case id and record id; both run in the background."""

    log_table: LogTable

    def add_filter_box(self, pairs: Sequence[tuple[str, QWidget]]) -> None:
        """The 条件 box in one row with its 検索 button, then the message line."""
        filters = QGroupBox("条件")
        row = labelled(pairs, QHBoxLayout(filters), stretch=False)
        self.search_button = QPushButton("検索")
        self.search_button.clicked.connect(self.search)
        row.addWidget(self.search_button)
        self.layout_.addWidget(filters)
        self.add_message_line()

    def add_log_table(self, headers: Sequence[str], stretch: int) -> LogTable:
        """The log itself (first column: the record id), taking the page's spare height."""
        self.table = self.log_table = LogTable(headers, stretch=stretch, numeric=(0,))
        self.layout_.addWidget(self.table, 1)
        return self.table

    def search(self) -> None:
        raise NotImplementedError

    def load_log(self, query: Callable[[int, int], tuple[list, int, Any]],
                 cells: Callable[[list], Cells]) -> None:
        table = self.log_table

        def first():
            rows, total, meta = query(0, PAGE_ROWS)
            return rows, total, meta, cells(rows)

        def done(result) -> None:
            rows, total, meta, (texts, case_ids, ids) = result
            table.fill(texts, case_ids, ids, total)
            table.log_model.fetch_page = lambda received: self._next_page(query, cells, received)
            self.log_loaded(rows, total, meta)
            self.log_status()

        self.write(first, done, latest="log")  # the review logs audit their reading

    def _next_page(self, query, cells, received: int) -> None:
        model = self.log_table.log_model

        def work():
            rows, _total, _meta = query(received, PAGE_ROWS)
            return cells(rows)

        def done(result) -> None:
            model.append(*result)
            self.log_status()

        def failed(exc: BaseException) -> None:
            model.loading = False
            model.total = model.received  # stop asking; the message says what went wrong
            self.fail(exc)

        self.say("続きを読み込んでいます…")
        self.write(work, done, latest="log", on_failure=failed)

    def search_with(self, log: Callable[..., tuple[list, int]], cells: Callable[[list], Cells]
                    ) -> None:
        """Load log(signed, filter, limit=…, offset=…) → (rows, total) for the page's filter."""
        flt = self.checked(self.current_filter)
        if flt is None:
            return
        signed = self.ctx.signed

        def query(offset: int, limit: int):
            rows, total = log(signed, flt, limit=limit, offset=offset)
            return rows, total, None

        self.load_log(query, cells)

    def current_filter(self) -> Any:
        """The filter of the page's fields (raises UserError at a field that is wrong)."""
        raise NotImplementedError

    def log_loaded(self, rows: list, total: int, meta: Any) -> None:
        """The first page arrived (pages keep what they need of it)."""

    def log_status(self) -> None:
        model = self.log_table.log_model
        self.say(f"{model.total:,} 件{shown_text(model.received, model.total)}")


def month_labels(keys: Sequence[str]) -> list[str]:
    """'2025-12', '2026-01' … → '12月', '1月' …, with the 和暦 year (R7, R8) under the month where
    a chart's months begin or a new year starts (QtCharts labels take <br>): twelve fit under a
    chart."""
    labels = []
    for i, key in enumerate(keys):
        year, month = int(key[:4]), int(key[5:7])
        era = f"R{year - 2018}" if (year, month) >= (2019, 5) else f"H{year - 1988}"  # 令和 from 5/2019
        labels.append(f"{month}月<br>{era}" if i == 0 or month == 1 else f"{month}月")
    return labels


def combo(items: Sequence[tuple[Any, str]], all_label: str = ALL) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    box.addItem(all_label, None)
    for data, text in items:
        box.addItem(text, data)
    return box


def refill(box: QComboBox, items: Sequence[tuple[Any, str]]) -> None:
    current = box.currentData()
    box.blockSignals(True)
    while box.count() > 1:
        box.removeItem(1)
    for data, text in items:
        box.addItem(text, data)
    index = box.findData(current)
    box.setCurrentIndex(max(index, 0))
    box.blockSignals(False)


def labelled(pairs: Sequence[tuple[str, QWidget]], layout: QHBoxLayout | None = None,
             stretch: bool = True) -> QHBoxLayout:
    row = layout if layout is not None else QHBoxLayout()
    for label, widget in pairs:
        row.addWidget(QLabel(label))
        row.addWidget(widget)
    if stretch:
        row.addStretch(1)
    return row


def buttons(*items: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for b in items:
        row.addWidget(b)
    row.addStretch(1)
    return row


def shown_text(received: int, total: int, more: str = "") -> str:
    """「新しい順に 500 件を表示」 when a log was cut, with how to see the rest."""
    if total <= received:
        return ""
    return f"（新しい順に {received:,} 件を表示。下へスクロールすると続きを読み込みます{more}）"
