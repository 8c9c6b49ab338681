"""支援プラン (docs/DOMAIN.md §8): the list of plans, the editor (every save is a new version), version
history with comparison, lifecycle and approval, evaluations. All rules live in
services/plans.py; this screen only collects input and shows the service's answers."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import plan as lifecycle
from kodoku_desk.domain.changes import Change
from kodoku_desk.domain.dates import to_wareki
from kodoku_desk.queries import pickers as plans_ui_queries
from kodoku_desk.services import plans
from kodoku_desk.ui.ops import Latest, error_text
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.tables import fit_columns
from kodoku_desk.ui.widgets import (
    Column,
    DateField,
    FieldError,
    RowsEditor,
    RowsTableModel,
    text_box,
)

ALL = "（すべて）"
# The approval filter: (label, the Plan.approval value); None is every plan.
APPROVAL_CHOICES = ((ALL, None), (lifecycle.APPROVAL_PENDING, lifecycle.APPROVAL_PENDING),
                    (lifecycle.APPROVAL_OK, lifecycle.APPROVAL_OK),
                    (lifecycle.APPROVAL_RETURNED, lifecycle.APPROVAL_RETURNED),
                    (lifecycle.APPROVAL_LABEL_NONE, lifecycle.APPROVAL_NONE))
SHOWN = Change.PLAN | Change.CASE  # plans, and the case numbers and names beside them


def approval_label(approval: str) -> str:
    return approval or lifecycle.APPROVAL_LABEL_NONE


def _when(value) -> str:
    return to_wareki(value.date() if hasattr(value, "date") else value) if value else ""


def _fit(view: QTableView) -> None:
    """Columns as wide as their content (dates must not wrap), the last one takes the rest."""
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)


class PlanEditor(QWidget):
    """The §8 fields. data() gives the dict services.plans.save_version takes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.created_on = DateField(field="created_on")
        self.agency = QLineEdit()
        self.version_label = QLabel("―")
        self.person_wish, self.family_wish = text_box(), text_box()
        self.household = text_box(4)
        self.issues = RowsEditor(plans.ISSUE_COLUMNS)
        self.policy = text_box()
        self.long_term_goal = QLineEdit()
        self.short_term_goals = text_box(3)
        self.short_term_goals.setPlaceholderText("1行に1つずつ")
        self.roles = RowsEditor(plans.ROLE_COLUMNS)
        self.participation = text_box(2)
        self.monitoring_on = DateField(field="monitoring_on")
        self.consent = text_box(2)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        label = plans.FIELD_LABELS
        form.addRow("版", self.version_label)
        form.addRow(label["created_on"], self.created_on)
        form.addRow(label["agency"], self.agency)
        form.addRow(label["person_wish"], self.person_wish)
        form.addRow(label["family_wish"], self.family_wish)
        form.addRow(label["household"], self.household)
        form.addRow(label["issues"], self.issues)
        form.addRow(label["policy"], self.policy)
        form.addRow(label["long_term_goal"], self.long_term_goal)
        form.addRow(label["short_term_goals"], self.short_term_goals)
        form.addRow("支援内容\n（役割分担）", self.roles)
        form.addRow("参加支援・\nアウトリーチ", self.participation)
        form.addRow("モニタリング・\n評価予定日", self.monitoring_on)
        form.addRow(label["consent"], self.consent)

    def load(self, data: dict, version: int | None) -> None:
        self.version_label.setText(f"第{version}版" if version else "―")
        self.created_on.setText(data.get("created_on", ""))
        self.agency.setText(data.get("agency", ""))
        for key in ("person_wish", "family_wish", "household", "policy", "participation", "consent"):
            getattr(self, key).setPlainText(data.get(key, ""))
        self.long_term_goal.setText(data.get("long_term_goal", ""))
        self.short_term_goals.setPlainText("\n".join(data.get("short_term_goals") or []))
        self.issues.set_rows(list(data.get("issues") or []))
        self.roles.set_rows(list(data.get("roles") or []))
        self.monitoring_on.setText(data.get("monitoring_on", ""))

    def data(self) -> dict:
        """Raises UserError (shown under the date field) for an unreadable date."""
        return {
            "created_on": self.created_on.value() or "",
            "agency": self.agency.text(),
            **{k: getattr(self, k).toPlainText()
               for k in ("person_wish", "family_wish", "household", "policy", "participation",
                         "consent")},
            "issues": self.issues.rows(),
            "long_term_goal": self.long_term_goal.text(),
            "short_term_goals": self.short_term_goals.toPlainText().splitlines(),
            "roles": self.roles.rows(),
            "monitoring_on": self.monitoring_on.value() or "",
        }


