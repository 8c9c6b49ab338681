"""管理: agencies and blocks, staff accounts, settings and the recovery key. Every read and
write goes through services.admin / services.auth on the Runner; the services check the role."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain.changes import Change
from kodoku_desk.errors import UserError
from kodoku_desk.models.org import FIELDS, OPERATIONS, ROLE_LABELS, ROLES
from kodoku_desk.services import admin, auth
from kodoku_desk.ui.ops import Runner, error_text
from kodoku_desk.ui.pages.base import Page
from kodoku_desk.ui.widgets import FieldError, PasswordPair, RowsTableModel


def _table(model: RowsTableModel, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _selected(view: QTableView, model: RowsTableModel):
    rows = view.selectionModel().selectedRows()
    return model.row_at(rows[0].row()) if rows else None


def _active_text(active: bool) -> str:
    return "有効" if active else "無効"


class _FormDialog(QDialog):
    """A form with an inline error line and 保存/キャンセル; subclasses implement work()."""

    def __init__(self, runner: Runner, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.error = FieldError(self)
        buttons = QDialogButtonBox(self)
        self.ok = buttons.addButton("保存", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(500)

    def prepare(self):
        """Read the widgets on the GUI thread; return a no-argument callable for the Runner."""
        raise NotImplementedError

    def submit(self) -> None:
        try:
            work = self.prepare()
        except UserError as err:
            self.error.show_message(err.message)
            return
        self.ok.setEnabled(False)
        self.error.clear_message()

        def failed(exc: BaseException) -> None:
            self.ok.setEnabled(True)
            self.error.show_message(error_text(exc))

        def done(result: object) -> None:
            self.result_value = result
            self.accept()

        self.runner.write(work, done, failed, parent=self)


# --- agencies and blocks ------------------------------------------------------------------------

class AgencyDialog(_FormDialog):
    def __init__(self, ctx, blocks: list[str], row=None, parent: QWidget | None = None) -> None:
        super().__init__(ctx.runner, "機関の編集" if row else "機関の登録", parent)
        self.ctx, self.row = ctx, row
        self.name_edit = QLineEdit(row.name if row else "", self)
        self.field_boxes = {f: QCheckBox(f, self) for f in FIELDS}
        fields_box = QWidget(self)
        fields_layout = QHBoxLayout(fields_box)
        fields_layout.setContentsMargins(0, 0, 0, 0)
        for name, box in self.field_boxes.items():
            box.setChecked(bool(row and name in row.fields))
            fields_layout.addWidget(box)
        self.block_combo = QComboBox(self)
        self.block_combo.addItem("（なし）", "")
        for b in blocks:
            self.block_combo.addItem(b, b)
        if row and row.block:
            self.block_combo.setCurrentIndex(max(self.block_combo.findData(row.block), 0))
        self.operation_buttons = {op: QRadioButton(op, self) for op in OPERATIONS}
        op_box = QWidget(self)
        op_layout = QHBoxLayout(op_box)
        op_layout.setContentsMargins(0, 0, 0, 0)
        for button in self.operation_buttons.values():
            op_layout.addWidget(button)
        op_layout.addStretch(1)
        self.operation_buttons[row.operation if row else OPERATIONS[0]].setChecked(True)
        self.contact_edit = QLineEdit(row.contact if row else "", self)
        self.contact_edit.setPlaceholderText("電話番号・担当窓口など")
        self.form.addRow("機関名", self.name_edit)
        self.form.addRow("分野", fields_box)
        self.form.addRow("ブロック", self.block_combo)
        self.form.addRow("運営形態", op_box)
        self.form.addRow("連絡先", self.contact_edit)
        self.setMinimumWidth(640)

    def prepare(self):
        name, contact = self.name_edit.text(), self.contact_edit.text()
        fields = [f for f, box in self.field_boxes.items() if box.isChecked()]
        if not fields:
            raise UserError("分野を一つ以上選んでください。", field="fields")
        block = self.block_combo.currentData() or None
        operation = next(op for op, b in self.operation_buttons.items() if b.isChecked())
        agency_id = self.row.id if self.row else None
        signed = self.ctx.signed
        return lambda: admin.save_agency(signed, name, fields, block, operation, contact, agency_id)


class AgencyAdminPage(Page):
    title = "機関・ブロック"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.blocks: list[str] = []
        self.model = RowsTableModel([("name", "機関名"), ("fields", "分野"), ("block", "ブロック"),
                                     ("operation", "運営"), ("contact", "連絡先"),
                                     ("active", "状態", _active_text)], parent=self)
        self.table = _table(self.model, self)
        self.table.doubleClicked.connect(self.edit_agency)
        new, edit, toggle = (QPushButton(t, self) for t in ("機関を登録…", "編集…", "無効にする／有効に戻す"))
        new.clicked.connect(self.new_agency)
        edit.clicked.connect(self.edit_agency)
        toggle.clicked.connect(self.toggle_agency)
        buttons = QHBoxLayout()
        for b in (new, edit, toggle):
            buttons.addWidget(b)
        buttons.addStretch(1)
        agencies = QGroupBox("機関", self)
        agencies_layout = QVBoxLayout(agencies)
        agencies_layout.addLayout(buttons)
        agencies_layout.addWidget(self.table)

        self.block_list = QListWidget(self)
        self.block_edit = QLineEdit(self)
        self.block_edit.setPlaceholderText("例: 北部ブロック")
        add_block = QPushButton("ブロックを追加", self)
        add_block.clicked.connect(self.add_block)
        self.block_edit.returnPressed.connect(add_block.click)
        self.block_error = FieldError(self)
        blocks = QGroupBox("ブロック", self)
        blocks_layout = QVBoxLayout(blocks)
        blocks_layout.addWidget(self.block_list)
        row = QHBoxLayout()
        row.addWidget(self.block_edit, 1)
        row.addWidget(add_block)
        blocks_layout.addLayout(row)
        blocks_layout.addWidget(self.block_error)
        blocks.setMaximumWidth(340)

        layout = QHBoxLayout(self)
        layout.addWidget(agencies, 1)
        layout.addWidget(blocks)
        ctx.changes.changed.connect(self._on_changed)

    def refresh(self) -> None:
        signed = self.ctx.signed

        self.ctx.runner.query(lambda: (admin.agencies(signed), admin.block_names(signed)),
                              self._show, parent=self)

    def _show(self, result) -> None:
        agencies, self.blocks = result
        self.model.set_rows(agencies)
        self.block_list.clear()
        self.block_list.addItems(self.blocks)

    def _on_changed(self, change: Change) -> None:
        if change & Change.ORG and self.isVisible():
            self.refresh()

    def new_agency(self) -> None:
        AgencyDialog(self.ctx, self.blocks, None, self).exec()

    def edit_agency(self, *_args) -> None:
        row = _selected(self.table, self.model)
        if row is not None:
            AgencyDialog(self.ctx, self.blocks, row, self).exec()

    def toggle_agency(self) -> None:
        row = _selected(self.table, self.model)
        if row is None:
            return
        verb = "無効にします" if row.active else "有効に戻します"
        if QMessageBox.question(self, "確認", f"機関「{row.name}」を{verb}。よろしいですか？") != QMessageBox.StandardButton.Yes:
            return
        signed = self.ctx.signed
        self.ctx.runner.write(lambda: admin.set_agency_active(signed, row.id, not row.active),
                              parent=self)

    def add_block(self) -> None:
        name, signed = self.block_edit.text(), self.ctx.signed

        def done(_) -> None:
            self.block_edit.clear()
            self.block_error.clear_message()

        self.ctx.runner.write(lambda: admin.create_block(signed, name), done,
                              lambda exc: self.block_error.show_message(error_text(exc)),
                              parent=self)


# --- staff --------------------------------------------------------------------------------------

class StaffDialog(_FormDialog):
    def __init__(self, ctx, agencies: list[str], parent: QWidget | None = None) -> None:
        super().__init__(ctx.runner, "職員の登録", parent)
        self.ctx = ctx
        self.login_edit = QLineEdit(self)
        self.login_edit.setPlaceholderText("半角英数字（例: tanaka）")
        self.name_edit = QLineEdit(self)
        self.agency_combo = QComboBox(self)
        self.agency_combo.addItems(agencies)
        self.role_boxes = {r: QCheckBox(ROLE_LABELS[r], self) for r in ROLES}
        roles_box = QWidget(self)
        roles_layout = QHBoxLayout(roles_box)
        roles_layout.setContentsMargins(0, 0, 0, 0)
        for box in self.role_boxes.values():
            roles_layout.addWidget(box)
        self.password = PasswordPair(self)
        self.form.addRow("ログインID", self.login_edit)
        self.form.addRow("氏名", self.name_edit)
        self.form.addRow("所属機関", self.agency_combo)
        self.form.addRow("役割", roles_box)
        self.form.addRow("初期パスワード", self.password)

    def prepare(self):
        password = self.password.value()
        login, name, agency = self.login_edit.text(), self.name_edit.text(), self.agency_combo.currentText()
        roles = [r for r, box in self.role_boxes.items() if box.isChecked()]
        signed = self.ctx.signed
        return lambda: admin.create_staff(signed, login, name, agency, roles, password)


class SetPasswordDialog(_FormDialog):
    def __init__(self, ctx, login: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx.runner, f"パスワードの設定（{login}）", parent)
        self.ctx, self.login = ctx, login
        self.password = PasswordPair(self)
        self.form.addRow("新しいパスワード", self.password)

    def prepare(self):
        password, signed, login = self.password.value(), self.ctx.signed, self.login
        return lambda: auth.set_password(signed, login, password)


class StaffAdminPage(Page):
    title = "職員"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.agencies: list[str] = []
        roles = lambda value: "・".join(ROLE_LABELS.get(r, r) for r in value)  # noqa: E731
        self.model = RowsTableModel([("login", "ログインID"), ("display_name", "氏名"),
                                     ("agency", "所属機関"), ("roles", "役割", roles),
                                     ("active", "状態", _active_text)], parent=self)
        self.table = _table(self.model, self)
        new, deactivate, password = (QPushButton(t, self) for t in ("職員を登録…", "無効にする", "パスワードを設定…"))
        new.clicked.connect(self.new_staff)
        deactivate.clicked.connect(self.deactivate)
        password.clicked.connect(self.set_password)
        buttons = QHBoxLayout()
        for b in (new, deactivate, password):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        ctx.changes.changed.connect(self._on_changed)

    def refresh(self) -> None:
        signed = self.ctx.signed

        def work():
            return (admin.staff_accounts(signed),
                    [a.name for a in admin.agencies(signed, include_inactive=False)])

        self.ctx.runner.query(work, self._show, parent=self)

    def _show(self, result) -> None:
        staff, self.agencies = result
        self.model.set_rows(staff)

    def _on_changed(self, change: Change) -> None:
        if change & (Change.STAFF | Change.ORG) and self.isVisible():
            self.refresh()

    def new_staff(self) -> None:
        StaffDialog(self.ctx, self.agencies, self).exec()

    def deactivate(self) -> None:
        row = _selected(self.table, self.model)
        if row is None or not row.active:
            return
        if QMessageBox.question(self, "確認", f"職員「{row.display_name}（{row.login}）」を無効にします。"
                                "この職員はログインできなくなります（記録は残ります）。") != QMessageBox.StandardButton.Yes:
            return
        signed = self.ctx.signed
        self.ctx.runner.write(lambda: admin.deactivate_staff(signed, row.id), parent=self)

    def set_password(self) -> None:
        row = _selected(self.table, self.model)
        if row is not None and row.active:
            SetPasswordDialog(self.ctx, row.login, self).exec()



# --- settings and the recovery key -------------------------------------------------------------

class RecoveryResetDialog(_FormDialog):
    """A forgotten password: the recovery key unlocks the workspace and sets a new password.
    Used from the login dialog (the workspace must not be open in this app at the time)."""

    def __init__(self, runner: Runner, folder: Path, login: str = "", parent: QWidget | None = None) -> None:
        super().__init__(runner, "回復キーでパスワードを再設定", parent)
        self.folder = Path(folder)
        note = QLabel(f"ワークスペース: {self.folder}\n管理者が印刷して保管している回復キーを入力してください。", self)
        note.setWordWrap(True)
        self.code_edit = QLineEdit(self)
        self.code_edit.setPlaceholderText("XXXX-XXXX-…")
        self.login_edit = QLineEdit(login, self)
        self.password = PasswordPair(self)
        self.form.addRow(note)
        self.form.addRow("回復キー", self.code_edit)
        self.form.addRow("ログインID", self.login_edit)
        self.form.addRow("新しいパスワード", self.password)
        self.ok.setText("再設定")

    def prepare(self):
        password, code, login, folder = (self.password.value(), self.code_edit.text(),
                                         self.login_edit.text(), self.folder)
        if not login.strip():
            raise UserError("パスワードを再設定するログインIDを入力してください。", field="login")
        return lambda: auth.reset_with_recovery(folder, code, login, password)

    def accept(self) -> None:
        if getattr(self, "result_value", 0) is None:
            QMessageBox.information(self, "完了", "パスワードを再設定しました。新しいパスワードでログインしてください。")
        super().accept()


class RecoveryCodeDialog(QDialog):
    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("回復キー")
        warning = QLabel("この回復キーは今回だけ表示されます。印刷するか書き写して、金庫など鍵のかかる場所に"
                         "保管してください。回復キーがあれば誰でもパスワードを再設定できます。"
                         "以前の回復キーは使えなくなりました。", self)
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #b00020;")
        self.code_label = QLabel(code, self)
        self.code_label.setStyleSheet("font-family: monospace; font-size: 16pt; padding: 8px;")
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        for w in (warning, self.code_label, buttons):
            layout.addWidget(w)
        self.setMinimumWidth(520)


class SettingsPage(Page):
    title = "設定・回復キー"

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.spins: dict[str, QSpinBox] = {}
        settings = QGroupBox("設定", self)
        form = QFormLayout(settings)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for key, label in admin.SETTING_LABELS.items():
            spin = QSpinBox(self)
            spin.setRange(1, 120)
            spin.setMinimumWidth(100)
            spin.setValue(admin.SETTING_DEFAULTS[key])
            self.spins[key] = spin
            form.addRow(label, spin)
        deadlines = QLabel("受理期限は、つなぎを送った時に期限日が決まります（変えると、これから送るつなぎから"
                           "使われます）。対応開始期限と更新期限は、変えるとすぐに受信箱・ダッシュボードの"
                           "期限超過に反映されます。", self)
        deadlines.setWordWrap(True)
        deadlines.setStyleSheet("color: #555;")
        form.addRow(deadlines)
        save = QPushButton("設定を保存", self)
        save.clicked.connect(self.save)
        self.message = QLabel(self)
        self.error = FieldError(self)
        form.addRow("", save)
        form.addRow(self.message)
        form.addRow(self.error)

        recovery = QGroupBox("回復キー", self)
        recovery_layout = QVBoxLayout(recovery)
        explain = QLabel("パスワードを忘れた職員のために、管理者は回復キーを作成できます。回復キーはログイン画面の"
                         "「パスワードを忘れたとき（回復キー）」で使います。新しく作ると前の回復キーは使えなくなります。",
                         self)
        explain.setWordWrap(True)
        create = QPushButton("回復キーを作成…", self)
        create.clicked.connect(self.create_recovery)
        recovery_layout.addWidget(explain)
        recovery_layout.addWidget(create, 0, Qt.AlignmentFlag.AlignLeft)

        layout = QVBoxLayout(self)
        layout.addWidget(settings)
        layout.addWidget(recovery)
        layout.addStretch(1)

    def refresh(self) -> None:
        signed = self.ctx.signed

        keys = list(self.spins)
        self.ctx.runner.query(lambda: admin.settings(signed, keys), self._show, parent=self)

    def _show(self, values: dict[str, int]) -> None:
        for key, value in values.items():
            self.spins[key].setValue(value)

    def save(self) -> None:
        values = {key: spin.value() for key, spin in self.spins.items()}
        signed = self.ctx.signed

        def work() -> None:
            for key, value in values.items():
                admin.set_setting(signed, key, value)

        def done(_) -> None:
            self.error.clear_message()
            self.message.setText("保存しました。")

        self.ctx.runner.write(work, done, lambda exc: self.error.show_message(error_text(exc)),
                              parent=self)

    def create_recovery(self) -> None:
        if QMessageBox.question(self, "確認", "新しい回復キーを作成します。前の回復キーは使えなくなります。"
                                "よろしいですか？") != QMessageBox.StandardButton.Yes:
            return
        signed = self.ctx.signed
        self.ctx.runner.write(lambda: auth.create_recovery_code(signed),
                              lambda code: RecoveryCodeDialog(code, self).exec(), parent=self)
