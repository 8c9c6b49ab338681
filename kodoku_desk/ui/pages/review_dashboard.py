"""ダッシュボード (issue 4): counts a supervisor checks every morning, the lists behind them
(open and overdue hand-offs, returns, consent overrides to review, plans awaiting approval,
upcoming meetings) and three charts. The figures and the table cells are computed in the
background; the GUI thread only hands them to the tables and the charts. The charts (and
QtCharts) are built when their tab is first opened."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain.changes import Change
from kodoku_desk.ui.pages.review_common import ReviewPage, buttons, dt, month_labels, wareki
from kodoku_desk.ui.tables import LogTable

if TYPE_CHECKING:  # both load in the background, after the page is shown
    from kodoku_desk.queries.dashboard import Dashboard
    from kodoku_desk.ui.pages.review_charts import BarChart, StackedBarChart

# What the board counts and lists; never Change.AUDIT. (Not SETTINGS: every audited write also
# reports SETTINGS for now; the board is computed again each time it is shown.)
SHOWN = (Change.CASE | Change.HANDOFF | Change.CONSENT | Change.OVERRIDE_REVIEW | Change.PLAN
         | Change.MEETING | Change.ORG)


class _ClickableFrame(QFrame):
    def __init__(self, on_click: Callable[[], None]) -> None:
        super().__init__()
        self.on_click = on_click
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self.on_click()
        super().mouseReleaseEvent(event)


@dataclass
class BoardView:
    """The dashboard as the page shows it: made in the background from services' Dashboard."""

    board: Dashboard
    tiles: dict[str, int]
    tables: dict[str, tuple[list, list, list]]  # name → (cells, case ids, ids)
    months: list[str]
    overdue_by_stage: str = ""


def board_view(board: Dashboard) -> BoardView:
    waiting = sum(r.waiting for r in board.open_by_agency)
    tables: dict[str, tuple[list, list, list]] = {
        "open": ([[r.agency, r.waiting, r.in_progress, *r.by_wait.values(), wareki(r.oldest_sent),
                   f"{r.oldest_wait_days}日" if r.oldest_sent else ""]
                  for r in board.open_by_agency], [], []),
        "overdue": ([[i.case_no, i.from_agency, i.to_agency, i.state, i.overdue_label,
                      wareki(i.deadline), f"{i.overdue_days}日", dt(i.sent_at)]
                     for i in board.overdue],
                    [i.case_id for i in board.overdue], [i.handoff_id for i in board.overdue]),
        "returned": ([[i.case_no, i.from_agency, i.returned_by, dt(i.returned_at), i.reason,
                       i.alternative, i.next_agency or "（まだつないでいません）", i.next_state]
                      for i in board.returned], [i.case_id for i in board.returned], []),
        "overrides": ([[i.case_no, i.from_agency, i.to_agency, dt(i.sent_at), i.state, i.basis,
                        i.basis_reason] for i in board.overrides],
                      [i.case_id for i in board.overrides],
                      [i.handoff_id for i in board.overrides]),
        "plans": ([[p.case_no, p.status, p.requested_by, dt(p.requested_at), p.note]
                   for p in board.plans], [p.case_id for p in board.plans], []),
        "meetings": ([[wareki(m.held_on), m.start_time, m.title, "・".join(m.kinds), m.place,
                       m.cases] for m in board.meetings], [],
                     [m.session_id for m in board.meetings]),
    }
    return BoardView(board, {"waiting": waiting, "overdue": board.overdue_total,
                             "overrides": board.overrides_total, "plans": len(board.plans)},
                     tables, month_labels(board.months), overdue_breakdown(board))


def overdue_breakdown(board) -> str:
    """The overdue count per stage under its tile: 受理期限 3・対応開始期限 1・更新期限 2."""
    from kodoku_desk.domain.handoff import STAGES

    return "・".join(f"{STAGES[state].deadline} {n:,}" for state, n in board.overdue_by_stage.items())


