"""Who is this? The person search above the sheet and the duplicate warning under it. An existing
person is only ever used because the worker chose them (never merged automatically); a returning
person's sheet can go on one of their cases."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.domain import dates
from kodoku_desk.errors import UserError
from kodoku_desk.services import intake
from kodoku_desk.ui.ops import error_text
from kodoku_desk.ui.pages.intake.field_editors import DateInput

WARN_STYLE = ("QFrame#duplicate_warning { background: #fff4c2; border: 2px solid #d19a00;"
              " padding: 6px; }")


def describe_person(m: intake.PersonMatch) -> str:
    born = dates.to_wareki(m.birth_date) if m.birth_date else "生年月日不明"
    numbers = [n for n in m.case_nos if n[:1].isdigit()]
    others = [n for n in m.case_nos if not n[:1].isdigit()]
    cases = f"（ケース {'・'.join(numbers)}）" if numbers else ""
    cases += f"（{'・'.join(others)}）" if others else ""
    kana = f"（{m.kana}）" if m.kana else ""
    phone = f"・{m.phone}" if m.phone else ""
    return f"{m.name}{kana} {born}{phone}{cases}"


class PersonSearch(QWidget):
    """The search box and, under it, the duplicate banner. `chosen(match or None)` when the
    worker picks a person (or goes back to a new one); `message(text)` for the status line."""

    chosen = Signal(object)
    message = Signal(str)

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.selected: intake.PersonMatch | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._search_box())
        self.dup_banner = QFrame()
        self.dup_banner.setObjectName("duplicate_warning")
        self.dup_banner.setStyleSheet(WARN_STYLE)
        self.dup_layout = QVBoxLayout(self.dup_banner)
        self.dup_banner.hide()
        layout.addWidget(self.dup_banner)

    def _search_box(self) -> QGroupBox:
        box = QGroupBox("本人の検索（新しいシートの前に、すでに登録されている方か確かめます）")
        grid = QGridLayout(box)
        self.query = QLineEdit()
        self.query.setPlaceholderText("氏名・ふりがな（ｶﾀｶﾅ・ひらがな・空白の違いは区別しません）")
        self.birth = DateInput("生年月日")
        self.birth.edit.setPlaceholderText("生年月日（R7.4.1 など）")
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("電話番号")
        search = QPushButton("検索")
        search.setObjectName("search_person")
        search.clicked.connect(self.search)
        self.query.returnPressed.connect(self.search)
        self.results = QListWidget()
        self.results.setMaximumHeight(90)
        self.results.hide()
        self.choose_button = QPushButton("選んだ方で受付する")
        self.choose_button.clicked.connect(self.choose_from_results)
        self.choose_button.hide()
        self.selected_label = QLabel()
        self.selected_label.setStyleSheet("color: #1d4e89; font-weight: bold;")
        self.case_choice = QComboBox()
        self.case_choice.setObjectName("case_choice")
        self.case_choice.hide()
        self.unselect_button = QPushButton("選択を外す（新しい方として入力）")
        self.unselect_button.clicked.connect(lambda: self.select(None))
        self.unselect_button.hide()
        grid.addWidget(self.query, 0, 0)
        grid.addWidget(self.birth, 0, 1)
        grid.addWidget(self.phone, 0, 2)
        grid.addWidget(search, 0, 3)
        grid.addWidget(self.results, 1, 0, 1, 3)
        grid.addWidget(self.choose_button, 1, 3, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.selected_label, 2, 0)
        grid.addWidget(self.case_choice, 2, 1, 1, 2)
        grid.addWidget(self.unselect_button, 2, 3)
        grid.setColumnStretch(0, 2)
        return box

    # -- search

    def search(self) -> None:
        try:
            birth = self.birth.date_value("search_birth")
        except UserError as err:
            self.message.emit(err.message)
            return
        query, phone, signed = self.query.text(), self.phone.text(), self.ctx.signed
        # Searching people is audited: a write (Change.AUDIT only).
        self.ctx.runner.write(lambda: intake.find_people(signed, query, birth, phone),
                              self._show_results,
                              lambda exc: self.message.emit(error_text(exc)), parent=self)

    def _show_results(self, found: list[intake.PersonMatch]) -> None:
        self.results.clear()
        for m in found:
            item = QListWidgetItem(describe_person(m))
            item.setData(Qt.ItemDataRole.UserRole, m)
            self.results.addItem(item)
        if not found:
            self.results.addItem("該当する方はいません。新しい方として入力してください。")
        self.results.show()
        self.choose_button.setVisible(bool(found))

    def choose_from_results(self) -> None:
        item = self.results.currentItem()
        match = item.data(Qt.ItemDataRole.UserRole) if item else None
        if match is not None:
            self.select(match)

    def select(self, match: intake.PersonMatch | None) -> None:
        """Use an existing person for this sheet (the worker's decision, never automatic)."""
        self.selected = match
        self.case_choice.clear()
        self.case_choice.addItem("新しいケースとして受付", None)
        if match is None:
            self.selected_label.setText("")
            self.unselect_button.hide()
            self.case_choice.hide()
        else:
            for no, case_id in zip(match.case_nos, match.case_ids, strict=False):
                self.case_choice.addItem(f"ケース {no} にシートを追加", case_id)
            self.case_choice.setVisible(bool(match.case_ids))
            self.selected_label.setText(f"既存の方で受付: {describe_person(match)}")
            self.unselect_button.show()
            self.dup_banner.hide()
        self.chosen.emit(match)

    def case_id(self) -> int | None:
        """The existing case the sheet goes on (None: a new case)."""
        return self.case_choice.currentData() if self.selected else None

    # -- duplicates

    def check_duplicates(self, kana: str, birth: date | None, phone: str) -> None:
        """Warn when the sheet's person looks like someone already registered."""
        if self.selected is not None:
            return
        if not (kana and birth) and len(phone) < 6:
            self.dup_banner.hide()
            return
        signed = self.ctx.signed
        self.ctx.runner.write(lambda: intake.check_duplicates(signed, kana, birth, phone),
                              self._show_duplicates, lambda exc: None, parent=self)

    def _show_duplicates(self, found: list[intake.PersonMatch]) -> None:
        while self.dup_layout.count():
            item = self.dup_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if not found or self.selected is not None:
            self.dup_banner.hide()
            return
        head = QLabel("同じ方かもしれません（自動でまとめることはしません。同じ方なら選んでください）")
        head.setStyleSheet("font-weight: bold;")
        self.dup_layout.addWidget(head)
        for m in found:
            row = QHBoxLayout()
            label = QLabel(f"{describe_person(m)} — {'・'.join(m.why)}")
            label.setWordWrap(True)
            row.addWidget(label, 1)
            pick = QPushButton("この方を選ぶ")
            pick.clicked.connect(lambda _=False, m=m: self.select(m))
            row.addWidget(pick)
            holder = QWidget()
            holder.setLayout(row)
            self.dup_layout.addWidget(holder)
        self.dup_banner.show()

    def reset(self) -> None:
        self.select(None)
        self.dup_banner.hide()
        self.results.hide()
