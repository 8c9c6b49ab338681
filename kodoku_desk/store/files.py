"""File helpers: atomic writes and the single-instance lock."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO

from kodoku_desk.errors import WorkspaceError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, then rename: a crash never leaves a half file."""
    with atomic_output(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_output(path: Path):
    """Yield a binary file in the target's folder; rename onto `path` only on success."""
    path = Path(path)
    folder = path.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except FileNotFoundError as exc:
        raise WorkspaceError(f"保存先のフォルダ {folder} がありません。") from exc
    except PermissionError as exc:
        raise WorkspaceError(f"保存先のフォルダ {folder} に書き込めません（権限がありません）。") from exc
    except OSError as exc:
        raise WorkspaceError(f"保存先のフォルダ {folder} に書き込めません: {exc.strerror}") from exc
    fh: IO[bytes] = os.fdopen(fd, "wb")
    try:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.replace(tmp, path)
    except BaseException as exc:
        fh.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, WorkspaceError):
            if exc.errno == 28:  # ENOSPC
                raise WorkspaceError(
                    f"ディスクの空き容量が足りないため {path.name} を保存できませんでした。"
                ) from exc
            raise WorkspaceError(f"{path.name} を保存できませんでした: {exc.strerror}") from exc
        raise


class InstanceLock:
    """An OS file lock so that one workspace is open in one program at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def acquire(self) -> None:
        try:
            fh = open(self.path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
        except OSError as exc:
            raise WorkspaceError(
                f"ワークスペースのフォルダ {self.path.parent} に書き込めません。権限を確認してください。"
            ) from exc
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            raise WorkspaceError(
                "このワークスペースは別のウィンドウまたは別のプログラムで開かれています。"
                "そちらを閉じてから開いてください。"
            ) from exc
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
