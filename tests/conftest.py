"""Shared fixtures. Tests use real SQLCipher workspaces on disk (tmp_path), never mocks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kodoku_desk.store import keys  # noqa: E402

# Argon2id at production cost takes ~0.2 s per wrap; tests create many accounts. The code path
# is the same, only the stored cost parameters are smaller.
keys.ARGON2_PARAMS.update(t=1, m=8192, p=1)

ADMIN_PASSWORD = "admin-password-1"


def pytest_sessionstart(session):
    """The fixtures build generated demo workspaces: the tests need the developer tools."""
    from kodoku_desk.extras import devtools_installed

    if not devtools_installed():
        pytest.exit("kodoku-desk-devtools (devtools/) is not installed: run `make test`, or "
                    "`pip install -e ./devtools` into this environment.", returncode=4)


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def signed(ws_dir: Path):
    """A fresh workspace signed in as its admin (福祉総務課)."""
    from kodoku_desk.services.auth import create_workspace

    s = create_workspace(ws_dir, "admin", "管理 太郎", ADMIN_PASSWORD)
    yield s
    if s.store._lock is not None:
        s.close()


@pytest.fixture
def demo(tmp_path_factory):
    """A small generated demo workspace (closed); returns its folder."""
    from kodoku_devtools.demo import create_demo

    folder = tmp_path_factory.mktemp("demo") / "ws"
    s, _ = create_demo(folder, cases=60, seed=7)
    s.close()
    return folder


_fonts_installed = False


@pytest.fixture(autouse=True)
def _app_fonts(request):
    """GUI tests get the bundled IPAex font as the app does at start (ui.app.run_app): a new
    machine has no Japanese fonts, and screenshots would show boxes instead of kanji."""
    global _fonts_installed
    if not _fonts_installed and {"qtbot", "qapp"} & set(request.fixturenames):
        from kodoku_desk.ui.fonts import install_fonts

        install_fonts(request.getfixturevalue("qapp"))
        _fonts_installed = True
