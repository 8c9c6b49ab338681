"""Key wrapping. The database is keyed with a random 256-bit data key; each staff account holds
that key wrapped (AES-GCM) under a key derived from its password (Argon2id). The key file has no
client data. A password change only re-wraps; the database is never re-keyed."""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kodoku_desk.errors import AuthError, WorkspaceError
from kodoku_desk.store.files import atomic_write_bytes

KEY_FILE_FORMAT = 1
# Argon2id cost: ~0.2 s on a 2-core office PC, so unlock stays under 1 s.
ARGON2_PARAMS = {"t": 3, "m": 65536, "p": 2}
MIN_PASSWORD_LENGTH = 10
RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"))


def check_password_rule(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(
            f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください（空白だけは不可）。",
            field="password",
        )
    if not password.strip():
        raise AuthError("パスワードが空白だけです。文字を入れてください。", field="password")


def _derive(secret: bytes, salt: bytes, params: dict) -> bytes:
    return hash_secret_raw(
        secret, salt, time_cost=params["t"], memory_cost=params["m"], parallelism=params["p"],
        hash_len=32, type=Type.ID,
    )


def wrap(data_key: bytes, secret: bytes, aad: bytes, params: dict | None = None) -> dict:
    params = dict(params or ARGON2_PARAMS)
    salt, nonce = os.urandom(16), os.urandom(12)
    kek = _derive(secret, salt, params)
    ct = AESGCM(kek).encrypt(nonce, data_key, aad)
    return {"kdf": "argon2id", **params, "salt": _b64(salt), "nonce": _b64(nonce), "ct": _b64(ct)}


def unwrap(entry: dict, secret: bytes, aad: bytes) -> bytes | None:
    """The data key, or None when the secret is wrong."""
    kek = _derive(secret, _unb64(entry["salt"]), entry)
    try:
        return AESGCM(kek).decrypt(_unb64(entry["nonce"]), _unb64(entry["ct"]), aad)
    except InvalidTag:
        return None


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(24))
    return "-".join(raw[i : i + 4] for i in range(0, 24, 4))


def normalise_recovery_code(code: str) -> str:
    import unicodedata

    code = unicodedata.normalize("NFKC", code).upper()
    return "".join(ch for ch in code if ch in RECOVERY_ALPHABET)


@dataclass
class KeyFile:
    path: Path
    workspace_id: str
    wraps: dict[str, dict]
    recovery: dict | None

    @classmethod
    def new(cls, path: Path) -> KeyFile:
        return cls(path, secrets.token_hex(16), {}, None)

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != KEY_FILE_FORMAT:
                raise ValueError("format")
            return cls(path, raw["workspace_id"], raw["wraps"], raw.get("recovery"))
        except FileNotFoundError as exc:
            raise WorkspaceError(
                f"鍵ファイル {path.name} が見つかりません。ワークスペースのフォルダを確認してください。"
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise WorkspaceError(
                f"鍵ファイル {path.name} が壊れています。バックアップから戻してください。"
            ) from exc

    def save(self) -> None:
        body = {
            "format": KEY_FILE_FORMAT,
            "workspace_id": self.workspace_id,
            "wraps": self.wraps,
            "recovery": self.recovery,
        }
        atomic_write_bytes(self.path, json.dumps(body, indent=1).encode("utf-8"))

    def _aad(self, login: str) -> bytes:
        return f"{self.workspace_id}:{login}".encode()

    def add_user(self, login: str, password: str, data_key: bytes) -> None:
        self.wraps[login] = wrap(data_key, password.encode("utf-8"), self._aad(login))

    def remove_user(self, login: str) -> None:
        self.wraps.pop(login, None)

    def unlock(self, login: str, password: str) -> bytes | None:
        entry = self.wraps.get(login)
        if entry is None:
            # Spend the same time as a real attempt so logins cannot be probed by timing.
            _derive(password.encode("utf-8"), b"\0" * 16, ARGON2_PARAMS)
            return None
        return unwrap(entry, password.encode("utf-8"), self._aad(login))

    def set_recovery(self, data_key: bytes) -> str:
        code = new_recovery_code()
        self.recovery = wrap(data_key, normalise_recovery_code(code).encode(), self._aad("*recovery*"))
        return code

    def unlock_with_recovery(self, code: str) -> bytes | None:
        if not self.recovery:
            return None
        secret = normalise_recovery_code(code).encode()
        return unwrap(self.recovery, secret, self._aad("*recovery*"))
