"""The bundled IPAex fonts become the application font, so kanji render the same on every PC."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from kodoku_desk.paths import GOTHIC_TTF, MINCHO_TTF

UI_POINT_SIZE = 10


def install_fonts(app: QApplication) -> str:
    """Register IPAex Gothic and Mincho; make Gothic the app font. Returns the family used."""
    family = ""
    for path in (GOTHIC_TTF, MINCHO_TTF):
        font_id = QFontDatabase.addApplicationFont(str(path))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if path == GOTHIC_TTF and families:
            family = families[0]
    if family:
        font = QFont(family, UI_POINT_SIZE)
        font.setStyleHint(QFont.StyleHint.SansSerif)
        app.setFont(font)
    return family
