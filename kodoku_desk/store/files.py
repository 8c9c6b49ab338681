"""File helpers: reading a file the user chose, atomic writes and the single-instance lock."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from kodoku_desk.errors import UserError, WorkspaceError

_KINDS = ((stat.S_ISFIFO, "名前付きパイプ"), (stat.S_ISDIR, "フォルダ"), (stat.S_ISSOCK, "ソケット"),
          (stat.S_ISCHR, "デバイス"), (stat.S_ISBLK, "デバイス"))


def _not_regular(name: str, mode: int) -> UserError:
    kind = next((k for test, k in _KINDS if test(mode)), "特殊なファイル")
    return UserError(f"「{name}」は通常のファイルではありません（{kind}）。", field="file")


def regular_file(path: Path | str, within: Path | str | None = None) -> Path:
    """The real path of a file the user named, checked before anything opens it: a named pipe,
    device, socket or folder is refused (opening a pipe would wait forever for a writer). With
    `within`, the file — after following every symbolic link — must lie inside that folder."""
    path = Path(path)
    name = path.name or str(path)
    try:
        st = os.lstat(path)
        real = path
        if stat.S_ISLNK(st.st_mode) or within is not None:
            real = Path(os.path.realpath(path, strict=True))
            if within is not None and not real.is_relative_to(os.path.realpath(within)):
                raise UserError(f"「{name}」はフォルダ {within} の外を指しています"
                                "（リンク先も含めてこのフォルダの中に置いてください）。", field="file")
            st = os.stat(real)
    except FileNotFoundError:
        raise UserError(f"「{name}」が見つかりません。", field="file") from None
    except OSError as exc:
        raise UserError(f"「{name}」を読めません（{exc.strerror}）。", field="file") from None
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(name, st.st_mode)
    return real


def read_regular(path: Path | str, within: Path | str | None = None,
                 max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file (`regular_file`), refusing one over `max_bytes` before reading
    it. Opened without blocking and checked again once open, so a file swapped for a pipe after
    the check cannot hang the read either."""
    name = Path(path).name
    real = regular_file(path, within)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise UserError(f"「{name}」を読めません（{exc.strerror}）。", field="file") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(name, st.st_mode)
        if max_bytes is not None and st.st_size > max_bytes:
            raise UserError(f"「{name}」は大きすぎます（{st.st_size / 1024 / 1024:.1f} MB）。"
                            f"{max_bytes // 1024 // 1024} MB 以内にしてください。", field="file")
        try:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
        except OSError as exc:
            raise UserError(f"「{name}」を読めません（{exc.strerror}）。", field="file") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise UserError(f"「{name}」は大きすぎます。{max_bytes // 1024 // 1024} MB 以内にしてください。",
                        field="file")
    return data


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
