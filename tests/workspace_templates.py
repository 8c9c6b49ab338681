"""Fixture workspaces built once per test session and copied for each test.

A template is a real workspace, built through the services as before and then closed. A test
gets its own copy of the folder (`shutil.copytree`, without the instance lock), so tests stay
independent. `open_copy` opens the copy with the template's data key as the account that built
it: the test sees the workspace exactly as the builder left it, with no extra login entry in
the audit log (a fresh fixture never had one either)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from kodoku_desk.domain.actor import Actor
from kodoku_desk.services.auth import Signed
from kodoku_desk.store.workspace import BACKUPS, LOCK_NAME, load_keyfile, open_store


@dataclass(frozen=True)
class Template:
    folder: Path  # the closed workspace
    data_key: bytes
    actor: Actor  # who built it, signed in when it was closed


def keep(signed: Signed) -> Template:
    """Close a freshly built workspace and keep it as a template."""
    template = Template(signed.store.folder, signed.store._data_key, signed.actor)
    signed.close()
    return template


def copy_workspace(template_dir, target_dir) -> None:
    """A fresh copy of a closed workspace folder (same data key): faster than building one."""
    shutil.copytree(template_dir, target_dir, ignore=shutil.ignore_patterns(LOCK_NAME, BACKUPS))


def open_copy(template: Template, folder: Path) -> Signed:
    """A copy of the template in `folder`, open as its builder had it."""
    copy_workspace(template.folder, folder)
    return Signed(open_store(folder, template.data_key, load_keyfile(folder)), template.actor)
