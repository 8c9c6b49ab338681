"""添付: scans of filled-in forms (PDF, PNG, JPEG up to 20 MB), kept encrypted in the workspace.
The files are read on the runner when the sheet is saved (save_flow), not here."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kodoku_desk.ui.pages.intake.look import ERROR_STYLE

SCAN_PATTERN = "スキャン (*.pdf *.png *.jpg *.jpeg)"


def choose_scan(parent: QWidget, caption: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, caption, "", SCAN_PATTERN)
    return path or None


class AttachmentBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("添付（記入済みの用紙などのスキャン: PDF・PNG・JPEG、20 MB まで。暗号化して保存）",
                         parent)
        layout = QHBoxLayout(self)
        self.list = QListWidget()
        self.list.setMaximumHeight(70)
        layout.addWidget(self.list, 1)
        buttons = QVBoxLayout()
        add = QPushButton("ファイルを追加…")
        add.clicked.connect(self.choose)
        remove = QPushButton("選んだ添付を外す")
        remove.clicked.connect(lambda: self.list.takeItem(self.list.currentRow()))
        buttons.addWidget(add)
        buttons.addWidget(remove)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        buttons.addWidget(self.error)
        layout.addLayout(buttons)

    def choose(self) -> None:
        path = choose_scan(self, "添付するファイル")
        if path:
            self.add_path(path)

    def add_path(self, path: str) -> None:
        item = QListWidgetItem(Path(path).name)
        item.setData(Qt.ItemDataRole.UserRole, path)
        self.list.addItem(item)

    def paths(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def clear(self) -> None:
        self.list.clear()
        self.error.hide()
