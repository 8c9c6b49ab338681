"""A file the user names (an import's attachment paths, the intake page's choosers) must be a
regular file: a named pipe, device, socket or folder is refused before it is opened — a pipe
would otherwise hang the import forever — and an import's attachment must lie inside the JSON
file's folder, symbolic links followed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import pytest
from test_intake_import import _bad, counts, run, write
from workspace_templates import copy_workspace

from kodoku_desk.errors import UserError
from kodoku_desk.services.attachments import read_file
from kodoku_desk.store.files import regular_file
from kodoku_devtools.demo import DEMO_PASSWORD

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="named pipes and symlinks: POSIX")
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 20


@contextlib.contextmanager
def deadline(seconds: int = 10):
    """Fail instead of hanging: a blocked open() is interrupted by the alarm."""
    def expired(signum, frame):
        raise TimeoutError("the read hung (a named pipe was opened)")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture
def ws(org_template, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "ws"
    copy_workspace(org_template, folder)
    monkeypatch.setenv("KODOKU_PASSWORD", DEMO_PASSWORD)
    return folder


def test_import_refuses_a_named_pipe_without_hanging(ws, tmp_path, capsys):
    os.mkfifo(tmp_path / "scan.png")
    with deadline():
        assert run(ws, write(tmp_path, [_bad(attachments=[{"file": "scan.png"}])], "p.json")) == 1
    err = capsys.readouterr().err
    assert "p.json: シート 1" in err and "attachments[0].file" in err
    assert "「scan.png」は通常のファイルではありません（名前付きパイプ）。" in err
    assert counts(ws)[0] == 0


def test_import_refuses_folders_devices_and_links_out(ws, tmp_path, capsys):
    data = tmp_path / "in"
    data.mkdir()
    (data / "dir.png").mkdir()
    (data / "null.png").symlink_to(os.devnull)
    (tmp_path / "outside.png").write_bytes(PNG)
    (data / "out.png").symlink_to(tmp_path / "outside.png")
    (data / "ok.png").write_bytes(PNG)
    (data / "sub").mkdir()
    (data / "sub" / "in.png").symlink_to(data / "ok.png")
    cases = (("dir.png", "（フォルダ）"), ("null.png", f"はフォルダ {data} の外を指しています"),
             ("out.png", f"はフォルダ {data} の外を指しています"),
             ("../outside.png", f"はフォルダ {data} の外を指しています"),
             ("consent-only.png", "が見つかりません"))
    for name, what in cases:
        with deadline():
            assert run(ws, write(data, [_bad(consent__attachment=name)], "a.json")) == 1
        err = capsys.readouterr().err
        assert "consent.attachment" in err and what in err, err
    assert counts(ws)[0] == 0
    with deadline():  # a link that stays inside the folder is allowed
        record = _bad(attachments=[{"file": "sub/in.png"}], consent__attachment="ok.png")
        assert run(ws, write(data, [record], "a.json")) == 0
    assert counts(ws)[0] == 1


def test_chooser_reads_refuse_non_regular_files(tmp_path):
    os.mkfifo(tmp_path / "pipe.pdf")
    sock_path = tmp_path / "s.pdf"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        for path, kind in ((tmp_path / "pipe.pdf", "名前付きパイプ"), (tmp_path, "フォルダ"),
                           (Path(os.devnull), "デバイス"), (sock_path, "ソケット")):
            with deadline(), pytest.raises(UserError) as err:
                read_file(path)
            assert err.value.message == f"「{path.name}」は通常のファイルではありません（{kind}）。"
            assert err.value.field == "attachment"
    finally:
        sock.close()
    (tmp_path / "ok.png").write_bytes(PNG)
    (tmp_path / "link.png").symlink_to(tmp_path / "ok.png")
    assert read_file(tmp_path / "link.png").data == PNG  # a chooser may pick a link anywhere
    assert regular_file(tmp_path / "link.png") == (tmp_path / "ok.png").resolve()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_an_import_file_that_is_a_named_pipe_is_refused_not_waited_on(tmp_path):
    """The JSON file itself (not only its attachments): refused before it is opened."""
    import signal

    from kodoku_desk.errors import UserError
    from kodoku_desk.services.importer import read_json

    pipe = tmp_path / "sheets.json"
    os.mkfifo(pipe)
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the import waited on a pipe"))
    signal.alarm(10)
    try:
        with pytest.raises(UserError, match="通常のファイルではありません"):
            read_json(pipe)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