class DashboardPage(ReviewPage):
    title = "ダッシュボード"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.board: Dashboard | None = None
        top = QHBoxLayout()
        # Each tile opens the tab that lists what it counts.
        self.tile_boxes: dict[str, QVBoxLayout] = {}
        self.tiles = {key: self._tile(top, key, label, tab) for key, label, tab in (
            ("waiting", "未受理のつなぎ", 0), ("overdue", "期限超過", 0),
            ("overrides", "同意外提供・未確認", 2), ("plans", "承認待ちのプラン", 3))}
        # Under the overdue count, the count per stage.
        self.overdue_stages = QLabel("")
        self.overdue_stages.setStyleSheet("color: #555; font-size: 11px;")
        self.tile_boxes["overdue"].addWidget(self.overdue_stages)
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

    def _changed_elsewhere(self, change: Change) -> None:
        """Something was sent, answered, reviewed or approved: refresh if we are on show."""
        if change & SHOWN and self.isVisible():
            self.refresh()

    def _tile(self, row: QHBoxLayout, key: str, label: str, tab: int) -> QLabel:
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
        self.tile_boxes[key] = box
        return value

    def _case_table(self, headers: Sequence[str], stretch: int | None = None,
                    numeric: Sequence[int] = ()) -> LogTable:
        table = LogTable(headers, stretch=stretch, numeric=numeric)
        table.doubleClicked.connect(lambda _i, t=table: self.open_case_from(t))
        return table

    def _open_button(self, table: LogTable) -> QPushButton:
        button = QPushButton("ケースを開く")
        button.clicked.connect(lambda: self.open_case_from(table))
        return button

    def _build_status_tab(self) -> None:
        tab = QSplitter(Qt.Orientation.Vertical)
        upper = QGroupBox("受け手の機関別 未対応のつなぎ（待ち日数は営業日）")
        self.open_table = LogTable(["受け手の機関", "未受理", "受理・対応中", "0〜2日", "3〜5日",
                                    "6〜10日", "11日以上", "最も古い送付", "最長の待ち"], stretch=0,
                                   numeric=range(1, 7))
        QVBoxLayout(upper).addWidget(self.open_table)
        lower = QGroupBox("期限超過のつなぎ（受理期限・対応開始期限・対応中の更新期限を過ぎたもの、"
                          "期限の古い順）")
        box = QVBoxLayout(lower)
        self.overdue_table = self._case_table(
            ["ケース番号", "送付元", "送付先", "状態", "超過した期限", "期限", "超過（営業日）",
             "送付日時"], stretch=2, numeric=(6,))
        box.addWidget(self.overdue_table)
        box.addLayout(buttons(self._open_button(self.overdue_table)))
        tab.addWidget(upper)
        tab.addWidget(lower)
        self.tabs.addTab(tab, "つなぎの状況")

    def _list_tab(self, title: str, note: str, headers: Sequence[str]
                  ) -> tuple[QVBoxLayout, LogTable]:
        """A tab with a sentence on what it lists and a table of cases under it."""
        tab = QWidget()
        box = QVBoxLayout(tab)
        box.addWidget(QLabel(note))
        table = self._case_table(headers)
        box.addWidget(table, 1)
        self.tabs.addTab(tab, title)
        return box, table

    def _build_returned_tab(self) -> None:
        box, self.returned_table = self._list_tab(
            "返送", "返送されたつなぎ（新しい順）。「その後」が空欄のケースは、まだ次の機関に"
            "つながっていません。",
            ["ケース番号", "送付元", "返送した機関", "返送日時", "返送理由", "提案された相談先",
             "その後のつなぎ先", "その後の状態"])
        box.addLayout(buttons(self._open_button(self.returned_table)))

    def _build_overrides_tab(self) -> None:
        box, self.override_table = self._list_tab(
            "同意外提供の確認", "本人同意の範囲外で提供したつなぎです。内容を確かめ、コメントを付けて"
            "確認済みにしてください（記録に残ります）。",
            ["ケース番号", "送付元", "送付先", "送付日時", "状態", "提供の根拠", "理由"])
        form = QFormLayout()
        self.override_comment = QPlainTextEdit()
        self.override_comment.setPlaceholderText("確認の結果・判断の理由（必須）")
        self.override_comment.setFixedHeight(70)
        form.addRow("確認コメント", self.override_comment)
        box.addLayout(form)
        self.review_button = QPushButton("確認済みにする")
        self.review_button.clicked.connect(self.mark_override_reviewed)
        box.addLayout(buttons(self.review_button, self._open_button(self.override_table)))

    def _build_plans_tab(self) -> None:
        tab = QSplitter(Qt.Orientation.Vertical)
        plans = QGroupBox("承認待ちの支援プラン")
        self.plans_table = self._case_table(["ケース番号", "プランの状態", "申請者", "申請日時",
                                             "申請の内容"])
        QVBoxLayout(plans).addWidget(self.plans_table)
        meetings = QGroupBox("今後の会議")
        self.meetings_table = LogTable(["開催日", "開始", "会議名", "種類", "場所", "ケース数"],
                                       numeric=(5,))
        self.meetings_table.doubleClicked.connect(lambda _i: self.ctx.show_page("meetings"))
        QVBoxLayout(meetings).addWidget(self.meetings_table)
        tab.addWidget(plans)
        tab.addWidget(meetings)
        self.tabs.addTab(tab, "承認待ち・会議予定")

    def _build_charts_tab(self) -> None:
        self.charts_tab = QWidget()
        # field, median, block: built on the tab's first show
        self.charts: tuple[StackedBarChart, BarChart, BarChart] | None = None
        self._chart_figures: tuple | None = None
        self.tabs.addTab(self.charts_tab, "グラフ")
        self.tabs.currentChanged.connect(
            lambda i: self._show_charts() if self.tabs.widget(i) is self.charts_tab else None)

    def _show_charts(self) -> None:
        shown = self.charts
        if shown is None:
            from kodoku_desk.ui.pages import review_charts as charts

            shown = self.charts = (
                charts.StackedBarChart("分野別・月別のつなぎ件数（受け手の分野）"),
                charts.BarChart("受理までの日数（中央値・暦日）", horizontal=True, decimals=1,
                                color=charts.PALETTE[1]),
                charts.BarChart("ブロック別の新規受付（12か月）", color=charts.PALETTE[2]))
            # The median chart has a bar per receiving agency (twenty and more): it takes the
            # whole height of the right half, so each name and value stays readable.
            grid = QGridLayout(self.charts_tab)
            grid.addWidget(shown[0], 0, 0)
            grid.addWidget(shown[2], 1, 0)
            grid.addWidget(shown[1], 0, 1, 2, 1)
            grid.setColumnStretch(0, 1)
            grid.setColumnStretch(1, 1)
        if self._chart_figures is not None:
            for chart, figures in zip(shown, self._chart_figures, strict=True):
                chart.update_figures(*figures)
            self._chart_figures = None

    # ---- data

    def refresh(self) -> None:
        signed = self.ctx.signed

        def work() -> BoardView:
            from kodoku_desk.queries import dashboard as service  # loads off the GUI thread

            return board_view(service.dashboard(signed))

        self.say("集計しています…")
        self.write(work, self.show_board, latest="board")  # looking at the board is audited

    def show_board(self, view: BoardView) -> None:
        board = self.board = view.board
        for key, value in view.tiles.items():
            self.tiles[key].setText(f"{value:,}")
        self.overdue_stages.setText(view.overdue_by_stage)
        self.tiles["overdue"].setStyleSheet(
            f"font-size: 22px; font-weight: bold; color: {'#c0392b' if board.overdue_total else '#1f3b5c'};")
        for name, table in (("open", self.open_table), ("overdue", self.overdue_table),
                            ("returned", self.returned_table), ("overrides", self.override_table),
                            ("plans", self.plans_table), ("meetings", self.meetings_table)):
            table.fill(*view.tables[name])
        self.tabs.setTabText(2, f"同意外提供の確認（{board.overrides_total}）")
        self._chart_figures = ((view.months, board.per_field_month),
                               ([(m.agency, m.median_days) for m in board.median_ack],),
                               (board.intakes_by_block,))
        if self.charts is not None:
            self._show_charts()
        more = f"（期限超過は古い順に {len(board.overdue)} 件を表示）" \
            if board.overdue_total > len(board.overdue) else ""
        self.say(f"{wareki(board.today)} 現在の状況です。{more}")

    def mark_override_reviewed(self) -> None:
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
            self.override_comment.clear()  # the write's change has refreshed the board
            self.say(f"つなぎ #{handoff_id} を確認済みにしました。", ok=True)

        signed = self.ctx.signed
        from kodoku_desk.services import review

        self.write(lambda: review.review_override(signed, int(handoff_id), comment), done)
