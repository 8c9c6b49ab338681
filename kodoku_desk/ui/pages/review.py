"""Supervisor screens (issue 4): dashboard, hand-off log, disclosure log, access log, statistics.

Every database query and export runs through ctx.runner; errors come back as a sentence in the
page's message line (no modal box to dismiss, no traceback)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.errors import UserError
from kodoku_desk.services import dates
from kodoku_desk.services.review import target_label as review_target_label
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages import review_charts as charts
from kodoku_desk.ui.pages.base import Page

CASE_ROLE = Qt.ItemDataRole.UserRole
ID_ROLE = Qt.ItemDataRole.UserRole + 1
ALL = "（すべて）"
DATE_HINT = "例: R7.4.1 / 令和7年4月1日 / 2025-04-01"


# --------------------------------------------------------------------------- small widgets


def _dt(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _wareki(value: date | datetime | None) -> str:
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


class Table(QTableWidget):
    """Read-only rows; each row may carry a case id (double-click opens the case)."""

    def __init__(self, headers: Sequence[str], parent: QWidget | None = None, *,
                 stretch: int | None = None) -> None:
        super().__init__(0, len(headers), parent)
        self.setHorizontalHeaderLabels(list(headers))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(24)
        self.stretch = len(headers) - 1 if stretch is None else stretch
        self.horizontalHeader().setStretchLastSection(self.stretch == len(headers) - 1)
        if self.stretch != len(headers) - 1:  # a text column takes the spare width
            self.horizontalHeader().setSectionResizeMode(self.stretch, QHeaderView.ResizeMode.Stretch)
        self.setWordWrap(False)

    def fill(self, rows: Sequence[Sequence[Any]], case_ids: Sequence[int | None] = (),
             ids: Sequence[int | None] = (), numeric: Sequence[int] = ()) -> None:
        self.setSortingEnabled(False)
        self.clearContents()
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem("" if value is None else str(value))
                if c in numeric:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c == 0:
                    item.setData(CASE_ROLE, case_ids[r] if r < len(case_ids) else None)
                    item.setData(ID_ROLE, ids[r] if r < len(ids) else None)
                self.setItem(r, c, item)
        self.resizeColumnsToContents()
        for c in range(self.columnCount()):
            if self.columnWidth(c) > 320:
                self.setColumnWidth(c, 320)
        # Re-applying the stretch makes the header hand the spare width to that column now,
        # not only at the next resize of the window.
        header = self.horizontalHeader()
        if self.stretch == self.columnCount() - 1:
            header.setStretchLastSection(False)
            header.setStretchLastSection(True)
        else:
            header.setSectionResizeMode(self.stretch, QHeaderView.ResizeMode.Interactive)
            header.setSectionResizeMode(self.stretch, QHeaderView.ResizeMode.Stretch)


    def _row_data(self, role) -> Any:
        row = self.currentRow()
        item = self.item(row, 0) if row >= 0 else None
        return item.data(role) if item is not None else None

    def current_case_id(self) -> int | None:
        return self._row_data(CASE_ROLE)

    def current_id(self) -> int | None:
        return self._row_data(ID_ROLE)


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

    def add_message_line(self) -> None:
        self.layout_.addWidget(self.message)

    def say(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        color = "#c0392b" if error else ("#1e7e34" if ok else "#333333")
        self.message.setStyleSheet(f"color: {color};")
        self.message.setText(text)

    def fail(self, exc: BaseException) -> None:
        self.say(error_text(exc), error=True)

    def run(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
            label: str | None = None) -> None:
        if label is None:
            self.ctx.runner.run(fn, on_success, self.fail, parent=self)
        else:  # with a progress dialog the runner passes a progress callback we do not need
            self.ctx.runner.run(lambda _progress: fn(), on_success, self.fail, parent=self,
                                progress_label=label)

    def open_case_from(self, table: Table) -> None:
        case_id = table.current_case_id()
        if case_id:
            self.ctx.open_case(int(case_id))
        else:
            self.say("ケースを開くには、一覧の行を選んでください。", error=True)

    def load_choices(self, then: Callable[[], None]) -> None:
        from kodoku_desk.services import review

        if self.choices is not None:
            then()
            return

        def done(choices) -> None:
            self.choices = choices
            self.fill_choices(choices)
            then()

        self.run(lambda: review.filter_choices(self.ctx.signed), done)

    def fill_choices(self, choices) -> None:
        """Pages with drop-downs fill them here."""

    def ask_save_path(self, caption: str, suggested: str, pattern: str) -> str | None:
        """The user chooses where an export goes (tests replace this on the instance)."""
        path, _ = QFileDialog.getSaveFileName(self, caption, suggested, pattern)
        return path or None

    def export(self, caption: str, suggested: str, pattern: str,
               work: Callable[[str], Any], done_text: Callable[[Any, str], str]) -> None:
        path = self.ask_save_path(caption, suggested, pattern)
        if not path:
            return
        self.say("出力しています…")
        self.run(lambda: work(path), lambda result: self.say(done_text(result, path), ok=True),
                 label="出力しています…")


def _combo(items: Sequence[tuple[Any, str]], all_label: str = ALL) -> QComboBox:
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    box.addItem(all_label, None)
    for data, text in items:
        box.addItem(text, data)
    return box


def _refill(box: QComboBox, items: Sequence[tuple[Any, str]]) -> None:
    current = box.currentData()
    box.blockSignals(True)
    while box.count() > 1:
        box.removeItem(1)
    for data, text in items:
        box.addItem(text, data)
    index = box.findData(current)
    box.setCurrentIndex(max(index, 0))
    box.blockSignals(False)


def _labelled(pairs: Sequence[tuple[str, QWidget]]) -> QHBoxLayout:
    row = QHBoxLayout()
    for label, widget in pairs:
        row.addWidget(QLabel(label))
        row.addWidget(widget)
    row.addStretch(1)
    return row


def _buttons(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for b in buttons:
        row.addWidget(b)
    row.addStretch(1)
    return row


# --------------------------------------------------------------------------- dashboard


class _ClickableFrame(QFrame):
    def __init__(self, on_click: Callable[[], None]) -> None:
        super().__init__()
        self.on_click = on_click
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self.on_click()
        super().mouseReleaseEvent(event)


class DashboardPage(ReviewPage):
    title = "ダッシュボード"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.board = None
        top = QHBoxLayout()
        # Each tile opens the tab that lists what it counts.
        self.tiles = {key: self._tile(top, label, tab) for key, label, tab in (
            ("waiting", "未受理のつなぎ", 0), ("overdue", "期限超過", 0),
            ("overrides", "同意外提供・未確認", 2), ("plans", "承認待ちのプラン", 3))}
        self.refresh_button = QPushButton("更新")
        self.refresh_button.clicked.connect(self.refresh)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        self.layout_.addLayout(top)
        self.add_message_line()
        self.tabs = QTabWidget()
        self.layout_.addWidget(self.tabs, 1)
        self._build_status_tab()
        self._build_returned_tab()
        self._build_overrides_tab()
        self._build_plans_tab()
        self._build_charts_tab()
        ctx.changes.changed.connect(self._changed_elsewhere)

    def _changed_elsewhere(self, kind: str) -> None:
        """Another screen sent, answered or approved something: refresh if we are on show."""
        if kind in ("handoff", "case", "plan", "meeting") and self.isVisible():
            self.refresh()

    def _tile(self, row: QHBoxLayout, label: str, tab: int) -> QLabel:
        frame = _ClickableFrame(lambda: self.tabs.setCurrentIndex(tab))
        frame.setToolTip(f"{label}の一覧を表示")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame.setStyleSheet("QFrame { background: #f4f7fb; border-radius: 6px; }")
        box = QVBoxLayout(frame)
        caption = QLabel(label)
        caption.setStyleSheet("color: #555;")
        value = QLabel("—")
        value.setStyleSheet("font-size: 22px; font-weight: bold; color: #1f3b5c;")
        box.addWidget(caption)
        box.addWidget(value)
        row.addWidget(frame)
        return value

    def _case_table(self, headers: Sequence[str], stretch: int | None = None) -> Table:
        table = Table(headers, stretch=stretch)
        table.doubleClicked.connect(lambda _i, t=table: self.open_case_from(t))
        return table

    def _build_status_tab(self) -> None:
        tab = QSplitter(Qt.Orientation.Vertical)
        upper = QGroupBox("受け手の機関別 未対応のつなぎ（待ち日数は営業日）")
        self.open_table = Table(["受け手の機関", "未受理", "受理・対応中", "0〜2日", "3〜5日", "6〜10日",
                                 "11日以上", "最も古い送付", "最長の待ち"], stretch=0)
        QVBoxLayout(upper).addWidget(self.open_table)
        lower = QGroupBox("期限超過のつなぎ（送付のまま受理期限を過ぎたもの）")
        box = QVBoxLayout(lower)
        self.overdue_table = self._case_table(
            ["ケース番号", "送付元", "送付先", "送付日時", "受理期限", "超過（営業日）"], stretch=2)
        box.addWidget(self.overdue_table)
        open_button = QPushButton("ケースを開く")
        open_button.clicked.connect(lambda: self.open_case_from(self.overdue_table))
        box.addLayout(_buttons(open_button))
        tab.addWidget(upper)
        tab.addWidget(lower)
        self.tabs.addTab(tab, "つなぎの状況")

    def _build_returned_tab(self) -> None:
        tab = QWidget()
        box = QVBoxLayout(tab)
        box.addWidget(QLabel("返送されたつなぎ（新しい順）。「その後」が空欄のケースは、まだ次の機関に"
                             "つながっていません。"))
        self.returned_table = self._case_table(
            ["ケース番号", "送付元", "返送した機関", "返送日時", "返送理由", "提案された相談先",
             "その後のつなぎ先", "その後の状態"])
        box.addWidget(self.returned_table, 1)
        open_button = QPushButton("ケースを開く")
        open_button.clicked.connect(lambda: self.open_case_from(self.returned_table))
        box.addLayout(_buttons(open_button))
        self.tabs.addTab(tab, "返送")

    def _build_overrides_tab(self) -> None:
        tab = QWidget()
        box = QVBoxLayout(tab)
        box.addWidget(QLabel("本人同意の範囲外で提供したつなぎです。内容を確かめ、コメントを付けて"
                             "確認済みにしてください（記録に残ります）。"))
        self.override_table = self._case_table(
            ["ケース番号", "送付元", "送付先", "送付日時", "状態", "提供の根拠", "理由"])
        box.addWidget(self.override_table, 1)
        form = QFormLayout()
        self.override_comment = QPlainTextEdit()
        self.override_comment.setPlaceholderText("確認の結果・判断の理由（必須）")
        self.override_comment.setFixedHeight(70)
        form.addRow("確認コメント", self.override_comment)
        box.addLayout(form)
        self.review_button = QPushButton("確認済みにする")
        self.review_button.clicked.connect(self.mark_override_reviewed)
        open_button = QPushButton("ケースを開く")
        open_button.clicked.connect(lambda: self.open_case_from(self.override_table))
        box.addLayout(_buttons(self.review_button, open_button))
        self.tabs.addTab(tab, "同意外提供の確認")

    def _build_plans_tab(self) -> None:
        tab = QSplitter(Qt.Orientation.Vertical)
        plans = QGroupBox("承認待ちの支援プラン")
        self.plans_table = self._case_table(["ケース番号", "プランの状態", "申請者", "申請日時", "申請の内容"])
        QVBoxLayout(plans).addWidget(self.plans_table)
        meetings = QGroupBox("今後の会議")
        self.meetings_table = Table(["開催日", "開始", "会議名", "種類", "場所", "ケース数"])
        self.meetings_table.doubleClicked.connect(lambda _i: self.ctx.show_page("meetings"))
        QVBoxLayout(meetings).addWidget(self.meetings_table)
        tab.addWidget(plans)
        tab.addWidget(meetings)
        self.tabs.addTab(tab, "承認待ち・会議予定")

    def _build_charts_tab(self) -> None:
        tab = QWidget()
        grid = QGridLayout(tab)
        self.field_chart = charts.ChartView()
        self.median_chart = charts.ChartView()
        self.block_chart = charts.ChartView()
        grid.addWidget(self.field_chart, 0, 0, 1, 2)
        grid.addWidget(self.median_chart, 1, 0)
        grid.addWidget(self.block_chart, 1, 1)
        self.tabs.addTab(tab, "グラフ")

    # ---- data

    def refresh(self) -> None:
        from kodoku_desk.services import review_dashboard

        self.say("集計しています…")
        self.run(lambda: review_dashboard.dashboard(self.ctx.signed), self.show_board)

    def show_board(self, board) -> None:
        self.board = board
        waiting = sum(r.waiting for r in board.open_by_agency)
        for key, value in (("waiting", waiting), ("overdue", board.overdue_total),
                           ("overrides", board.overrides_total), ("plans", len(board.plans))):
            self.tiles[key].setText(f"{value:,}")
        self.tiles["overdue"].setStyleSheet(
            f"font-size: 22px; font-weight: bold; color: {'#c0392b' if board.overdue_total else '#1f3b5c'};")
        self.open_table.fill([
            [r.agency, r.waiting, r.in_progress, *r.by_wait.values(), _wareki(r.oldest_sent),
             f"{r.oldest_wait_days}日" if r.oldest_sent else ""] for r in board.open_by_agency],
            numeric=range(1, 7))
        self.overdue_table.fill([
            [i.case_no, i.from_agency, i.to_agency, _dt(i.sent_at), _wareki(i.due_on),
             f"{i.overdue_days}日"] for i in board.overdue],
            case_ids=[i.case_id for i in board.overdue], ids=[i.handoff_id for i in board.overdue],
            numeric=(5,))
        self.returned_table.fill([
            [i.case_no, i.from_agency, i.returned_by, _dt(i.returned_at), i.reason, i.alternative,
             i.next_agency or "（まだつないでいません）", i.next_state] for i in board.returned],
            case_ids=[i.case_id for i in board.returned])
        self._fill_overrides(board)
        self.plans_table.fill([[p.case_no, p.status, p.requested_by, _dt(p.requested_at), p.note]
                               for p in board.plans], case_ids=[p.case_id for p in board.plans])
        self.meetings_table.fill([
            [_wareki(m.held_on), m.start_time, m.title, "・".join(m.kinds), m.place, m.cases]
            for m in board.meetings], ids=[m.session_id for m in board.meetings], numeric=(5,))
        self._draw_charts(board)
        more = f"（期限超過は古い順に {len(board.overdue)} 件を表示）" \
            if board.overdue_total > len(board.overdue) else ""
        self.say(f"{_wareki(board.today)} 現在の状況です。{more}")

    def _fill_overrides(self, board) -> None:
        self.override_table.fill([
            [i.case_no, i.from_agency, i.to_agency, _dt(i.sent_at), i.state, i.basis, i.basis_reason]
            for i in board.overrides],
            case_ids=[i.case_id for i in board.overrides],
            ids=[i.handoff_id for i in board.overrides])
        self.tabs.setTabText(2, f"同意外提供の確認（{board.overrides_total}）")

    def _draw_charts(self, board) -> None:
        months = [m[2:].replace("-", "/") for m in board.months]
        self.field_chart.show_chart(charts.stacked_bars(
            "分野別・月別のつなぎ件数（受け手の分野）", months, board.per_field_month))
        self.median_chart.show_chart(charts.bars(
            "受理までの日数（中央値・暦日）", [(m.agency, m.median_days) for m in board.median_ack],
            horizontal=True, decimals=1, color=charts.PALETTE[1]))
        self.block_chart.show_chart(charts.bars(
            "ブロック別の新規受付（12か月）", board.intakes_by_block, color=charts.PALETTE[2]))

    def mark_override_reviewed(self) -> None:
        from kodoku_desk.services import review

        handoff_id = self.override_table.current_id()
        if not handoff_id:
            self.say("確認するつなぎを一覧から選んでください。", error=True)
            return
        comment = self.override_comment.toPlainText()
        if not comment.strip():
            self.say("確認のコメントを入力してください（判断の理由など）。", error=True)
            self.override_comment.setFocus()
            return

        def done(_review_id) -> None:
            self.override_comment.clear()
            self.ctx.changes.changed.emit("override_review")
            self.refresh()
            self.say(f"つなぎ #{handoff_id} を確認済みにしました。", ok=True)

        self.run(lambda: review.review_override(self.ctx.signed, int(handoff_id), comment), done)


# --------------------------------------------------------------------------- hand-off log


class HandoffLogPage(ReviewPage):
    title = "つなぎ履歴"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.log = None
        filters = QGroupBox("条件")
        rows = QVBoxLayout(filters)
        self.date_from, self.date_to = DateField("送付日（から）"), DateField("送付日（まで）")
        self.from_agency, self.to_agency = _combo([]), _combo([])
        self.state, self.block, self.field = _combo([]), _combo([]), _combo([])
        self.overdue = QCheckBox("期限超過のみ")
        self.returned = QCheckBox("返送ありのみ")
        self.override = QCheckBox("同意外提供のみ")
        rows.addLayout(_labelled([("送付日", self.date_from), ("〜", self.date_to),
                                  ("状態", self.state), ("ブロック", self.block),
                                  ("分野（送付先）", self.field)]))
        self.case_no = QLineEdit()
        self.case_no.setPlaceholderText("ケース番号")
        self.case_no.setMaximumWidth(160)
        self.case_no.returnPressed.connect(self.search)
        rows.addLayout(_labelled([("送付元", self.from_agency), ("送付先", self.to_agency),
                                  ("ケース", self.case_no)]))
        checks = QHBoxLayout()
        for box in (self.overdue, self.returned, self.override):
            checks.addWidget(box)
        checks.addStretch(1)
        self.search_button = QPushButton("検索")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        checks.addWidget(self.search_button)
        rows.addLayout(checks)
        self.layout_.addWidget(filters)
        self.add_message_line()
        split = QSplitter(Qt.Orientation.Vertical)
        self.table = Table(["ID", "ケース番号", "ブロック", "送付日時", "送付元", "送付先", "状態",
                            "受理期限", "受理日時", "根拠", "同意外", "期限超過", "返送理由"],
                           stretch=12)
        self.table.doubleClicked.connect(lambda _i: self.open_case_from(self.table))
        self.table.itemSelectionChanged.connect(self.show_timeline)
        split.addWidget(self.table)
        lower = QGroupBox("選んだケースのつなぎ経過")
        self.timeline = Table(["日時", "つなぎ", "状態の変化", "操作した機関", "操作した職員", "メモ",
                               "提案先"])
        QVBoxLayout(lower).addWidget(self.timeline)
        split.addWidget(lower)
        split.setSizes([400, 180])
        self.layout_.addWidget(split, 1)
        self.csv_button, self.pdf_button = QPushButton("CSVで出力"), QPushButton("PDFで出力")
        self.open_button = QPushButton("ケースを開く")
        self.csv_button.clicked.connect(lambda: self.export_log("csv"))
        self.pdf_button.clicked.connect(lambda: self.export_log("pdf"))
        self.open_button.clicked.connect(lambda: self.open_case_from(self.table))
        self.layout_.addLayout(_buttons(self.open_button, self.csv_button, self.pdf_button))

    def fill_choices(self, choices) -> None:
        agencies = [(a_id, name) for a_id, name in choices.agencies]
        _refill(self.from_agency, agencies)
        _refill(self.to_agency, agencies)
        _refill(self.state, [(s, s) for s in choices.states])
        _refill(self.block, choices.blocks)
        _refill(self.field, [(f, f) for f in choices.fields])

    def refresh(self) -> None:
        self.load_choices(self.search)

    def current_filter(self):
        from kodoku_desk.services.review import HandoffFilter

        return HandoffFilter(
            from_agency_id=self.from_agency.currentData(), to_agency_id=self.to_agency.currentData(),
            state=self.state.currentData(), overdue=self.overdue.isChecked(),
            returned=self.returned.isChecked(), consent_override=self.override.isChecked(),
            date_from=self.date_from.value(), date_to=self.date_to.value(),
            block_id=self.block.currentData(), field=self.field.currentData(),
            case_no=self.case_no.text().strip() or None)

    def search(self) -> None:
        from kodoku_desk.services import review

        try:
            flt = self.current_filter()
            review.validate_filter(flt)
        except UserError as err:
            self.say(err.message, error=True)
            return
        self.say("検索しています…")
        self.run(lambda: review.handoff_log(self.ctx.signed, flt), self.show_log)

    def show_log(self, log) -> None:
        self.log = log
        self.table.fill([
            [r.id, r.case_no, r.block, _dt(r.sent_at), r.from_agency, r.to_agency, r.state,
             _wareki(r.due_on), _dt(r.acknowledged_at), r.basis, "○" if r.consent_override else "",
             f"{r.overdue_days}日" if r.overdue_days else "", r.return_reason] for r in log.rows],
            case_ids=[r.case_id for r in log.rows], ids=[r.id for r in log.rows], numeric=(0,))
        self.timeline.fill([])
        shown = f"（新しい順に {len(log.rows):,} 件を表示。すべては出力で）" \
            if log.total > len(log.rows) else ""
        self.say(f"{log.total:,} 件{shown}　条件: {'、'.join(log.filter_text) or 'なし'}")

    def show_timeline(self) -> None:
        from kodoku_desk.services import review

        case_id = self.table.current_case_id()
        if not case_id:
            return

        def done(events) -> None:
            self.timeline.fill([
                [_dt(e.at), f"#{e.handoff_id} {e.from_agency}→{e.to_agency}",
                 f"{e.from_state or '（新規）'}→{e.to_state}", e.acting_agency, e.actor, e.note,
                 e.alternative] for e in events])

        self.run(lambda: review.case_timeline(self.ctx.signed, int(case_id)), done)

    def export_log(self, fmt: str) -> None:
        from kodoku_desk.services import review

        try:
            flt = self.current_filter()
            review.validate_filter(flt)
        except UserError as err:
            self.say(err.message, error=True)
            return
        pattern = "CSV (*.csv)" if fmt == "csv" else "PDF (*.pdf)"
        self.export("つなぎ履歴の出力", f"つなぎ履歴.{fmt}", pattern,
                    lambda path: review.export_handoff_log(self.ctx.signed, flt, path, fmt),
                    lambda n, path: f"{n:,} 件を出力しました: {path}")


# --------------------------------------------------------------------------- disclosure log


class DisclosureLogPage(ReviewPage):
    title = "提供記録"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        filters = QGroupBox("条件")
        row = QHBoxLayout(filters)
        self.date_from, self.date_to = DateField("提供日（から）"), DateField("提供日（まで）")
        self.to_agency, self.basis, self.channel = _combo([]), _combo([]), _combo([])
        self.case_no = QLineEdit()
        self.case_no.setPlaceholderText("ケース番号")
        self.case_no.setMaximumWidth(140)
        self.case_no.returnPressed.connect(self.search)
        for label, widget in (("提供日", self.date_from), ("〜", self.date_to),
                              ("提供先", self.to_agency), ("根拠", self.basis),
                              ("経路", self.channel), ("ケース", self.case_no)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        self.search_button = QPushButton("検索")
        self.search_button.clicked.connect(self.search)
        row.addWidget(self.search_button)
        self.layout_.addWidget(filters)
        self.add_message_line()
        self.table = Table(["記録ID", "提供日時", "ケース番号", "提供した職員", "提供元", "提供先・受領者",
                            "提供した項目", "根拠", "根拠の理由", "経路", "部数番号"], stretch=8)
        self.table.doubleClicked.connect(lambda _i: self.open_case_from(self.table))
        self.layout_.addWidget(self.table, 1)
        self.csv_button = QPushButton("CSVで出力")
        self.csv_button.clicked.connect(self.export_csv)
        self.open_button = QPushButton("ケースを開く")
        self.open_button.clicked.connect(lambda: self.open_case_from(self.table))
        self.layout_.addLayout(_buttons(self.open_button, self.csv_button))

    def fill_choices(self, choices) -> None:
        _refill(self.to_agency, choices.agencies)
        _refill(self.basis, [(b, b) for b in choices.bases])
        _refill(self.channel, list(choices.channels))

    def refresh(self) -> None:
        self.load_choices(self.search)

    def current_filter(self):
        from kodoku_desk.services.review import DisclosureFilter, check_period

        flt = DisclosureFilter(date_from=self.date_from.value(), date_to=self.date_to.value(),
                               to_agency_id=self.to_agency.currentData(),
                               basis=self.basis.currentData(), channel=self.channel.currentData(),
                               case_no=self.case_no.text().strip() or None)
        check_period(flt.date_from, flt.date_to)
        return flt

    def search(self) -> None:
        from kodoku_desk.services import review

        try:
            flt = self.current_filter()
        except UserError as err:
            self.say(err.message, error=True)
            return
        self.run(lambda: review.disclosure_log(self.ctx.signed, flt), self.show_rows)

    def show_rows(self, result) -> None:
        rows, total = result
        self.table.fill([
            [r.id, _dt(r.at), r.case_no, r.actor, r.from_agency,
             r.to_agency or r.recipient, "・".join(r.sections), r.basis, r.basis_reason, r.channel,
             r.copy_no or ""] for r in rows], case_ids=[r.case_id for r in rows], numeric=(0,))
        shown = f"（新しい順に {len(rows):,} 件を表示）" if total > len(rows) else ""
        self.say(f"提供記録 {total:,} 件{shown}")

    def export_csv(self) -> None:
        from kodoku_desk.services import review

        try:
            flt = self.current_filter()
        except UserError as err:
            self.say(err.message, error=True)
            return
        self.export("提供記録の出力", "提供記録.csv", "CSV (*.csv)",
                    lambda path: review.export_disclosures(self.ctx.signed, flt, path),
                    lambda n, path: f"提供記録 {n:,} 件を出力しました: {path}")


# --------------------------------------------------------------------------- access log


class AccessLogPage(ReviewPage):
    title = "閲覧・出力・印刷の履歴"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        from kodoku_desk.services.review import ACCESS_CATEGORIES

        super().__init__(ctx, parent)
        filters = QGroupBox("条件")
        row = QHBoxLayout(filters)
        self.date_from, self.date_to = DateField("日付（から）"), DateField("日付（まで）")
        self.actor = _combo([])
        self.category = _combo([(k, k) for k in ACCESS_CATEGORIES])
        self.target = QLineEdit()
        self.target.setPlaceholderText("ケース番号 または 対象ID")
        for label, widget in (("日付", self.date_from), ("〜", self.date_to), ("職員", self.actor),
                              ("種類", self.category), ("対象", self.target)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        self.search_button = QPushButton("検索")
        self.search_button.clicked.connect(self.search)
        row.addWidget(self.search_button)
        self.layout_.addWidget(filters)
        self.add_message_line()
        self.table = Table(["記録ID", "日時", "ログインID", "氏名", "操作", "対象の種類", "対象ID", "詳細"],
                           stretch=7)
        self.layout_.addWidget(self.table, 1)
        self.verify_button = QPushButton("監査ログを検証")
        self.verify_button.clicked.connect(self.verify)
        self.csv_button = QPushButton("CSVで出力")
        self.csv_button.clicked.connect(self.export_csv)
        self.verify_result = QLabel("")
        self.verify_result.setWordWrap(True)
        self._broken_id: int | None = None
        self.layout_.addLayout(_buttons(self.verify_button, self.csv_button))
        self.layout_.addWidget(self.verify_result)

    def fill_choices(self, choices) -> None:
        _refill(self.actor, [(login, f"{name}（{login}）") for login, name in choices.staff])

    def refresh(self) -> None:
        self.load_choices(self.search)

    def current_filter(self):
        from kodoku_desk.services.review import ACCESS_CATEGORIES, AccessFilter, check_period

        category = self.category.currentData()
        target = self.target.text().strip()
        flt = AccessFilter(date_from=self.date_from.value(), date_to=self.date_to.value(),
                           actor=self.actor.currentData(),
                           actions=ACCESS_CATEGORIES.get(category, ()) if category else (),
                           target_id=target if target.isdigit() else None,
                           case_no=target if target and not target.isdigit() else None)
        check_period(flt.date_from, flt.date_to)
        return flt

    def search(self) -> None:
        from kodoku_desk.services import review

        try:
            flt = self.current_filter()
        except UserError as err:
            self.say(err.message, error=True)
            return
        self.run(lambda: review.access_log(self.ctx.signed, flt), self.show_rows)

    def show_rows(self, result) -> None:
        rows, total = result
        self.table.fill([[r.id, _dt(r.at), r.actor, r.actor_name, r.action_label,
                          review_target_label(r.target_type), r.target_id, r.detail]
                         for r in rows], ids=[r.id for r in rows],
                        numeric=(0,))
        shown = f"（新しい順に {len(rows):,} 件を表示）" if total > len(rows) else ""
        self.say(f"{total:,} 件{shown}")
        if self._broken_id:
            self._select_entry(self._broken_id)
            self._broken_id = None

    def verify(self) -> None:
        from kodoku_desk.services import review

        self.verify_result.setText("検証しています…")
        self.verify_result.setStyleSheet("")
        self.run(lambda: review.verify_audit_chain(self.ctx.signed), self.show_verification,
                 label="監査ログを検証しています…")

    def show_verification(self, report) -> None:
        color = "#1e7e34" if report.ok else "#c0392b"
        self.verify_result.setStyleSheet(f"color: {color}; font-weight: bold;")
        prefix = "検証結果: " if report.ok else "検証結果（問題あり）: "
        self.verify_result.setText(prefix + report.message)
        if not report.ok and report.broken_id:
            # Reload so the list shows the entry as it is stored now, then point at it.
            self._broken_id = report.broken_id
            self.search()

    def _select_entry(self, entry_id: int) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(ID_ROLE) == entry_id:
                self.table.selectRow(row)
                self.table.scrollToItem(item)
                return

    def export_csv(self) -> None:
        from kodoku_desk.services import review

        try:
            flt = self.current_filter()
        except UserError as err:
            self.say(err.message, error=True)
            return
        self.export("閲覧・出力・印刷の履歴の出力", "監査ログ.csv", "CSV (*.csv)",
                    lambda path: review.export_access_log(self.ctx.signed, flt, path),
                    lambda n, path: f"{n:,} 件を出力しました: {path}")


# --------------------------------------------------------------------------- statistics


def _fiscal_year(today: date) -> tuple[date, date]:
    """The current 年度 (April to March), up to today."""
    start_year = today.year if today.month >= 4 else today.year - 1
    return date(start_year, 4, 1), today


class StatisticsPage(ReviewPage):
    title = "統計"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.report = None
        filters = QGroupBox("期間")
        row = QHBoxLayout(filters)
        self.date_from, self.date_to = DateField("期間（から）"), DateField("期間（まで）")
        start, end = _fiscal_year(date.today())
        self.date_from.set_date(start)
        self.date_to.set_date(end)
        self.agency = _combo([], "全体")
        for label, widget in (("期間", self.date_from), ("〜", self.date_to), ("機関", self.agency)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        self.run_button = QPushButton("集計")
        self.run_button.clicked.connect(self.compute)
        row.addWidget(self.run_button)
        row.addStretch(1)
        self.layout_.addWidget(filters)
        self.add_message_line()
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        self.headline = Table(["項目", "値"])
        left_box.addWidget(self.headline, 2)
        self.breakdown_tabs = QTabWidget()
        self.breakdowns: dict[str, Table] = {}
        for key in ("分野", "発見経路", "ブロック", "年齢", "困りごと", "受理日数"):
            table = Table(["項目", "件数"] if key != "受理日数" else ["受け手の機関", "中央値（日）", "件数"],
                          stretch=0)
            self.breakdowns[key] = table
            self.breakdown_tabs.addTab(table, key)
        left_box.addWidget(self.breakdown_tabs, 3)
        split.addWidget(left)
        self.chart_tabs = QTabWidget()
        self.chart_tabs.setMinimumWidth(420)
        self.trend_chart = charts.ChartView()
        self.chart_tabs.addTab(self.trend_chart, "月別推移")
        self.breakdown_charts: dict[str, charts.ChartView] = {}
        for key in ("分野", "ブロック", "年齢", "発見経路"):
            self.breakdown_charts[key] = charts.ChartView()
            self.chart_tabs.addTab(self.breakdown_charts[key], key)
        split.addWidget(self.chart_tabs)
        split.setSizes([420, 520])
        self.layout_.addWidget(split, 1)
        self.pdf_button, self.csv_button = QPushButton("PDFで出力"), QPushButton("CSVで出力")
        self.pdf_button.clicked.connect(lambda: self.export_report("pdf"))
        self.csv_button.clicked.connect(lambda: self.export_report("csv"))
        self.layout_.addLayout(_buttons(self.pdf_button, self.csv_button))

    def fill_choices(self, choices) -> None:
        _refill(self.agency, [(name, name) for _, name in choices.agencies])

    def refresh(self) -> None:
        self.load_choices(self.compute)

    def _period(self) -> tuple[date, date]:
        from kodoku_desk.services.stats import check_report_period

        date_from, date_to = self.date_from.value(), self.date_to.value()
        check_report_period(date_from, date_to)
        return date_from, date_to

    def compute(self) -> None:
        from kodoku_desk.services import stats

        try:
            date_from, date_to = self._period()
        except UserError as err:
            self.say(err.message, error=True)
            return
        agency = self.agency.currentData()
        self.say("集計しています…")
        self.run(lambda: stats.report(self.ctx.signed, date_from, date_to, agency,
                                      allow_empty=True), self.show_report, label="集計しています…")

    def show_report(self, r) -> None:
        self.report = r
        share = f"{r.multi_field_cases:,} 件（{r.multi_field_share * 100:.1f}%）"
        median = "—" if r.median_ack_days is None else f"{r.median_ack_days:.1f} 日"
        self.headline.fill([
            ["新規ケース数", f"{r.cases:,} 件"], ["受付件数（シート）", f"{r.intakes:,} 件"],
            ["複数分野にわたるケース", share], ["つなぎ 送付", f"{r.sent:,} 件"],
            ["つなぎ 受理", f"{r.acknowledged:,} 件"], ["つなぎ 返送", f"{r.returned:,} 件"],
            ["つなぎ 期限超過", f"{r.overdue:,} 件"], ["受理までの日数（中央値）", median]])
        for key, pairs in (("分野", r.by_field), ("発見経路", r.by_discovery),
                           ("ブロック", r.by_block), ("年齢", r.by_age), ("困りごと", r.by_worry)):
            self.breakdowns[key].fill([[k, f"{v:,}"] for k, v in pairs], numeric=(1,))
        self.breakdowns["受理日数"].fill([[m.agency, f"{m.median_days:.1f}", f"{m.acknowledged:,}"]
                                       for m in r.median_by_agency], numeric=(1, 2))
        months = [m.month[2:].replace("-", "/") for m in r.monthly]
        self.trend_chart.show_chart(charts.lines("月別推移", months, {
            "新規ケース": [m.cases for m in r.monthly], "つなぎ送付": [m.sent for m in r.monthly],
            "受理": [m.acknowledged for m in r.monthly], "返送": [m.returned for m in r.monthly]}))
        for key, title, pairs, horizontal in (
                ("分野", "分野別ケース数（延べ）", r.by_field, False),
                ("ブロック", "ブロック別ケース数", r.by_block, False),
                ("年齢", "年齢階層別ケース数（期間末日時点）", r.by_age, False),
                ("発見経路", "発見経路別ケース数", r.by_discovery, True)):
            self.breakdown_charts[key].show_chart(charts.bars(title, pairs, horizontal=horizontal))
        scope = r.agency or "全体"
        if r.is_empty:
            self.say(f"{r.period_text()}（{scope}）には受付もつなぎもありません。期間を確認してください。",
                     error=True)
        else:
            self.say(f"{r.period_text()}（{scope}）の集計です。")

    def export_report(self, fmt: str) -> None:
        from kodoku_desk.services import stats

        try:
            date_from, date_to = self._period()
        except UserError as err:
            self.say(err.message, error=True)
            return
        agency = self.agency.currentData()
        pattern = "PDF (*.pdf)" if fmt == "pdf" else "CSV (*.csv)"
        self.export("統計報告の出力", f"統計報告_{date_from.isoformat()}_{date_to.isoformat()}.{fmt}",
                    pattern,
                    lambda path: stats.export_report(self.ctx.signed, date_from, date_to, fmt, path,
                                                     agency),
                    lambda r, path: f"統計報告を出力しました: {path}")
