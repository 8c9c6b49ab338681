"""Qt's own strings are Japanese, as the app installs them at start (ui.language)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from kodoku_desk.ui.language import install_japanese

pytestmark = pytest.mark.gui


def test_standard_buttons_speak_japanese(qapp):
    assert install_japanese(qapp)
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                           | QDialogButtonBox.StandardButton.Cancel)
    assert "キャンセル" in [b.text() for b in box.buttons()]
    question = QMessageBox(QMessageBox.Icon.Question, "kodoku-desk", "保存しますか？",
                           QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    texts = [b.text() for b in question.buttons()]
    assert any(t.startswith("はい") for t in texts) and not any("Cancel" in t for t in texts)
