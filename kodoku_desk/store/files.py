"""File helpers: atomic writes and the single-instance lock."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from kodoku_desk.errors import WorkspaceError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, then rename: a crash never leaves a half file."""
    with atomic_output(path) as fh:
        fh.write(data)


class Staged:
    """A file being written under a temporary name in its target's folder."""

    def __init__(self, path: Path, fd: int, tmp: str) -> None:
        self.path, self.tmp = path, tmp
        self.file: IO[bytes] = os.fdopen(fd, "wb")
        self.published = False

    def finish(self) -> None:
        """Everything is written: flush it to the disk."""
        if not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()

    def publish(self) -> None:
        """Give the complete file its name (an atomic rename)."""
        self.finish()
        os.replace(self.tmp, self.path)
        self.published = True


def _folder_error(folder: Path, exc: OSError) -> WorkspaceError:
    if isinstance(exc, FileNotFoundError):
        return WorkspaceError(f"保存先のフォルダ {folder} がありません。")
    if isinstance(exc, PermissionError):
        return WorkspaceError(f"保存先のフォルダ {folder} に書き込めません（権限がありません）。")
    return WorkspaceError(f"保存先のフォルダ {folder} に書き込めません: {exc.strerror}")


@contextlib.contextmanager
def staged_output(path: Path | str) -> Iterator[Staged]:
    """A temporary file beside `path`; unless `publish()` was called it is removed on exit, so a
    failed or refused export never leaves a partial file under the chosen name."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise _folder_error(path.parent, exc) from exc
    staged = Staged(path, fd, tmp)
    try:
        yield staged
    except OSError as exc:
        if isinstance(exc, WorkspaceError):
            raise
        if exc.errno == 28:  # ENOSPC
            raise WorkspaceError(
                f"ディスクの空き容量が足りないため {path.name} を保存できませんでした。") from exc
        raise WorkspaceError(f"{path.name} を保存できませんでした: {exc.strerror}") from exc
    finally:
        if not staged.file.closed:
            staged.file.close()
        if not staged.published:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


@contextlib.contextmanager
def atomic_output(path: Path | str) -> Iterator[IO[bytes]]:
    """Yield a binary file in the target's folder; rename onto `path` only on success."""
    with staged_output(path) as staged:
        yield staged.file
        staged.publish()


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
