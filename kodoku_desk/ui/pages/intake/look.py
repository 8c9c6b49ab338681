"""The sheet's look, shared by its editors and the page: which part (A 相談者記入 / B 相談受付者記入)
a widget belongs to, the parts' colours and badges, the error style, large type."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from kodoku_desk.domain.template import PART_LABELS

PART_PROPERTY = "sheet_part"
PART_COLOURS = {"A": "#1f6f43", "B": "#1d4e89"}
DATE_HINT = "例: R7.4.1 / 令和7年4月1日 / 2025-04-01"
ERROR_STYLE = "color: #b00020; font-weight: bold;"


def mark_part(widget: QWidget, part: str) -> None:
    """Tag a widget (and so everything inside it) with its sheet part for the part indicator."""
    widget.setProperty(PART_PROPERTY, part)


def part_of(widget: QWidget | None) -> str | None:
    while widget is not None:
        value = widget.property(PART_PROPERTY)
        if value:
            return str(value)
        widget = widget.parentWidget()
    return None


def part_badge(part: str, large: bool = False) -> QLabel:
    badge = QLabel(f"{part} {PART_LABELS[part]}")
    size = 15 if large else 11
    badge.setStyleSheet(f"background: {PART_COLOURS[part]}; color: white; padding: 2px 8px;"
                        f" border-radius: 4px; font-size: {size}pt; font-weight: bold;")
    return badge


def big_font(widget: QWidget, points: int = 18) -> None:
    font = QFont(widget.font())
    font.setPointSize(points)
    widget.setFont(font)
