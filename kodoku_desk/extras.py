"""The developer tools the product offers but does not ship: the demo workspace and the
benchmark live in the separate distribution kodoku-desk-devtools (package kodoku_devtools,
devtools/ in the repository). `kodoku-desk demo`, `kodoku-desk bench` and the first-run dialog's
demo button import it through here, only when used; without it they say so in one sentence."""

from __future__ import annotations

import importlib
from types import ModuleType

from kodoku_desk.errors import UserError

DEVTOOLS = "kodoku_devtools"
DEVTOOLS_MISSING = ("デモ・性能測定の開発用ツール（kodoku-desk-devtools）が入っていません。"
                    "開発用の環境で `make run` してください。")


class DevtoolsMissing(UserError):
    def __init__(self) -> None:
        super().__init__(DEVTOOLS_MISSING)


def devtools(module: str) -> ModuleType:
    """kodoku_devtools.<module>; DevtoolsMissing when the distribution is not installed. A
    module missing inside an installed kodoku_devtools is a bug and is raised as it is."""
    if not devtools_installed():
        raise DevtoolsMissing()
    return importlib.import_module(f"{DEVTOOLS}.{module}")


def devtools_installed() -> bool:
    """Whether kodoku_devtools can be imported (its package module imports nothing)."""
    try:
        importlib.import_module(DEVTOOLS)
    except ModuleNotFoundError as exc:
        if exc.name == DEVTOOLS:
            return False
        raise
    return True
