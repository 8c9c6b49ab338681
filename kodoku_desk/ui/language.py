"""The UI speaks Japanese: Qt's own strings (Cancel, OK, Yes/No in standard dialogs and button
boxes, context menus) come from the Japanese translations that ship with Qt."""

from __future__ import annotations

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication


def install_japanese(app: QApplication) -> bool:
    """Load Qt's Japanese translations once per application; True when they were found."""
    if getattr(app, "_kodoku_translator", None) is not None:
        return True
    QLocale.setDefault(QLocale(QLocale.Language.Japanese, QLocale.Country.Japan))
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load("qtbase_ja", folder):
        return False
    app.installTranslator(translator)
    app._kodoku_translator = translator  # type: ignore[attr-defined]  # kept alive with the app
    return True
