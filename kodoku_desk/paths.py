"""Where bundled resources live (fonts, templates, rules). No personal data here."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES = PACKAGE_DIR.parent / "resources"
FONTS = RESOURCES / "fonts"
GOTHIC_TTF = FONTS / "ipaexg.ttf"
MINCHO_TTF = FONTS / "ipaexm.ttf"


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)
