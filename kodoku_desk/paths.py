"""Where bundled resources live (fonts, templates, rules). No personal data here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES = PACKAGE_DIR.parent / "resources"
FONTS = RESOURCES / "fonts"
GOTHIC_TTF = FONTS / "ipaexg.ttf"
MINCHO_TTF = FONTS / "ipaexm.ttf"


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)

T = TypeVar("T")


class WorkspaceOverride(Generic[T]):
    """A data file (no personal data) an admin may copy into the workspace folder to replace the
    bundled one — the routing rules, the redaction words. Re-read when the file changes."""

    def __init__(self, name: str, load: Callable[[Path], T], default: Callable[[], T]) -> None:
        self.name, self._load, self._default = name, load, default
        self._cache: dict[Path, tuple[float, T]] = {}

    def for_folder(self, folder: Path | str | None) -> T:
        if folder is None:
            return self._default()
        path = Path(folder) / self.name
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return self._default()
        cached = self._cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        value = self._load(path)
        self._cache[path] = (mtime, value)
        return value
