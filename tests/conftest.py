"""Shared fixtures. Tests use real SQLCipher workspaces on disk (tmp_path), never mocks. Each
fixture workspace is built once per session through the services (the *_template fixtures) and
every test gets its own copy of the closed folder (workspace_templates.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from workspace_templates import Template, copy_workspace, keep, open_copy

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


@pytest.fixture(scope="session")
def admin_template(tmp_path_factory) -> Template:
    """A new workspace with only its admin (福祉総務課), built once per session."""
    from kodoku_desk.services.auth import create_workspace

    folder = tmp_path_factory.mktemp("tpl-admin") / "ws"
    return keep(create_workspace(folder, "admin", "管理 太郎", ADMIN_PASSWORD))


@pytest.fixture
def signed(admin_template: Template, ws_dir: Path):
    """A fresh workspace signed in as its admin (福祉総務課): a copy of admin_template."""
    s = open_copy(admin_template, ws_dir)
    yield s
    if s.store._lock is not None:
        s.close()


@pytest.fixture(scope="session")
def demo_org(tmp_path_factory) -> Template:
    """The demo organisation (blocks, agencies, staff) without generated cases, built once."""
    from kodoku_devtools.demo import create_demo

    signed, _ = create_demo(tmp_path_factory.mktemp("tpl-org") / "ws", cases=0)
    return keep(signed)


@pytest.fixture(scope="session")
def org_template(demo_org: Template) -> Path:
    """The closed demo-organisation folder, to copy (tests sign in to their copy)."""
    return demo_org.folder


@pytest.fixture(scope="session")
def north_template(org_template: Path, tmp_path_factory) -> Template:
    """A copy of the demo organisation with u01 (北部地域包括支援センター) signed in, built once."""
    from kodoku_desk.services.auth import sign_in
    from kodoku_devtools.demo import DEMO_PASSWORD

    folder = tmp_path_factory.mktemp("tpl-north") / "ws"
    copy_workspace(org_template, folder)
    return keep(sign_in(folder, "u01", DEMO_PASSWORD))


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A small generated demo workspace (60 cases, seed 7), built once and closed."""
    from kodoku_devtools.demo import create_demo

    signed, _ = create_demo(tmp_path_factory.mktemp("tpl-demo") / "ws", cases=60, seed=7)
    return keep(signed).folder


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Path:
    """A copy of the small generated demo workspace (closed); returns its folder."""
    folder = tmp_path / "demo"
    copy_workspace(demo_template, folder)
    return folder


@pytest.fixture(scope="session")
def cases_world_template(north_template: Template, tmp_path_factory):
    """cases_data's world (the organisation and two saved intakes), built once."""
    import cases_data

    return cases_data.build_world_template(north_template,
                                           tmp_path_factory.mktemp("tpl-cases") / "ws")


@pytest.fixture(scope="session")
def meeting_template(admin_template: Template, tmp_path_factory):
    """meetings_data's meeting world (three cases, one two-part session), built once."""
    from meetings_data import meeting_world_template

    return meeting_world_template(admin_template, tmp_path_factory.mktemp("tpl-meetings") / "ws")


_fonts_installed = False


@pytest.fixture(autouse=True)
def _app_fonts(request):
    """GUI tests get the bundled IPAex font and Qt's Japanese strings as the app does at start
    (ui.app.run_app): a new machine has no Japanese fonts, and screenshots would show boxes
    instead of kanji, or 「Cancel」 on Qt's own buttons."""
    global _fonts_installed
    if not _fonts_installed and {"qtbot", "qapp"} & set(request.fixturenames):
        from kodoku_desk.ui.fonts import install_fonts
        from kodoku_desk.ui.language import install_japanese

        install_japanese(request.getfixturevalue("qapp"))
        install_fonts(request.getfixturevalue("qapp"))
        _fonts_installed = True
