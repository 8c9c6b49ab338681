"""An interrupted `init`, first-run or demo leaves nothing under the workspace's name, or a
complete workspace: it is built in a hidden sibling (.NAME.creating-XXXX) and renamed into place
once the database is migrated and keys.json holds the administrator's wrap. A leftover sibling is
named in one sentence by the next attempt and never opened as a workspace."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kodoku_desk.cli import main
from kodoku_desk.errors import WorkspaceError
from kodoku_desk.services import auth
from kodoku_desk.store import workspace
from kodoku_desk.store.workspace import DB_NAME, KEYS_NAME, Store, is_workspace

PASSWORD = "correct-horse-42"


def siblings(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob(f".{folder.name}.creating-*"))


def test_a_failure_after_the_database_is_built_leaves_nothing(tmp_path, monkeypatch):
    folder = tmp_path / "ws"
    real = Store.rewrap
    seen: list[Path] = []

    def rewrap_then_fail(self, login, password):
        real(self, login, password)  # the database is migrated and keys.json is written
        seen.append(self.folder)
        assert (self.folder / DB_NAME).exists() and (self.folder / KEYS_NAME).exists()
        raise RuntimeError("interrupted")

    monkeypatch.setattr(Store, "rewrap", rewrap_then_fail)
    with pytest.raises(RuntimeError):
        auth.create_workspace(folder, "admin", "管理", PASSWORD)
    assert seen and seen[0].parent == tmp_path and seen[0] != folder
    assert not folder.exists() and not siblings(folder)
    monkeypatch.setattr(Store, "rewrap", real)
    signed = auth.create_workspace(folder, "admin", "管理", PASSWORD)
    try:
        assert signed.folder == folder and is_workspace(folder) and not siblings(folder)
    finally:
        signed.close()
    auth.sign_in(folder, "admin", PASSWORD).close()


def test_an_existing_empty_folder_is_used(tmp_path):
    folder = tmp_path / "chosen"
    folder.mkdir()
    (folder / ".lock").touch()  # left by an earlier, failed attempt
    auth.create_workspace(folder, "admin", "管理", PASSWORD).close()
    auth.sign_in(folder, "admin", PASSWORD).close()
    with pytest.raises(WorkspaceError, match="すでにワークスペースがあります"):
        auth.create_workspace(folder, "admin", "管理", PASSWORD)


def test_a_leftover_sibling_is_named_and_never_opened(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "ws"
    leftover = tmp_path / ".ws.creating-abc123"
    leftover.mkdir()
    (leftover / DB_NAME).write_bytes(b"x")
    (leftover / KEYS_NAME).write_text("{}")
    sentence = (f"{leftover} は途中で中断されたワークスペース作成の残り（ワークスペースではありません）"
                "なので、削除してからもう一度作成してください。")
    with pytest.raises(WorkspaceError) as err:
        auth.create_workspace(folder, "admin", "管理", PASSWORD)
    assert err.value.message == sentence and not folder.exists()
    with pytest.raises(WorkspaceError) as err:
        auth.sign_in(leftover, "admin", PASSWORD)
    assert err.value.message == sentence
    monkeypatch.setenv("KODOKU_PASSWORD", PASSWORD)
    assert main(["init", "--workspace", str(folder), "--admin", "admin"]) == 1
    assert sentence in capsys.readouterr().err
    shutil.rmtree(leftover)
    assert main(["init", "--workspace", str(folder), "--admin", "admin"]) == 0
    assert is_workspace(folder)


def test_a_creation_in_progress_is_not_called_a_leftover(tmp_path):
    folder = tmp_path / "ws"
    leftover = tmp_path / ".ws.creating-live"
    leftover.mkdir()
    lock = workspace.InstanceLock(leftover / workspace.LOCK_NAME)
    lock.acquire()
    try:
        with pytest.raises(WorkspaceError, match="作成中です"):
            auth.create_workspace(folder, "admin", "管理", PASSWORD)
    finally:
        lock.release()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_init_killed_mid_way(tmp_path):
    """A real `kodoku-desk init` process is killed (SIGKILL, no clean-up runs) right after the
    administrator's wrap is written, the last step before the rename."""
    folder = tmp_path / "ws"
    script = textwrap.dedent("""
        import os, signal, sys
        from kodoku_desk.store.workspace import Store
        real = Store.rewrap
        def rewrap(self, login, password):
            real(self, login, password)
            os.kill(os.getpid(), signal.SIGKILL)
        Store.rewrap = rewrap
        from kodoku_desk.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    env = {**os.environ, "KODOKU_PASSWORD": PASSWORD}
    args = [sys.executable, "-c", script, "init", "--workspace", str(folder), "--admin", "admin"]
    proc = subprocess.run(args, env=env, capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert not folder.exists()
    [leftover] = siblings(folder)
    assert (leftover / DB_NAME).exists() and (leftover / KEYS_NAME).exists()
    proc = subprocess.run([sys.executable, "-m", "kodoku_desk", *args[3:]], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and str(leftover) in proc.stderr and "削除して" in proc.stderr
    assert not folder.exists()
    shutil.rmtree(leftover)
    proc = subprocess.run([sys.executable, "-m", "kodoku_desk", *args[3:]], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    auth.sign_in(folder, "admin", PASSWORD).close()