class CasePickerDialog(QDialog):
    """Choose a case to draft a plan from."""

    def __init__(self, page: PlansPage) -> None:
        super().__init__(page)
        self.page = page
        self.setWindowTitle("ケースから下書きを作成")
        self.resize(640, 420)
        self.query = QLineEdit()
        self.query.setPlaceholderText("ケース番号・氏名・ふりがな・電話番号")
        search = QPushButton("検索")
        search.clicked.connect(self.search)
        self.query.returnPressed.connect(self.search)
        self.model = RowsTableModel([("case_no", "ケース番号"), ("person_name", "氏名"),
                                     ("plan_status", "現在のプラン")])
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(lambda _: self.accept())
        self.note = QLabel("選んだケースの受付シート・つなぎから第1版（状態「案」）を作成します。")
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("下書きを作成")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("キャンセル")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.query, 1)
        row.addWidget(search)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.search()

    def search(self) -> None:
        text = self.query.text()
        self.page.ctx.runner.query(lambda: plans_ui_queries.case_choices(self.page.ctx.signed, text),
                                   self.model.set_rows, parent=self)

    def chosen(self):
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.model.row_at(rows[0].row()) if rows else None


class PlansPage(Page):
    title = "支援プラン"

    LIST_COLUMNS: list[Column] = [("case_no", "ケース番号"), ("person_name", "氏名"), ("status", "状態"),
                    ("approval", "承認", approval_label), ("version", "版"),
                    ("updated_at", "最終保存", _when)]

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.view: plans.PlanView | None = None
        self._latest = Latest()
        self._plan_stale = False
        self._build()
        ctx.changes.changed.connect(self._on_changed)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        self.status_filter = QComboBox()
        self.status_filter.addItems([ALL, *lifecycle.STATUSES])
        self.approval_filter = QComboBox()
        for label, value in APPROVAL_CHOICES:
            self.approval_filter.addItem(label, value)
        self.case_filter = QLineEdit()
        self.case_filter.setPlaceholderText("ケース番号・氏名で絞り込み")
        self.status_filter.currentIndexChanged.connect(self.refresh)
        self.approval_filter.currentIndexChanged.connect(self._apply_filter)
        self.case_filter.textChanged.connect(self._apply_filter)
        self.new_button = QPushButton("ケースから下書きを作成")
        self.new_button.clicked.connect(self.new_from_case)
        for combo in (self.status_filter, self.approval_filter):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        filters = QHBoxLayout()
        for label, widget in (("状態", self.status_filter), ("承認", self.approval_filter)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        filters.addWidget(self.case_filter, 1)
        filters.addWidget(self.new_button)

        self.all_rows: list[plans.PlanRow] = []
        self.list_model = RowsTableModel(self.LIST_COLUMNS)
        self.list_view = QTableView()
        self.list_view.setModel(self.list_model)
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.verticalHeader().setVisible(False)
        # Up to 500 plans: widths measured on the first rows after each fill (fit_columns),
        # not by a ResizeToContents header that measures every row on every change.
        self.list_view.horizontalHeader().setStretchLastSection(True)
        self.list_view.clicked.connect(lambda index: self.open_plan(
            self.list_model.row_at(index.row()).id))

        self.header = QLabel("一覧から支援プランを選んでください。")
        self.header.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.header.setWordWrap(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._content_tab(), "内容")
        self.tabs.addTab(self._history_tab(), "版の履歴")
        self.tabs.addTab(self._status_tab(), "状態・承認")
        self.tabs.addTab(self._evaluation_tab(), "評価")
        self.tabs.setEnabled(False)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.header)
        right_layout.addWidget(self.tabs, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list_view)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([460, 820])  # the list's six columns fit without scrolling
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)

    def _content_tab(self) -> QWidget:
        self.editor = PlanEditor()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)
        self.save_note = QLineEdit()
        self.save_note.setPlaceholderText("この版のメモ（任意）例: 役割分担を見直し")
        self.save_button = QPushButton("保存（新しい版）")
        self.save_button.clicked.connect(self.save)
        self.save_error = FieldError()
        row = QHBoxLayout()
        row.addWidget(self.save_note, 1)
        row.addWidget(self.save_button)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.save_error)
        layout.addLayout(row)
        return tab

    def _history_tab(self) -> QWidget:
        self.versions_model = RowsTableModel([
            ("version", "版"), ("status", "状態"), ("created_by", "保存者"),
            ("created_at", "保存日", _when), ("note", "メモ")])
        self.versions_view = QTableView()
        self.versions_view.setModel(self.versions_model)
        self.versions_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.versions_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.versions_view.verticalHeader().setVisible(False)
        _fit(self.versions_view)
        self.compare_button = QPushButton("前の版と比べる")
        self.compare_button.clicked.connect(self.compare_selected)
        self.compare_label = QLabel("版を選んで「前の版と比べる」を押すと、変わった項目を左右に並べて表示します。")
        self.compare_label.setWordWrap(True)
        self.diff_table = QTableWidget(0, 3)
        self.diff_table.setHorizontalHeaderLabels(["項目", "前の版", "この版"])
        self.diff_table.verticalHeader().setVisible(False)
        header = self.diff_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.diff_table.setWordWrap(True)
        self.diff_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.versions_view, 1)
        row = QHBoxLayout()
        row.addWidget(self.compare_label, 1)
        row.addWidget(self.compare_button)
        layout.addLayout(row)
        layout.addWidget(self.diff_table, 2)
        return tab

    def _status_tab(self) -> QWidget:
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.next_status = QComboBox()
        self.change_button = QPushButton("状態を変更")
        self.change_button.clicked.connect(self.change_status)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText("コメント（差戻しには理由が必要です）")
        self.request_button = QPushButton("承認を申請")
        self.approve_button = QPushButton("承認")
        self.return_button = QPushButton("差し戻す")
        self.request_button.clicked.connect(lambda: self._approval(plans.request_approval))
        self.approve_button.clicked.connect(lambda: self._approval(plans.approve))
        self.return_button.clicked.connect(lambda: self._approval(plans.return_plan))
        self.status_error = FieldError()
        self.events_model = RowsTableModel([
            ("at", "日時", _when), ("kind", "内容"), ("from_status", "前"), ("to_status", "後"),
            ("actor", "職員"), ("comment", "コメント")])
        events = QTableView()
        events.setModel(self.events_model)
        events.verticalHeader().setVisible(False)
        _fit(events)
        status_row = QHBoxLayout()
        status_row.addWidget(QLabel("次の状態"))
        status_row.addWidget(self.next_status)
        status_row.addWidget(self.change_button)
        status_row.addStretch(1)
        approval_row = QHBoxLayout()
        for b in (self.request_button, self.approve_button, self.return_button):
            approval_row.addWidget(b)
        approval_row.addStretch(1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.state_label)
        layout.addLayout(status_row)
        layout.addWidget(self.comment)
        layout.addLayout(approval_row)
        layout.addWidget(self.status_error)
        layout.addWidget(QLabel("経過"))
        layout.addWidget(events, 1)
        return tab

    def _evaluation_tab(self) -> QWidget:
        self.eval_date = DateField(field="evaluated_on")
        self.eval_progress = RowsEditor((("goal", "目標"), ("progress", "進み具合")))
        self.eval_direction = text_box(3)
        self.eval_button = QPushButton("評価を記録")
        self.eval_button.clicked.connect(self.add_evaluation)
        self.eval_error = FieldError()
        self.evals_model = RowsTableModel([
            ("evaluated_on", "評価日"), ("version", "版"),
            ("progress", "進み具合", lambda rows: "\n".join(
                f"{r['goal']}: {r['progress']}" for r in rows)),
            ("next_direction", "今後の方向性"), ("created_by", "記録者")])
        evals = QTableView()
        evals.setModel(self.evals_model)
        evals.verticalHeader().setVisible(False)
        _fit(evals)
        box = QGroupBox("評価を記録")
        form = QFormLayout(box)
        form.addRow("評価日", self.eval_date)
        form.addRow("目標ごとの\n進み具合", self.eval_progress)
        form.addRow("今後の方向性", self.eval_direction)
        form.addRow(self.eval_error)
        form.addRow(self.eval_button)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(box)
        layout.addWidget(QLabel("これまでの評価"))
        layout.addWidget(evals, 1)
        return tab

    # ------------------------------------------------------------------ list

    def refresh(self) -> None:
        """The list; and the open plan again when it changed while the page was hidden."""
        status = self.status_filter.currentText()
        signed = self.ctx.signed
        show, _ = self._latest.guard("list", self._show_rows)
        self.ctx.runner.query(
            lambda: plans.list_plans(signed, status=None if status == ALL else status),
            show, parent=self)
        if self._plan_stale and self.view is not None:
            self.open_plan(self.view.id)
        self._plan_stale = False

    def _on_changed(self, change: Change) -> None:
        """A plan was saved, moved on, approved or changed by a meeting's decision."""
        if change & SHOWN:
            self._plan_stale = True
            if self.isVisible():
                self.refresh()

    def _show_rows(self, rows: list[plans.PlanRow]) -> None:
        self.all_rows = rows
        self._apply_filter()

    def _apply_filter(self) -> None:
        wanted = self.approval_filter.currentData()
        needle = self.case_filter.text().strip()
        rows = [r for r in self.all_rows
                if (wanted is None or r.approval == wanted)
                and (not needle or needle in r.case_no or needle in r.person_name.replace(" ", "")
                     or needle in r.person_name)]
        self.list_model.set_rows(rows)
        fit_columns(self.list_view)

    # ------------------------------------------------------------------ one plan

    def open_plan(self, plan_id: int) -> None:
        signed = self.ctx.signed
        show, _ = self._latest.guard("plan", self._show_plan)
        # Opening a plan is audited: a write (Change.AUDIT, which this page ignores).
        self.ctx.runner.write(lambda: plans.get_plan(signed, plan_id), show, parent=self)

    def _show_plan(self, view: plans.PlanView) -> None:
        self.view = view
        self.tabs.setEnabled(True)
        approval = approval_label(view.approval)
        self.header.setText(f"ケース {view.case_no}　{view.person_name}　／　状態: {view.status}"
                            f"　／　承認: {approval}　／　第{view.version}版")
        self.editor.load(view.data, view.version)
        self.save_error.clear_message()
        self.status_error.clear_message()
        self.eval_error.clear_message()
        self.versions_model.set_rows(view.versions)
        if view.versions:
            self.versions_view.selectRow(len(view.versions) - 1)
        self.diff_table.setRowCount(0)
        self.events_model.set_rows(view.events)
        self.evals_model.set_rows(view.evaluations)
        self._update_actions(view)
        self.eval_progress.set_rows([{"goal": g, "progress": ""} for g in plans.goals_of(view.data)])
        if not self.eval_date.text():
            self.eval_date.set_date(date.today())

    def _update_actions(self, view: plans.PlanView) -> None:
        """Buttons follow the actor's role and the plan's state; the service still decides."""
        actor = self.ctx.actor
        editable = view.status in lifecycle.EDITABLE
        self.save_button.setEnabled(editable and actor.is_coordinator)
        self.next_status.clear()
        self.next_status.addItems(list(view.next_statuses))
        self.change_button.setEnabled(bool(view.next_statuses) and actor.is_coordinator)
        pending = view.approval == lifecycle.APPROVAL_PENDING
        self.request_button.setEnabled(actor.is_coordinator
                                       and lifecycle.can_request_approval(view.status, view.approval))
        self.approve_button.setEnabled(actor.is_supervisor and pending)
        self.return_button.setEnabled(actor.is_supervisor and pending)
        self.eval_button.setEnabled(actor.is_coordinator and view.status in lifecycle.EVALUABLE)
        hint = "承認を申請中です。監督者が承認または差戻しをします。" if pending else ""
        if view.approval == lifecycle.APPROVAL_OK:
            hint = "この版は承認されています。内容を保存し直すと承認は取り消されます。"
        if view.approval == lifecycle.APPROVAL_RETURNED:
            hint = "差し戻されています。経過のコメントを確認し、修正して再度申請してください。"
        self.state_label.setText(f"現在の状態: {view.status}　承認: {approval_label(view.approval)}"
                                 + (f"\n{hint}" if hint else ""))

    def _run_change(self, fn, error_label: FieldError) -> None:
        """Runs a mutation; errors appear in the label next to the button that was pressed.
        The write's Change.PLAN reloads the list and this plan (_on_changed)."""
        if self.view is None:
            return
        error_label.clear_message()
        self.ctx.runner.write(fn, None, lambda exc: error_label.show_message(error_text(exc)),
                              parent=self)

    def save(self) -> None:
        if self.view is None:
            return
        try:
            data = self.editor.data()
        except Exception as exc:  # noqa: BLE001 - a bad date: the field shows it too
            self.save_error.show_message(error_text(exc))
            return
        signed, plan_id, note = self.ctx.signed, self.view.id, self.save_note.text()
        self.save_note.clear()
        self._run_change(lambda: plans.save_version(signed, plan_id, data, note), self.save_error)

    def change_status(self) -> None:
        if self.view is None or not self.next_status.currentText():
            return
        signed, plan_id = self.ctx.signed, self.view.id
        to, comment = self.next_status.currentText(), self.comment.text()
        self._run_change(lambda: plans.change_status(signed, plan_id, to, comment),
                         self.status_error)

    def _approval(self, step) -> None:
        if self.view is None:
            return
        signed, plan_id, comment = self.ctx.signed, self.view.id, self.comment.text()
        self.comment.clear()
        self._run_change(lambda: step(signed, plan_id, comment), self.status_error)

    def add_evaluation(self) -> None:
        if self.view is None:
            return
        try:
            when = self.eval_date.value()
        except Exception as exc:  # noqa: BLE001 - shown under the date field
            self.eval_error.show_message(error_text(exc))
            return
        signed, plan_id = self.ctx.signed, self.view.id
        progress, direction = self.eval_progress.rows(), self.eval_direction.toPlainText()
        self.eval_direction.clear()
        self._run_change(lambda: plans.add_evaluation(signed, plan_id, when or "", progress,
                                                      direction), self.eval_error)

    def compare_selected(self) -> None:
        if self.view is None:
            return
        selected = self.versions_view.selectionModel().selectedRows()
        if not selected:
            self.compare_label.setText("比べる版を一覧から選んでください。")
            return
        version = self.versions_model.row_at(selected[0].row()).version
        signed, plan_id = self.ctx.signed, self.view.id
        self.ctx.runner.write(lambda: plans.compare_with_previous(signed, plan_id, version),
                              lambda changes: self._show_diff(version, changes), parent=self)

    def _show_diff(self, version: int, changes: list[plans.FieldChange]) -> None:
        before = f"第{version - 1}版" if version > 1 else "（なし）"
        self.diff_table.setHorizontalHeaderLabels(["項目", before, f"第{version}版"])
        self.compare_label.setText(f"第{version}版で変わった項目: {len(changes)}件"
                                   if changes else f"第{version}版は前の版から変わっていません。")
        self.diff_table.setRowCount(len(changes))
        for row, change in enumerate(changes):
            for col, text in enumerate((change.label, change.before, change.after)):
                self.diff_table.setItem(row, col, QTableWidgetItem(text))
        self.diff_table.resizeRowsToContents()

    # ------------------------------------------------------------------ new plan

    def new_from_case(self) -> None:
        dialog = CasePickerDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        choice = dialog.chosen()
        if choice is None:
            return
        self.create_for_case(choice.case_id)

    def create_for_case(self, case_id: int) -> None:
        signed = self.ctx.signed

        # The write's change reloads the list; the new plan is opened here.
        self.ctx.runner.write(lambda: plans.create_plan(signed, case_id), self.open_plan,
                              parent=self)
